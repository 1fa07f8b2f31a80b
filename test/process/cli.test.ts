// The command line as a new user meets it: the ways to name the config, what happens without one,
// `init`'s starter config, unset variables, and `--validate-only` reporting every problem.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { GATEWAY, ROOT, RawSession, fixtureServer, realServer, writeConfig } from './harness';

function run(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [GATEWAY, ...args], {
    encoding: 'utf8',
    input: options.input ?? '',
    cwd: options.cwd ?? tmpdir(),
    env: { ...(process.env as Record<string, string>), GATEKIT_CONFIG: '', ...options.env },
    timeout: 30000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'gatekit-cli-'));
}

/** Starts the gateway with `args` (no --config added), connects the SDK client and lists tools. */
async function toolNames(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [GATEWAY, ...args], stderr: 'pipe', env: { ...(process.env as Record<string, string>), GATEKIT_CONFIG: '', ...env } });
  const client = new Client({ name: 'cli-test', version: '1' });
  await client.connect(transport);
  try {
    return (await client.listTools()).tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}

describe('process: command line', function () {
  this.timeout(60000);

  it('names the config with -c, after --, and with GATEKIT_CONFIG (clients whose flags collide)', async () => {
    const config = writeConfig([{ name: 'fx', command: fixtureServer() }]);
    for (const [args, env] of [[['-c', config], {}], [['--', config], {}], [['--', '--config', config], {}], [[], { GATEKIT_CONFIG: config }]] as const) {
      const names = await toolNames([...args], env);
      assert.ok(names.some((name) => name.startsWith('fx__')), `${JSON.stringify(args)} ${JSON.stringify(env)} → ${names.join(',')}`);
    }
    const both = run(['-c', config, 'other.yaml']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /Unexpected argument 'other\.yaml'/);
  });

  it('without a config says why on stderr: usage at a terminal, the reason when stdin is closed', () => {
    const closed = run([]);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /No configuration given: pass --config FILE/);
    assert.equal(closed.stdout, '');
    // A real terminal on stdin, through script(1): usage at once, no silent wait for MCP.
    const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) {
      const tty = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(GATEWAY)}`, '/dev/null'], { encoding: 'utf8', timeout: 20000, env: { ...(process.env as Record<string, string>), GATEKIT_CONFIG: '' } });
      assert.equal(tty.status, 2, tty.stdout + tty.stderr);
      assert.match(tty.stdout, /Usage: gatekit-gateway --config FILE/);
      assert.match(tty.stdout, /gatekit-gateway init/);
    }
  });

  it('init writes a starter config that validates, runs, and keeps its files beside itself', async () => {
    const dir = tempDir();
    const init = run(['init', 'my-gatekit.yaml'], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    const file = path.join(dir, 'my-gatekit.yaml');
    assert.ok(existsSync(file));
    const again = run(['init', 'my-gatekit.yaml'], { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    // The real server from node_modules instead of npx (no network in tests); everything else as written.
    const text = readFileSync(file, 'utf8').replace('["npx", "-y", "@modelcontextprotocol/server-everything"]', JSON.stringify(realServer('everything')));
    writeFileSync(file, text);
    const valid = run(['--validate-only', '-c', file], { cwd: ROOT });
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stderr, /Not checked/);

    // Started from another folder, the audit log and the lockfile still land beside the config.
    const names = await toolNames(['-c', file]);
    assert.ok(names.includes('everything__echo'), names.join(','));
    assert.ok(existsSync(path.join(dir, 'gatekit-audit.jsonl')), 'audit log beside the config');
    assert.ok(existsSync(path.join(dir, 'gatekit.lock.json')), 'lockfile beside the config');
  });

  it('an unset ${VAR} in a path or a command is an error naming it; ${VAR} expands in command', async () => {
    const config = writeConfig([{ name: 'fx', command: ['${GK_TEST_NODE}', fixtureServer()[1]!, '--label', '$NOT_EXPANDED'], cwd: '${GK_TEST_UNSET_DIR}/x' }], {
      plugins: { auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: '${GK_TEST_UNSET_DIR}/audit.jsonl' } }] } },
    });
    const result = run(['--validate-only', '-c', config]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Variable 'GK_TEST_NODE' in '\$\{GK_TEST_NODE\}' is not set/);
    assert.match(result.stderr, /proxy\.upstreams\[0\]\.cwd: Variable 'GK_TEST_UNSET_DIR'/);
    assert.match(result.stderr, /output_file: Variable 'GK_TEST_UNSET_DIR'/);

    const ok = writeConfig([{ name: 'fx', command: ['${GK_TEST_NODE}', fixtureServer()[1]!] }]);
    const names = await toolNames(['-c', ok], { GK_TEST_NODE: process.execPath });
    assert.ok(names.some((name) => name.startsWith('fx__')));
  });

  it("prints every problem with its line, path and fix (the original's first line, then the whole list)", () => {
    const dir = tempDir();
    const file = path.join(dir, 'gatekit.yaml');
    writeFileSync(file, ['proxy:', '  transport: stdio', '  upstreams:', '    - name: Bad Name', '      command: [node]', 'plugins:', '  security:', '    _global:', '      - handler: basic_pii_filtr', '      - handler: basic_secrets_filter', '        config: {action: explode}', ''].join('\n'));
    const result = run(['--validate-only', '-c', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Configuration invalid: Invalid configuration at proxy\.upstreams\[0\]\.name \(.*gatekit\.yaml, line 4\): Upstream name 'Bad Name' must start .* \(and 2 more problems\)$/m);
    assert.match(result.stderr, /1\. line 4, proxy\.upstreams\[0\]\.name: /);
    assert.match(result.stderr, /2\. line 9, plugins\.security\._global\[0\]\.handler: .*Did you mean 'basic_pii_filter'/);
    assert.match(result.stderr, /3\. line 11, plugins\.security\._global\[1\]\.config\.action: /);
    assert.equal(result.stderr.match(/ fix: /g)?.length, 3);
  });

  it('the client sees every problem in data.problems, and the gateway log has them all', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'gatekit.yaml');
    writeFileSync(file, 'proxy:\n  transport: stdio\n  upstreams:\n    - name: A\n      command: [node]\n    - name: b\n      command: 7\n');
    const session = new RawSession(file);
    const response = await session.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    const error = response.error as { code: number; data: { problems: { line: number; path: string }[] } };
    assert.equal(error.code, -32001);
    assert.deepEqual(error.data.problems.map((p) => p.line), [4, 7]);
    assert.equal((await session.exited).code, 1);
    assert.ok(session.stderr.some((line) => line.includes('2. line 7')), session.stderr.join('\n'));
  });

  it('--validate-only checks what fails at run time: a missing command, /dev/stdout, a folder that cannot exist', () => {
    const dir = tempDir();
    const file = path.join(dir, 'gatekit.yaml');
    writeFileSync(file, [
      'proxy:', '  transport: stdio', '  upstreams:',
      '    - name: gone', '      command: [gatekit-no-such-program-xyz]',
      '    - name: fx', `      command: ${JSON.stringify(fixtureServer())}`, '      cwd: missing-folder',
      'plugins:', '  auditing:', '    _global:',
      '      - handler: audit_jsonl', '        config: {output_file: placeholder/audit.jsonl}',
      '      - handler: audit_csv', '        config: {output_file: /dev/stdout}', '',
    ].join('\n'));
    // /dev/stdout is refused by the schema check; the rest only by the run-time check.
    const schema = run(['--validate-only', '-c', file]);
    assert.equal(schema.code, 1);
    assert.match(schema.stderr, /'\/dev\/stdout' cannot be written/);

    writeFileSync(file, readFileSync(file, 'utf8').replace('      - handler: audit_csv\n        config: {output_file: /dev/stdout}\n', ''));
    // A file where the audit log's folder should be: no user can create the log there.
    writeFileSync(path.join(dir, 'placeholder'), '');
    const runtime = run(['--validate-only', '-c', file]);
    assert.equal(runtime.code, 1, runtime.stdout + runtime.stderr);
    assert.match(runtime.stderr, /'gatekit-no-such-program-xyz' is not an executable file on PATH/);
    assert.match(runtime.stderr, /working folder .*missing-folder does not exist/);
    assert.match(runtime.stderr, /placeholder is not a folder/);
  });

  it('demo/gatekit.yaml outside the demo script refuses clearly instead of writing at the root', () => {
    const result = run(['--validate-only', '-c', path.join(ROOT, 'demo', 'gatekit.yaml')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Variable 'GATEKIT_DEMO_DIR'/);
  });
});
