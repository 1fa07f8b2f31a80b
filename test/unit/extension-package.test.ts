// The .vsix holds only what the extension needs at run time (.vscodeignore is an allowlist).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

describe('extension package contents', function () {
  this.timeout(60_000);

  it('lists the bundles, the manifest and the icons, nothing else', function () {
    if (!existsSync(path.join(root, 'dist', 'extension.js')) || !existsSync(path.join(root, 'dist', 'gateway.js'))) this.skip();
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    const files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    assert.ok(files.includes('dist/extension.js'), files.join(', '));
    assert.ok(files.includes('dist/gateway.js'));
    assert.ok(files.includes('dist/gateway-core.js'), 'the loader without the bundle it runs');
    assert.ok(files.includes('dist/gateway-http.js'), 'remote upstreams need the http chunk');
    assert.ok(files.includes('package.json'));
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.txt|\.md)?|dist\/(extension|gateway|gateway-[a-z]+)\.js|media\/.+|docs\/images\/.+)$/.test(f));
    assert.deepEqual(unexpected, []);
  });

  it('declares the engine whose MCP API it uses and a bundled entry point', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.equal(manifest.engines.vscode, '^1.101.0');
    assert.equal(manifest.main, './dist/extension.js');
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders, [{ id: 'gatekit.gateway', label: 'Gatekit' }]);
    assert.match(manifest.scripts.package, /vsce package --no-dependencies/);
  });
});
