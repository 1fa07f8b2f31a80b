// The control link end to end in plain Node: the gateway side (ControlLink) against the extension
// host side (ControlServer) over a real private socket.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ServerStatus as UpstreamStatus } from '../../../src/gateway/gateway';
import type { TrafficEvent as ExchangeEvent } from '../../../src/gateway/router';
import { ControlLink, toTrafficEvent, type ControlLinkHost, type ControlLinkOptions, type Disposable } from '../../../src/gateway/control/link';
import { ControlServer, type GatewaySession } from '../../../src/extension/control-server';
import { CONTROL_PROTOCOL_VERSION, type ApplyConfigResult, type ToolInventoryParams, type TrafficEvent } from '../../../src/shared/protocol';

const isWindows = process.platform === 'win32';

/** Resolves with the first value `subscribe` delivers that satisfies `accept`, or rejects after `ms`. */
function next<T>(subscribe: (listener: (value: T) => void) => Disposable, accept: (value: T) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const subscription = subscribe((value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}

class ListenerSet<T> {
  readonly listeners = new Set<(value: T) => void>();
  add(listener: (value: T) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}

/** A gateway stand-in with the members the link uses. */
class FakeGateway implements ControlLinkHost {
  readonly traffic = new ListenerSet<ExchangeEvent>();
  readonly status = new ListenerSet<UpstreamStatus>();
  readonly inventory = new ListenerSet<ToolInventoryParams>();
  statuses: UpstreamStatus[] = [{ name: 'memory', state: 'running' }];
  inventories: ToolInventoryParams[] = [{ server: 'memory', tools: [{ name: 'read_graph', exposedName: 'memory__read_graph', visibility: 'visible', pin: 'none' }] }];
  appliedConfigs: { config: unknown; base: string | undefined }[] = [];

  onTraffic(listener: (event: ExchangeEvent) => void): Disposable {
    return this.traffic.add(listener);
  }
  onServerStatus(listener: (status: UpstreamStatus) => void): Disposable {
    return this.status.add(listener);
  }
  serverStatuses(): readonly UpstreamStatus[] {
    return this.statuses;
  }
  onToolInventory(listener: (inventory: ToolInventoryParams) => void): Disposable {
    return this.inventory.add(listener);
  }
  toolInventories(): readonly ToolInventoryParams[] {
    return this.inventories;
  }
  async applyConfig(config: unknown, base: string | undefined): Promise<ApplyConfigResult> {
    this.appliedConfigs.push({ config, base });
    return { applied: true, problems: [] };
  }
}

function exchange(overrides: Partial<ExchangeEvent> = {}): ExchangeEvent {
  return {
    timestamp: 1_700_000_000_000,
    direction: 'client_to_server',
    server: 'memory',
    method: 'tools/call',
    tool: 'read_graph',
    decision: 'allowed',
    reason: '',
    durationMs: 12.345,
    request: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'read_graph', arguments: {} } },
    response: { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'ok' }] } },
    ...overrides,
  };
}

