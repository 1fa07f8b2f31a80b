// The gateway's side of the control link: finds the VS Code extension host's control server, reports
// traffic, server health and tool inventories to it, and takes config pushes. MCP traffic never
// depends on it: every failure here is logged and retried, never thrown into the gateway.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import {
  createMessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { ConfigError } from '../config/errors';
import { validateConfigObject, type LoadedConfig } from '../config/loader';
import { ErrorCode } from '../shared/jsonrpc';
import { splitNamespaced } from '../shared/namespacing';
import type { ServerStatus as UpstreamStatus } from './gateway';
import type { TrafficEvent as ExchangeEvent } from './router';
import {
  ApplyConfigRequest,
  ApproveToolChangesRequest,
  CONTROL_PROTOCOL_VERSION,
  ControlEnv,
  HelloRequest,
  LogNotification,
  RestartUpstreamsRequest,
  ServerStatusNotification,
  ToolInventoryNotification,
  TrafficNotification,
  type ApplyConfigResult,
  type ApproveToolChangesParams,
  type ApproveToolChangesResult,
  type DiscoveryRecord,
  type GatewayIdentity,
  type GatewayMode,
  type LogParams,
  type ServerStatus,
  type ToolInventoryEntry,
  type ToolInventoryParams,
  type TrafficEvent,
} from '../shared/protocol';

/** Something to unsubscribe or release. */
export interface Disposable {
  dispose(): void;
}

/**
 * What the gateway exposes to the control link (the `Gateway` implements it). The link subscribes
 * only while connected, so an unconnected gateway pays nothing. The optional members add features:
 * without them the views lack tool inventories and the extension's requests are answered with an error.
 */
export interface ControlLinkHost {
  /** Every finished exchange, log-safe (blocked content absent, redacted content redacted). */
  onTraffic(listener: (event: ExchangeEvent) => void): Disposable;
  /** Fires whenever one upstream's status changes. */
  onServerStatus(listener: (status: UpstreamStatus) => void): Disposable;
  /** Current status of every configured upstream. */
  serverStatuses(): readonly UpstreamStatus[];
  /** Fires with one server's inventory whenever its tool list, or what policy does to it, changes. */
  onToolInventory?(listener: (inventory: ToolInventoryParams) => void): Disposable;
  /** Current inventory of every upstream that has listed its tools. */
  toolInventories?(): readonly ToolInventoryParams[];
  /**
   * Validates and switches to a new configuration without dropping the client (hot reload).
   * Resolves `{applied: false, problems}` for an invalid config and keeps the old one.
   */
  applyConfig?(config: unknown, configBase: string | undefined, writableRoots?: readonly string[]): Promise<ApplyConfigResult>;
  /** Pins the current definitions of changed or new tools (tool pinning). */
  approveToolChanges?(params: ApproveToolChangesParams): Promise<ApproveToolChangesResult>;
  /** Restarts the given upstreams (all when undefined) while the client stays connected. */
  restartUpstreams?(servers: readonly string[] | undefined): Promise<void>;
}

/** Where to connect and who we are. Build it with {@link controlLinkOptionsFromEnvironment}. */
export interface ControlLinkOptions {
  /** Socket given by the extension that started us (env); tried first. */
  socket?: string;
  token?: string;
  /** Folders of discovery files, searched when there is no socket or it stopped answering. */
  discoveryDirs: readonly string[];
  identity: GatewayIdentity;
  /** Gateway diagnostics (stderr). */
  log(message: string): void;
  /** First reconnection delay; doubles up to `maxRetryDelayMs`. Defaults 500 / 15000. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** Facts about this gateway process that go into its identity. */
export interface GatewayFacts {
  mode: GatewayMode;
  version: string;
  configPath?: string;
  cwd?: string;
}

const EXTENSION_STORAGE_FOLDER = 'gatekit.gatekit-vscode';
/** Editors whose user-data folders may hold the extension's global storage. */
const EDITOR_PRODUCTS = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];
/** Events waiting to be sent; beyond this they are dropped (and counted) rather than buffered. */
const MAX_QUEUED_EVENTS = 2000;
/** Socket bytes not yet written; beyond this the link stops sending until the socket drains. */
const MAX_UNWRITTEN_BYTES = 4 * 1024 * 1024;
const MAX_EVENTS_PER_BATCH = 200;
const HELLO_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BODY_CHARS = 256 * 1024;

