// One client of a gateway that serves several (HTTP): its own router (in-flight ids, handshake,
// capabilities, resource index, relayed server requests) over the upstreams every session shares.
// Between the client and its router it makes the few facts that would collide across clients unique:
// progress tokens (every SDK client starts its ids, and so its tokens, at 0) are swapped for tokens of
// the gateway's own on the way in and back on the way out; it also remembers the resource URIs the
// client subscribed to and the log level it asked for, so the hub can tell which server messages are its.
import { classifyMessage, isRecord, makeResult, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from '../../shared/jsonrpc';
import type { RawText } from '../../shared/received';
import type { Router } from '../router';
import { LOG_LEVELS } from '../eras/modern-meta';

/** What a session's messages for its client are handed to (the HTTP session picks the stream). */
export interface SessionOutput {
  /**
   * `relatedRequest`: the client request the message belongs to (progress on it);
   * `server`: the upstream a server-started message came from.
   */
  send(message: JsonRpcMessage, raw: RawText | undefined, related: { relatedRequest?: JsonRpcId; server?: string }): void;
}

/** What a session needs from the hub that made it. */
export interface SessionRegistry {
  /** A new progress token of the gateway's, owned by `session` until released. */
  claimProgressToken(session: ClientSession): string;
  releaseProgressToken(token: string): void;
  /** Whether a session other than `session` is subscribed to `uri` (then the upstream's subscription must stay). */
  subscribedElsewhere(session: ClientSession, uri: string): boolean;
}

/** Keys requests are tracked under: a number and a string with the same digits are different ids. */
export function requestKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${String(id)}`;
}

interface TokenSwap {
  readonly clientToken: string | number;
  readonly requestId: JsonRpcId;
}

export class ClientSession {
  readonly router: Router;
  /** Resource URIs the client subscribed to, as it wrote them. */
  private readonly subscriptions = new Set<string>();
  /** The least severe log level the client asked for (index into LOG_LEVELS); all when unset. */
  private minLogLevel = 0;
  /** Gateway token → the client's, while the request carrying it runs. */
  private readonly tokens = new Map<string, TokenSwap>();
  private readonly tokenOfRequest = new Map<string, string>();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly registry: SessionRegistry,
    createRouter: (sendToClient: (message: JsonRpcMessage, raw?: RawText, server?: string) => void) => Router,
    private readonly output: SessionOutput,
    /** Set for a per-server session: the one upstream it presents. */
    readonly server?: string,
  ) {
    this.router = createRouter((message, raw, server) => this.toClient(message, raw, server));
  }

  /** One message from the client (any JSON value: classified here). */
  receive(value: unknown): void {
    if (this.closed) return;
    const classified = classifyMessage(value);
    if (classified.kind === 'request') {
      if (this.keepsSharedSubscription(classified.message)) return;
      const request = this.swapProgressToken(classified.message);
      this.noteRequest(request);
      this.router.handleClient({ ...classified, message: request }, value);
      return;
    }
    if (classified.kind === 'notification' && classified.message.method === 'notifications/cancelled') {
      // A cancelled request gets no answer: its token swap ends here.
      const requestId = classified.message.params?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') this.releaseRequest(requestId);
    }
    this.router.handleClient(classified, value);
  }

  /** Whether messages of upstream `name` are this session's business. */
  serves(name: string): boolean {
    return this.server === undefined || this.server === name;
  }

  /** Whether the client subscribed to `uri`, exactly as written. */
  hasSubscription(uri: string): boolean {
    return this.subscriptions.has(uri);
  }

  /** Whether the client asked for notifications of `uri` (as a server reports it, or under `server__uri`). */
  subscribedTo(server: string, uri: unknown): boolean {
    if (typeof uri !== 'string') return false;
    return this.subscriptions.has(uri) || this.subscriptions.has(`${server}__${uri}`);
  }

  /** Whether a `notifications/message` at `level` is one the client asked for. */
  wantsLog(level: unknown): boolean {
    const index = typeof level === 'string' ? LOG_LEVELS.indexOf(level) : -1;
    return index === -1 || index >= this.minLogLevel;
  }

  /** Ends the session: what is in flight is answered (the router's shutdown answer), nothing more is taken. */
  close(): void {
    if (this.closed) return;
    this.router.close();
    this.closed = true;
    for (const token of this.tokens.keys()) this.registry.releaseProgressToken(token);
    this.tokens.clear();
    this.tokenOfRequest.clear();
  }

  /**
   * The upstream's subscription serves every session: one client unsubscribing while another is still
   * subscribed ends only its own (answered here), and the server keeps sending updates for the other.
   */
  private keepsSharedSubscription(request: JsonRpcRequest): boolean {
    const uri = request.params?.uri;
    if (request.method !== 'resources/unsubscribe' || typeof uri !== 'string' || !this.subscriptions.has(uri)) return false;
    if (!this.registry.subscribedElsewhere(this, uri)) return false;
    this.subscriptions.delete(uri);
    this.output.send(makeResult(request.id, {}), undefined, {});
    return true;
  }

  private noteRequest(request: JsonRpcRequest): void {
    const uri = request.params?.uri;
    if (request.method === 'resources/subscribe' && typeof uri === 'string') this.subscriptions.add(uri);
    else if (request.method === 'resources/unsubscribe' && typeof uri === 'string') this.subscriptions.delete(uri);
    else if (request.method === 'logging/setLevel') {
      const index = LOG_LEVELS.indexOf(String(request.params?.level));
      if (index !== -1) this.minLogLevel = index;
    }
  }

  private swapProgressToken(request: JsonRpcRequest): JsonRpcRequest {
    const meta = request.params?._meta;
    if (!isRecord(meta)) return request;
    const clientToken = meta.progressToken;
    if (typeof clientToken !== 'string' && typeof clientToken !== 'number') return request;
    const key = requestKey(request.id);
    // A duplicate id is refused by the router; its token must not replace the running request's.
    if (this.tokenOfRequest.has(key)) return request;
    const token = this.registry.claimProgressToken(this);
    this.tokens.set(token, { clientToken, requestId: request.id });
    this.tokenOfRequest.set(key, token);
    return { ...request, params: { ...request.params, _meta: { ...meta, progressToken: token } } };
  }

  private releaseRequest(id: JsonRpcId): void {
    const key = requestKey(id);
    const token = this.tokenOfRequest.get(key);
    if (token === undefined) return;
    this.tokenOfRequest.delete(key);
    this.tokens.delete(token);
    this.registry.releaseProgressToken(token);
  }

  private toClient(message: JsonRpcMessage, raw: RawText | undefined, server: string | undefined): void {
    if ('method' in message) {
      const token = message.method === 'notifications/progress' ? message.params?.progressToken : undefined;
      const swap = typeof token === 'string' ? this.tokens.get(token) : undefined;
      if (swap) {
        const restored = { ...message, params: { ...message.params, progressToken: swap.clientToken } };
        this.output.send(restored, undefined, { relatedRequest: swap.requestId, ...(server ? { server } : {}) });
        return;
      }
      this.output.send(message, raw, server ? { server } : {});
      return;
    }
    if (message.id !== null) this.releaseRequest(message.id);
    this.output.send(message, raw, {});
  }
}
