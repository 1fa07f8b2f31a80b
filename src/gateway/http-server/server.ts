// The gateway as a Streamable HTTP server (MCP 2025-03-26 … 2025-11-25 transport) for several clients.
// Every request is checked in this order, and the first failure is the whole answer:
//   1. the bearer token (401, empty body: nothing about the gateway leaks to who has no token);
//   2. Host and Origin against DNS rebinding (403);
//   3. the path (`/mcp`; 404) and the method (405);
//   4. for POST: content type (415), body size (413), JSON (-32700), session (400 missing, 404 unknown),
//      `MCP-Protocol-Version` (400 when unsupported).
// Our own implementation rather than the SDK's StreamableHTTPServerTransport: that one validates
// messages with its own schemas and answers in its own words before our router (and the plugins)
// see them, keeps one transport per session with its own id bookkeeping, and brings a Hono adapter
// into the core bundle; the router already does all of it for stdio. See docs/http-server.md.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, isRecord, isValidId, makeError } from '../../shared/jsonrpc';
import { envelopeOf, isModernVersion, MODERN_PROTOCOL_VERSIONS, ModernErrorCode, ModernMeta, REMOVED_IN_MODERN } from '../eras/modern-meta';
import { checkRequestHeaders } from './modern-headers';
import { ModernEndpoint } from './modern-endpoint';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../handshake';
import type { SessionHub } from './session-hub';
import { ALL_SERVERS, HttpSession, SESSION_HEADER, type Endpoint } from './http-session';
import type { HttpServeOptions } from './options';

export const MCP_PATH = '/mcp';

/**
 * A session whose client has had no stream open and sent nothing for this long is ended (clients that
 * vanish without DELETE would otherwise hold their place until MAX_SESSIONS refuses everyone).
 */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
const SWEEP_INTERVAL_MS = 60 * 1000;
export const PER_SERVER_PREFIX = '/servers/';
/** The legacy HTTP+SSE transport's two endpoints. */
export const LEGACY_STREAM_PATH = '/sse';
export const LEGACY_MESSAGES_PATH = '/messages';

function legacyRoute(target: string | undefined): { kind: 'stream' } | { kind: 'messages'; sessionId: string | null } | undefined {
  let url: URL;
  try {
    url = new URL(target ?? '/', 'http://gateway');
  } catch {
    return undefined;
  }
  if (url.pathname === LEGACY_STREAM_PATH) return { kind: 'stream' };
  if (url.pathname === LEGACY_MESSAGES_PATH) return { kind: 'messages', sessionId: url.searchParams.get('sessionId') };
  return undefined;
}
const PROTOCOL_HEADER = 'mcp-protocol-version';

