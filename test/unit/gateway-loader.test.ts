// The gateway's loader (dist/gateway.js): one code cache per set of Node flags, since V8 rejects a
// cache made under other flags and two launchers alternating would otherwise compile every time.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const GATEWAY = path.join(ROOT, 'dist', 'gateway.js');

describe('gateway loader', () => {
  let cacheHome: string;

  beforeEach(() => {
    cacheHome = mkdtempSync(path.join(os.tmpdir(), 'gatekit-loader-'));
  });

  afterEach(() => {
    rmSync(cacheHome, { recursive: true, force: true });
  });

  /** Runs `node [flags] dist/gateway.js --version`; the version goes to stderr (stdout is the protocol channel). */
  function version(flags: string[]): string {
    // NODE_OPTIONS would count as flags of both starts: left out, so the two differ only as launchers do.
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome, GATEKIT_CODE_CACHE: '1' };
    delete env.NODE_OPTIONS;
    const run = spawnSync(process.execPath, [...flags, GATEWAY, '--version'], { env, encoding: 'utf8' });
    assert.equal(run.stdout, '', 'nothing on stdout');
    return run.stderr;
  }

  function caches(): Map<string, number> {
    const dir = path.join(cacheHome, 'gatekit');
    return new Map(readdirSync(dir).map((name) => [name, statSync(path.join(dir, name)).mtimeMs]));
  }

  it('keeps one cache for `node dist/gateway.js` and one for the shebang\'s flags, each reused by its launcher', () => {
    const flagged = ['--max-semi-space-size=2'];
    // Nothing before the version: the loader's V8 flags are ones this Node knows ('unrecognized flag' otherwise).
    assert.match(version([]), /^gatekit-gateway \d+\.\d+\.\d+/);
    assert.match(version(flagged), /^gatekit-gateway \d+\.\d+\.\d+/);
    const written = caches();
    assert.equal(written.size, 2, `one cache per set of flags: ${[...written.keys()].join(', ')}`);
    for (const name of written.keys()) assert.match(name, new RegExp(`^gateway-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8cache$`));
    // Alternating again reads both: a rejected cache would be written again (a new modification time).
    version([]);
    version(flagged);
    assert.deepEqual(caches(), written);
  });
});
