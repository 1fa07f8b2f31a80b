// Requests that arrive before the gateway or a server is ready: pipelined right behind `initialize`,
// and calls to a server that is restarting after a crash. Both wait instead of failing at once.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureServer, RawSession, realServer, writeConfig } from './harness';

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
    assert.ok(order[0]! < order[1]! && order[0]! < order[2]!, `initialize is answered first: ${order}`);
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
});
