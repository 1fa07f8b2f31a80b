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
    const unexpected = files.filter((f) => !/^(package\.json|package\.nls(\.[\w-]+)?\.json|README\.md|CHANGELOG\.md|THIRD-PARTY-NOTICES\.md|LICENSE(\.txt|\.md)?|dist\/(extension|gateway|gateway-core|gateway-[\w-]+)\.js|media\/.+|docs\/images\/.+|l10n\/.+)$/.test(f));
    assert.deepEqual(unexpected, []);
  });

  it('declares the engine whose MCP API it uses and a bundled entry point', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.equal(manifest.engines.vscode, '^1.101.0');
    assert.equal(manifest.main, './dist/extension.js');
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders, [{ id: 'gatekit.gateway', label: 'Gatekit' }]);
    assert.match(manifest.scripts.package, /vsce package --no-dependencies/);
  });

  it('carries what the Marketplace shows: icon, licence, changelog, notices, its own README, kind and l10n', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.ok(existsSync(path.join(root, manifest.icon)), 'the icon file exists');
    assert.equal(readFileSync(path.join(root, manifest.icon)).subarray(1, 4).toString(), 'PNG');
    for (const file of ['LICENSE', 'CHANGELOG.md', 'THIRD-PARTY-NOTICES.md', 'docs/marketplace/README.md', 'l10n/bundle.l10n.json']) assert.ok(existsSync(path.join(root, file)), file);
    assert.match(readFileSync(path.join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
    assert.match(manifest.scripts.package, /--readme-path docs\/marketplace\/README\.md/);
    assert.match(manifest.scripts.package, /gen-notices\.mjs/, 'notices are regenerated from the bundles before packaging');
    assert.deepEqual(manifest.extensionKind, ['workspace']);
    assert.equal(manifest.capabilities.virtualWorkspaces.supported, false);
    assert.equal(manifest.l10n, './l10n');
    const nls = JSON.parse(readFileSync(path.join(root, 'package.nls.json'), 'utf8'));
    for (const [key, value] of Object.entries(manifest)) if (typeof value === 'string' && /^%.+%$/.test(value)) assert.ok(nls[value.slice(1, -1)], `${key}: ${value} in package.nls.json`);
    assert.ok(manifest.keywords.includes('mcp'));
    assert.ok(manifest.categories.includes('AI'));
    // The Marketplace README is for users: no build instructions.
    assert.doesNotMatch(readFileSync(path.join(root, 'docs/marketplace/README.md'), 'utf8'), /npm (ci|install|run)/);
  });

  it('has every vscode.l10n.t message in l10n/bundle.l10n.json', () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'vscode', 'gen-l10n.mjs'), '--check'], { cwd: root, stdio: 'pipe' });
  });
});
