// Requests that arrive before the gateway or a server is ready: pipelined right behind `initialize`,
// and calls to a server that is restarting after a crash. Both wait instead of failing at once.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, fixtureServer, RawSession, realServer, textOf, writeConfig } from './harness';

const memoryServer = () => ({ name: 'memory', command: realServer('memory'), env: { MEMORY_FILE_PATH: path.join(mkdtempSync(path.join(tmpdir(), 'gatekit-memory-')), 'memory.jsonl') } });

const line = (message: object): string => JSON.stringify(message);

describe('requests that arrive before the gateway or a server is ready', function () {
  this.timeout(60000);
  const sessions: RawSession[] = [];
  afterEach(async () => {
    for (const raw of sessions.splice(0)) {
      raw.kill();
      await raw.exited;
    }
  });
  function start(upstreams: object[]): RawSession {
    const raw = new RawSession(writeConfig(upstreams as never));
    sessions.push(raw);
    return raw;
  }

  it('serves requests pipelined behind initialize, in order, after its answer', async () => {
    const raw = start([memoryServer()]);
    // One write: the gateway reads all four lines before the upstream handshake has even begun.
    raw.child.stdin.write(
      [
        line({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipelining', version: '1' } } }),
        line({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        line({ jsonrpc: '2.0', id: 'list', method: 'tools/list' }),
        line({ jsonrpc: '2.0', id: 'call', method: 'tools/call', params: { name: 'memory__read_graph', arguments: {} } }),
      ].join('\n') + '\n',
    );
    const [init, list, call] = await Promise.all([raw.response('init'), raw.response('list'), raw.response('call')]);
    assert.ok(init.result, JSON.stringify(init));
    assert.ok((list.result as { tools: { name: string }[] }).tools.some((t) => t.name === 'memory__read_graph'), JSON.stringify(list).slice(0, 500));
    assert.ok(call.result, JSON.stringify(call).slice(0, 500));
    const order = ['init', 'list', 'call'].map((id) => raw.messages.findIndex((m) => m.id === id && !('method' in m)));
    assert.ok(order[0]! < order[1]! && order[0]! < order[2]!, `initialize is answered first: ${order.join(',')}`);
  });

  it('answers pipelined requests with an error when initialize fails', async () => {
    const raw = start([{ name: 'dead', command: fixtureServer('--crash-on-start') }]);
    raw.child.stdin.write(
      [
        line({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipelining', version: '1' } } }),
        line({ jsonrpc: '2.0', id: 'list', method: 'tools/list' }),
      ].join('\n') + '\n',
    );
    const [init, list] = await Promise.all([raw.response('init'), raw.response('list')]);
    assert.equal((init.error as { code: number }).code, -32603);
    // Answered with why (the gateway is leaving), not told to send the initialize it did send.
    assert.ok(list.error, JSON.stringify(list));
    assert.doesNotMatch((list.error as { message: string }).message, /send 'initialize' first/);
    assert.match((list.error as { message: string }).message, /shutting down|'initialize' failed/);
    assert.equal((await raw.exited).code, 1);
  });

  it('holds a call to a server restarting after a crash until it is back (fixture that crashes once)', async () => {
    // The restart takes at least the back-off (250 ms) plus this start-up delay.
    const raw = start([{ name: 'flaky', command: fixtureServer('--name', 'flaky', '--start-delay', '500') }]);
    await raw.initialize();
    const crash = await raw.request('crash', 'tools/call', { name: 'flaky__crash', arguments: {} });
    assert.equal((crash.error as { code: number }).code, -32004, 'the call in flight when it crashed fails at once');
    const held = await raw.request('held', 'tools/call', { name: 'flaky__echo', arguments: { text: 'after the restart' } });
    assert.equal(textOf(held.result), 'after the restart', JSON.stringify(held));
    assert.ok(raw.stderr.some((l) => /\[flaky\] exited/.test(l)), 'it did crash');
  });

  it('holds a call to the real memory server while it restarts after being killed', async () => {
    const raw = start([memoryServer()]);
    await raw.initialize();
    const before = await raw.request('before', 'tools/call', { name: 'memory__read_graph', arguments: {} });
    assert.ok(before.result);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(raw.child.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    assert.equal(children.length, 1, `one upstream process: ${children.join(',')}`);
    process.kill(children[0]!, 'SIGKILL');
    // Sent once the gateway has seen the crash, so the call meets the server restarting (not dead but unnoticed).
    await eventually(() => raw.stderr.some((l) => /\[memory\] exited: killed by SIGKILL/.test(l)), 15000, 'the crash in the log');
    const held = await raw.request('held', 'tools/call', { name: 'memory__read_graph', arguments: {} });
    assert.ok(held.result, `answered after the restart: ${JSON.stringify(held)}`);
  });

  it('fails a held call after request_timeout when the server is not back by then', async () => {
    const raw = new RawSession(writeConfig([{ name: 'slowstart', command: fixtureServer('--name', 'slowstart', '--start-delay', '4000') }], {}, { timeouts: { request_timeout: 1 } }));
    sessions.push(raw);
    await raw.initialize();
    await raw.request('crash', 'tools/call', { name: 'slowstart__crash', arguments: {} });
    const held = await raw.request('held', 'tools/call', { name: 'slowstart__echo', arguments: { text: 'x' } });
    assert.equal((held.error as { code: number }).code, -32004);
    assert.match((held.error as { message: string }).message, /'slowstart' was not back within 1s/);
  });

  it('fails a call at once when the server has given up (no restart left)', async () => {
    const raw = start([{ name: 'flaky', command: fixtureServer('--name', 'flaky'), max_restart_attempts: 0 }]);
    await raw.initialize();
    await raw.request('crash', 'tools/call', { name: 'flaky__crash', arguments: {} });
    const after = await raw.request('after', 'tools/call', { name: 'flaky__echo', arguments: { text: 'x' } });
    assert.equal((after.error as { code: number }).code, -32004);
    assert.match((after.error as { message: string }).message, /failed/);
  });
});
