// One upstream MCP server: its child process, its handshake, the requests in flight to it, and
// restarting it with back-off when it crashes.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { NdjsonMessageReader, NdjsonMessageWriter, rawTextOf, type RawText, type Received } from './transport/ndjson';
import { spawnTarget } from './spawn-command';
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

export type UpstreamState = 'idle' | 'starting' | 'running' | 'crashed' | 'restarting' | 'failed' | 'stopped';

/** What an upstream needs from its configuration. */
export interface UpstreamSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly restartOnFailure: boolean;
  readonly maxRestartAttempts: number;
  /** Milliseconds to wait for the process to answer `initialize`. */
  readonly connectionTimeoutMs: number;
  /** Milliseconds before an unanswered request is failed and cancelled. */
  readonly requestTimeoutMs: number;
  readonly maxLineBytes: number;
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

/** Smallest backlog (characters accepted but not yet written to a peer) at which the gateway stops feeding it. */
const MIN_BACKLOG_LIMIT = 16 * 1024 * 1024;

/**
 * How much may wait for a peer that stopped reading before the gateway stops feeding it: twice the
 * largest message (so one legitimately big message never trips it), at least 16 MiB.
 */
export function backlogLimit(maxLineBytes: number): number {
  return Math.max(MIN_BACKLOG_LIMIT, 2 * maxLineBytes);
}

/** JSON.stringify's failures (too deep: RangeError; BigInt, cycles: TypeError), as opposed to stream errors. */
export function isUnserializable(err: unknown): boolean {
  return err instanceof RangeError || err instanceof TypeError;
}

/** Grace periods of the shutdown sequence: end stdin, then SIGTERM, then SIGKILL. */
const STDIN_GRACE_MS = 1500;
const SIGTERM_GRACE_MS = 1500;
/** A process that stayed up this long counts as healthy again: its restart budget is renewed. */
const HEALTHY_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 8_000;

/** Raised for requests that cannot be sent (server down, stopping). */
export function unavailable(id: JsonRpcId, server: string, why: string): JsonRpcResponse {
  return makeError(id, ErrorCode.UpstreamUnavailable, `Upstream '${server}' ${why}`, { server });
}

export class Upstream extends EventEmitter<UpstreamEvents> {
  private child: ChildProcess | undefined;
  private writer: NdjsonMessageWriter | undefined;
  private readonly pending = new Map<JsonRpcId, PendingRequest>();
  /** Calls waiting for the server to be running again, by the upstream id they will be sent under. */
  private readonly held = new Map<number, HeldRequest>();
  /** Set while a restart attempt spawns the server and shakes hands (its state may pass through `crashed`). */
  private restartUnderWay = false;
  private nextId = 1;
  private restartAttempts = 0;
  private handshake: ClientHandshake | undefined;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private stateValue: UpstreamState = 'idle';
  /** Set while the client is not reading our output: the server's stdout is not read either. */
  private outputPaused = false;
  /** Whether the current stall (server not reading its stdin) was logged already. */
  private stallLogged = false;
  private lastErrorValue: string | undefined;
  /** The server's answer to `initialize` (capabilities, instructions, serverInfo). */
  initializeResult: Record<string, unknown> | undefined;

