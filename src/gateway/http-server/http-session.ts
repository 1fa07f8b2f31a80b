// The HTTP side of one client session (Streamable HTTP): which response carries each message.
// A POST carrying a request is answered on its own response: as plain JSON when the answer is the first
// thing to send, switched to an SSE stream when something related comes first (progress on it, a
// server's request made while serving it). Messages related to no open POST go on the session's GET
// stream, kept for it (bounded) until the client opens one.
import type { ServerResponse } from 'node:http';
import type { JsonRpcId, JsonRpcMessage } from '../../shared/jsonrpc';
import type { RawText } from '../../shared/received';
import { requestKey, type ClientSession, type SessionOutput } from './client-session';

/** Messages kept for a GET stream that is not open yet; beyond, the oldest are dropped. */
const MAX_QUEUED_FOR_STREAM = 1000;

/**
 * Bytes written to a stream and not yet taken by the client beyond which the stream is closed: a
 * client that stops reading must not grow the gateway's memory (it reconnects its GET stream).
 */
const MAX_STREAM_BACKLOG = 16 * 1024 * 1024;

export const SESSION_HEADER = 'mcp-session-id';

/** Which endpoint a session was made on: every server (`/mcp`, {@link ALL_SERVERS}) or one server's name (`/servers/<name>/mcp`). */
export type Endpoint = string;
/** Not a valid server name (names start with a letter), so it never collides with one. */
export const ALL_SERVERS = '*';

interface PostStream {
  readonly res: ServerResponse;
  readonly acceptsSse: boolean;
  /** Headers sent as an SSE stream. */
  streaming: boolean;
}

export class HttpSession implements SessionOutput {
  session!: ClientSession;
  private readonly posts = new Map<string, PostStream>();
  private getStream: ServerResponse | undefined;
  private queued: string[] = [];
  /** When the client last sent something or had a stream open (for ending forgotten sessions). */
  private lastActive = Date.now();

  constructor(
    private readonly log: (line: string) => void,
    readonly endpoint: Endpoint,
    /** Made by the legacy HTTP+SSE transport: everything goes on its one stream. */
    readonly legacy = false,
  ) {}

  /** The client did something (a request came in). */
  touch(): void {
    this.lastActive = Date.now();
  }

  /** Milliseconds since the client was last seen; 0 while it has a stream open. */
  idleMs(now: number): number {
    if (this.posts.size > 0 || (this.getStream && !this.getStream.writableEnded)) {
      this.lastActive = now;
      return 0;
    }
    return now - this.lastActive;
  }

  /** Whether a request with this id is still waiting for its answer (a second one would collide). */
  isRunning(id: JsonRpcId): boolean {
    return this.posts.has(requestKey(id));
  }

  /** Takes a POST that carries a client request: its answer (and what relates to it) goes on `res`. */
  openPost(id: JsonRpcId, res: ServerResponse, acceptsSse: boolean): void {
    const key = requestKey(id);
    const stream: PostStream = { res, acceptsSse, streaming: false };
    this.posts.set(key, stream);
    // A client that hangs up does not cancel (the spec says so); its answer is simply not written.
    res.on('close', () => {
      if (this.posts.get(key) === stream) this.posts.delete(key);
    });
  }

  /**
   * Takes the client's GET stream: what was waiting for it is written first. `firstEvent` (the legacy
   * HTTP+SSE transport's `endpoint` event) goes before everything.
   */
  openGet(res: ServerResponse, firstEvent?: string): boolean {
    if (this.getStream && !this.getStream.writableEnded) return false;
    startSse(res, this.session.id);
    if (firstEvent !== undefined) res.write(firstEvent);
    this.getStream = res;
    res.on('close', () => {
      if (this.getStream === res) this.getStream = undefined;
    });
    const waiting = this.queued;
    this.queued = [];
    for (const text of waiting) res.write(text);
    return true;
  }

  /** Ends every response of the session (it was deleted or the gateway is stopping). */
  closeStreams(): void {
    for (const stream of this.posts.values()) if (!stream.res.writableEnded) stream.res.end();
    this.posts.clear();
    this.getStream?.end();
    this.getStream = undefined;
    this.queued = [];
  }

  send(message: JsonRpcMessage, raw: RawText | undefined, related: { relatedRequest?: JsonRpcId; server?: string }): void {
    let text: string;
    try {
      text = raw !== undefined ? Buffer.concat(raw).toString('utf8') : JSON.stringify(message);
    } catch (err) {
      this.log(`could not send a message to HTTP session ${this.session.id}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!('method' in message)) return this.answer(message.id, text);
    const isRequest = 'id' in message;
    const stream = this.streamFor(related, isRequest);
    if (stream) {
      if (!stream.streaming) {
        startSse(stream.res, this.session.id);
        stream.streaming = true;
      }
      writeBounded(stream.res, sseEvent(text), this.log);
      return;
    }
    if (this.getStream) {
      writeBounded(this.getStream, sseEvent(text), this.log);
      return;
    }
    if (this.queued.length >= MAX_QUEUED_FOR_STREAM) this.queued.shift();
    this.queued.push(sseEvent(text));
  }

  /** The POST stream a server-started message belongs on: the related request's, or one serving that server. */
  private streamFor(related: { relatedRequest?: JsonRpcId; server?: string }, isRequest: boolean): PostStream | undefined {
    const usable = (stream: PostStream | undefined): PostStream | undefined => (stream && stream.acceptsSse && !stream.res.writableEnded ? stream : undefined);
    if (related.relatedRequest !== undefined) return usable(this.posts.get(requestKey(related.relatedRequest)));
    if (!isRequest || related.server === undefined) return undefined;
    for (const id of this.session.router.requestsCalling(related.server)) {
      const stream = usable(this.posts.get(requestKey(id)));
      if (stream) return stream;
    }
    return undefined;
  }

  private answer(id: JsonRpcId | null, text: string): void {
    const key = id === null ? undefined : requestKey(id);
    const stream = key === undefined ? undefined : this.posts.get(key);
    if (!stream) {
      // An error about no request of ours (an invalid message) or an answer whose POST is gone.
      if (this.getStream) writeBounded(this.getStream, sseEvent(text), this.log);
      return;
    }
    this.posts.delete(key!);
    if (stream.res.writableEnded) return;
    if (stream.streaming) {
      stream.res.end(sseEvent(text));
      return;
    }
    stream.res.writeHead(200, { 'content-type': 'application/json', [SESSION_HEADER]: this.session.id });
    stream.res.end(text);
  }
}

/** Writes to a stream, closing it instead when the client has stopped taking what was written. */
function writeBounded(res: ServerResponse, text: string, log: (line: string) => void): void {
  if (res.writableEnded) return;
  if (res.writableLength > MAX_STREAM_BACKLOG) {
    log(`closed an HTTP stream: the client is not reading it (${Math.round(res.writableLength / 1048576)} MiB waiting)`);
    res.destroy();
    return;
  }
  res.write(text);
}

function startSse(res: ServerResponse, sessionId: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', [SESSION_HEADER]: sessionId });
  res.flushHeaders();
}

function sseEvent(json: string): string {
  // Line breaks can only be whitespace between JSON tokens (inside strings they are escaped): each
  // line becomes a data line, and the client joins them again with '\n'.
  return `event: message\n${json.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('')}\n`;
}
