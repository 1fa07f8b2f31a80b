// One connection (one MCP session) to a remote server, behind our UpstreamTransport seam, over the
// official SDK's client transports: StreamableHTTPClientTransport (POST with JSON or SSE answers,
// the GET stream, Mcp-Session-Id, MCP-Protocol-Version, DELETE on close) and, for servers that
// refuse it, the legacy SSEClientTransport. Ids, timeouts, restarts and the handshake stay with the
// Upstream that owns it, as for stdio. Bundled into the http chunk only.
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { isUnserializable, UndeliveredError, type CloseReason, type Received, type SendCallback, type UpstreamReceiver, type UpstreamTransport } from './transport';
import { remoteFetch, RemoteFetchError, type CertificatePins } from './http-fetch';
import { ModernHttpWire } from './http-modern';
import { ReadGate } from './http-backpressure';
import type { HttpServerSpec, HttpTransportOptions } from './http-spec';
import type { JsonRpcMessage } from '../../shared/jsonrpc';

export interface HttpConnectionOptions extends HttpTransportOptions {
  readonly pins: CertificatePins;
}

/** Statuses with which a server refuses a Streamable HTTP `initialize`: then it may speak only HTTP+SSE (spec, backwards compatibility). */
const LEGACY_FALLBACK_STATUSES = new Set([400, 404, 405]);
/** How long a polite close waits for the server to answer our DELETE. */
const TERMINATE_GRACE_MS = 1500;
/** Messages kept while the client is not reading ours (HTTP has no pipe to fill): beyond, the connection is dropped. */
const MAX_BUFFERED_WHILE_PAUSED = 10_000;

export class HttpUpstreamConnection implements UpstreamTransport {
  private receiver: UpstreamReceiver | undefined;
  private sdk: Transport | undefined;
  private streamable: StreamableHTTPClientTransport | undefined;
  private readonly fetcher: ReturnType<typeof remoteFetch>;
  /** Sends wait for this: the first `initialize` decides between Streamable HTTP and HTTP+SSE. */
  private ready: Promise<void> = Promise.resolve();
  private initializeId: unknown;
  private backlogChars = 0;
  private paused = false;
  private buffered: Received[] = [];
  private receivedAny = false;
  private ended = false;
  /** Sends not yet settled: a lost session found by the GET stream waits for them (see streamError). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Errors a failed send already handled: the SDK reports each one to onerror as well. */
  private readonly handled = new WeakSet<object>();
  /** What MCP 2026-07-28 asks of the wire, for the requests the era decorator sends a modern server. */
  private readonly modern: ModernHttpWire;
  /** Closed while the client is not reading: the server's event streams are not read either. */
  private readonly gate = new ReadGate();

  constructor(
    private readonly spec: HttpServerSpec,
    private readonly log: (line: string) => void,
    private readonly options: HttpConnectionOptions,
  ) {
    const fetcher = remoteFetch({ server: spec.name, tlsVerify: spec.tlsVerify, pins: options.pins });
    // Gatekit's OAuth provider watches for insufficient_scope challenges (step-up) on the way.
    const auth = options.authProvider as { observeChallenges?: (fetch: FetchLike) => FetchLike } | undefined;
    const observed = auth?.observeChallenges ? auth.observeChallenges(fetcher.fetch) : fetcher.fetch;
    this.modern = new ModernHttpWire(this.gate.wrap(observed), (line) => log(`[${spec.name}] ${line}`));
    this.fetcher = { ...fetcher, fetch: this.modern.fetch };
  }

