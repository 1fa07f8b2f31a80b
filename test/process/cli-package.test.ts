// The publishable package as a user gets it: `npm pack` of packages/gateway, installed from the
// tarball into an empty folder with no network (it has no dependencies), run through npx.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ROOT, fixtureServer, writeConfig } from './harness';

const PACKAGE_DIR = path.join(ROOT, 'packages', 'gateway');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('process: the gatekit-gateway npm package', function () {
  this.timeout(180000);
  let installDir: string;
  let tarballFiles: string[];

  before(() => {
    const packDir = mkdtempSync(path.join(tmpdir(), 'gatekit-pack-'));
    const packed = JSON.parse(execFileSync(NPM, ['pack', '--json', '--pack-destination', packDir], { cwd: PACKAGE_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { filename: string; files: { path: string }[] }[];
    tarballFiles = packed[0]!.files.map((file) => file.path).sort();
    installDir = mkdtempSync(path.join(tmpdir(), 'gatekit-install-'));
    execFileSync(NPM, ['init', '-y'], { cwd: installDir, stdio: 'ignore' });
    execFileSync(NPM, ['install', '--offline', '--no-audit', '--no-fund', path.join(packDir, packed[0]!.filename)], { cwd: installDir, stdio: 'ignore' });
  });

  it('is bundled: no dependencies, a bin, the loader and every chunk, no source maps', () => {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.name, 'gatekit-gateway');
    assert.deepEqual(manifest.bin, { 'gatekit-gateway': 'dist/gateway.js' });
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) assert.equal(manifest[field], undefined, field);
    assert.equal(manifest.version, (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const chunks = readdirSync(path.join(ROOT, 'dist')).filter((file) => /^gateway-[\w-]+\.js$/.test(file)).map((file) => `dist/${file}`);
    assert.deepEqual(tarballFiles, ['README.md', 'dist/gateway.js', ...chunks, 'package.json'].sort());
  });

  it('runs from the install: npx gatekit-gateway --version, and a real session', async () => {
    const version = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--offline', 'gatekit-gateway', '--version'], { cwd: installDir, encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stderr, /^gatekit-gateway \d+\.\d+\.\d+/);

    const config = writeConfig([{ name: 'fx', command: fixtureServer() }]);
    const bin = path.join(installDir, 'node_modules', '.bin', 'gatekit-gateway');
    const transport = new StdioClientTransport({ command: bin, args: ['-c', config], cwd: installDir, stderr: 'pipe' });
    const client = new Client({ name: 'package-test', version: '1' });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'fx__echo', arguments: { text: 'from the package' } });
      assert.equal((result.content as { text: string }[])[0]!.text, 'from the package');
    } finally {
      await client.close();
    }
  });
});
