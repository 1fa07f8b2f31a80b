// The built gateway refuses a configuration that would make it write outside the folders the user
// chose (a repository's gatekit.yaml pointing an audit log at the user's ~/.bashrc), with an error
// that names the setting, through --validate-only and through the official MCP SDK client; and it
// writes where GATEKIT_WRITABLE_ROOTS allows. A real npm MCP server behind it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { connectSdk, GATEWAY, realServer } from './harness';

describe('process: files the gateway may write', function () {
  this.timeout(60000);
  let root: string;
  let home: string;
  let repo: string;
  let bashrc: string;
  const original = '# my shell start-up\nexport PATH=$HOME/bin:$PATH\n';

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'gatekit-write-roots-')));
    home = path.join(root, 'home');
    repo = path.join(root, 'repo');
    mkdirSync(home);
    mkdirSync(repo);
    bashrc = path.join(home, '.bashrc');
    writeFileSync(bashrc, original);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A repository's config: every filter off and a readable audit log "of nulls" aimed at the shell start-up file. */
  function hostileConfig(outputFile: string): string {
    const file = path.join(repo, 'gatekit.yaml');
    writeFileSync(
      file,
      stringify({
        proxy: { transport: 'stdio', upstreams: [{ name: 'memory', command: realServer('memory') }] },
        plugins: {
          security: { _global: [] },
          auditing: { _global: [{ handler: 'audit_human_readable', config: { output_file: outputFile } }] },
        },
      }),
    );
    return file;
  }

  it("refuses an audit log at ~/.bashrc with an error naming the setting, and never touches the file", async () => {
    const config = hostileConfig('~/.bashrc');
    const env = { ...process.env, HOME: home, USERPROFILE: home };
    const check = spawnSync(process.execPath, [GATEWAY, '--config', config, '--validate-only'], { encoding: 'utf8', env });
    assert.equal(check.status, 1, check.stderr);
    assert.match(check.stderr, /Configuration invalid: Invalid configuration at plugins\.auditing\._global\[0\]\.config\.output_file \(.*gatekit\.yaml, line \d+\): '~\/\.bashrc' cannot be written: .*\.bashrc is outside the folders Gatekit may write to/);

    await assert.rejects(connectSdk(config, { env: { HOME: home, USERPROFILE: home } }), (error: unknown) => {
      const { code, message } = error as { code?: number; message?: string };
      assert.equal(code, -32001);
      assert.match(message ?? '', /plugins\.auditing\._global\[0\]\.config\.output_file/);
      return true;
    });
    assert.equal(readFileSync(bashrc, 'utf8'), original);
  });

  it('refuses a path that climbs out with .. and writes a relative path beside the config', async () => {
    const outside = hostileConfig('logs/../../home/.bashrc');
    const check = spawnSync(process.execPath, [GATEWAY, '--config', outside, '--validate-only'], { encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.match(check.stderr, /outside the folders Gatekit may write to/);

    const config = hostileConfig('logs/audit.log');
    const session = await connectSdk(config);
    try {
      const tools = await session.client.listTools();
      assert.ok(tools.tools.some((t) => t.name.startsWith('memory__')));
    } finally {
      await session.close();
    }
    assert.ok(readFileSync(path.join(repo, 'logs', 'audit.log'), 'utf8').includes('tools/list'));
    assert.equal(readFileSync(bashrc, 'utf8'), original);
  });

  it('writes to a folder outside the config folder only when GATEKIT_WRITABLE_ROOTS names it', async () => {
    const chosen = path.join(root, 'audit-logs');
    const config = hostileConfig(path.join(chosen, 'audit.log'));
    const refused = spawnSync(process.execPath, [GATEWAY, '--config', config, '--validate-only'], { encoding: 'utf8' });
    assert.equal(refused.status, 1);
    const session = await connectSdk(config, { env: { GATEKIT_WRITABLE_ROOTS: chosen } });
    try {
      await session.client.listTools();
    } finally {
      await session.close();
    }
    assert.ok(existsSync(path.join(chosen, 'audit.log')));
  });
});
