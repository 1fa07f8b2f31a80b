// The command that starts the gateway: the flags of dist/gateway.js's shebang, read the same way by
// the extension and by the benchmark, and a loader that runs the bundle from V8's code cache.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatewayNodeArgs } from '../../src/extension/gateway-command';

const ROOT = path.resolve(__dirname, '..', '..');
const GATEWAY = path.join(ROOT, 'dist', 'gateway.js');

describe('gateway command', () => {
  it('starts dist/gateway.js with the flags of its shebang, as the benchmark does', async () => {
    const args = gatewayNodeArgs(GATEWAY);
    assert.deepEqual(args, ['--max-semi-space-size=2', GATEWAY]);
    const systems = (await import(path.join(ROOT, 'bench', 'lib', 'systems.mjs'))) as { gatewayNodeFlags(): string[] };
    assert.deepEqual(systems.gatewayNodeFlags(), args.slice(0, -1));
  });

  it('passes just the script when its first line declares no flags or it cannot be read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-command-'));
    const plain = path.join(dir, 'plain.js');
    writeFileSync(plain, '#!/usr/bin/env node\nconsole.log(1)\n');
    assert.deepEqual(gatewayNodeArgs(plain), [plain]);
    assert.deepEqual(gatewayNodeArgs(path.join(dir, 'missing.js')), [path.join(dir, 'missing.js')]);
  });

  it('writes a private code cache on the first run and starts from it on the next', () => {
    const cacheHome = mkdtempSync(path.join(os.tmpdir(), 'gatekit-cache-'));
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome, GATEKIT_CODE_CACHE: '1' };
    // The version goes to stderr (stdout is the protocol channel).
    const version = (): string => spawnSync(process.execPath, [GATEWAY, '--version'], { env, encoding: 'utf8' }).stderr;
    // Nothing before the version: the loader's V8 flag is one this Node knows ('unrecognized flag' otherwise).
    assert.match(version(), /^gatekit-gateway \d+\.\d+\.\d+/);
    const written = readdirSync(path.join(cacheHome, 'gatekit'));
    assert.equal(written.length, 1);
    assert.match(written[0]!, new RegExp(`^gateway-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8cache$`));
    const cacheFile = path.join(cacheHome, 'gatekit', written[0]!);
    const firstWrite = statSync(cacheFile).mtimeMs;
    // The second run reads it: a missing or rejected cache would be written again.
    // Nothing before the version: the loader's V8 flag is one this Node knows ('unrecognized flag' otherwise).
    assert.match(version(), /^gatekit-gateway \d+\.\d+\.\d+/);
    assert.deepEqual(readdirSync(path.join(cacheHome, 'gatekit')), written);
    assert.equal(statSync(cacheFile).mtimeMs, firstWrite);
    assert.equal((statSync(path.join(cacheHome, 'gatekit')).mode & 0o777).toString(8), '700');
  });
});
