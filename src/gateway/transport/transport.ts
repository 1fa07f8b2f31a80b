// The transport seam (the seeds' ADR-001): how the gateway talks to an upstream server and to its
// client, whatever carries the messages. Stdio is one implementation of each side; Streamable HTTP
// is meant to be the next. Nothing above this seam (Upstream's state machine and correlation, the
// router, the plugin exchange) knows which transport it uses.
import type { JsonRpcMessage } from '../../shared/jsonrpc';

// One message as a transport carries it (`{message, raw?}`). Received, `message` is whatever JSON
// value the peer sent (hostile: classify it before use) and `raw` its bytes when the transport kept
// them (only for lines large enough to be worth it, and without duplicate keys). Sent, `raw`, when
// given, must be exactly the JSON of `message` and is written in its place.
import type { RawText, Received } from '../../shared/received';

export type { RawText, Received };

/**
 * Told once what became of a send: `undefined` once it was handed to the medium (a pipe, a socket),
 * else why not. A callback rather than a promise: the hot path makes no promise per message.
 * Never called synchronously with a failure.
 */
export type SendCallback = (error: Error | undefined) => void;

/**
 * Why a connection ended. `exited`: the peer went away (a process exited, a stream or socket
 * closed). `unreachable`: it could not be reached at all (a command that does not exist, a refused
 * connection). `session_expired`: the peer forgot our session (Streamable HTTP answers 404): a new
 * connection with a new handshake brings it back: the Upstream opens one at once, not counted as a
 * crash (docs/remote-servers.md); the other two are crashes, restarted with back-off.
 */
export interface CloseReason {
  readonly kind: 'exited' | 'unreachable' | 'session_expired';
  /** For logs and status displays, in our words (never the peer's). */
  readonly description: string;
}

/** What an {@link UpstreamTransport} reports, from `connect` on. */
export interface UpstreamReceiver {
  /** A message from the server (any JSON value: validating it is the caller's job). */
  message(received: Received): void;
  /** The connection ended; called at most once, also when it ends before `connect` settles. */
  closed(reason: CloseReason): void;
}

/**
 * One connection to one upstream server. A connection is used once: after it closed, its owner
 * makes a new one through its {@link UpstreamTransportFactory} (a restart, a lost session), so a
 * transport never has to re-establish itself. It carries messages and nothing else: ids, pending
 * requests, timeouts and the handshake belong to its owner.
 */
export interface UpstreamTransport {
  /**
   * Opens the connection; messages and the close are reported to `receiver` from then on. Throws
   * when it cannot even be attempted (a command that cannot be spawned, a malformed address) and
   * rejects when the attempt fails, with an Error saying why in our words; a connection that ends
   * after that is reported through `receiver.closed`. Sends made before it settles are queued by the
   * transport (the handshake is sent at once, so a connection that ends early fails it with its reason).
   */
  connect(receiver: UpstreamReceiver): Promise<void>;
  /** Sends one message; `done` learns whether it left (see {@link SendCallback}). */
  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void;
  /** Characters (bytes for raw messages) accepted by `send` and not yet taken by the peer. */
  readonly backlog: number;
  /** Stops taking messages from the server (its own buffers fill and it waits) while ours cannot be delivered. */
  pauseReceiving(): void;
  resumeReceiving(): void;
  /** Ends the connection politely and resolves once it is gone (for a process: it has exited). */
  close(): Promise<void>;
  /** Ends the connection at once; nothing more is reported to the receiver. */
  abort(): void;
}

/** Makes a fresh connection to one server each time it is called (first start and every restart). */
export type UpstreamTransportFactory = () => UpstreamTransport;

/** A client message the transport could not make into a JSON value (answered by the gateway with -32700 / -32600). */
export interface MalformedInput {
  /** `not_json`: it does not parse; `too_long`: it exceeds the size limit. */
  readonly reason: 'not_json' | 'too_long';
  readonly bytes: number;
}

/** What a {@link ClientTransport} reports, from `listen` on. */
export interface ClientReceiver {
  message(received: Received): void;
  malformed(input: MalformedInput): void;
  /**
   * The client is gone: `ended` when its input ended (the normal way out), `output_failed` when what
   * we write no longer reaches it. Called at most once.
   */
  closed(reason: 'ended' | 'output_failed'): void;
}

/** The connection to the client the gateway serves (its stdio today). */
export interface ClientTransport {
  /** Starts taking the client's messages; call once. */
  listen(receiver: ClientReceiver): void;
  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void;
  /** Characters (bytes for raw messages) accepted by `send` and not yet taken by the client. */
  readonly backlog: number;
  /** Stops taking the client's messages while it does not take ours. */
  pauseReceiving(): void;
  resumeReceiving(): void;
  /** Calls `listener` each time output the client had not taken has been taken; dispose to stop. */
  onDrain(listener: () => void): { dispose(): void };
  /** Resolves once everything sent so far has been handed over (or has failed). */
  flushed(): Promise<void>;
  /** Stops taking messages; what was sent is still delivered (see `flushed`). */
  close(): void;
}

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

/**
 * A send failure after which the peer certainly never saw the message (a Streamable HTTP server
 * that answered 404 for a session it forgot): its owner may send it again on the next connection.
 * Recognised by {@link isUndelivered}, not `instanceof`: a transport in a chunk has its own copy of this class.
 */
export class UndeliveredError extends Error {
  readonly undelivered = true;
}

export function isUndelivered(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { undelivered?: unknown }).undelivered === true;
}