  constructor(
    readonly spec: UpstreamSpec,
    private readonly log: (line: string) => void,
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
   * Starts the process now, before the client's `initialize` is known, so its start-up overlaps
   * with the client's; the handshake is sent by `connect`.
   */
  spawnEarly(): void {
    if (!this.child && !this.stopping) this.spawnProcess();
  }

  /** Spawns (if needed) and performs the MCP handshake with the client's version and capabilities. */
  async connect(handshake: ClientHandshake): Promise<void> {
    this.handshake = handshake;
    this.setState('starting');
    if (!this.child) this.spawnProcess();
    await this.performHandshake();
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
      const timeoutMs = this.spec.requestTimeoutMs;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              if (!this.held.delete(id)) return;
              resolve({ message: makeError(id, ErrorCode.UpstreamUnavailable, `Upstream '${this.name}' was not back within ${timeoutMs / 1000}s to answer '${method}' (${this.stateValue})`, { server: this.name, reason: 'timeout' }) });
            }, timeoutMs)
          : undefined;
      this.held.set(id, { method, params, resolve, timer, heldAt: performance.now() });
      // Known to the caller now, so a cancellation can withdraw it before it is sent.
      onSent?.(id);
    });
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
      return Promise.resolve({ message: unavailable(id, this.name, `is not reading its input (${megabytes(this.writer!.backlog)} MiB waiting)`) });
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
    if (!this.writer) return fail(ErrorCode.UpstreamUnavailable, 'its input is closed');
    this.writer.send(message, (err) => {
      if (!err) return;
      this.log(`[${this.name}] write failed: ${errorText(err)}`);
      fail(isUnserializable(err) ? ErrorCode.InternalError : ErrorCode.UpstreamUnavailable, errorText(err));
    });
  }

  /**
   * Sends a notification or a response to the server. Dropped (with a log line) when it is down or
   * has stopped reading; a response that cannot be serialized is replaced by an error, since the
   * server waits for it.
   */
  send(message: JsonRpcMessage): void {
    const writer = this.writer;
    if (!writer || this.stalled()) return;
    writer.send(message, (err) => {
      if (!err) return;
      this.log(`[${this.name}] write failed: ${errorText(err)}`);
      if (isUnserializable(err) && !('method' in message) && message.id !== null) {
        this.send(makeError(message.id, ErrorCode.InternalError, `Gatekit could not relay the answer: ${errorText(err)}`));
      }
    });
  }

  /** Whether the server has stopped reading its stdin and its backlog passed the limit (logged once per stall). */
  private stalled(): boolean {
    const writer = this.writer;
    if (!writer || writer.backlog <= backlogLimit(this.spec.maxLineBytes)) {
      this.stallLogged = false;
      return false;
    }
    if (!this.stallLogged) {
      this.stallLogged = true;
      this.log(`[${this.name}] is not reading its input (${megabytes(writer.backlog)} MiB waiting): failing requests to it until it catches up`);
    }
    return true;
  }

  /** Stops reading the server's stdout while the client is not reading ours: its pipe fills and it waits. */
  pauseOutput(): void {
    this.outputPaused = true;
    this.child?.stdout?.pause();
  }

  resumeOutput(): void {
    this.outputPaused = false;
    this.child?.stdout?.resume();
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

  /** Ends the process: stdin end, then SIGTERM, then SIGKILL; resolves when it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    const child = this.child;
    this.failPending('is shutting down');
    if (!child) {
      this.setState('stopped');
      return;
    }
    const exited = this.exited;
    // A paused stdout never ends, and 'close' (which `exited` waits for) needs its end.
    child.stdout?.resume();
    this.writer?.end();
    if (await settlesWithin(exited, STDIN_GRACE_MS)) return;
    signalTree(child, 'SIGTERM');
    if (await settlesWithin(exited, SIGTERM_GRACE_MS)) return;
    signalTree(child, 'SIGKILL');
    await exited;
  }

  private spawnProcess(): void {
    const [command, ...args] = this.spec.command;
    if (!command) throw new Error(`Upstream '${this.name}' has an empty command`);
    let child: ChildProcess;
    try {
      const env = { ...inheritableEnvironment(process.env), ...this.spec.env };
      // Never a shell; a Windows batch file (npx.cmd) goes through cmd.exe with escaped arguments.
      const target = spawnTarget(command, args, { platform: process.platform, env, ...(this.spec.cwd ? { cwd: this.spec.cwd } : {}) });
      child = spawn(target.file, target.args, {
        cwd: this.spec.cwd,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
        windowsVerbatimArguments: target.windowsVerbatimArguments,
        // Its own process group, so the whole tree (npx → node …) can be signalled at shutdown.
        detached: process.platform !== 'win32',
      });
    } catch (err) {
      this.lastErrorValue = `could not start '${command}': ${errorText(err)}`;
      throw new Error(this.lastErrorValue);
    }
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    // A command that cannot be run (ENOENT, EACCES) emits 'error' and never 'exit'.
    child.once('error', (err) => this.onExit(child, `could not start '${command}': ${err.message}`));
    child.once('exit', (code, signal) => this.onExit(child, describeExit(code, signal)));
    child.stdin!.on('error', () => undefined); // EPIPE after a crash is reported by 'exit'

    const reader = new NdjsonMessageReader(child.stdout!, { maxLineBytes: this.spec.maxLineBytes });
    reader.onInvalidLine((info) => {
      // A cut-off or malformed message may carry content no security plugin has seen: show banners only.
      const preview = /^\s*[[{]/.test(info.preview) ? '(looks like a damaged JSON message; content not shown)' : info.preview;
      this.log(`[${this.name}] dropped a non-protocol line on stdout (${info.reason}, ${info.bytes} bytes): ${preview}`);
    });
    reader.onError((err) => this.log(`[${this.name}] stdout error: ${errorText(err)}`));
    reader.listen((value, _line, bytes) => this.onMessage(value, bytes));
    if (this.outputPaused) child.stdout!.pause();
    this.writer = new NdjsonMessageWriter(child.stdin!);
    this.writer.onError(() => undefined);
    forwardStderr(child, this.name, this.log);
  }

  private async performHandshake(): Promise<void> {
    const handshake = this.handshake!;
    const { message: response } = await this.request('initialize', {
      protocolVersion: handshake.protocolVersion,
      capabilities: handshake.capabilities,
      clientInfo: handshake.clientInfo,
    });
    if ('error' in response) {
      // The server's own words may carry secrets or instructions: reports quote only its error code.
      const why = `initialize failed: ${describeError(response.error)}`;
      this.lastErrorValue = why;
      this.setState('failed', why);
      this.killQuietly();
      throw new Error(why);
    }
    this.initializeResult = response.result;
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    this.setState('running');
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    this.healthyTimer = setTimeout(() => (this.restartAttempts = 0), HEALTHY_AFTER_MS);
    this.healthyTimer.unref();
  }

  private onMessage(value: unknown, bytes: Buffer | undefined): void {
    const classified = classifyMessage(value);
    switch (classified.kind) {
      case 'response': {
        const { id } = classified.message;
        // Forwarded unchanged but for its id, a large answer is written from these bytes instead of
        // being serialized again (the reader hands over bytes only for lines worth it), but only when
        // they hold exactly the message that was classified and will be scanned: no member left out.
        const raw = bytes && classified.exact ? rawTextOf(bytes) : undefined;
        const pending = id === null ? undefined : this.pending.get(id);
        if (!pending || id === null) {
          this.log(`[${this.name}] dropped a response to unknown request id ${quotedId(id)}`);
          return;
        }
        this.pending.delete(id);
        if (pending.timer) clearTimeout(pending.timer);
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

  private onExit(child: ChildProcess, why: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.writer = undefined;
    if (this.healthyTimer) clearTimeout(this.healthyTimer);
    if (this.stopping) {
      this.setState('stopped');
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

  private scheduleRestart(): void {
    const attempt = ++this.restartAttempts;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 1));
    this.setState('restarting', `attempt ${attempt}/${this.spec.maxRestartAttempts} in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restartUnderWay = true;
      try {
        this.spawnProcess();
      } catch (err) {
        this.restartUnderWay = false;
        this.onRestartFailed(errorText(err));
        return;
      }
      this.performHandshake().then(
        () => {
          this.restartUnderWay = false;
          this.emit('restarted');
        },
        (err: unknown) => {
          this.restartUnderWay = false;
          this.onRestartFailed(errorText(err));
        },
      );
    }, delay);
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

  private killQuietly(): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.writer = undefined;
    signalTree(child, 'SIGKILL');
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

/**
 * The gateway's environment minus its own variables: `GATEKIT_*` carries the control link's socket
 * and token and the whole configuration (every server's `env`, tokens included), none of which a
 * server may see. A server's own `env` from the configuration is added on top by the caller.
 * Windows names are case-insensitive, so the prefix is compared in upper case.
 */
export function inheritableEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.toUpperCase().startsWith(GATEKIT_ENV_PREFIX)) out[key] = value;
  }
  return out;
}

const GATEKIT_ENV_PREFIX = 'GATEKIT_';

/** A peer's id for a log line: JSON (no raw newlines), cut short. */
function quotedId(id: unknown): string {
  const text = String(JSON.stringify(id));
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function megabytes(chars: number): string {
  return (chars / (1024 * 1024)).toFixed(1);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Signals the child's process group (its whole tree) on POSIX, the child itself elsewhere. */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, signal);
    else if (signal === 'SIGKILL') killWindowsTree(child.pid);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Windows has no process groups: taskkill /T ends the tree (cmd.exe → npx → node) that child.kill would orphan. */
function killWindowsTree(pid: number): void {
  const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true, shell: false });
  killer.once('error', () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Copies the server's stderr to ours, line by line, prefixed with its name. */
function forwardStderr(child: ChildProcess, name: string, log: (line: string) => void): void {
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > 8192) {
      lines.push(partial);
      partial = '';
    }
    for (const line of lines) if (line.trim()) log(`[${name}] ${line.replace(/\r$/, '')}`);
  });
  child.stderr!.on('end', () => {
    if (partial.trim()) log(`[${name}] ${partial}`);
  });
}
