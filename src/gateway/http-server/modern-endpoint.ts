// MCP 2026-07-28 (modern) clients over Streamable HTTP: the per-request model. Such a client has no
// session: every POST carries one request with its protocol version, identity and capabilities in
// `_meta`, and its answer (with the notifications that belong to it) comes back on that POST's own
// response. Closing that response cancels the request.
//
// Each endpoint (`/mcp`, `/servers/<name>/mcp`) has one internal client session for all its modern
// clients, seen through the same dual-era adapter as a modern client on stdio (eras/dual-era-client.ts):
// the router and the plugins serve it as one legacy client, the adapter turns a server's request for
// input into an `input_required` answer and takes the retry's `inputResponses`, and `requestState`
// stays a single-use token bound to the call. This class is that session's client transport: it
// gives each POST an id of its own (so two clients sending the same id, or the same progress token,
// never receive each other's answers) and writes every message back on the POST it belongs to.
import type { ServerResponse } from 'node:http';
import { isRecord, makeError, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from '../../shared/jsonrpc';
import type { ClientReceiver, Received, SendCallback } from '../transport/transport';
import { DualEraClientTransport, type RequestScopedTransport } from '../eras/dual-era-client';
import { ModernErrorCode, ModernMeta } from '../eras/modern-meta';
import type { ClientSession, SessionOutput } from './client-session';
import { mirroredParams, type MirroredParam } from './modern-headers';

export interface ModernEndpointHost {
  /** Opens the endpoint's internal client session (undefined when the gateway is closing or full). */
  readonly openSession: (output: SessionOutput) => ClientSession | undefined;
  readonly legacyVersions: readonly string[];
  readonly inputTimeoutMs: number;
  readonly log: (line: string) => void;
}

/** Requests of modern clients running at once on one endpoint; beyond, a POST is refused (503). */
const MAX_RUNNING = 4096;
/** Tools whose `x-mcp-header` annotations are remembered per endpoint (from the lists it answered). */
const MAX_REMEMBERED_TOOLS = 10_000;
/** A quiet long-lived stream (a listen) gets an SSE comment this often, so idle timeouts of proxies do not cut it. */
const KEEP_ALIVE_MS = 25_000;

interface Post {
  readonly clientId: JsonRpcId;
  readonly method: string;
  readonly res: ServerResponse;
  readonly acceptsSse: boolean;
  streaming: boolean;
  /** The client's own progress token, when it sent one (ours replaces it inside the gateway). */
  readonly clientProgressToken?: string | number;
  keepAlive?: NodeJS.Timeout;
}

export class ModernEndpoint implements RequestScopedTransport {
  private receiver: ClientReceiver | undefined;
  private readonly adapter: DualEraClientTransport;
  private session: ClientSession | undefined;
  private closed = false;
  private nextId = 1;
  private readonly posts = new Map<number, Post>();
  /** Our progress token → the id of the POST whose request carries it. */
  private readonly progressOwners = new Map<string, number>();
  /** The `x-mcp-header` parameters of each tool, as this endpoint's last `tools/list` answer showed them. */
  private readonly mirrored = new Map<string, MirroredParam[]>();

  constructor(private readonly host: ModernEndpointHost) {
    this.adapter = new DualEraClientTransport(this, {
      legacyVersions: host.legacyVersions,
      log: host.log,
      inputTimeoutMs: host.inputTimeoutMs,
      // Every client may be asked for input; each request's own capabilities decide whether it is.
      handshake: { capabilities: { sampling: {}, elicitation: {}, roots: {} }, clientInfo: { name: 'gatekit-modern-http-clients', version: '1' } },
      // A server's request for input is attributed among the calls on that server only.
      callsOn: (server) => this.session?.router.requestsCalling(server) ?? [],
    });
  }

  /** The annotated parameters of `tool` (empty when no list of this endpoint named it). */
  mirroredParamsOf(tool: unknown): readonly MirroredParam[] {
    return typeof tool === 'string' ? (this.mirrored.get(tool) ?? []) : [];
  }

  /**
   * Serves one modern request (checked by the HTTP server: headers, version, envelope). Its answer,
   * and what belongs to it, goes on `res`; closing `res` first cancels it.
   */
  serve(request: JsonRpcRequest, res: ServerResponse, acceptsSse: boolean): void {
    if (!this.open() || this.posts.size >= MAX_RUNNING) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify(makeError(request.id, -32603, 'Gatekit cannot take more requests now')));
      return;
    }
    const id = this.nextId++;
    let params = request.params;
    const meta = params?._meta;
    const clientToken = isRecord(meta) ? meta.progressToken : undefined;
    let post: Post;
    if (typeof clientToken === 'string' || typeof clientToken === 'number') {
      const token = `gatekit-modern-progress-${id}`;
      this.progressOwners.set(token, id);
      params = { ...params, _meta: { ...(meta as Record<string, unknown>), progressToken: token } };
      post = { clientId: request.id, method: request.method, res, acceptsSse, streaming: false, clientProgressToken: clientToken };
    } else {
      post = { clientId: request.id, method: request.method, res, acceptsSse, streaming: false };
    }
    this.posts.set(id, post);
    res.on('close', () => {
      if (this.posts.get(id) !== post) return;
      // The client closed the response before its answer: on Streamable HTTP that is the cancellation.
      this.forget(id, post);
      this.receiver?.message({ message: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client closed the request' } } });
    });
    this.receiver!.message({ message: { jsonrpc: '2.0', id, method: request.method, ...(params ? { params } : {}) } });
  }

  /** Ends every open response (the gateway is stopping). */
  close(): void {
    this.closed = true;
    for (const [id, post] of this.posts) {
      this.forget(id, post);
      if (!post.res.writableEnded) post.res.end();
    }
  }

  private open(): boolean {
    if (this.closed) return false;
    if (this.session) return true;
    const session = this.host.openSession({
      send: (message, _raw, related) => (related.server !== undefined ? this.adapter.sendFromServer({ message }, related.server) : this.adapter.send({ message })),
    });
    if (!session) return false;
    this.session = session;
    this.adapter.listen({
      message: (received) => session.receive(received.message),
      malformed: () => undefined,
      closed: () => undefined,
    });
    return true;
  }

  private forget(id: number, post: Post): void {
    this.posts.delete(id);
    clearInterval(post.keepAlive);
    if (post.clientProgressToken !== undefined) this.progressOwners.delete(`gatekit-modern-progress-${id}`);
  }

  // ---- ClientTransport, as the adapter sees it ----

  listen(receiver: ClientReceiver): void {
    this.receiver = receiver;
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    done?.(undefined);
    const message = outgoing.message;
    if (!('method' in message)) return this.answer(message.id, message);
    // The adapter never sends a modern client requests (they become input_required answers).
    if ('id' in message) return;
    const params = message.params ?? {};
    if (message.method === 'notifications/progress') {
      const owner = typeof params.progressToken === 'string' ? this.progressOwners.get(params.progressToken) : undefined;
      const post = owner === undefined ? undefined : this.posts.get(owner);
      if (post) this.stream(post, { ...message, params: { ...params, progressToken: post.clientProgressToken } });
      return;
    }
    // A listen's notifications carry its id: ours, which becomes the client's on the way out.
    const meta = isRecord(params._meta) ? params._meta : undefined;
    const listen = meta?.[ModernMeta.subscriptionId];
    const post = typeof listen === 'number' ? this.posts.get(listen) : undefined;
    if (!post) return;
    this.stream(post, { ...message, params: { ...params, _meta: { ...meta, [ModernMeta.subscriptionId]: post.clientId } } });
    if (post.method === 'subscriptions/listen' && post.keepAlive === undefined) {
      post.keepAlive = setInterval(() => post.res.write(':\n\n'), KEEP_ALIVE_MS);
      post.keepAlive.unref();
    }
  }

  sendRelated(message: JsonRpcMessage, clientRequestId: JsonRpcId, done?: SendCallback): void {
    done?.(undefined);
    const post = typeof clientRequestId === 'number' ? this.posts.get(clientRequestId) : undefined;
    if (post) this.stream(post, message);
  }

  get backlog(): number {
    return 0;
  }
  pauseReceiving(): void {}
  resumeReceiving(): void {}
  onDrain(): { dispose(): void } {
    return { dispose: () => undefined };
  }
  flushed(): Promise<void> {
    return Promise.resolve();
  }

  // ---- writing ----

  /** The answer to one of our POSTs, under the client's id. */
  private answer(id: JsonRpcId | null, response: JsonRpcMessage): void {
    const post = typeof id === 'number' ? this.posts.get(id) : undefined;
    if (!post) return;
    this.forget(id as number, post);
    if ('result' in response && post.method === 'tools/list') this.rememberTools(response.result);
    const text = JSON.stringify({ ...response, id: post.clientId });
    if (post.res.writableEnded) return;
    if (post.streaming) {
      post.res.end(sseEvent(text));
      return;
    }
    post.res.writeHead(statusOf(response), { 'content-type': 'application/json' }).end(text);
  }

  /** A message before the answer: the POST becomes an SSE stream (when the client accepts one). */
  private stream(post: Post, message: JsonRpcMessage): void {
    if (!post.acceptsSse || post.res.writableEnded) return;
    if (!post.streaming) {
      post.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      post.res.flushHeaders();
      post.streaming = true;
    }
    post.res.write(sseEvent(JSON.stringify(message)));
  }

  private rememberTools(result: Record<string, unknown>): void {
    if (!Array.isArray(result.tools)) return;
    for (const tool of result.tools) {
      if (!isRecord(tool) || typeof tool.name !== 'string') continue;
      const params = mirroredParams(tool.inputSchema);
      if (params.length) {
        if (this.mirrored.size >= MAX_REMEMBERED_TOOLS && !this.mirrored.has(tool.name)) continue;
        this.mirrored.set(tool.name, params);
      } else {
        this.mirrored.delete(tool.name);
      }
    }
  }
}

/**
 * The HTTP status of an answer sent as JSON: the specification's 404 for an unknown method and 400
 * for its request errors (the client must change the request); 200 for the rest.
 */
function statusOf(response: JsonRpcMessage): number {
  if (!('error' in response) || !isRecord(response.error)) return 200;
  const code = response.error.code;
  if (code === -32601) return 404;
  if (code === ModernErrorCode.HeaderMismatch || code === ModernErrorCode.MissingRequiredClientCapability || code === ModernErrorCode.UnsupportedProtocolVersion) return 400;
  return 200;
}

function sseEvent(json: string): string {
  return `event: message\ndata: ${json}\n\n`;
}