/**
 * Folders where extension hosts leave discovery files, most specific first: `GATEKIT_CONTROL_DIR`,
 * then the global storage of the extension in every known editor's user-data folder.
 */
export function discoveryDirectories(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string[] {
  const dirs: string[] = [];
  const explicit = env[ControlEnv.discoveryDir];
  if (explicit) dirs.push(explicit);
  const userDataRoots: string[] = [];
  if (platform === 'win32') {
    const appData = env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
    for (const product of EDITOR_PRODUCTS) userDataRoots.push(path.join(appData, product));
  } else if (platform === 'darwin') {
    for (const product of EDITOR_PRODUCTS) userDataRoots.push(path.join(home, 'Library', 'Application Support', product));
  } else {
    const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
    for (const product of EDITOR_PRODUCTS) userDataRoots.push(path.join(configHome, product));
    userDataRoots.push(path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'code-server'));
  }
  // VS Code Remote (SSH, containers) keeps user data under ~/.vscode-server/data.
  userDataRoots.push(path.join(home, '.vscode-server', 'data'));
  for (const root of userDataRoots) dirs.push(path.join(root, 'User', 'globalStorage', EXTENSION_STORAGE_FOLDER, 'control'));
  return [...new Set(dirs)];
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else (then it is not our extension host, but alive).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isDiscoveryRecord(value: unknown): value is DiscoveryRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.pid === 'number' &&
    typeof r.socket === 'string' &&
    typeof r.token === 'string' &&
    typeof r.startedAt === 'number' &&
    Array.isArray(r.workspaceFolders) &&
    r.workspaceFolders.every((f) => typeof f === 'string')
  );
}

function containingFolderLength(folders: readonly string[], cwd: string): number {
  let best = -1;
  for (const folder of folders) {
    const relative = path.relative(folder, cwd);
    if (!relative.startsWith('..') && !path.isAbsolute(relative) && folder.length > best) best = folder.length;
  }
  return best;
}

/**
 * Live control servers from the discovery folders, best first: the window whose workspace contains
 * `cwd` (deepest folder), then the most recently started.
 */
export function findControlServers(dirs: readonly string[], cwd: string): DiscoveryRecord[] {
  const found: { record: DiscoveryRecord; match: number }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      let record: unknown;
      try {
        record = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
      } catch {
        continue;
      }
      if (!isDiscoveryRecord(record) || record.protocolVersion !== CONTROL_PROTOCOL_VERSION) continue;
      if (!isProcessAlive(record.pid)) continue;
      found.push({ record, match: containingFolderLength(record.workspaceFolders, cwd) });
    }
  }
  found.sort((a, b) => b.match - a.match || b.record.startedAt - a.record.startedAt);
  return found.map((f) => f.record);
}

/**
 * Control link options from the environment, or undefined when `GATEKIT_CONTROL=off`.
 * `GATEKIT_CONTROL_SOCKET` + `GATEKIT_CONTROL_TOKEN` name the extension that started us; without
 * them the gateway looks for one in the discovery folders.
 */