export class GatewayHttpServer {
  private readonly server: http.Server;
  private readonly httpSessions = new Map<string, HttpSession>();
  /** Per endpoint, the session that serves its modern (sessionless) clients; made on first use. */
  private readonly modernEndpoints = new Map<Endpoint, ModernEndpoint>();
  private readonly tokenDigest: Buffer;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly hub: SessionHub,
    private readonly options: HttpServeOptions,
    private readonly log: (line: string) => void,
  ) {
    this.tokenDigest = digest(options.token);
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        log(`HTTP request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      });
    };
    this.server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
    // Streams (SSE) stay open as long as the client wants; only a request's own upload is timed.
    this.server.requestTimeout = 60_000;
    // Idle keep-alive connections are left for the client to close (undici closes after 4 s): a
    // server closing first races a request the client is just sending on it ("other side closed").
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.sweeper = setInterval(() => this.endIdleSessions(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  private endIdleSessions(now: number): void {
    for (const [id, session] of this.httpSessions) {
      if (session.idleMs(now) < SESSION_IDLE_MS) continue;
      this.log(`ended HTTP session ${id.slice(0, 8)}…: idle for ${Math.round(SESSION_IDLE_MS / 60000)} minutes`);
      this.endSession(id, session);
    }
  }

  private endSession(id: string, session: HttpSession): void {
    this.httpSessions.delete(id);
    this.hub.end(id);
    session.closeStreams();
  }

  /** Starts listening; resolves with the address (the port when 0 was asked). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Ends every session's streams and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const session of this.httpSessions.values()) session.closeStreams();
    this.httpSessions.clear();
    for (const modern of this.modernEndpoints.values()) modern.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="gatekit"', 'content-length': '0' }).end();
      req.resume();
      return;
    }
    const refusal = this.originRefusal(req);
    if (refusal) return plain(res, 403, refusal, req);
    const legacy = legacyRoute(req.url);
    if (legacy) return legacy.kind === 'stream' ? this.legacyStream(req, res) : this.legacyMessage(req, res, legacy.sessionId);
    const endpoint = this.endpointOf(req.url);
    if (endpoint === undefined) return plain(res, 404, `Not found: the MCP endpoint is ${MCP_PATH} (or ${PER_SERVER_PREFIX}<name>${MCP_PATH} for one server)`, req);
    switch (req.method) {
      case 'POST':
        return this.post(req, res, endpoint);
      case 'GET':
        return this.get(req, res, endpoint);
      case 'DELETE':
        return this.delete(req, res, endpoint);
      default:
        res.setHeader('allow', 'GET, POST, DELETE');
        return plain(res, 405, 'Method not allowed', req);
    }
  }

  /**
   * The legacy HTTP+SSE transport (2024-11-05) for old clients: GET /sse opens a session whose every
   * message to the client goes on that stream, starting with the `endpoint` event naming where to POST.
   * The session ends with the stream.
   */
  private legacyStream(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return plain(res, 405, 'Method not allowed', req);
    }
    const session = this.openSession(ALL_SERVERS, true);
    if (!session) return plain(res, 503, 'Gatekit cannot take more sessions now', req);
    const id = session.session.id;
    session.openGet(res, `event: endpoint\ndata: ${LEGACY_MESSAGES_PATH}?sessionId=${id}\n\n`);
    res.on('close', () => this.endSession(id, session));
  }

  private async legacyMessage(req: IncomingMessage, res: ServerResponse, sessionId: string | null): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return plain(res, 405, 'Method not allowed', req);
    }
    const found = sessionId === null ? undefined : this.httpSessions.get(sessionId);
    const session = found?.legacy ? found : undefined;
    if (!session) return plain(res, 404, 'Session not found: open GET /sse first', req);
    const value = await this.readMessage(req, res);
    if (value === undefined) return;
    // Every answer goes on the session's stream; the POST is only acknowledged.
    session.session.receive(value);
    res.writeHead(202, { 'content-length': '0' }).end();
  }

  /** `all` for /mcp, a server's name for /servers/<name>/mcp, undefined for anything else. */
  private endpointOf(target: string | undefined): Endpoint | undefined {
    let pathname: string;
    try {
      pathname = new URL(target ?? '/', 'http://gateway').pathname;
    } catch {
      return undefined;
    }
    if (pathname === MCP_PATH) return ALL_SERVERS;
    const match = /^\/servers\/([a-z][a-z0-9_-]*)\/mcp$/.exec(pathname);
    return match && this.hub.hasServer(match[1]!) ? match[1]! : undefined;
  }

  /** Constant-time comparison of digests: the time taken says nothing about how much of the token matched. */
  private authorized(header: string | undefined): boolean {
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    const given = digest(match ? match[1]! : '');
    return timingSafeEqual(given, this.tokenDigest) && match !== null;
  }

  private originRefusal(req: IncomingMessage): string | undefined {
    const host = hostName(req.headers.host);
    if (host === undefined || !this.options.allowedHosts.includes(host)) return 'Forbidden: this Host is not served here';
    const origin = req.headers.origin;
    if (origin !== undefined && !this.options.allowedOrigins.includes(origin.toLowerCase()) && !(this.options.loopbackOrigins && isLoopbackOrigin(origin))) {
      return 'Forbidden: this Origin is not allowed (proxy.http.allowed_origins)';
    }
    return undefined;
  }

  private async post(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): Promise<void> {
    const accept = req.headers.accept ?? '';
    const acceptsSse = /text\/event-stream|\*\/\*/i.test(accept);
    const value = await this.readMessage(req, res);
    if (value === undefined) return;
    const record = isRecord(value) ? value : undefined;
    const isRequest = record !== undefined && typeof record.method === 'string' && 'id' in record;
    const id = isRequest && (typeof record.id === 'string' || typeof record.id === 'number') ? record.id : null;
    const sessionId = req.headers[SESSION_HEADER];
    if (sessionId === undefined && record !== undefined && isModernMessage(record, req.headers)) return this.modernPost(req, res, endpoint, record, acceptsSse);
    if (isRequest && record.method === 'initialize') {
      if (sessionId !== undefined) return jsonError(res, 400, id, ErrorCode.InvalidRequest, 'initialize starts a new session: send it without an Mcp-Session-Id header');
      const session = this.openSession(endpoint);
      if (!session) return jsonError(res, 503, id, ErrorCode.UpstreamUnavailable, 'Gatekit cannot take more sessions now');
      return this.deliver(session, value, id, res, acceptsSse);
    }
    const session = this.sessionOf(sessionId, endpoint, res, id);
    if (!session) return;
    if (!this.protocolAccepted(req, res, id)) return;
    this.deliver(session, value, id, res, acceptsSse);
  }

  /**
   * A POST of a modern (2026-07-28) client: no session, everything in the request. Its envelope and
   * headers are checked here (400 with the specification's error codes), then the endpoint's modern
   * session serves it and answers on this POST.
   */
  private modernPost(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, record: Record<string, unknown>, acceptsSse: boolean): void {
    if (!('id' in record)) {
      // This revision defines no client notifications over HTTP (closing a response cancels its request).
      res.writeHead(202, { 'content-length': '0' }).end();
      return;
    }
    if (!isValidId(record.id)) return jsonError(res, 400, null, ErrorCode.InvalidRequest, 'Invalid request: the id must be a string or an integer');
    const id = record.id;
    const method = record.method as string;
    const params = record.params;
    if (params !== undefined && !isRecord(params)) return jsonError(res, 400, id, ErrorCode.InvalidParams, 'Invalid params: params must be an object');
    const meta = isRecord(params?._meta) ? params._meta : undefined;
    const version = meta?.[ModernMeta.protocolVersion];
    if (typeof version !== 'string' || !isRecord(meta?.[ModernMeta.clientCapabilities])) {
      return jsonError(res, 400, id, ErrorCode.InvalidParams, `Invalid params: every request of MCP ${MODERN_PROTOCOL_VERSIONS[0]} carries _meta["${ModernMeta.protocolVersion}"] and _meta["${ModernMeta.clientCapabilities}"]`);
    }
    const progressToken = meta.progressToken;
    if (progressToken !== undefined && typeof progressToken !== 'string' && !Number.isSafeInteger(progressToken)) {
      // A server's SDK drops a request it cannot parse, which would leave this POST waiting for its timeout.
      return jsonError(res, 400, id, ErrorCode.InvalidParams, 'Invalid params: _meta.progressToken must be a string or an integer');
    }
    const headerVersion = req.headers[PROTOCOL_HEADER];
    if (typeof headerVersion !== 'string' || headerVersion.trim() !== version) {
      return jsonError(res, 400, id, ModernErrorCode.HeaderMismatch, `Header mismatch: the MCP-Protocol-Version header must be sent and equal _meta["${ModernMeta.protocolVersion}"]`);
    }
    if (!(MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
      return jsonError(res, 400, id, ModernErrorCode.UnsupportedProtocolVersion, 'Unsupported protocol version', {}, { supported: [...MODERN_PROTOCOL_VERSIONS], requested: version.slice(0, 100) });
    }
    if (method === 'subscriptions/listen' && !acceptsSse) return jsonError(res, 406, id, ErrorCode.InvalidRequest, 'subscriptions/listen answers with a stream: send Accept: text/event-stream');
    if (REMOVED_IN_MODERN.has(method)) return jsonError(res, 404, id, ErrorCode.MethodNotFound, `Method not found: '${method}' does not exist in MCP ${version}`);
    const modern = this.modernEndpoint(endpoint);
    const refusal = checkRequestHeaders(req.headers, method, params, method === 'tools/call' ? modern.mirroredParamsOf(params?.name) : []);
    if (refusal) return jsonError(res, refusal.status, id, refusal.code, refusal.message);
    modern.serve({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }, res, acceptsSse);
  }

  private modernEndpoint(endpoint: Endpoint): ModernEndpoint {
    let modern = this.modernEndpoints.get(endpoint);
    if (!modern) {
      modern = new ModernEndpoint({
        openSession: (output) => this.hub.open(output, endpoint === ALL_SERVERS ? undefined : endpoint),
        legacyVersions: SUPPORTED_PROTOCOL_VERSIONS,
        inputTimeoutMs: this.hub.inputTimeoutMs,
        log: this.log,
      });
      this.modernEndpoints.set(endpoint, modern);
    }
    return modern;
  }

  /** The body as one JSON value; otherwise answers 415, 413, -32700 or -32600 and returns undefined. */
  private async readMessage(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      plain(res, 415, 'Unsupported Media Type: send application/json', req);
      return undefined;
    }
    const body = await readBody(req, this.options.maxBodyBytes);
    if (body === 'too_large') {
      jsonError(res, 413, null, ErrorCode.InvalidRequest, `Message exceeds the limit of ${this.options.maxBodyBytes} bytes`, { connection: 'close' });
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      jsonError(res, 400, null, ErrorCode.ParseError, 'Parse error: the body is not valid JSON');
      return undefined;
    }
    if (Array.isArray(value)) {
      jsonError(res, 400, null, ErrorCode.InvalidRequest, 'JSON-RPC batches are not supported: send one message per request');
      return undefined;
    }
    return value;
  }

  private deliver(session: HttpSession, value: unknown, id: string | number | null, res: ServerResponse, acceptsSse: boolean): void {
    session.touch();
    if (id === null) {
      // A notification, a response, or something invalid: the router answers what needs answering
      // on the GET stream; the POST itself is only acknowledged.
      session.session.receive(value);
      res.writeHead(202, { 'content-length': '0' }).end();
      return;
    }
    if (session.isRunning(id)) {
      return jsonError(res, 200, id, ErrorCode.InvalidRequest, `Request id ${JSON.stringify(id)} is already in use by a request in progress`);
    }
    session.openPost(id, res, acceptsSse);
    session.session.receive(value);
  }

  private openSession(endpoint: Endpoint, legacy = false): HttpSession | undefined {
    const httpSession = new HttpSession(this.log, endpoint, legacy);
    const session = this.hub.open(httpSession, endpoint === ALL_SERVERS ? undefined : endpoint);
    if (!session) return undefined;
    httpSession.session = session;
    this.httpSessions.set(session.id, httpSession);
    return httpSession;
  }

  /** The session the request names; otherwise answers 400 (none named) or 404 (unknown or ended) and returns undefined. */
  private sessionOf(header: string | string[] | undefined, endpoint: Endpoint, res: ServerResponse, id: string | number | null): HttpSession | undefined {
    if (typeof header !== 'string' || header === '') {
      jsonError(res, 400, id, ErrorCode.InvalidRequest, 'Bad Request: the Mcp-Session-Id header is required (initialize first)');
      return undefined;
    }
    const found = this.httpSessions.get(header);
    // A session belongs to the endpoint that made it: another endpoint does not know it.
    const session = found?.endpoint === endpoint && !found.legacy ? found : undefined;
    if (!session) jsonError(res, 404, id, ErrorCode.InvalidRequest, 'Session not found: initialize a new session');
    return session;
  }

  private protocolAccepted(req: IncomingMessage, res: ServerResponse, id: string | number | null): boolean {
    const version = req.headers[PROTOCOL_HEADER];
    if (version === undefined || (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(String(version))) return true;
    jsonError(res, 400, id, ErrorCode.InvalidRequest, `Unsupported MCP-Protocol-Version '${String(version).slice(0, 40)}' (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    return false;
  }

  private get(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
    if (!/text\/event-stream/i.test(req.headers.accept ?? '')) return plain(res, 406, 'Not Acceptable: the GET stream is text/event-stream', req);
    const session = this.sessionOf(req.headers[SESSION_HEADER], endpoint, res, null);
    if (!session) return;
    if (!this.protocolAccepted(req, res, null)) return;
    if (!session.openGet(res)) return plain(res, 409, 'Conflict: this session already has a GET stream open', req);
  }

  private delete(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
    const session = this.sessionOf(req.headers[SESSION_HEADER], endpoint, res, null);
    if (!session) return;
    this.endSession(session.session.id, session);
    res.writeHead(200, { 'content-length': '0' }).end();
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The host name of a Host header, lower case, without port or IPv6 brackets; undefined when malformed. */
function hostName(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/i.exec(header.trim());
  if (!match) return undefined;
  return (match[1] ?? match[2]!).toLowerCase();
}

/** The body up to `limit` bytes, or 'too_large' as soon as it is larger (the rest is not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too_large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function plain(res: ServerResponse, status: number, text: string, req: IncomingMessage): void {
  req.resume();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

function jsonError(res: ServerResponse, status: number, id: string | number | null, code: number, message: string, headers: Record<string, string> = {}, data?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(makeError(id, code, message, data)));
}

/**
 * Whether a POST without a session is a modern client's: its body names a protocol version in
 * `_meta` (a legacy client never does), its `MCP-Protocol-Version` header is a modern one, or it is
 * `server/discover`. Anything else without a session is a legacy client that must initialize first.
 */
function isModernMessage(record: Record<string, unknown>, headers: IncomingMessage['headers']): boolean {
  if (typeof record.method !== 'string') return false;
  const version = envelopeOf(record.params).protocolVersion;
  // An `initialize` is a legacy client's, unless its envelope says it is a modern client trying a removed method.
  if (record.method === 'initialize') return version !== undefined && isModernVersion(version);
  if (record.method === 'server/discover' || version !== undefined) return true;
  const header = headers[PROTOCOL_HEADER];
  return typeof header === 'string' && isModernVersion(header.trim());
}

/** `http(s)://localhost`, `127.0.0.1` or `[::1]`, with any port, and nothing else (no path, no user). */
function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.origin.toLowerCase() !== origin.toLowerCase()) return false;
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname.toLowerCase());
}
