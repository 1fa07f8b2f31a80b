// One upstream MCP server, whatever transport reaches it: its handshake, the requests in flight to
// it (ids, timeouts, cancellation: correlation lives here and nowhere else), calls held while it
// restarts, and restarting it with back-off when its connection ends.
import { EventEmitter } from 'node:events';
import { backlogLimit, isUndelivered, isUnserializable, type CloseReason, type UpstreamTransport, type UpstreamTransportFactory } from './transport/transport';
import type { StdioServerSpec } from './transport/stdio-upstream';
import type { HttpServerSpec } from './transport/http-upstream';
import type { RawText, Received } from '../shared/received';
import {
  classifyMessage,
  describeError,
  ErrorCode,
  isRecord,
  makeError,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../shared/jsonrpc';

import type { ServerState as UpstreamState } from '../shared/vocabulary';
export type { UpstreamState };

/** What an upstream needs from its configuration: how to reach it (a process or a URL), and its policy. */
export type UpstreamSpec = (StdioServerSpec | HttpServerSpec) & UpstreamPolicy;

export interface UpstreamPolicy {
  readonly restartOnFailure: boolean;
  readonly maxRestartAttempts: number;
  /** Milliseconds to wait for the process to answer `initialize`. */
  readonly connectionTimeoutMs: number;
  /** Milliseconds before an unanswered request is failed and cancelled. */
  readonly requestTimeoutMs: number;
  /** The name the server must report in its handshake (`serverInfo.name`); another name fails it. */
  readonly serverIdentity?: string;
}

/** The parts of the client's `initialize` that every upstream handshake carries. */
export interface ClientHandshake {
  readonly protocolVersion: string;
  readonly capabilities: Record<string, unknown>;
  readonly clientInfo: Record<string, unknown>;
}

export interface UpstreamEvents {
  /** A notification from the server. */
  notification: [JsonRpcNotification];
  /** A request from the server to the client (sampling, elicitation, roots, ping). */
  request: [JsonRpcRequest];
  /** The state changed (for status displays and `list_changed` after a restart). */
  state: [UpstreamState, string | undefined];
  /** The server's handshake completed again after a restart. */
  restarted: [];
}

interface PendingRequest {
  /** `raw`: the answer's line as read, when it may be written on as it came. */
  readonly resolve: (response: JsonRpcResponse, raw?: RawText) => void;
  readonly timer: NodeJS.Timeout | undefined;
  readonly method: string;
}

/** A call made while the server is on its way back up, sent once it is running. */
interface HeldRequest {
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  readonly resolve: (response: Received<JsonRpcResponse>) => void;
  readonly timer: NodeJS.Timeout | undefined;
  readonly heldAt: number;
}

/** Calls held for one server while it restarts; beyond, more fail at once (a client cannot grow the list without bound). */
const MAX_HELD_REQUESTS = 1000;

/** A connection that stayed up this long counts as healthy again: its restart budget is renewed. */
const HEALTHY_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 8_000;
/** Sessions a remote server may end in a row (no answer in between) before that counts as a crash. */
const MAX_SESSION_RENEWALS = 3;

/** Raised for requests that cannot be sent (server down, stopping). */
export function unavailable(id: JsonRpcId, server: string, why: string): JsonRpcResponse {
  return makeError(id, ErrorCode.UpstreamUnavailable, `Upstream '${server}' ${why}`, { server });
}

export class Upstream extends EventEmitter<UpstreamEvents> {
  /** The current connection, from the moment it is being opened until it ends. */
  private transport: UpstreamTransport | undefined;
  /** Settles when the current connection is open (or could not be opened). */
  private opening: Promise<void> | undefined;
  private readonly pending = new Map<JsonRpcId, PendingRequest>();
  /** Calls waiting for the server to be running again, by the upstream id they will be sent under. */
  private readonly held = new Map<number, HeldRequest>();
  /** Set while a restart attempt spawns the server and shakes hands (its state may pass through `crashed`). */
  private restartUnderWay = false;
  private nextId = 1;
  private restartAttempts = 0;
  /** Sessions renewed since the last answer (see MAX_SESSION_RENEWALS). */
  private sessionRenewals = 0;
  private handshake: ClientHandshake | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private stateValue: UpstreamState = 'idle';
  /** Set while the client is not reading our output: the server's messages are not read either. */
  private outputPaused = false;
  /** Whether the current stall (server not reading its stdin) was logged already. */
  private stallLogged = false;
  private lastErrorValue: string | undefined;
  /** The server's answer to `initialize` (capabilities, instructions, serverInfo). */
  initializeResult: Record<string, unknown> | undefined;

  /** @param openTransport makes a fresh connection to the server (first start and every restart) */
  constructor(
    readonly spec: UpstreamSpec,
    private readonly log: (line: string) => void,
    private readonly openTransport: UpstreamTransportFactory,
  ) {
    super();
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): UpstreamState {
    return this.stateValue;
  }

  get lastError(): string | undefined {
    return this.lastErrorValue;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Opens the connection now (for stdio: spawns the process), before the client's `initialize` is
   * known, so the server's start-up overlaps with the client's; the handshake is sent by `connect`.
   * A connection that cannot be opened is logged here and tried again by `connect`.
   */
  openEarly(): void {
    if (this.transport || this.stopping) return;
    const report = (err: unknown): void => this.log(`[${this.name}] ${errorText(err)}`);
    try {
      void this.open().catch(report);
    } catch (err) {
      report(err);
    }
  }

  /** Opens the connection (if needed) and performs the MCP handshake with the client's version and capabilities. */
  async connect(handshake: ClientHandshake): Promise<void> {
    this.handshake = handshake;
    this.setState('starting');
    await this.performHandshake(this.transport && this.opening ? this.opening : this.open());
  }

  /**
   * Makes and opens a new connection. It is current from this moment, so an end reported before
   * `connect` settles is handled like any other. Throws (a connection that cannot even be attempted)
   * or rejects (one that failed) with the reason, which is kept as `lastError`.
   */
  private open(): Promise<void> {
    const transport = this.openTransport();
    this.transport = transport;
    if (this.outputPaused) transport.pauseReceiving();
    const failed = (err: unknown): Error => {
      if (this.transport === transport) this.transport = undefined;
      this.lastErrorValue = errorText(err);
      return err instanceof Error ? err : new Error(this.lastErrorValue);
    };
    let connecting: Promise<void>;
    try {
      connecting = transport.connect({
        message: (received) => this.onMessage(received),
        closed: (reason) => this.onClosed(transport, reason),
      });
    } catch (err) {
      throw failed(err);
    }
    const opening = connecting.catch((err: unknown) => {
      throw failed(err);
    });
    this.opening = opening;
    return opening;
  }

  /**
   * Sends a request under a fresh upstream id and resolves with its response (never rejects:
   * failures become -32004 error responses carrying the returned id). While the server is on its
   * way (back) up the call waits for it, up to `requestTimeoutMs`; it fails at once only when the
   * server is down for good (failed, stopped, or crashed with no restart coming).
   * `onSent` receives the upstream id so the caller can forward cancellations.
   */
  request(method: string, params: Record<string, unknown> | undefined, onSent?: (upstreamId: number) => void): Promise<Received<JsonRpcResponse>> {
    const id = this.nextId++;
    if (this.stateValue !== 'running' && method !== 'initialize') {
      if (this.comingUp()) return this.hold(id, method, params, onSent);
      return Promise.resolve({ message: unavailable(id, this.name, `is ${this.stateValue}${this.lastErrorValue ? `: ${this.lastErrorValue}` : ''}`) });
    }
    const timeoutMs = method === 'initialize' ? this.spec.connectionTimeoutMs : this.spec.requestTimeoutMs;
    return this.sendRequest(id, method, params, timeoutMs, onSent);
  }

  /** Whether the server is starting or restarting: calls wait for it rather than fail. */
  private comingUp(): boolean {
    return !this.stopping && (this.stateValue === 'starting' || this.stateValue === 'restarting' || this.restartUnderWay);
  }

  private hold(id: number, method: string, params: Record<string, unknown> | undefined, onSent?: (upstreamId: number) => void): Promise<Received<JsonRpcResponse>> {
    if (this.held.size >= MAX_HELD_REQUESTS) {
      return Promise.resolve({ message: unavailable(id, this.name, `is ${this.stateValue} and ${MAX_HELD_REQUESTS} calls are already waiting for it`) });
    }
    return new Promise<Received<JsonRpcResponse>>((resolve) => {
      this.holdCall(id, method, params, resolve);
      // Known to the caller now, so a cancellation can withdraw it before it is sent.
      onSent?.(id);
    });
  }

  private holdCall(id: number, method: string, params: Record<string, unknown> | undefined, resolve: (response: Received<JsonRpcResponse>) => void): void {
    const timeoutMs = this.spec.requestTimeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            if (!this.held.delete(id)) return;
            resolve({ message: makeError(id, ErrorCode.UpstreamUnavailable, `Upstream '${this.name}' was not back within ${timeoutMs / 1000}s to answer '${method}' (${this.stateValue})`, { server: this.name, reason: 'timeout' }) });
          }, timeoutMs)
        : undefined;
    this.held.set(id, { method, params, resolve, timer, heldAt: performance.now() });
  }

  /** The server is running again: send what waited, in order, with what is left of each one's time. */
  private sendHeld(): void {
    for (const [id, call] of this.held) {
      this.held.delete(id);
      if (call.timer) clearTimeout(call.timer);
      const left = this.spec.requestTimeoutMs > 0 ? Math.max(1, this.spec.requestTimeoutMs - (performance.now() - call.heldAt)) : 0;
      void this.sendRequest(id, call.method, call.params, left).then(call.resolve);
    }
  }

  private failHeld(why: string): void {
    for (const [id, call] of this.held) {
      if (call.timer) clearTimeout(call.timer);
      call.resolve({ message: unavailable(id, this.name, why) });
    }
    this.held.clear();
  }

  private sendRequest(id: number, method: string, params: Record<string, unknown> | undefined, timeoutMs: number, onSent?: (upstreamId: number) => void): Promise<Received<JsonRpcResponse>> {
    if (this.stalled()) {
      // Queuing more for a server that stopped reading would grow without bound: fail fast instead.
      return Promise.resolve({ message: unavailable(id, this.name, `is not reading its input (${megabytes(this.transport!.backlog)} MiB waiting)`) });
    }
    const message: JsonRpcRequest = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
    return new Promise<Received<JsonRpcResponse>>((settle) => {
      const resolve = (response: JsonRpcResponse, raw?: RawText): void => settle(raw === undefined ? { message: response } : { message: response, raw });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              if (!this.pending.delete(id)) return;
              this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'Request timed out in Gatekit' } });
              resolve(makeError(id, ErrorCode.UpstreamUnavailable, `Upstream '${this.name}' did not answer '${method}' within ${timeoutMs / 1000}s`, { server: this.name, reason: 'timeout' }));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve, timer, method });
      onSent?.(id);
      this.writeRequest(message);
    });
  }

  /** Writes a request; one that cannot be written (does not serialize, broken pipe) is answered at once. */
  private writeRequest(message: JsonRpcRequest): void {
    const fail = (code: number, why: string): void => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (pending.timer) clearTimeout(pending.timer);
      pending.resolve(makeError(message.id, code, `Gatekit could not send '${message.method}' to '${this.name}': ${why}`, { server: this.name }));
    };
    if (!this.transport) return fail(ErrorCode.UpstreamUnavailable, 'its input is closed');
    this.transport.send({ message }, (err) => {
      if (!err) return;
      if (isUndelivered(err) && typeof message.id === 'number') return this.holdUndelivered(message);
      this.log(`[${this.name}] write failed: ${errorText(err)}`);
      fail(isUnserializable(err) ? ErrorCode.InternalError : ErrorCode.UpstreamUnavailable, errorText(err));
    });
  }

  /** A request the server never saw (it lost our session): held and sent again on the next connection. */
  private holdUndelivered(message: JsonRpcRequest): void {
    const id = message.id as number;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (pending.timer) clearTimeout(pending.timer);
    this.holdCall(id, message.method, message.params, ({ message: response, raw }) => pending.resolve(response, raw));
  }

  /**
   * Sends a notification or a response to the server. Dropped (with a log line) when it is down or
   * has stopped reading; a response that cannot be serialized is replaced by an error, since the
   * server waits for it.
   */
  send(message: JsonRpcMessage, raw?: RawText): void {
    const transport = this.transport;
    if (!transport || this.stalled()) return;
    const outgoing: Received<JsonRpcMessage> = raw ? { message, raw } : { message };
    transport.send(outgoing, (err) => {
      if (!err) return;
      this.log(`[${this.name}] write failed: ${errorText(err)}`);
      if (isUnserializable(err) && !('method' in message) && message.id !== null) {
        this.send(makeError(message.id, ErrorCode.InternalError, `Gatekit could not relay the answer: ${errorText(err)}`));
      }
    });
  }

  /** Whether the server has stopped reading its input and its backlog passed the limit (logged once per stall). */
  private stalled(): boolean {
    const transport = this.transport;
    if (!transport || transport.backlog <= backlogLimit(this.spec.maxLineBytes)) {
      this.stallLogged = false;
      return false;
    }
    if (!this.stallLogged) {
      this.stallLogged = true;
      this.log(`[${this.name}] is not reading its input (${megabytes(transport.backlog)} MiB waiting): failing requests to it until it catches up`);
    }
    return true;
  }

  /** Stops reading the server's messages while the client is not reading ours: the server's output fills and it waits. */
  pauseOutput(): void {
    this.outputPaused = true;
    this.transport?.pauseReceiving();
  }

  resumeOutput(): void {
    this.outputPaused = false;
    this.transport?.resumeReceiving();
  }

  /** Cancels a request this gateway sent, as the client asked: tell the server and stop waiting. */
  cancel(upstreamId: number, reason?: string): void {
    const held = this.held.get(upstreamId);
    if (held) {
      // Never sent: the server need not hear of it.
      this.held.delete(upstreamId);
      if (held.timer) clearTimeout(held.timer);
      return;
    }
    const pending = this.pending.get(upstreamId);
    if (!pending) return;
    this.pending.delete(upstreamId);
    if (pending.timer) clearTimeout(pending.timer);
    this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: reason === undefined ? { requestId: upstreamId } : { requestId: upstreamId, reason } });
  }

  /**
   * Stops the process and starts it again with the same handshake (Restart Gateway, a changed
   * config); the client stays connected. Resolves when it is up again or has failed.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.restartAttempts = 0;
    if (!this.handshake) return;
    await this.connect(this.handshake);
    this.emit('restarted');
  }

  /** Ends the connection (for stdio: stdin end, then SIGTERM, then SIGKILL); resolves when it is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    const transport = this.transport;
    this.failPending('is shutting down');
    if (!transport) {
      this.setState('stopped');
      return;
    }
    await transport.close();
  }

  /** Shakes hands over the connection `opening` opens; rejects when it cannot be opened or the server refuses. */
  private async performHandshake(opening: Promise<void>): Promise<void> {
    const handshake = this.handshake!;
    // Sent now rather than once `opening` settles (the transport queues it): a connection that ends
    // meanwhile, such as a command that does not exist, then fails it with the reason it ended.
    let initializeId: number | undefined;
    const answer = this.request(
      'initialize',
      { protocolVersion: handshake.protocolVersion, capabilities: handshake.capabilities, clientInfo: handshake.clientInfo },
      (id) => (initializeId = id),
    );
    try {
      await opening;
    } catch (err) {
      // Nothing will answer it: stop waiting (and its timer) now.
      if (initializeId !== undefined) this.cancel(initializeId);
      throw err;
    }
    const { message: response } = await answer;
    // The server's own words may carry secrets or instructions: reports quote only its error code.
    const refused = 'error' in response ? `initialize failed: ${describeError(response.error)}` : this.identityProblem(response.result);
    if (refused !== undefined) {
      this.lastErrorValue = refused;
      this.setState('failed', refused);
      this.killQuietly();
      throw new Error(refused);
    }
    this.initializeResult = 'result' in response ? response.result : undefined;
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    this.setState('running');
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = setTimeout(() => (this.restartAttempts = 0), HEALTHY_AFTER_MS);
    this.healthyTimer.unref();
  }

  /** Why the handshake's `serverInfo.name` is not the configured `server_identity`, or undefined when it is (or none is set). */
  private identityProblem(result: Record<string, unknown>): string | undefined {
    const expected = this.spec.serverIdentity;
    if (expected === undefined) return undefined;
    const reported = isRecord(result['serverInfo']) ? result['serverInfo']['name'] : undefined;
    if (reported === expected) return undefined;
    // The reported name is the server's words: logged (escaped, cut short), never in the state shown to clients.
    this.log(`[${this.name}] reports server name ${typeof reported === 'string' ? JSON.stringify(reported.slice(0, 80)) : '(none)'}`);
    return `refused: the server does not report the name '${expected}' set in server_identity`;
  }

  private onMessage(received: Received): void {
    const value = received.message;
    const classified = classifyMessage(value);
    switch (classified.kind) {
      case 'response': {
        const { id } = classified.message;
        // Forwarded unchanged but for its id, a large answer is written from these bytes instead of
        // being serialized again (the transport hands over bytes only for lines worth it, without
        // duplicate keys), but only when they hold exactly the message that was classified and will
        // be scanned: no member left out.
        const raw = classified.exact ? received.raw : undefined;
        const pending = id === null ? undefined : this.pending.get(id);
        if (!pending || id === null) {
          this.log(`[${this.name}] dropped a response to unknown request id ${quotedId(id)}`);
          return;
        }
        this.pending.delete(id);
        if (pending.timer) clearTimeout(pending.timer);
        this.sessionRenewals = 0;
        pending.resolve(classified.message, raw);
        return;
      }
      case 'request':
        this.emit('request', classified.message);
        return;
      case 'notification':
        this.emit('notification', classified.message);
        return;
      case 'invalid': {
        this.log(`[${this.name}] dropped an invalid message: ${classified.reason}`);
        // An invalid answer to a request we are waiting for fails that request now, in our words,
        // instead of leaving it to time out.
        const id = classified.id;
        const pending = id === null || (isRecord(value) && Object.hasOwn(value, 'method')) ? undefined : this.pending.get(id);
        if (!pending || id === null) return;
        this.pending.delete(id);
        if (pending.timer) clearTimeout(pending.timer);
        pending.resolve(makeError(id, ErrorCode.InternalError, `Upstream '${this.name}' sent an invalid answer to '${pending.method}': ${classified.reason}`, { server: this.name }));
      }
    }
  }

  /** The connection ended: a crash unless we were stopping it; restarted with back-off when it had been running. */
  private onClosed(transport: UpstreamTransport, reason: CloseReason): void {
    if (transport !== this.transport) return;
    this.transport = undefined;
    const why = reason.description;
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    if (this.stopping) {
      this.setState('stopped');
      return;
    }
    if (reason.kind === 'session_expired' && this.stateValue === 'running' && this.handshake && this.sessionRenewals < MAX_SESSION_RENEWALS) {
      this.renewSession(why);
      return;
    }
    this.lastErrorValue = why;
    this.failPending(`crashed (${why})`);
    const wasRunning = this.stateValue === 'running';
    this.setState('crashed', why);
    this.log(`[${this.name}] exited: ${why}`);
    if (!wasRunning || !this.handshake) return; // never came up: connect() reports the failure
    if (!this.spec.restartOnFailure || this.restartAttempts >= this.spec.maxRestartAttempts) {
      this.setState('failed', `${why}; not restarted (${this.restartAttempts}/${this.spec.maxRestartAttempts} restarts used)`);
      return;
    }
    this.scheduleRestart();
  }

  /**
   * The server forgot our session (a remote server restarted or expired it): a new connection with
   * a new handshake, at once, not counted as a crash. Requests it never saw are sent again on the
   * new session; those it had taken are failed, since it may have acted on them.
   */
  private renewSession(why: string): void {
    this.sessionRenewals++;
    this.log(`[${this.name}] ${why}: opening a new session`);
    this.failPending(`lost its session while this call was in flight (${why}); the server may or may not have carried it out`);
    this.setState('restarting', 'opening a new session');
    this.reconnect();
  }

  private scheduleRestart(): void {
    const attempt = ++this.restartAttempts;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 1));
    this.setState('restarting', `attempt ${attempt}/${this.spec.maxRestartAttempts} in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      if (!this.stopping) this.reconnect();
    }, delay);
  }

  /** Opens a new connection and shakes hands again (a restart, a renewed session). */
  private reconnect(): void {
    this.restartUnderWay = true;
    let opening: Promise<void>;
    try {
      opening = this.open();
    } catch (err) {
      this.restartUnderWay = false;
      this.onRestartFailed(errorText(err));
      return;
    }
    void this.performHandshake(opening).then(
      () => {
        this.restartUnderWay = false;
        this.emit('restarted');
      },
      (err: unknown) => {
        this.restartUnderWay = false;
        this.onRestartFailed(errorText(err));
      },
    );
  }

  private onRestartFailed(why: string): void {
    this.log(`[${this.name}] restart failed: ${why}`);
    if (this.stopping) return;
    if (this.restartAttempts < this.spec.maxRestartAttempts) {
      this.killQuietly();
      this.scheduleRestart();
    } else {
      this.setState('failed', why);
    }
  }

  /** Drops the connection at once, hearing nothing more from it. */
  private killQuietly(): void {
    const transport = this.transport;
    if (!transport) return;
    this.transport = undefined;
    transport.abort();
  }

  private failPending(why: string): void {
    for (const [id, pending] of this.pending) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.resolve(unavailable(id, this.name, why));
    }
    this.pending.clear();
  }

  private setState(state: UpstreamState, detail?: string): void {
    this.stateValue = state;
    if (state === 'running') this.sendHeld();
    else if (!this.comingUp()) this.failHeld(`is ${state}${detail ? `: ${detail}` : ''}`);
    this.emit('state', state, detail);
  }
}

/** A peer's id for a log line: JSON (no raw newlines), cut short. */
function quotedId(id: unknown): string {
  const text = String(JSON.stringify(id));
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function megabytes(chars: number): string {
  return (chars / (1024 * 1024)).toFixed(1);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