export function controlLinkOptionsFromEnvironment(
  facts: GatewayFacts,
  log: (message: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ControlLinkOptions | undefined {
  if ((env[ControlEnv.mode] ?? '').toLowerCase() === 'off') return undefined;
  const socket = env[ControlEnv.socket] || undefined;
  const token = env[ControlEnv.token] || undefined;
  const identity: GatewayIdentity = {
    sessionId: randomUUID(),
    pid: process.pid,
    mode: facts.mode,
    version: facts.version,
    startedByExtension: socket !== undefined && token !== undefined,
    cwd: facts.cwd ?? process.cwd(),
    startedAt: Date.now(),
  };
  if (facts.configPath !== undefined) identity.configPath = facts.configPath;
  const configVersion = env[ControlEnv.configVersion];
  if (configVersion) identity.configVersion = configVersion;
  const options: ControlLinkOptions = { discoveryDirs: discoveryDirectories(env), identity, log };
  if (socket !== undefined && token !== undefined) {
    options.socket = socket;
    options.token = token;
  }
  return options;
}

function serializeBody(message: unknown, maxChars: number): { text: string; truncated: boolean } {
  const text = JSON.stringify(message);
  return text.length > maxChars ? { text: text.slice(0, maxChars), truncated: true } : { text, truncated: false };
}

/**
 * The configuration the VS Code extension passes to gateways it starts: `GATEKIT_CONFIG_JSON`
 * (the merged settings, as JSON: secrets never touch the disk) located at `GATEKIT_CONFIG_BASE`
 * (relative paths resolve against its folder; the pin lockfile sits beside it). Undefined when
 * the variable is not set; throws `ConfigError` when the config is invalid.
 */
export function configFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig | undefined {
  const text = env[ControlEnv.configJson];
  if (text === undefined || text === '') return undefined;
  const base = env[ControlEnv.configBase] ? path.resolve(env[ControlEnv.configBase]!) : undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw ConfigError.single({
      code: ErrorCode.ConfigInvalid,
      path: '',
      message: `${ControlEnv.configJson} is not valid JSON: ${(error as Error).message}`,
      fixInstructions: 'Let the Gatekit extension start the gateway, or pass --config FILE.',
    });
  }
  const loaded = validateConfigObject(value, { configDir: base === undefined ? process.cwd() : path.dirname(base), env });
  return base === undefined ? loaded : { ...loaded, configPath: base };
}

/** Turns a finished exchange into its wire form; bodies are serialized here, off the message path. */
export function toTrafficEvent(event: ExchangeEvent, seq: number, maxBodyChars: number): TrafficEvent {
  const traffic: TrafficEvent = {
    seq,
    timestamp: event.timestamp,
    direction: event.direction,
    server: event.server,
    method: event.method,
    decision: event.decision,
    reason: event.reason,
  };
  if (event.tool !== undefined) traffic.tool = event.tool;
  if (event.plugin !== undefined) traffic.plugin = event.plugin;
  if (event.durationMs !== undefined) traffic.durationMs = Math.round(event.durationMs * 10) / 10;
  if (event.request !== undefined) {
    const body = serializeBody(event.request, maxBodyChars);
    traffic.request = body.text;
    if (body.truncated) traffic.requestTruncated = true;
  }
  if (event.response !== undefined) {
    const response = event.response;
    if ('error' in response && typeof response.error?.code === 'number') traffic.errorCode = response.error.code;
    const body = serializeBody(response, maxBodyChars);
    traffic.response = body.text;
    if (body.truncated) traffic.responseTruncated = true;
  }
  return traffic;
}

function toWireStatus(status: UpstreamStatus): ServerStatus {
  return {
    name: status.name,
    state: status.state,
    ...(status.detail === undefined ? {} : { detail: status.detail }),
    ...(status.ambiguousResources?.length ? { ambiguousResources: [...status.ambiguousResources] } : {}),
  };
}

interface Target {
  socket: string;
  token: string;
}

/**
 * One gateway's connection to an extension host. Connects in the background, reconnects with
 * backoff (re-reading discovery files, since a restarted extension host has a new socket and
 * token), and sends events in batches without ever blocking or failing the gateway.
 */
export class ControlLink {
  private connection: MessageConnection | undefined;
  private socket: net.Socket | undefined;
  private subscriptions: Disposable[] = [];
  private queue: ExchangeEvent[] = [];
  private readonly statuses = new Map<string, ServerStatus>();
  private dropped = 0;
  private seq = 0;
  private flushScheduled = false;
  private maxBodyChars = DEFAULT_MAX_BODY_CHARS;
  private retryDelayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private connecting = false;
  private readonly connectionListeners = new Set<(connected: boolean) => void>();

  constructor(
    private readonly host: ControlLinkHost,
    private readonly options: ControlLinkOptions,
  ) {
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  /** The session id this gateway reports under. */
  get sessionId(): string {
    return this.options.identity.sessionId;
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** Starts connecting in the background. */
  start(): void {
    void this.connectOnce();
  }

  /** Tells `listener` about every connect and disconnect (tests, the gateway's own logs). */
  onDidChangeConnection(listener: (connected: boolean) => void): Disposable {
    this.connectionListeners.add(listener);
    return { dispose: () => this.connectionListeners.delete(listener) };
  }

  /** Mirrors a diagnostic line to the extension's log channel when connected (dropped otherwise). */
  log(level: LogParams['level'], message: string): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.sendNotification(LogNotification.type, { level, message }).catch(() => undefined);
  }

  /** Disconnects for good. Pending events are dropped: the audit logs are the durable record. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.teardown();
  }

  private async connectOnce(): Promise<void> {
    if (this.disposed || this.connecting || this.connection !== undefined) return;
    this.connecting = true;
    try {
      for (const target of this.targets()) {
        if (this.disposed) return;
        if (await this.tryTarget(target)) {
          this.retryDelayMs = this.options.retryDelayMs ?? 500;
          return;
        }
      }
    } finally {
      this.connecting = false;
    }
    this.scheduleRetry();
  }

  private targets(): Target[] {
    const targets: Target[] = [];
    if (this.options.socket !== undefined && this.options.token !== undefined) {
      targets.push({ socket: this.options.socket, token: this.options.token });
    }
    for (const record of findControlServers(this.options.discoveryDirs, this.options.identity.cwd)) {
      if (!targets.some((t) => t.socket === record.socket)) targets.push({ socket: record.socket, token: record.token });
    }
    return targets;
  }

  private scheduleRetry(): void {
    if (this.disposed || this.retryTimer !== undefined) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, this.options.maxRetryDelayMs ?? 15_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connectOnce();
    }, delay);
    // The link never keeps a gateway alive on its own.
    this.retryTimer.unref();
  }

  private tryTarget(target: Target): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const socket = net.connect(target.socket);
      let settled = false;
      const settle = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        if (!ok) socket.destroy();
        resolve(ok);
      };
      // Permanent: a socket error after the handshake must not become an uncaught exception.
      socket.on('error', () => settle(false));
      socket.once('connect', () => {
        socket.unref();
        const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
        connection.onError(() => undefined);
        connection.listen();
        const timer = setTimeout(() => {
          connection.dispose();
          settle(false);
        }, HELLO_TIMEOUT_MS);
        timer.unref();
        connection
          .sendRequest(HelloRequest.type, { protocolVersion: CONTROL_PROTOCOL_VERSION, token: target.token, gateway: this.options.identity })
          .then(
            (result) => {
              clearTimeout(timer);
              if (settled || this.disposed) {
                connection.dispose();
                settle(false);
                return;
              }
              this.maxBodyChars = result.maxBodyChars > 0 ? result.maxBodyChars : DEFAULT_MAX_BODY_CHARS;
              this.adopt(connection, socket);
              settle(true);
            },
            (error: unknown) => {
              clearTimeout(timer);
              this.options.log(`control link: ${target.socket} refused the connection: ${error instanceof Error ? error.message : String(error)}`);
              connection.dispose();
              settle(false);
            },
          );
      });
    });
  }

  private adopt(connection: MessageConnection, socket: net.Socket): void {
    this.connection = connection;
    this.socket = socket;
    connection.onClose(() => this.lost());
    socket.on('close', () => this.lost());
    socket.on('drain', () => this.scheduleFlush());
    const host = this.host;
    connection.onRequest(ApplyConfigRequest.type, (params) => {
      if (!host.applyConfig) throw new Error('This gateway cannot reload its configuration; restart it instead.');
      // Roots arrive as JSON from the extension: only a list of strings counts.
      const roots = Array.isArray(params.writableRoots) && params.writableRoots.every((r) => typeof r === 'string') ? params.writableRoots : undefined;
      return host.applyConfig(params.config, params.configBase, roots);
    });
    connection.onRequest(ApproveToolChangesRequest.type, (params) => {
      if (!host.approveToolChanges) throw new Error('This gateway does not pin tool definitions.');
      return host.approveToolChanges(params);
    });
    connection.onRequest(RestartUpstreamsRequest.type, (params) => {
      if (!host.restartUpstreams) throw new Error('This gateway cannot restart its servers.');
      return host.restartUpstreams(params.servers);
    });
    this.statuses.clear();
    for (const status of host.serverStatuses()) this.statuses.set(status.name, toWireStatus(status));
    this.subscriptions.push(
      host.onTraffic((event) => this.enqueue(event)),
      host.onServerStatus((status) => {
        this.statuses.set(status.name, toWireStatus(status));
        this.sendStatuses();
      }),
    );
    if (host.onToolInventory) this.subscriptions.push(host.onToolInventory((inventory) => this.send(ToolInventoryNotification.type.method, inventory)));
    this.sendStatuses();
    for (const inventory of host.toolInventories?.() ?? []) this.send(ToolInventoryNotification.type.method, inventory);
    for (const listener of this.connectionListeners) listener(true);
  }

  private sendStatuses(): void {
    this.send(ServerStatusNotification.type.method, { servers: [...this.statuses.values()] });
  }

  private send(method: string, params: object): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.sendNotification(method, params).catch(() => undefined);
  }

  private enqueue(event: ExchangeEvent): void {
    if (this.queue.length >= MAX_QUEUED_EVENTS) {
      this.dropped++;
      return;
    }
    this.queue.push(event);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.queue.length === 0) return;
    this.flushScheduled = true;
    // After the current message is handled: serialization stays off the request's path.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const connection = this.connection;
    const socket = this.socket;
    if (connection === undefined || socket === undefined) return;
    // A slow reader: keep queueing (bounded) until the socket drains.
    if (socket.writableLength > MAX_UNWRITTEN_BYTES) return;
    const batch = this.queue.length <= MAX_EVENTS_PER_BATCH ? this.queue : this.queue.slice(0, MAX_EVENTS_PER_BATCH);
    this.queue = batch === this.queue ? [] : this.queue.slice(MAX_EVENTS_PER_BATCH);
    const events: TrafficEvent[] = [];
    for (const event of batch) {
      try {
        events.push(toTrafficEvent(event, ++this.seq, this.maxBodyChars));
      } catch {
        // A body that cannot be serialized (a cycle, a BigInt) is not worth failing the batch.
        this.dropped++;
      }
    }
    const dropped = this.dropped;
    this.dropped = 0;
    connection.sendNotification(TrafficNotification.type, { events, dropped }).catch(() => undefined);
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private lost(): void {
    if (this.connection === undefined) return;
    this.options.log('control link: connection to the extension host lost');
    this.teardown();
    for (const listener of this.connectionListeners) listener(false);
    this.scheduleRetry();
  }

  private teardown(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.subscriptions = [];
    this.queue = [];
    const connection = this.connection;
    const socket = this.socket;
    this.connection = undefined;
    this.socket = undefined;
    connection?.dispose();
    socket?.destroy();
  }
}

/**
 * Starts a control link for `host` from the environment (see {@link ControlEnv}); returns undefined
 * when the link is switched off. The caller disposes it on shutdown.
 */
export function startControlLink(host: ControlLinkHost, facts: GatewayFacts, log: (message: string) => void): ControlLink | undefined {
  const options = controlLinkOptionsFromEnvironment(facts, log);
  if (options === undefined) return undefined;
  const link = new ControlLink(host, options);
  link.start();
  return link;
}


// ---------------------------------------------------------------------------------------------
// --control-only: the gateway serves a built-in client instead of stdin

const CONTROL_ONLY_PROTOCOL_VERSION = '2025-06-18';

/**
 * The MCP client of a control-only gateway (`--control-only`, the extension's views gateway). Pass
 * `input`/`output` to the Gateway instead of stdin/stdout: it initializes the gateway (so every
 * upstream starts), lists the tools (again after `notifications/tools/list_changed`) and turns them
 * into inventories. The real stdin is only watched for its end, which ends `input` and so stops the
 * gateway; stdout gets nothing.
 */
export class ControlOnlyClient {
  /** What the gateway reads: this client's messages. */
  readonly input = new PassThrough();
  /** What the gateway writes: parsed here, never reaching stdout. */
  readonly output: Writable;
  private pending = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (message: Record<string, unknown>) => void>();
  private readonly inventories = new Map<string, ToolInventoryParams>();
  private readonly listeners = new Set<(inventory: ToolInventoryParams) => void>();
  private listing = false;
  private listAgain = false;

  constructor(
    stdin: NodeJS.ReadableStream,
    private readonly serverNames: () => readonly string[],
    private readonly log: (message: string) => void,
    clientVersion = '0.0.0',
  ) {
    this.output = new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.receive(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        done();
      },
    });
    stdin.on('data', () => undefined);
    stdin.on('end', () => this.input.end());
    stdin.on('close', () => this.input.end());
    stdin.on('error', () => this.input.end());
    void this.request('initialize', { protocolVersion: CONTROL_ONLY_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'gatekit-vscode-views', version: clientVersion } }).then((answer) => {
      if (answer.error !== undefined) {
        this.log(`control-only: initialize failed: ${JSON.stringify(answer.error)}`);
        return;
      }
      this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      void this.listTools().then(() => this.listResources());
    });
  }

  /** Inventories as this client sees them: visible tools only (hidden ones never reach a client). */
  toolInventories(): ToolInventoryParams[] {
    return [...this.inventories.values()];
  }

  onToolInventory(listener: (inventory: ToolInventoryParams) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private send(message: Record<string, unknown>): void {
    if (!this.input.writableEnded) this.input.write(`${JSON.stringify(message)}\n`);
  }

  private request(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  private receive(text: string): void {
    this.pending += text;
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (line === '') continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      this.handle(message);
    }
  }

  private handle(message: Record<string, unknown>): void {
    const id = message.id;
    if (typeof message.method === 'string') {
      if (message.method === 'notifications/tools/list_changed') void this.listTools();
      if (message.method === 'notifications/resources/list_changed') this.listResources();
      if (id === undefined) return;
      // Requests from upstreams (sampling, elicitation, roots): there is no user to ask.
      if (message.method === 'ping') this.send({ jsonrpc: '2.0', id, result: {} });
      else if (message.method === 'roots/list') this.send({ jsonrpc: '2.0', id, result: { roots: [] } });
      else this.send({ jsonrpc: '2.0', id, error: { code: -32601, message: 'The Gatekit views gateway has no user to ask' } });
      return;
    }
    if (typeof id === 'number') {
      const resolve = this.waiting.get(id);
      this.waiting.delete(id);
      resolve?.(message);
    }
  }

  /**
   * Lists resources and templates only so the gateway indexes them: resources two servers offer
   * show up as ambiguous in the server statuses (the Servers view warns) before anyone reads one.
   */
  private listResources(): void {
    void this.request('resources/list', {});
    void this.request('resources/templates/list', {});
  }

  private async listTools(): Promise<void> {
    if (this.listing) {
      this.listAgain = true;
      return;
    }
    this.listing = true;
    try {
      do {
        this.listAgain = false;
        const tools: Record<string, unknown>[] = [];
        let cursor: unknown;
        do {
          const answer = await this.request('tools/list', cursor === undefined ? {} : { cursor });
          const result = answer.result as { tools?: unknown; nextCursor?: unknown } | undefined;
          if (result === undefined || !Array.isArray(result.tools)) break;
          tools.push(...(result.tools as Record<string, unknown>[]));
          cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
        } while (cursor !== undefined);
        this.publish(tools);
      } while (this.listAgain);
    } finally {
      this.listing = false;
    }
  }

  private publish(tools: readonly Record<string, unknown>[]): void {
    const byServer = new Map<string, ToolInventoryEntry[]>();
    for (const name of this.serverNames()) byServer.set(name, []);
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      const split = splitNamespaced(tool.name);
      if (split === undefined) continue;
      const server = split.server;
      const entry: ToolInventoryEntry = { name: split.name, exposedName: tool.name, visibility: 'visible', pin: 'none' };
      if (typeof tool.description === 'string') entry.description = tool.description;
      if (!byServer.has(server)) byServer.set(server, []);
      byServer.get(server)!.push(entry);
    }
    for (const [server, list] of byServer) {
      const inventory = { server, tools: list };
      const previous = this.inventories.get(server);
      if (previous !== undefined && JSON.stringify(previous.tools) === JSON.stringify(list)) continue;
      this.inventories.set(server, inventory);
      for (const listener of this.listeners) listener(inventory);
    }
  }
}

