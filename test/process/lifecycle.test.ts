// Start-up, crashes, restarts, timeouts, shutdown and bad client input, at the process level.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, fixtureServer, GATEWAY, isAlive, RawSession, textOf, writeConfig } from './harness';

/** Process ids of the direct children of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('lifecycle and failure handling', function () {
  this.timeout(60000);

  it('starts partially when one upstream cannot start, and reports it under _meta', async () => {
    const raw = new RawSession(
      writeConfig([
        { name: 'good', command: fixtureServer('--name', 'good') },
        { name: 'broken', command: fixtureServer('--crash-on-start') },
        { name: 'missing', command: ['/nonexistent/server-binary'] },
      ]),
    );
    const init = await raw.initialize();
    const meta = (init.result as { _meta: Record<string, { server: string }[]> })._meta['gatekit/unavailableServers'];
    assert.deepEqual(meta!.map((m) => m.server).sort(), ['broken', 'missing']);
    const list = await raw.request(2, 'tools/list');
    const result = list.result as { tools: { name: string }[]; _meta: Record<string, { server: string }[]> };
    assert.ok(result.tools.some((t) => t.name === 'good__echo'));
    assert.deepEqual(result._meta['gatekit/unavailableServers']!.map((m) => m.server).sort(), ['broken', 'missing']);
    const call = await raw.request(3, 'tools/call', { name: 'broken__echo', arguments: { text: 'x' } });
    assert.equal((call.error as { code: number }).code, -32004);
    assert.equal((await raw.end()).code, 0);
  });

  it('fails in-flight requests of a crashed upstream at once with -32004, restarts it, and keeps its notifications', async () => {
    const raw = new RawSession(writeConfig([{ name: 'flaky', command: fixtureServer('--name', 'flaky'), max_restart_attempts: 2 }]));
    await raw.initialize();
    raw.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'flaky__slow', arguments: { ms: 30000 } } });
    raw.send({ jsonrpc: '2.0', id: 'crash', method: 'tools/call', params: { name: 'flaky__crash', arguments: {} } });
    const [slow, crash] = await Promise.all([raw.response('slow'), raw.response('crash')]);
    assert.equal((slow.error as { code: number }).code, -32004);
    assert.equal((crash.error as { code: number }).code, -32004);
    // After the restart the client is told to refetch its lists, and calls work again.
    await raw.waitFor((m) => m.method === 'notifications/tools/list_changed', 15000, 'list_changed after restart');
    const again = await raw.request('again', 'tools/call', { name: 'flaky__echo', arguments: { text: 'back' } });
    assert.equal(textOf(again.result), 'back');
    // Notifications of the restarted process still reach the client (the original lost them).
    raw.send({ jsonrpc: '2.0', id: 'log', method: 'tools/call', params: { name: 'flaky__log', arguments: { level: 'info', data: 'after restart' } } });
    await raw.waitFor((m) => m.method === 'notifications/message' && JSON.stringify(m.params).includes('after restart'), 15000, 'log after restart');
    await raw.end();
  });

  it('gives up after max_restart_attempts and answers -32004 from then on', async () => {
    const raw = new RawSession(writeConfig([{ name: 'flaky', command: fixtureServer('--name', 'flaky'), max_restart_attempts: 0 }]));
    await raw.initialize();
    await raw.request(1, 'tools/call', { name: 'flaky__crash', arguments: {} });
    const after = await raw.request(2, 'tools/call', { name: 'flaky__echo', arguments: { text: 'x' } });
    assert.equal((after.error as { code: number }).code, -32004);
    assert.match((after.error as { message: string }).message, /failed|crashed/);
    await raw.end();
  });

  it('does not restart an upstream with restart_on_failure: false', async () => {
    const raw = new RawSession(writeConfig([{ name: 'once', command: fixtureServer('--name', 'once'), restart_on_failure: false }]));
    await raw.initialize();
    await raw.request(1, 'tools/call', { name: 'once__crash', arguments: {} });
    const after = await raw.request(2, 'tools/call', { name: 'once__echo', arguments: { text: 'x' } });
    assert.equal((after.error as { code: number }).code, -32004);
    assert.ok(!raw.messages.some((m) => m.method === 'notifications/tools/list_changed'), 'no restart happened');
    await raw.end();
  });

  it('times a request out after request_timeout with -32004 and cancels it upstream', async () => {
    const raw = new RawSession(writeConfig([{ name: 'slowpoke', command: fixtureServer('--name', 'slowpoke') }], {}, { timeouts: { request_timeout: 1, connection_timeout: 10 } }));
    await raw.initialize();
    const timedOut = await raw.request(1, 'tools/call', { name: 'slowpoke__slow', arguments: { ms: 10000 } });
    assert.equal((timedOut.error as { code: number }).code, -32004);
    assert.match((timedOut.error as { message: string }).message, /within 1s/);
    const seen = await raw.request(2, 'tools/call', { name: 'slowpoke__cancelled_requests', arguments: {} });
    assert.equal(JSON.parse(textOf(seen.result)).length, 1);
    await raw.end();
  });

  it('on stdin end closes every upstream (stdin, SIGTERM, SIGKILL) within 5 s and exits 0, leaving no process behind', async () => {
    const raw = new RawSession(
      writeConfig([
        { name: 'polite', command: fixtureServer('--name', 'polite') },
        { name: 'stubborn', command: fixtureServer('--name', 'stubborn', '--ignore-stdin-eof', '--ignore-sigterm') },
      ]),
    );
    await raw.initialize();
    const children = childPids(raw.child.pid!);
    assert.equal(children.length, 2, `two upstream processes, got ${children.join(',')}`);
    const started = Date.now();
    const { code } = await raw.end();
    const took = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(took < 5000, `exit took ${took} ms`);
    await eventually(() => children.every((pid) => !isAlive(pid)), 3000, 'upstreams gone');
  });

  it('exits 0 on SIGTERM and stops its upstreams', async () => {
    const raw = new RawSession(writeConfig([{ name: 'a', command: fixtureServer('--name', 'a') }]));
    await raw.initialize();
    const children = childPids(raw.child.pid!);
    raw.child.kill('SIGTERM');
    const { code } = await raw.exited;
    assert.equal(code, 0);
    await eventually(() => children.every((pid) => !isAlive(pid)), 5000, 'upstreams gone');
  });

  it('answers the first request with -32001 and fix_instructions for an invalid config, then exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-bad-'));
    const file = path.join(dir, 'gatekit.yaml');
    writeFileSync(file, 'proxy:\n  transport: stdio\n  upstreams:\n    - name: Bad Name\n      command: ["x"]\n');
    const raw = new RawSession(file);
    const response = await raw.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    const error = response.error as { code: number; message: string; data: { fix_instructions: string } };
    assert.equal(error.code, -32001);
    assert.match(error.message, /upstreams\[0\]\.name/);
    assert.ok(error.data.fix_instructions.length > 0);
    assert.equal((await raw.exited).code, 1);
  });

  it('answers -32002 with "Did you mean" for an unknown plugin handler', async () => {
    const raw = new RawSession(
      writeConfig([{ name: 'a', command: fixtureServer() }], { plugins: { security: { _global: [{ handler: 'basic_pii_filtr' }] } } }),
    );
    const response = await raw.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    const error = response.error as { code: number; message: string };
    assert.equal(error.code, -32002);
    assert.match(error.message, /Did you mean 'basic_pii_filter'/);
    assert.equal((await raw.exited).code, 1);
  });

  it('answers -32603 when no upstream can start, then exits 1', async () => {
    const raw = new RawSession(writeConfig([{ name: 'dead', command: fixtureServer('--crash-on-start') }]));
    const response = await raw.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    const error = response.error as { code: number; data: { fix_instructions: string } };
    assert.equal(error.code, -32603);
    assert.ok(error.data.fix_instructions);
    assert.equal((await raw.exited).code, 1);
  });

  it('gives up on an upstream that never answers initialize after connection_timeout', async () => {
    const raw = new RawSession(
      writeConfig(
        [
          { name: 'ok', command: fixtureServer('--name', 'ok') },
          { name: 'hung', command: fixtureServer('--hang-on-start') },
        ],
        {},
        { timeouts: { connection_timeout: 1, request_timeout: 30 } },
      ),
    );
    const init = await raw.initialize();
    const meta = (init.result as { _meta: Record<string, { server: string }[]> })._meta['gatekit/unavailableServers'];
    assert.deepEqual(meta!.map((m) => m.server), ['hung']);
    await raw.end();
  });

  it('writes its diagnostics to logging.file_path (relative to the config) when the file handler is on', async () => {
    const config = writeConfig([{ name: 'talky', command: fixtureServer('--name', 'talky', '--stderr-chatter') }], {
      logging: { level: 'INFO', handlers: ['file'], file_path: 'logs/gateway.log' },
    });
    const raw = new RawSession(config);
    await raw.initialize();
    assert.equal((await raw.end()).code, 0);
    const text = readFileSync(path.join(path.dirname(config), 'logs', 'gateway.log'), 'utf8');
    assert.match(text, /\[talky\]/);
    assert.equal(raw.stderr.filter((l) => l.includes('[talky]')).length, 0, 'stderr is not among the handlers');
  });

  it('honours an upstream cwd', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-cwd-'));
    const raw = new RawSession(writeConfig([{ name: 'here', command: fixtureServer('--name', 'here'), cwd: dir }]));
    await raw.initialize();
    const who = await raw.request(1, 'tools/call', { name: 'here__whoami', arguments: {} });
    assert.equal(JSON.parse(textOf(who.result)).cwd, dir);
    await raw.end();
  });
});

describe('bad input from the client', function () {
  this.timeout(30000);

  it('answers each malformed line with the right error and keeps serving, never answering twice', async () => {
    const raw = new RawSession(writeConfig([{ name: 'a', command: fixtureServer('--name', 'a') }]));
    await raw.initialize();
    raw.sendLine('this is not json');
    raw.sendLine('[{"jsonrpc":"2.0","id":50,"method":"ping"}]');
    raw.sendLine('{"jsonrpc":"1.0","id":51,"method":"ping"}');
    raw.sendLine('{"jsonrpc":"2.0","id":52,"method":42}');
    raw.sendLine('{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}');
    raw.sendLine('{"jsonrpc":"2.0","id":1.5,"method":"ping"}');
    raw.sendLine('{"jsonrpc":"2.0","id":53,"method":"tools/call","params":[1,2]}');
    raw.sendLine('{"jsonrpc":"2.0","id":54,"method":"no/such/method"}');
    raw.sendLine('');
    raw.sendLine('   ');
    raw.sendLine('{"jsonrpc":"2.0","id":55,"method":"ping"}\r');
    const ok = await raw.request(56, 'tools/call', { name: 'a__echo', arguments: { text: 'alive' } });
    assert.equal(textOf(ok.result), 'alive');
    await raw.response(55);
    const errors = raw.messages.filter((m) => 'error' in m) as { id: unknown; error: { code: number } }[];
    const codes = errors.map((e) => [e.id, e.error.code]);
    assert.deepEqual(codes, [
      [null, -32700],
      [null, -32600],
      [51, -32600],
      [52, -32600],
      [null, -32600],
      [null, -32600],
      [53, -32602],
      [54, -32601],
    ]);
    const ids = raw.messages.filter((m) => m.id !== null && m.id !== undefined).map((m) => JSON.stringify(m.id));
    assert.equal(new Set(ids).size, ids.length, `no id answered twice: ${ids.join(',')}`);
    await raw.end();
  });

  it('refuses requests before initialize, then works after it', async () => {
    const raw = new RawSession(writeConfig([{ name: 'a', command: fixtureServer('--name', 'a') }]));
    const early = await raw.request(1, 'tools/list');
    assert.equal((early.error as { code: number }).code, -32600);
    const ping = await raw.request(2, 'ping');
    assert.deepEqual(ping.result, {});
    await raw.initialize();
    const list = await raw.request(3, 'tools/list');
    assert.ok((list.result as { tools: unknown[] }).tools.length > 0);
    await raw.end();
  });

  it('prints only protocol messages on stdout (every line parsed as JSON by the harness)', async () => {
    const raw = new RawSession(writeConfig([{ name: 'noisy', command: fixtureServer('--name', 'noisy', '--noise', '--stderr-chatter') }]), ['--verbose']);
    await raw.initialize();
    await raw.request(1, 'tools/call', { name: 'noisy__echo', arguments: { text: 'x' } });
    await raw.end();
    for (const line of raw.stdoutLines) assert.equal(JSON.parse(line).jsonrpc, '2.0');
    assert.ok(raw.stderr.length > 0);
  });
});

describe('command line', () => {
  it('--validate-only prints "Configuration valid: <file>" or "Configuration invalid: <message>"', () => {
    const good = writeConfig([{ name: 'a', command: fixtureServer() }]);
    const ok = spawnSync(process.execPath, [GATEWAY, '--config', good, '--validate-only'], { encoding: 'utf8' });
    assert.equal(ok.status, 0);
    assert.equal(ok.stdout.trim(), `Configuration valid: ${good}`);
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-bad-'));
    const bad = path.join(dir, 'gatekit.json');
    writeFileSync(bad, JSON.stringify({ proxy: { transport: 'stdio', upstreams: [] } }));
    const no = spawnSync(process.execPath, [GATEWAY, '--config', bad, '--validate-only'], { encoding: 'utf8' });
    assert.equal(no.status, 1);
    assert.match(no.stderr, /^Configuration invalid: .*upstream/m);
  });

  it('--help and --version', () => {
    const help = spawnSync(process.execPath, [GATEWAY, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stderr, /--config FILE/);
    const version = spawnSync(process.execPath, [GATEWAY, '--version'], { encoding: 'utf8' });
    assert.match(version.stderr, /^gatekit-gateway \d+\.\d+\.\d+/);
  });
});
