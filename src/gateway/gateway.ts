// The gateway process's lifecycle owner: it creates the plugins, the upstream pool and the router,
// connects the router to the client's transport and each upstream to its own, and takes everything
// down in order at the end.
import { DEFAULT_MAX_LINE_BYTES } from './transport/ndjson';
import { backlogLimit, isUnserializable, type ClientTransport, type UpstreamTransport, type UpstreamTransportFactory } from './transport/transport';
import { StdioClientTransport } from './transport/stdio-client';
import { StdioUpstreamTransport } from './transport/stdio-upstream';
import { httpTransportFactory, isRemoteSpec } from './transport/http-upstream';
import { Upstream, type ClientHandshake, type UpstreamSpec, type UpstreamState } from './upstream';
import type { RawText } from '../shared/received';
import { Router, type RouterHost, type TrafficEvent } from './router';
import { SessionHub } from './http-server/session-hub';
import { oneUpstreamView } from './http-server/one-upstream';
import { PluginHost } from '../plugins/pipeline';
import { approveToolChanges } from '../plugins/capabilities';
import { classifyMessage, ErrorCode, makeError, type JsonRpcMessage } from '../shared/jsonrpc';
import type { ServerStatus } from '../shared/vocabulary';
import { validateConfigObject } from '../config/loader';
import { ConfigError } from '../config/errors';
import { settingsFromConfig, type GatewaySettings } from './settings';
import path from 'node:path';
import type { ApplyConfigResult, ToolInventoryParams } from '../shared/protocol';
import { ControlOnlySession } from './control/control-only';
import { DualEraClientTransport } from './eras/dual-era-client';
import { DualEraUpstreamTransport, type EraMemory } from './eras/dual-era-upstream';
import { SUPPORTED_PROTOCOL_VERSIONS } from './handshake';
import type { SignInServices } from './auth/sign-in-services';

/**
 * The gateway's connections to the outside. The client is a transport, or a pair of byte streams
 * (our stdin/stdout) spoken to as stdio; `log` takes diagnostics (stderr).
 */
export type GatewayIo = (
  | { readonly client: ClientTransport }
  | { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream }
  /** Clients come and go as sessions (the HTTP server): see `startSessions`. */
  | { readonly sessions: true }
) & {
  readonly log: (line: string) => void;
  /** Presents this one upstream under its own names (`--server NAME`; the settings hold it alone). */
  readonly singleServer?: string;
  /** Makes a new connection to an upstream (at its start and each restart); a child process on stdio when not given. */
  readonly connectUpstream?: (spec: UpstreamSpec, log: (line: string) => void) => UpstreamTransport;
  /** Under VS Code: remote upstreams keep OAuth tokens in its SecretStorage and let it open sign-in pages. */
  readonly signIn?: SignInServices;
};

/** Health of one upstream, for the control link and logs (defined in src/shared/vocabulary). */
export type { ServerStatus } from '../shared/vocabulary';

/** How long a call waits for a modern client to bring the input a server asked for, when no server sets it (their request timeout). */
const DEFAULT_INPUT_TIMEOUT_MS = 60_000;

/** How long a server that stays silent on the era probe delays its start (then it is taken for a legacy one). */
const MAX_ERA_PROBE_MS = 10_000;

/** How long the whole shutdown may take before the process gives up waiting (VS Code waits 10 s). */
const SHUTDOWN_DEADLINE_MS = 4500;