  async connect(receiver: UpstreamReceiver): Promise<void> {
    if (this.receiver) throw new Error(`The connection to '${this.spec.name}' was opened already`);
    this.receiver = receiver;
    if (this.spec.transport === 'sse') {
      // Sends wait for the event stream's `endpoint` event; a failure to open it ends the connection.
      this.ready = this.openLegacy();
      this.ready.catch(() => undefined);
      return;
    }
    this.streamable = new StreamableHTTPClientTransport(new URL(this.spec.url), {
      fetch: this.fetcher.fetch,
      requestInit: { headers: { ...this.spec.headers } },
      ...(this.options.authProvider ? { authProvider: this.options.authProvider } : {}),
      // The GET stream is re-opened twice, quickly; after that the connection counts as lost and
      // the Upstream reconnects with its own back-off (a new session).
      reconnectionOptions: { initialReconnectionDelay: 500, maxReconnectionDelay: 2000, reconnectionDelayGrowFactor: 2, maxRetries: 2 },
    });
    this.attach(this.streamable);
    await this.streamable.start();
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    const message = outgoing.message;
    let size: number;
    try {
      size = JSON.stringify(message).length;
    } catch (err) {
      if (done) process.nextTick(done, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.ended || !this.receiver) {
      if (done) process.nextTick(done, new Error('the connection is closed'));
      return;
    }
    // A modern request is cancelled by ending its stream (2026-07-28); the server never gets the notification.
    if ('method' in message && message.method === 'notifications/cancelled' && !('id' in message) && this.modern.cancel(message.params?.requestId)) {
      if (done) process.nextTick(done, undefined);
      return;
    }
    const isInitialize = 'method' in message && message.method === 'initialize' && 'id' in message;
    if (isInitialize) this.initializeId = message.id;
    this.backlogChars += size;
    const sending = isInitialize && this.streamable && this.sdk === this.streamable ? this.initialize(message) : this.ready.then(() => this.sdk!.send(message as JSONRPCMessage));
    if (isInitialize) this.ready = sending.catch(() => undefined);
    const settled = sending.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    sending.then(
      () => {
        this.backlogChars -= size;
        done?.(undefined);
      },
      (err: unknown) => {
        this.backlogChars -= size;
        this.sendFailed(err, done);
      },
    );
  }

  get backlog(): number {
    return this.backlogChars;
  }

  /**
   * The client is not reading: event streams stop being read (ReadGate), and the few messages already
   * read are kept here until it reads again.
   */
  pauseReceiving(): void {
    this.paused = true;
    this.gate.close();
  }

  resumeReceiving(): void {
    this.paused = false;
    this.gate.open();
    const waiting = this.buffered;
    this.buffered = [];
    for (const received of waiting) this.receiver?.message(received);
  }

  /** Ends the session (DELETE, as the spec asks; a server that does not answer soon is not waited for). */
  async close(): Promise<void> {
    if (this.ended) return;
    const streamable = this.streamable;
    if (streamable?.sessionId) {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, TERMINATE_GRACE_MS).unref());
      await Promise.race([streamable.terminateSession().catch(() => undefined), timeout]);
    }
    this.end({ kind: 'exited', description: 'the connection was closed' });
  }

  abort(): void {
    this.receiver = undefined;
    this.end(undefined);
  }

  /** Posts `initialize`; a server that refuses Streamable HTTP with 400/404/405 is tried over HTTP+SSE. */
  private async initialize(message: JsonRpcMessage): Promise<void> {
    try {
      await this.streamable!.send(message as JSONRPCMessage);
    } catch (err) {
      if (!(err instanceof StreamableHTTPError) || !LEGACY_FALLBACK_STATUSES.has(err.code ?? 0)) throw err;
      this.handled.add(err);
      this.log(`[${this.spec.name}] the server refused Streamable HTTP (HTTP ${err.code}); trying the legacy HTTP+SSE transport`);
      const streamable = this.streamable!;
      this.streamable = undefined;
      streamable.onclose = undefined;
      streamable.onerror = undefined;
      await streamable.close().catch(() => undefined);
      await this.openLegacy();
      await this.sdk!.send(message as JSONRPCMessage);
    }
  }

  private async openLegacy(): Promise<void> {
    const legacy = new SSEClientTransport(new URL(this.spec.url), {
      fetch: this.fetcher.fetch,
      requestInit: { headers: { ...this.spec.headers } },
      ...(this.options.authProvider ? { authProvider: this.options.authProvider } : {}),
    });
    this.attach(legacy);
    try {
      await legacy.start();
    } catch (err) {
      const why = describeFailure(this.spec.name, err);
      this.end({ kind: 'unreachable', description: why });
      throw new Error(why, { cause: err });
    }
  }

  private attach(sdk: Transport): void {
    this.sdk = sdk;
    sdk.onmessage = (received) => {
      if (this.sdk !== sdk) return;
      this.receivedAny = true;
      const message = this.modern.received(received);
      this.noteProtocolVersion(message);
      this.deliver({ message });
    };
    // The SDK reports a failed POST both here and by rejecting send(): wait until the send's own
    // handling (sendFailed, which may hand the message back as undelivered) has run.
    sdk.onerror = (err) => {
      setImmediate(() => {
        if (this.sdk !== sdk || this.ended || this.handled.has(err)) return;
        this.streamError(err);
      });
    };
    // Our close() and abort() end the connection themselves; the SDK's own close says nothing new.
    sdk.onclose = undefined;
  }

  private deliver(received: Received): void {
    if (!this.paused) {
      this.receiver?.message(received);
      return;
    }
    this.buffered.push(received);
    if (this.buffered.length > MAX_BUFFERED_WHILE_PAUSED) {
      this.end({ kind: 'exited', description: `more than ${MAX_BUFFERED_WHILE_PAUSED} messages arrived while the client was not reading` });
    }
  }

  /** The version agreed in the handshake goes on every later request (MCP-Protocol-Version). */
  private noteProtocolVersion(message: unknown): void {
    if (this.initializeId === undefined || !this.streamable || typeof message !== 'object' || message === null) return;
    const answer = message as { id?: unknown; result?: { protocolVersion?: unknown } };
    if (answer.id !== this.initializeId || typeof answer.result?.protocolVersion !== 'string') return;
    this.initializeId = undefined;
    this.streamable.setProtocolVersion(answer.result.protocolVersion);
  }

  /** A POST failed: a lost session or a lost server ends the connection (the Upstream makes a new one). */
  private sendFailed(err: unknown, done: SendCallback | undefined): void {
    if (typeof err === 'object' && err !== null) this.handled.add(err);
    if (isUnserializable(err) && !(err instanceof StreamableHTTPError)) {
      done?.(err as Error);
      return;
    }
    if (this.sessionExpired(err)) {
      // The server never saw this message: its owner may send it again on the next session.
      done?.(new UndeliveredError(`the server ended the session of '${this.spec.name}'`));
      this.end({ kind: 'session_expired', description: 'the server no longer knows the session (HTTP 404 or 400)' });
      return;
    }
    const why = describeFailure(this.spec.name, err);
    done?.(new Error(why));
    if (err instanceof RemoteFetchError && !(err.cause === undefined)) {
      // Not reachable any more (refused, reset, DNS): the connection is lost.
      this.end({ kind: this.receivedAny ? 'exited' : 'unreachable', description: why });
    }
  }

  /** An error outside a POST: the GET stream, or the legacy event stream. */
  private streamError(err: Error): void {
    if (this.sessionExpired(err)) {
      // POSTs under way will meet the same 404: let them come back first, so those the server
      // never saw are handed back as undelivered (sent again) instead of failed with the session.
      void Promise.allSettled([...this.inFlight]).then(() => this.end({ kind: 'session_expired', description: 'the server no longer knows the session (HTTP 404 or 400)' }));
      return;
    }
    const why = describeFailure(this.spec.name, err);
    // The GET stream could not be re-opened, or the legacy stream broke: the server went away or
    // forgot us, and only a new session (the Upstream's reconnect) can tell which.
    if (/Maximum reconnection attempts|Failed to reconnect/.test(err.message) || err instanceof SseError) {
      this.end({ kind: 'exited', description: `the event stream was lost (${why})` });
      return;
    }
    this.log(`[${this.spec.name}] ${why}`);
  }

  /**
   * The server no longer knows our session. The spec answers an unknown session with 404; servers
   * built on older SDKs (server-everything among them) answer 400 "no valid session ID", and a 400
   * under a session means the same: the request was refused unseen, and only a new session brings the
   * server back (three renewals without an answer in between still count as a crash, so a server that
   * refuses every request cannot loop).
   */
  private sessionExpired(err: unknown): boolean {
    return err instanceof StreamableHTTPError && (err.code === 404 || err.code === 400) && this.streamable?.sessionId !== undefined;
  }

  private end(reason: CloseReason | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const sdk = this.sdk;
    this.sdk = undefined;
    this.buffered = [];
    this.modern.endAll();
    this.gate.open(); // streams waiting at the gate see their cancellation
    if (sdk) {
      sdk.onmessage = undefined;
      sdk.onerror = undefined;
      void sdk.close().catch(() => undefined);
    }
    void this.fetcher.dispose();
    const receiver = this.receiver;
    this.receiver = undefined;
    if (reason && receiver) receiver.closed(reason);
  }
}