describe('control link', () => {
  let temp: string;
  let server: ControlServer | undefined;
  const links: ControlLink[] = [];
  const logs: string[] = [];

  function linkOptions(overrides: Partial<ControlLinkOptions> = {}): ControlLinkOptions {
    return {
      discoveryDirs: [],
      identity: { sessionId: `s-${links.length}`, pid: process.pid, mode: 'stdio', version: '0.0.0-test', startedByExtension: true, cwd: temp, startedAt: Date.now() },
      log: (message) => logs.push(message),
      retryDelayMs: 20,
      maxRetryDelayMs: 100,
      ...overrides,
    };
  }

  function startLink(host: ControlLinkHost, options: ControlLinkOptions): ControlLink {
    const link = new ControlLink(host, options);
    links.push(link);
    link.start();
    return link;
  }

  async function connectedPair(host: ControlLinkHost = new FakeGateway()): Promise<{ server: ControlServer; link: ControlLink; session: GatewaySession }> {
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: (_level, message) => logs.push(message), socketParentDir: temp });
    const connecting = next<GatewaySession>((l) => server!.onDidConnect(l));
    const link = new ControlLink(host, linkOptions({ socket: server.socketPath, token: server.token }));
    links.push(link);
    const linkUp = next<boolean>((l) => link.onDidChangeConnection(l), (connected) => connected);
    link.start();
    const [session] = await Promise.all([connecting, linkUp]);
    return { server, link, session };
  }

  beforeEach(() => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-link-test-'));
    logs.length = 0;
  });

  afterEach(async () => {
    for (const link of links.splice(0)) await link.dispose();
    server?.dispose();
    server = undefined;
    rmSync(temp, { recursive: true, force: true });
  });

  it('authenticates, then reports identity, server status and tool inventories', async () => {
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
    const statusSeen = next<GatewaySession>((l) => server!.onServerStatus(l));
    const inventorySeen = next<{ session: GatewaySession; server: string }>((l) => server!.onToolInventory(l));
    const connected = next<GatewaySession>((l) => server!.onDidConnect(l));
    const host = new FakeGateway();
    startLink(host, linkOptions({ socket: server.socketPath, token: server.token }));
    const session = await connected;
    assert.equal(session.identity.pid, process.pid);
    assert.equal(session.identity.mode, 'stdio');
    assert.deepEqual((await statusSeen).servers, [{ name: 'memory', state: 'running' }]);
    const inventory = await inventorySeen;
    assert.equal(inventory.server, 'memory');
    assert.equal(session.inventories.get('memory')?.[0]?.exposedName, 'memory__read_graph');
    assert.equal(server.sessions().length, 1);
  });

  it('keeps the full status list when one server changes', async () => {
    const host = new FakeGateway();
    host.statuses = [{ name: 'a', state: 'running' }, { name: 'b', state: 'starting' }];
    const pair = await connectedPair(host);
    const changed = next<GatewaySession>((l) => pair.server.onServerStatus(l), (s) => s.servers.some((x) => x.name === 'b' && x.state === 'failed'));
    host.status.fire({ name: 'b', state: 'failed', detail: 'exit code 1' });
    assert.deepEqual((await changed).servers, [{ name: 'a', state: 'running' }, { name: 'b', state: 'failed', detail: 'exit code 1' }]);
  });

  it('refuses a gateway with a wrong token and never reports it', async () => {
    const serverLogs = new Set<(message: string) => void>();
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: (_l, m) => serverLogs.forEach((l) => l(m)), socketParentDir: temp });
    let connects = 0;
    server.onDidConnect(() => connects++);
    const refusedByServer = next<string>((l) => {
      serverLogs.add(l);
      return { dispose: () => serverLogs.delete(l) };
    }, (m) => m.includes('wrong token'));
    const refusedLog = new Set<(message: string) => void>();
    const refusedByLink = next<string>((l) => {
      refusedLog.add(l);
      return { dispose: () => refusedLog.delete(l) };
    }, (m) => m.includes('refused the connection'));
    const link = startLink(new FakeGateway(), linkOptions({ socket: server.socketPath, token: 'not-the-token', log: (m) => refusedLog.forEach((l) => l(m)) }));
    await Promise.all([refusedByServer, refusedByLink]);
    assert.equal(link.connected, false);
    assert.equal(connects, 0);
    assert.equal(server.sessions().length, 0);
  });

  it('forwards finished exchanges in batches with serialized, bounded bodies', async () => {
    const host = new FakeGateway();
    const pair = await connectedPair(host);
    const received = next<TrafficEvent[]>((l) => pair.server.onTraffic(({ params }) => l(params.events)));
    host.traffic.fire(exchange());
    host.traffic.fire(exchange({ decision: 'blocked', plugin: 'basic_secrets_filter', reason: '[blocked]', request: undefined, response: { jsonrpc: '2.0', id: 8, error: { code: -32000, message: 'Request blocked: Secrets' } } }));
    const events = await received;
    assert.equal(events.length, 2);
    assert.equal(events[0]!.tool, 'read_graph');
    assert.deepEqual(JSON.parse(events[0]!.request!), exchange().request);
    assert.equal(events[0]!.durationMs, 12.3);
    assert.equal(events[1]!.decision, 'blocked');
    assert.equal(events[1]!.request, undefined);
    assert.equal(events[1]!.errorCode, -32000);
    assert.equal(events[1]!.seq, events[0]!.seq + 1);
  });

  it('cuts bodies longer than the limit the extension asked for', () => {
    const event = toTrafficEvent(exchange({ response: { jsonrpc: '2.0', id: 1, result: { text: 'x'.repeat(5000) } } }), 1, 100);
    assert.equal(event.response!.length, 100);
    assert.equal(event.responseTruncated, true);
    assert.equal(event.requestTruncated, undefined);
  });

  it('drops (and counts) events beyond its queue instead of buffering without bound', async () => {
    const host = new FakeGateway();
    const pair = await connectedPair(host);
    let events = 0;
    let dropped = 0;
    const all = next<number>((l) =>
      pair.server.onTraffic(({ params }) => {
        events += params.events.length;
        dropped += params.dropped;
        l(events);
      }),
      (count) => count >= 2000,
    );
    for (let i = 0; i < 2500; i++) host.traffic.fire(exchange({ request: undefined, response: undefined }));
    await all;
    assert.equal(events, 2000);
    assert.equal(dropped, 500);
  });

  it('pushes a configuration to the gateway and returns its answer', async () => {
    const host = new FakeGateway();
    const pair = await connectedPair(host);
    const results = await pair.server.applyConfig({ config: { proxy: { transport: 'stdio' } }, configBase: '/x/gatekit.yaml', version: 'abc' });
    assert.equal(results.length, 1);
    assert.deepEqual(results[0]!.result, { applied: true, problems: [] });
    assert.deepEqual(host.appliedConfigs, [{ config: { proxy: { transport: 'stdio' } }, base: '/x/gatekit.yaml' }]);
  });

  it('answers a request the gateway cannot serve with an error instead of hanging', async () => {
    const pair = await connectedPair(new FakeGateway());
    const results = await pair.server.approveToolChanges({ server: 'memory' });
    assert.match(results[0]!.error ?? '', /does not pin/);
  });

  it('unsubscribes from the gateway when the link is lost, and reconnects through discovery', async () => {
    const host = new FakeGateway();
    const discoveryDir = path.join(temp, 'control');
    const first = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
    first.writeDiscoveryFile(discoveryDir, [temp]);
    const link = new ControlLink(host, linkOptions({ socket: first.socketPath, token: first.token, discoveryDirs: [discoveryDir] }));
    links.push(link);
    const firstConnect = next<boolean>((l) => link.onDidChangeConnection(l), (connected) => connected);
    link.start();
    await firstConnect;
    assert.equal(host.traffic.listeners.size, 1);

    const lost = next<boolean>((l) => link.onDidChangeConnection(l), (connected) => !connected);
    first.dispose(); // the extension host went away
    await lost;
    assert.equal(host.traffic.listeners.size, 0, 'a lost link must not keep listening to traffic');
    host.traffic.fire(exchange()); // traffic while disconnected is simply not reported

    // A new extension host: new socket, new token, found through its discovery file.
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
    const reconnected = next<GatewaySession>((l) => server!.onDidConnect(l));
    const linkUp = next<boolean>((l) => link.onDidChangeConnection(l), (connected) => connected);
    server.writeDiscoveryFile(discoveryDir, [temp]);
    const [session] = await Promise.all([reconnected, linkUp]);
    assert.equal(session.identity.sessionId, link.sessionId);
    assert.equal(host.traffic.listeners.size, 1);
  });

  (isWindows ? it.skip : it)('keeps the socket and the discovery file private to the user', async () => {
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
    assert.equal(statSync(path.dirname(server.socketPath)).mode & 0o777, 0o700);
    assert.equal(statSync(server.socketPath).mode & 0o077, 0);
    const file = server.writeDiscoveryFile(path.join(temp, 'control'), ['/w']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(record.socket, server.socketPath);
    assert.equal(record.protocolVersion, CONTROL_PROTOCOL_VERSION);
    const socketDir = path.dirname(server.socketPath);
    server.dispose();
    server = undefined;
    assert.throws(() => statSync(file), /ENOENT/);
    assert.throws(() => statSync(socketDir), /ENOENT/);
  });
});