/**
 * The host for a control-only gateway: the gateway's own members, with the built-in client's
 * inventories where the gateway has none of its own.
 */
export function controlOnlyHost(gateway: ControlLinkHost, client: ControlOnlyClient): ControlLinkHost {
  // Keep the gateway recording inventories while no link is up: the built-in client's first
  // tools/list may finish before the link connects, and the link sends what was recorded.
  gateway.onToolInventory?.(() => undefined);
  const host: ControlLinkHost = {
    onTraffic: (listener) => gateway.onTraffic(listener),
    onServerStatus: (listener) => gateway.onServerStatus(listener),
    serverStatuses: () => gateway.serverStatuses(),
    onToolInventory: (listener) => (gateway.onToolInventory ? gateway.onToolInventory(listener) : client.onToolInventory(listener)),
    toolInventories: () => (gateway.toolInventories ? gateway.toolInventories() : client.toolInventories()),
  };
  if (gateway.applyConfig) host.applyConfig = (config, base, roots) => gateway.applyConfig!(config, base, roots);
  if (gateway.approveToolChanges) host.approveToolChanges = (params) => gateway.approveToolChanges!(params);
  if (gateway.restartUpstreams) host.restartUpstreams = (servers) => gateway.restartUpstreams!(servers);
  return host;
}