const OUR_AUTH_ERRORS = new Set(['SignInRequiredError', 'IssuerMismatchError', 'TokenStoreError', 'StepUpLimitError']);

/** A failure in our words: HTTP statuses and our own messages, never the server's text or a header. */
function describeFailure(server: string, err: unknown): string {
  if (err instanceof RemoteFetchError) return err.message;
  // src/gateway/auth's errors are worded for the user (the sign-in link, a refused issuer, a refused token file).
  if (err instanceof Error && OUR_AUTH_ERRORS.has(err.name)) return `Upstream '${server}': ${err.message}`;
  if (err instanceof UnauthorizedError) return `Upstream '${server}' requires authorization (HTTP 401); configure oauth or an Authorization header`;
  if (err instanceof StreamableHTTPError) {
    if (err.code === 401) return `Upstream '${server}' requires authorization (HTTP 401); configure oauth or an Authorization header`;
    if (err.code === 403) return `Upstream '${server}' refused access (HTTP 403)`;
    if (err.code === -1) return `Upstream '${server}' answered with an unexpected content type`;
    return `Upstream '${server}' answered HTTP ${err.code}`;
  }
  if (err instanceof SseError) {
    return `Upstream '${server}' event stream failed${typeof err.code === 'number' ? ` (HTTP ${err.code})` : ''}`;
  }
  if (err instanceof Error && err.cause instanceof RemoteFetchError) return err.cause.message;
  if (err instanceof Error && err.name === 'ZodError') return `Upstream '${server}' sent a message that is not JSON-RPC`;
  if (err instanceof SyntaxError) return `Upstream '${server}' sent a body that is not JSON`;
  return `Upstream '${server}' failed: ${err instanceof Error ? err.name : 'unknown error'}`;
}
