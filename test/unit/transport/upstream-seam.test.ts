// The transport seam proved by a second implementation: Upstream (handshake, correlation, server
// requests, notifications, restart) and the whole Gateway run over in-memory links to an in-process
// MCP server, with no child process and no stdio framing.
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Upstream, type UpstreamSpec, type UpstreamState } from '../../../src/gateway/upstream';
import { Gateway } from '../../../src/gateway/gateway';
import { settingsFromConfig } from '../../../src/gateway/settings';
import { validateConfigObject } from '../../../src/config/loader';
import type { JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../../../src/shared/jsonrpc';
import { InMemoryServer, linkedPair, MemoryClientTransport, MemoryUpstreamTransport, type LinkEnd } from './memory-transport';
import { waitFor } from './helpers';

const HANDSHAKE = { protocolVersion: '2025-06-18', capabilities: { roots: {} }, clientInfo: { name: 'seam-test', version: '1' } };

function spec(overrides: Partial<UpstreamSpec> = {}): UpstreamSpec {
  return {
    name: 'mem',
    command: ['not-a-process'],
    restartOnFailure: true,
    maxRestartAttempts: 3,
    connectionTimeoutMs: 5000,
    requestTimeoutMs: 5000,
    maxLineBytes: 1024 * 1024,
    ...overrides,
  };
}

/** An Upstream whose every connection is a new in-memory link to a new server. */
function memoryUpstream(overrides: Partial<UpstreamSpec> = {}): { upstream: Upstream; servers: InMemoryServer[]; transports: MemoryUpstreamTransport[]; log: string[] } {
  const servers: InMemoryServer[] = [];
  const transports: MemoryUpstreamTransport[] = [];
  const log: string[] = [];
  const upstream = new Upstream(spec(overrides), (line) => log.push(line), () => {
    const transport = new MemoryUpstreamTransport((end) => servers.push(new InMemoryServer(end, `server-${servers.length + 1}`)));
    transports.push(transport);
    return transport;
  });
  return { upstream, servers, transports, log };
}

/** Resolves with the first event's arguments, or fails after `ms` (no fixed sleeps: wait for what is awaited). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function callEcho(upstream: Upstream, args: Record<string, unknown>): Promise<JsonRpcResponse> {
  return upstream.request('tools/call', { name: 'echo', arguments: args }).then((received) => received.message);
}

function textOf(response: JsonRpcResponse): unknown {
  assert.ok('result' in response, JSON.stringify(response));
  const content = response.result.content as { text: string }[];
  return JSON.parse(content[0]!.text);
}

describe('the transport seam: Upstream over an in-memory transport', function () {
  this.timeout(15000);
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  function started(overrides: Partial<UpstreamSpec> = {}): ReturnType<typeof memoryUpstream> {
    const made = memoryUpstream(overrides);
    stops.push(() => made.upstream.stop());
    return made;
  }

  it('shakes hands: initialize with the client handshake, then notifications/initialized', async () => {
    const { upstream, servers } = started();
    const states: UpstreamState[] = [];
    upstream.on('state', (state) => states.push(state));
    await upstream.connect(HANDSHAKE);
    assert.equal(upstream.state, 'running');
    assert.deepEqual(states, ['starting', 'running']);
    assert.deepEqual(upstream.initializeResult?.serverInfo, { name: 'server-1', version: '1' });
    assert.equal(servers.length, 1);
    await waitFor(() => servers[0]!.received.length >= 2, 2000, 'notifications/initialized');
    const [initialize, initialized] = servers[0]!.received;
    assert.equal(initialize?.method, 'initialize');
    assert.deepEqual(initialize?.params, HANDSHAKE);
    assert.equal(initialized?.method, 'notifications/initialized');
    assert.equal(initialized?.id, undefined);
  });

  it('opens the connection early and shakes hands over that same connection later', async () => {
    const { upstream, transports, servers } = started();
    upstream.openEarly();
    assert.equal(transports.length, 1);
    await upstream.connect(HANDSHAKE);
    assert.equal(transports.length, 1, 'no second connection');
    assert.equal(servers[0]!.received[0]?.method, 'initialize');
  });

  it('correlates answers that come back out of order with the requests they answer', async () => {
    const { upstream, servers } = started();
    await upstream.connect(HANDSHAKE);
    const delays = [120, 60, 0, 90, 30];
    const answers = await Promise.all(delays.map((delayMs, n) => callEcho(upstream, { n, delayMs })));
    answers.forEach((answer, n) => assert.deepEqual(textOf(answer), { n, delayMs: delays[n] }));
    // Each request went out under its own upstream id, and each answer carries it back.
    const ids = servers[0]!.received.filter((m) => m.method === 'tools/call').map((m) => m.id);
    assert.equal(new Set(ids).size, delays.length);
    assert.deepEqual(
      answers.map((a) => a.id),
      ids,
    );
    assert.equal(upstream.inFlight, 0);
  });

  it('relays a server→client request and carries the client answer back under the server id', async () => {
    const { upstream, servers } = started();
    await upstream.connect(HANDSHAKE);
    upstream.on('request', (request: JsonRpcRequest) => {
      assert.equal(request.method, 'roots/list');
      upstream.send({ jsonrpc: '2.0', id: request.id, result: { roots: [{ uri: 'file:///work', name: 'work' }] } });
    });
    const { message: answer } = await upstream.request('tools/call', { name: 'ask', arguments: {} });
    assert.deepEqual(textOf(answer), { roots: [{ uri: 'file:///work', name: 'work' }] });
    const asked = servers[0]!.received.find((m) => m.method === undefined && m.result !== undefined);
    assert.ok(asked, 'the server got the answer');
  });

  it('delivers server notifications', async () => {
    const { upstream } = started();
    await upstream.connect(HANDSHAKE);
    const notified = once(upstream, 'notification') as Promise<[JsonRpcNotification]>;
    const { message: answer } = await upstream.request('tools/call', { name: 'notify', arguments: { data: 'hello' } });
    assert.deepEqual(textOf(answer), 'notified');
    const [notification] = await within(2000, 'the notification', notified);
    assert.equal(notification.method, 'notifications/message');
    assert.deepEqual(notification.params, { level: 'info', data: 'hello' });
  });

  it('sends raw JSON text in place of the message when the caller has it', async () => {
    const { upstream, transports, servers } = started();
    await upstream.connect(HANDSHAKE);
    const message = { jsonrpc: '2.0' as const, method: 'notifications/roots/list_changed' };
    upstream.send(message, [Buffer.from('{"jsonrpc":"2.0",'), Buffer.from('"method":"notifications/roots/list_changed","params":{"from":"raw"}}')]);
    const sent = transports[0]!.sent.at(-1)!;
    assert.equal(sent.message, message);
    assert.equal(sent.raw?.length, 2);
    // What reached the server is the raw text, not the object.
    await waitFor(() => servers[0]!.received.some((m) => (m.params as { from?: string } | undefined)?.from === 'raw'), 2000, 'the raw notification');
  });

  it('cancels a timed-out request on the server and answers it with -32004', async () => {
    const { upstream, servers } = started({ requestTimeoutMs: 100 });
    await upstream.connect(HANDSHAKE);
    const { message: answer } = await upstream.request('tools/call', { name: 'hang', arguments: {} });
    assert.ok('error' in answer);
    assert.equal(answer.error.code, -32004);
    await waitFor(() => servers[0]!.received.some((m) => m.method === 'notifications/cancelled' && (m.params as { requestId?: unknown }).requestId === answer.id), 2000, 'the cancellation');
  });

  it('after the connection closes: fails what was in flight, reconnects with a new handshake, sends what waited', async () => {
    const { upstream, servers, transports } = started();
    await upstream.connect(HANDSHAKE);
    const states: UpstreamState[] = [];
    upstream.on('state', (state) => states.push(state));
    const restarted = once(upstream, 'restarted');
    const inFlight = upstream.request('tools/call', { name: 'hang', arguments: {} });
    const crash = await upstream.request('tools/call', { name: 'crash', arguments: {} });
    // The crash closes the link: both the crashing call and the one in flight fail, in our words.
    for (const { message: failed } of [crash, await inFlight]) {
      assert.ok('error' in failed);
      assert.equal(failed.error.code, -32004);
      assert.match(failed.error.message, /crashed \(the in-memory server closed the link\)/);
    }
    // Made while the server is on its way back: held, then sent over the new connection.
    assert.equal(upstream.state, 'restarting');
    const held = callEcho(upstream, { after: 'restart' });
    await within(5000, 'the restart', restarted);
    assert.deepEqual(textOf(await held), { after: 'restart' });
    assert.deepEqual(states, ['crashed', 'restarting', 'running']);
    assert.equal(transports.length, 2);
    assert.equal(servers.length, 2);
    assert.equal(servers[1]!.received[0]?.method, 'initialize', 'a fresh handshake on the new connection');
    assert.deepEqual(upstream.initializeResult?.serverInfo, { name: 'server-2', version: '1' });
  });

  it('pauses receiving while the client does not read, and reads what waited once resumed', async () => {
    const { upstream, transports } = started();
    await upstream.connect(HANDSHAKE);
    upstream.pauseOutput();
    let settled = false;
    const answer = callEcho(upstream, { paused: true }).finally(() => (settled = true));
    // The server answered, and its answer waits on our side of the link.
    await waitFor(() => transports[0]!.clientEnd.queued > 0, 2000, 'the answer to queue');
    assert.equal(settled, false, 'nothing is read while paused');
    upstream.resumeOutput();
    assert.deepEqual(textOf(await answer), { paused: true });
  });

  it('a connection made while paused starts paused: its handshake completes once resumed', async () => {
    const { upstream, transports } = started();
    upstream.pauseOutput();
    let connected = false;
    const connecting = upstream.connect(HANDSHAKE).then(() => (connected = true));
    await waitFor(() => transports[0]?.clientEnd.queued === 1, 2000, 'the initialize answer to queue');
    assert.equal(transports[0]!.clientEnd.isPaused, true);
    assert.equal(connected, false);
    upstream.resumeOutput();
    await connecting;
    assert.equal(upstream.state, 'running');
  });

  it('stops: the connection closes politely and the state is stopped', async () => {
    const { upstream, transports } = started();
    await upstream.connect(HANDSHAKE);
    const pending = upstream.request('tools/call', { name: 'hang', arguments: {} });
    await upstream.stop();
    assert.equal(upstream.state, 'stopped');
    const { message: answer } = await pending;
    assert.ok('error' in answer && /shutting down/.test(answer.error.message));
    assert.equal(transports.length, 1);
  });

  it('a connection that cannot be opened fails connect with its reason', async () => {
    const log: string[] = [];
    const upstream = new Upstream(spec(), (line) => log.push(line), () => new MemoryUpstreamTransport(() => undefined, new Error('connection refused by the test')));
    await assert.rejects(upstream.connect(HANDSHAKE), /connection refused by the test/);
    assert.equal(upstream.lastError, 'connection refused by the test');
    assert.equal(upstream.inFlight, 0, 'the initialize sent ahead is withdrawn');
    await upstream.stop();
  });
});

describe('the transport seam: the Gateway over in-memory client and upstream transports', function () {
  this.timeout(15000);

  it('serves initialize, tools/list and tools/call end to end without stdio', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-seam-'));
    const log: string[] = [];
    const loaded = validateConfigObject({ proxy: { transport: 'stdio', upstreams: [{ name: 'mem', command: ['not-a-process'] }] }, plugins: {} }, { configDir: dir });
    const [clientEnd, gatewayEnd] = linkedPair();
    const servers: InMemoryServer[] = [];
    const gateway = new Gateway(settingsFromConfig(loaded, { log: (l) => log.push(l) }), {
      client: new MemoryClientTransport(gatewayEnd),
      log: (l) => log.push(l),
      connectUpstream: (upstreamSpec) => new MemoryUpstreamTransport((end) => servers.push(new InMemoryServer(end, upstreamSpec.name))),
    });
    gateway.start();
    const client = new LinkClient(clientEnd);

    const init = await client.request('initialize', HANDSHAKE);
    assert.equal((init.result as { protocolVersion: string }).protocolVersion, '2025-06-18');
    const list = await client.request('tools/list');
    const names = (list.result as { tools: { name: string }[] }).tools.map((t) => t.name);
    assert.ok(names.includes('mem__echo'), names.join(', '));
    const call = await client.request('tools/call', { name: 'mem__echo', arguments: { via: 'memory' } });
    assert.deepEqual(JSON.parse((call.result as { content: { text: string }[] }).content[0]!.text), { via: 'memory' });
    assert.equal(servers.length, 1);
    const forwarded = servers[0]!.received.find((m) => m.method === 'tools/call');
    assert.equal((forwarded?.params as { name?: string } | undefined)?.name, 'echo', 'the server sees its own tool name');

    clientEnd.close();
    assert.equal(await within(8000, 'the shutdown', gateway.finished), 0);
    assert.equal(gateway.upstreams.get('mem')?.state, 'stopped');
  });
});

/** The test's side of the client link: requests with ids, answers matched by id. */
class LinkClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (message: Record<string, unknown>) => void>();
  constructor(private readonly end: LinkEnd) {
    end.onMessage((value) => {
      const message = value as Record<string, unknown>;
      if (typeof message.id === 'number' && message.method === undefined) this.waiting.get(message.id)?.(message);
    });
  }

  request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const answered = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(id, resolve));
    this.end.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    return within(5000, `the answer to ${method}`, answered);
  }
}