export class Gateway {
  readonly upstreams = new Map<string, Upstream>();
  private pluginHost: PluginHost;
  private readonly router: Router;
  /** The one client on stdio; undefined when clients are sessions (HTTP). */
  private readonly client: ClientTransport | undefined;
  /** Set in session mode: the clients served over the shared upstreams. */
  private hub: SessionHub | undefined;
  private shuttingDown: Promise<number> | undefined;
  /** Set while the client is not reading our output: we stop reading it and the upstreams until it catches up. */
  private inputsPaused = false;
  private exitCode = 0;
  private readonly trafficListeners = new Set<(event: TrafficEvent) => void>();
  private readonly statusListeners = new Set<(status: ServerStatus) => void>();
  private readonly inventoryListeners = new Set<(inventory: ToolInventoryParams) => void>();
  private readonly inventories = new Map<string, ToolInventoryParams>();
  /** Per server, what it claims together with another server (see Router's resourceAmbiguity). */
  private readonly ambiguousResources = new Map<string, readonly string[]>();
  private reloading: Promise<unknown> = Promise.resolve();
  /** Who is asked to approve tool calls before a client's own elicitation (VS Code, through the control link). */
  private approvalAsker: RouterHost['askApproval'];
  /** Control-only mode: takes what the router sends the client (there is none). */
  private clientless: ControlOnlySession | undefined;
  /** How long a call waits for a modern client to come back with the input a server asked for. */
  private readonly inputTimeoutMs: number;
  /** Settles when the gateway has shut down; resolves with the process exit code. */
  readonly finished: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    private settings: GatewaySettings,
    private readonly io: GatewayIo,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    const client = 'client' in io ? io.client : 'input' in io ? new StdioClientTransport({ input: io.input, output: io.output, maxLineBytes: this.maxLineBytes, log: io.log }) : undefined;
    // Clients of both protocol eras: a modern (2026-07-28) client is translated at the seam, so the
    // router and the plugins serve it as the legacy client they know (docs/protocol-eras.md).
    this.inputTimeoutMs = settings.upstreams.length ? Math.max(...settings.upstreams.map((u) => u.requestTimeoutMs)) : DEFAULT_INPUT_TIMEOUT_MS;
    this.client = client && new DualEraClientTransport(client, { legacyVersions: SUPPORTED_PROTOCOL_VERSIONS, log: io.log, inputTimeoutMs: this.inputTimeoutMs });
    for (const spec of settings.upstreams) this.upstreams.set(spec.name, this.createUpstream(spec));
    // The servers are started first, so their own start-up overlaps with creating the plugins (the
    // filters take tens of milliseconds). Their handshake still waits for the client's.
    this.openUpstreamsEarly();
    try {
      // Every plugin is created now: one that cannot load stops start-up (the caller reports it).
      this.pluginHost = loadPlugins(settings);
    } catch (err) {
      for (const upstream of this.upstreams.values()) void upstream.stop();
      throw err;
    }
    this.router = new Router(
      this.routerHost({
        sendToClient: (message, raw) => this.send(message, raw),
        connectUpstreams: (handshake) => this.connectUpstreams(handshake),
        fatal: (reason) => {
          io.log(reason);
          this.exitCode = 1;
          // The router answers the request first; leave once that answer is on its way.
          setImmediate(() => void this.shutdown(1));
        },
        sharedUpstreams: 'sessions' in io,
        ...(io.singleServer !== undefined ? { singleServer: io.singleServer } : {}),
      }),
    );
  }

  /** What every router of this gateway shares (plugins, upstreams, observers) around what is its own. */
  private routerHost(own: Pick<RouterHost, 'sendToClient' | 'connectUpstreams' | 'fatal' | 'sharedUpstreams' | 'singleServer'> & { upstreams?: RouterHost['upstreams'] }): RouterHost {
    const traffic = (event: TrafficEvent): void => this.trafficListeners.forEach((listener) => listener(event));
    const listeners = this.trafficListeners;
    const currentPlugins = (): PluginHost => this.pluginHost;
    const inventoryListeners = this.inventoryListeners;
    const recordInventory = (inventory: ToolInventoryParams): void => this.recordInventory(inventory);
    return {
      upstreams: this.upstreams,
      ...own,
      // A getter: a config reload swaps the plugins while requests are in flight.
      get plugins() {
        return currentPlugins();
      },
      serverInfo: this.settings.serverInfo,
      log: this.io.log,
      // Traffic events are built only while someone listens (the hot path stays lean otherwise).
      get traffic() {
        return listeners.size ? traffic : undefined;
      },
      resourceAmbiguity: (server, claims) => this.recordAmbiguity(server, claims),
      askApproval: (question, signal) => this.approvalAsker?.(question, signal),
      get toolInventory() {
        return inventoryListeners.size ? recordInventory : undefined;
      },
    };
  }

  /**
   * Session mode (`proxy.transport: http`), instead of `start()`: opens the upstreams once with the
   * gateway's `handshake` and returns the hub that serves each client session its own router over
   * them. The process ends with `shutdown` (a signal), not with any client.
   */
  startSessions(handshake: ClientHandshake): SessionHub {
    if (!('sessions' in this.io)) throw new Error('startSessions needs a gateway made with { sessions: true }');
    const opened = this.router.openWithoutClient(handshake);
    const hub = new SessionHub({
      upstreams: this.upstreams,
      log: this.io.log,
      inputTimeoutMs: this.inputTimeoutMs,
      createRouter: (sendToClient, server) =>
        new Router(
          this.routerHost({
            sendToClient,
            // A per-server session sees that one upstream, under its own names.
            ...(server !== undefined ? { singleServer: server, upstreams: oneUpstreamView(this.upstreams, server) } : {}),
            // The upstreams are the gateway's: a session waits for them and never starts them again.
            connectUpstreams: () => opened.then(() => undefined),
            // One client's failed initialize is that client's error; the gateway serves the others.
            fatal: (reason) => this.io.log(reason),
            sharedUpstreams: true,
          }),
        ),
    });
    for (const upstream of this.upstreams.values()) hub.attach(upstream);
    this.hub = hub;
    return hub;
  }

  /** Asks `asker` (VS Code over the control link) to approve tool calls, before any client's elicitation. */
  askApprovalsThrough(asker: RouterHost['askApproval']): void {
    this.approvalAsker = asker;
  }

  get plugins(): PluginHost {
    return this.pluginHost;
  }

  private openUpstreamsEarly(): void {
    for (const upstream of this.upstreams.values()) upstream.openEarly();
  }

  private get maxLineBytes(): number {
    return this.settings.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  private stdioClient(): ClientTransport {
    if (!this.client) throw new Error('This gateway serves sessions (startSessions), not one client');
    return this.client;
  }

  /** Starts reading the client (the upstream connections were opened by the constructor). */
  start(): void {
    this.stdioClient().listen({
      message: ({ message }) => this.router.handleClient(classifyMessage(message), message),
      malformed: (input) => {
        if (input.reason === 'not_json') this.send(makeError(null, ErrorCode.ParseError, 'Parse error: the line is not valid JSON'));
        else this.send(makeError(null, ErrorCode.InvalidRequest, `Message of ${input.bytes} bytes exceeds the limit of ${this.maxLineBytes} bytes`));
      },
      // Output that no longer reaches the client ends the session as cleanly as its input ending.
      closed: (reason) => void this.shutdown(reason === 'ended' ? this.exitCode : 0),
    });
  }

  /**
   * Control-only mode (`--control-only`, the extension's views gateway), instead of `start()`: serves
   * no client. Opens the upstreams with `handshake` and keeps the tool inventories and resource index
   * current (see ControlOnlySession); nothing is written to the output, and the client transport is only
   * watched for its end, which shuts the gateway down.
   */
  startWithoutClient(handshake: ClientHandshake): void {
    const session = new ControlOnlySession(this.router, this.io.log);
    this.clientless = session;
    // Inventories are what this gateway is for: record them before the control link subscribes.
    this.onToolInventory(() => undefined);
    // The client transport is only watched for its end: nothing it carries is for this gateway.
    this.stdioClient().listen({ message: () => undefined, malformed: () => undefined, closed: () => void this.shutdown(this.exitCode) });
    void session.open(handshake);
  }

  /** Observes every finished exchange (the control link feeds the traffic view from this). */
  onTraffic(listener: (event: TrafficEvent) => void): { dispose(): void } {
    this.trafficListeners.add(listener);
    return { dispose: () => this.trafficListeners.delete(listener) };
  }

  /** What the policy does to each server's tools, reported after every tools/list (the Servers view). */
  onToolInventory(listener: (inventory: ToolInventoryParams) => void): { dispose(): void } {
    this.inventoryListeners.add(listener);
    return { dispose: () => this.inventoryListeners.delete(listener) };
  }

  toolInventories(): ToolInventoryParams[] {
    return [...this.inventories.values()].filter((i) => this.upstreams.has(i.server));
  }

  private recordInventory(inventory: ToolInventoryParams): void {
    this.inventories.set(inventory.server, inventory);
    for (const listener of this.inventoryListeners) listener(inventory);
  }

  onServerStatus(listener: (status: ServerStatus) => void): { dispose(): void } {
    this.statusListeners.add(listener);
    return { dispose: () => this.statusListeners.delete(listener) };
  }

  serverStatuses(): ServerStatus[] {
    return [...this.upstreams.values()].map((u) => this.statusOf(u.name, u.state, u.lastError));
  }

  private statusOf(name: string, state: UpstreamState, detail: string | undefined): ServerStatus {
    const ambiguous = this.ambiguousResources.get(name);
    const spec = this.settings.upstreams.find((u) => u.name === name);
    const sandboxed = spec !== undefined && 'sandbox' in spec && spec.sandbox !== undefined;
    return { name, state, ...(detail === undefined ? {} : { detail }), ...(ambiguous?.length ? { ambiguousResources: ambiguous } : {}), ...(sandboxed ? { sandboxed } : {}) };
  }

  private recordAmbiguity(server: string, claims: readonly string[]): void {
    const before = this.ambiguousResources.get(server) ?? [];
    if (before.length === claims.length && before.every((c, i) => c === claims[i])) return;
    if (claims.length) this.ambiguousResources.set(server, claims);
    else this.ambiguousResources.delete(server);
    const upstream = this.upstreams.get(server);
    if (!upstream) return;
    const status = this.statusOf(server, upstream.state, upstream.lastError);
    for (const listener of this.statusListeners) listener(status);
  }

  /** Restarts the given upstreams (all when undefined) while the client stays connected. */
  async restartUpstreams(servers: readonly string[] | undefined): Promise<void> {
    const targets = [...this.upstreams.values()].filter((u) => !servers || servers.includes(u.name));
    await Promise.all(targets.map((u) => u.restart().catch((err: unknown) => this.io.log(`[${u.name}] restart failed: ${errorText(err)}`))));
  }

  /** Approves changed or new tool definitions through the plugins that pin them. */
  async approveToolChanges(params: { server?: string; tools?: string[] }): Promise<{ approved: number }> {
    const approved = await approveToolChanges(this.pluginHost.interceptors(), params);
    if (approved > 0) this.notifyListsChanged();
    return { approved };
  }

  /**
   * Hot reload: validates a new configuration and switches to it without dropping the client.
   * Plugins are replaced as a whole; upstreams whose definition changed are restarted, new ones
   * started with the client's handshake, removed ones stopped. An invalid config changes nothing.
   */
  applyConfig(config: unknown, configBase: string | undefined, writableRoots?: readonly string[]): Promise<ApplyConfigResult> {
    // One reload at a time, in the order asked: a slow older one must never land after a newer one.
    const run = this.reloading.then(() => this.reload(config, configBase, writableRoots));
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reload(config: unknown, configBase: string | undefined, writableRoots: readonly string[] | undefined): Promise<ApplyConfigResult> {
    let next: GatewaySettings;
    let plugins: PluginHost;
    try {
      const configDir = configBase ? path.dirname(path.resolve(configBase)) : this.settings.pluginEnv.configDir;
      const loaded = validateConfigObject(config, { configDir, ...(writableRoots ? { writableRoots } : {}) });
      next = settingsFromConfig(configBase ? { ...loaded, configPath: path.resolve(configBase) } : loaded, {
        log: this.io.log,
        ...(this.settings.maxLineBytes ? { maxLineBytes: this.settings.maxLineBytes } : {}),
      });
      plugins = loadPlugins(next);
    } catch (err) {
      if (err instanceof ConfigError) {
        return { applied: false, problems: err.issues.map((i) => ({ path: i.path, message: i.message, ...(i.line ? { line: i.line } : {}), ...(i.fixInstructions ? { fixInstructions: i.fixInstructions } : {}) })) };
      }
      return { applied: false, problems: [{ path: '', message: errorText(err) }] };
    }
    const previous = this.pluginHost;
    this.pluginHost = plugins;
    this.settings = next;
    void previous.close().catch((err: unknown) => this.io.log(`closing the previous plugins failed: ${errorText(err)}`));

    const wanted = new Map(next.upstreams.map((spec) => [spec.name, spec]));
    const handshake = this.router.clientHandshake;
    const work: Promise<void>[] = [];
    for (const [name, upstream] of this.upstreams) {
      const spec = wanted.get(name);
      if (spec && JSON.stringify(spec) === JSON.stringify(upstream.spec)) continue;
      this.upstreams.delete(name);
      work.push(upstream.stop());
    }
    await Promise.all(work);
    const starting: Promise<void>[] = [];
    for (const spec of next.upstreams) {
      if (this.upstreams.has(spec.name)) continue;
      const upstream = this.createUpstream(spec);
      this.upstreams.set(spec.name, upstream);
      this.router.attach(upstream);
      this.hub?.attach(upstream);
      if (handshake) starting.push(upstream.connect(handshake).catch((err: unknown) => this.io.log(`[${spec.name}] did not start: ${errorText(err)}`)));
      else upstream.openEarly();
    }
    await Promise.all(starting);
    this.notifyListsChanged();
    this.io.log(`configuration reloaded (${next.upstreams.length} servers)`);
    return { applied: true, problems: [] };
  }

  /**
   * Closes everything in order: stop answering, stop the upstreams (stdin end → SIGTERM → SIGKILL),
   * flush the audit logs, flush our stdout. Idempotent; resolves with the exit code.
   */
  shutdown(exitCode = 0): Promise<number> {
    this.shuttingDown ??= this.doShutdown(exitCode);
    return this.shuttingDown;
  }

  private notifyListsChanged(): void {
    this.router.notifyListsChanged();
    this.hub?.notifyListsChanged();
  }

  private async doShutdown(exitCode: number): Promise<number> {
    this.router.close();
    this.hub?.close();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DEADLINE_MS).unref());
    const stopping = Promise.allSettled([...this.upstreams.values()].map((u) => u.stop()));
    await Promise.race([stopping, deadline]);
    try {
      await this.pluginHost.close();
    } catch (err) {
      this.io.log(`closing plugins failed: ${err instanceof Error ? err.message : String(err)}`);
      exitCode = exitCode || 1;
    }
    this.client?.close();
    // Writes keep their order, so once the last one is handed over all of them are.
    // A client that stopped reading would never take them: then there is nothing to wait for.
    if (!this.inputsPaused && this.client) await Promise.race([this.client.flushed(), deadline]);
    this.finish(exitCode);
    return exitCode;
  }

  private createUpstream(spec: UpstreamSpec): Upstream {
    const log = this.io.log;
    const connect = this.io.connectUpstream;
    const connectTo: UpstreamTransportFactory = connect
      ? () => connect(spec, log)
      : isRemoteSpec(spec)
        ? httpTransportFactory(spec, log, {
            onAuthorized: () => void upstream.restart().catch((err: unknown) => log(`[${spec.name}] reconnect after sign-in failed: ${errorText(err)}`)),
            ...(this.io.signIn ? { signIn: this.io.signIn } : {}),
          })
        : () => new StdioUpstreamTransport(spec, log);
    // A server's protocol era is probed once per connection (server/discover before initialize; over
    // HTTP the wire part is in transport/http-modern.ts); the verdict outlives restarts. HTTP+SSE
    // (`transport: sse`) servers predate the modern era: no probe.
    const era: EraMemory = {};
    const probeTimeoutMs = Math.min(MAX_ERA_PROBE_MS, spec.connectionTimeoutMs / 2);
    const probed = !(isRemoteSpec(spec) && spec.transport === 'sse');
    const openTransport: UpstreamTransportFactory = probed ? () => new DualEraUpstreamTransport(connectTo(), era, { log: (line) => log(`[${spec.name}] ${line}`), probeTimeoutMs }) : connectTo;
    const upstream = new Upstream(spec, log, openTransport);
    upstream.on('state', (state, detail) => {
      const status = this.statusOf(spec.name, state, detail);
      for (const listener of this.statusListeners) listener(status);
    });
    return upstream;
  }

  private send(message: JsonRpcMessage, raw?: RawText): void {
    if (this.clientless) return this.clientless.receive(message);
    // Session mode: this router has no client of its own (each session's router talks to its client).
    if (!this.client) return;
    // Transport failures surface once, as the client's close; a message that cannot be serialized
    // (nested too deeply) is answered in its place, so no one waits for it forever.
    this.client.send(raw ? { message, raw } : { message }, (err) => {
      if (err && isUnserializable(err)) this.router.undeliverable(message, err.message);
    });
    if (!this.inputsPaused && this.client.backlog > backlogLimit(this.maxLineBytes)) this.pauseInputs(this.client);
  }

  /**
   * The client is not reading: stop reading it and every upstream's stdout (their pipes fill and
   * they wait), so memory stays bounded; resume once our output has drained to half the limit.
   */
  private pauseInputs(client: ClientTransport): void {
    this.inputsPaused = true;
    const limit = backlogLimit(this.maxLineBytes);
    this.io.log(`the client is not reading its input (${Math.round(client.backlog / 1048576)} MiB waiting): pausing until it catches up`);
    client.pauseReceiving();
    for (const upstream of this.upstreams.values()) upstream.pauseOutput();
    const drained = client.onDrain(() => {
      if (client.backlog > limit / 2) return;
      drained.dispose();
      this.inputsPaused = false;
      client.resumeReceiving();
      for (const upstream of this.upstreams.values()) upstream.resumeOutput();
    });
  }

  private async connectUpstreams(handshake: ClientHandshake): Promise<void> {
    await Promise.all(
      [...this.upstreams.values()].map((u) =>
        u.connect(handshake).catch((err: unknown) => {
          this.io.log(`[${u.name}] did not start: ${err instanceof Error ? err.message : String(err)}`);
        }),
      ),
    );
  }
}

function loadPlugins(settings: GatewaySettings): PluginHost {
  const host = new PluginHost(settings.plugins, settings.registry, settings.pluginEnv);
  host.loadAll(settings.upstreams.map((u) => u.name));
  return host;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
