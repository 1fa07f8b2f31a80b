// A remote server that floods its event stream while the gateway's client is not reading. Over stdio
// the server's pipe fills and it waits; over HTTP the gateway stops reading the stream (ReadGate), so the
// server's writes wait on the socket in the same way: memory stays bounded, nothing is dropped, the
// connection survives, and the flow resumes when the client reads again. The flooding server is a
// small one of ours: no published server floods on request.
import { strict as assert } from 'node:assert';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, RawSession, writeConfig } from './harness';
import { remote } from './remote-servers';

/** 64 KiB of log text per notification: a flood that would take the gateway's memory fast. */
const NOTE_BYTES = 64 * 1024;
const NOTE = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(NOTE_BYTES) } });
/**
 * What may sit between the server and the paused client: the gateway's own output backlog before it
 * pauses (16 MiB), the notes its pipeline had under way by then, the pipe and the sockets' buffers
 * (63 MiB measured on a loaded two-core machine). Without backpressure the gateway reads on: up to
 * 10 000 buffered notes (625 MiB here) before it drops the connection.
 */
const BOUND_BYTES = 192 * 1024 * 1024;

interface FloodServer {
  readonly url: string;
  /** Notifications written into the stream so far. */
  written(): number;
  /** Whether the server's last write is waiting for the socket to drain. */
  blocked(): boolean;
  close(): Promise<void>;
}

/** A legacy Streamable HTTP server whose tool `flood` starts an endless stream of notifications on the GET stream. */
async function startFloodServer(): Promise<FloodServer> {
  let stream: ServerResponse | undefined;
  let flooding = false;
  let written = 0;
  let blocked = false;
  const pump = (): void => {
    if (!stream || !flooding || blocked) return;
    while (stream.write(`event: message\ndata: ${NOTE}\n\n`)) written++;
    written++;
    blocked = true;
    stream.once('drain', () => {
      blocked = false;
      setImmediate(pump);
    });
  };
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'flood' });
      res.flushHeaders();
      stream = res;
      pump();
      return;
    }
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number | string; method: string; params?: Record<string, unknown> };
      const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === 'initialize') {
        return json(200, { jsonrpc: '2.0', id: message.id, result: { protocolVersion: message.params?.protocolVersion, capabilities: { tools: {}, logging: {} }, serverInfo: { name: 'flood', version: '1' } } }, { 'mcp-session-id': 'flood' });
      }
      if (req.headers['mcp-session-id'] !== 'flood') return json(400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'No valid session ID' } });
      if (message.method === 'tools/list') return json(200, { jsonrpc: '2.0', id: message.id, result: { tools: [{ name: 'flood', inputSchema: { type: 'object' } }] } });
      if (message.method === 'tools/call') {
        flooding = true;
        setImmediate(pump);
        return json(200, { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'flooding' }] } });
      }
      json(200, { jsonrpc: '2.0', id: message.id, result: {} });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    written: () => written,
    blocked: () => blocked,
    close: () => {
      flooding = false;
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('remote upstreams: backpressure on a flooding event stream', function () {
  this.timeout(90000);

  it('stops reading a flooding server while the client does not read, keeps the connection, and resumes when the client reads again', async () => {
    const flood = await startFloodServer();
    const session = new RawSession(writeConfig([remote('flood', flood.url)]));
    try {
      await session.initialize();
      await session.request(1, 'tools/call', { name: 'flood__flood', arguments: {} });
      await eventually(() => session.messages.filter((m) => m.method === 'notifications/message').length > 10, 20000, 'notifications reaching the client');
      session.child.stdout.pause();
      const atPause = flood.written();
      // The gateway's output fills, it stops reading the stream, and the server's writes wait: the count
      // of notes written stops moving (the same for 40 checks in a row, 50 ms apart).
      let last = -1;
      let still = 0;
      await eventually(
        () => {
          still = flood.blocked() && flood.written() === last ? still + 1 : 0;
          last = flood.written();
          return still >= 40 || (flood.written() - atPause) * NOTE_BYTES > BOUND_BYTES;
        },
        60000,
        'the flooding server held back',
      );
      const heldBack = (flood.written() - atPause) * NOTE_BYTES;
      if (process.env.GATEKIT_TEST_DEBUG) process.stderr.write(`written after the client paused: ${Math.round(heldBack / 2 ** 20)} MiB\n`);
      assert.ok(heldBack <= BOUND_BYTES, `the gateway read on: ${Math.round(heldBack / 2 ** 20)} MiB written while the client was not reading`);
      session.child.stdout.resume();
      const resumedFrom = flood.written();
      await eventually(() => flood.written() > resumedFrom + 200, 30000, 'the flood flowing again once the client reads');
      assert.ok(!session.stderr.some((line) => /while the client was not reading|session|restart|exited/.test(line)), session.stderr.join('\n'));
      const answer = await session.request(2, 'tools/list');
      assert.ok(JSON.stringify(answer).includes('flood__flood'), 'the server is still connected');
    } finally {
      session.kill();
      await flood.close();
    }
  });
});
