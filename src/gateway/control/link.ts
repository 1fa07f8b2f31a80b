// The gateway's side of the control link: reports traffic, server health and tool inventories to
// the VS Code extension host's control server, and takes config pushes. MCP traffic never depends
// on it: every failure here is logged and retried, never thrown into the gateway.
import * as net from 'node:net';
import {
  CancellationTokenSource,
  createMessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
  type MessageConnection,
  type RequestType,
} from 'vscode-jsonrpc/node';
import type { ServerStatus as UpstreamStatus } from '../gateway';
import type { TrafficEvent as ExchangeEvent } from '../router';
import { findControlServers } from './discovery';
import type { ApprovalAnswer, ApprovalQuestion } from '../../plugins/types';
import {
  ApplyConfigRequest,
  ApproveToolChangesRequest,
  AskApprovalRequest,
  type AskApprovalParams,
  CONTROL_PROTOCOL_VERSION,
  HelloRequest,
  LogNotification,
  RestartUpstreamsRequest,
  ServerStatusNotification,
  ToolInventoryNotification,
  TrafficNotification,
  type ApplyConfigResult,
  type ApproveToolChangesParams,
  type ApproveToolChangesResult,
  type GatewayIdentity,
  type LogParams,
  type ServerStatus,
  type ToolInventoryParams,
  type TrafficEvent,
} from '../../shared/protocol';

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

/** Where to connect and who we are. Build it with `controlLinkOptionsFromEnvironment` (environment.ts). */
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

/** Events waiting to be sent; beyond this they are dropped (and counted) rather than buffered. */
const MAX_QUEUED_EVENTS = 2000;
/** Socket bytes not yet written; beyond this the link stops sending until the socket drains. */
const MAX_UNWRITTEN_BYTES = 4 * 1024 * 1024;
const MAX_EVENTS_PER_BATCH = 200;
const HELLO_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BODY_CHARS = 256 * 1024;

// ---------------------------------------------------------------- wire forms
// The one place the gateway's traffic and status records become control-protocol messages.

function serializeBody(message: unknown, maxChars: number): { text: string; truncated: boolean } {
  const text = JSON.stringify(message);
  return text.length > maxChars ? { text: text.slice(0, maxChars), truncated: true } : { text, truncated: false };
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
    ...(status.sandboxed ? { sandboxed: true } : {}),
  };
}

/** Arguments whose JSON is longer are not sent to VS Code (the prompt says how long they were). */
const MAX_APPROVAL_ARGUMENT_CHARS = 1_000_000;

function approvalParams(question: ApprovalQuestion): AskApprovalParams {
  const params: AskApprovalParams = { server: question.server, tool: question.tool, reason: question.reason, timeoutMs: question.timeoutMs, offerSession: question.offerSession };
  let length: number;
  try {
    length = JSON.stringify(question.arguments ?? null).length;
  } catch {
    length = Number.POSITIVE_INFINITY;
  }
  if (length <= MAX_APPROVAL_ARGUMENT_CHARS) params.arguments = question.arguments;
  else params.argumentsOmitted = Number.isFinite(length) ? length : -1;
  return params;
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
  /** Handlers of extension requests added by other parts of the gateway (sign-in), installed on every connection. */
  private readonly handlerInstallers: ((connection: MessageConnection) => void)[] = [];

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

  /** Adds handlers of extension requests or notifications: installed on the current connection and every later one. */
  addHandlers(install: (connection: MessageConnection) => void): void {
    this.handlerInstallers.push(install);
    if (this.connection !== undefined) install(this.connection);
  }

  /**
   * Sends a request to the extension, waiting up to `waitMs` for the link to (re)connect first:
   * for what only the extension has (its SecretStorage), so the caller cannot do without it.
   */
  async request<P, R>(type: RequestType<P, R, void>, params: P, waitMs: number): Promise<R> {
    if (this.connection === undefined && !this.disposed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        timer.unref();
        const subscription = this.onDidChangeConnection((connected) => connected && done());
        function done(): void {
          clearTimeout(timer);
          subscription.dispose();
          resolve();
        }
      });
    }
    const connection = this.connection;
    if (connection === undefined) throw new Error(`the VS Code extension that started this gateway did not answer within ${Math.round(waitMs / 1000)} s`);
    return connection.sendRequest<R>(type.method, params);
  }

  /** Sends a notification when connected (dropped otherwise: the caller resends what matters on reconnect). */
  notify(method: string, params: object): void {
    this.send(method, params);
  }

  /** Mirrors a diagnostic line to the extension's log channel when connected (dropped otherwise). */
  log(level: LogParams['level'], message: string): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.sendNotification(LogNotification.type, { level, message }).catch(() => undefined);
  }

  /**
   * Asks the extension's user to approve a tool call; undefined when not connected (then someone
   * else must be asked). Aborting `signal` cancels the question in VS Code. An answer that is not
   * one of the three decisions, or a broken link, allows nothing.
   */
  askApproval(question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalAnswer> | undefined {
    const connection = this.connection;
    if (connection === undefined) return undefined;
    const source = new CancellationTokenSource();
    const cancel = (): void => source.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    return connection.sendRequest(AskApprovalRequest.type, approvalParams(question), source.token).then(
      (result): ApprovalAnswer => {
        // An answer to a withdrawn question allows nothing, whatever it says.
        if (signal.aborted) return { decision: 'cancelled', by: 'vscode', detail: 'answered after the question was withdrawn' };
        const decision: unknown = (result as { decision?: unknown } | null)?.decision;
        if (decision === 'deny' || decision === 'allow_once' || (decision === 'allow_session' && question.offerSession)) return { decision, by: 'vscode' };
        return { decision: 'invalid', by: 'vscode', detail: `VS Code answered ${String(JSON.stringify(decision)).slice(0, 50)}` };
      },
      (error: unknown): ApprovalAnswer => ({ decision: signal.aborted ? 'cancelled' : 'failed', by: 'vscode', detail: error instanceof Error ? error.message : String(error) }),
    ).finally(() => {
      signal.removeEventListener('abort', cancel);
      source.dispose();
    });
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
    for (const install of this.handlerInstallers) install(connection);
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
