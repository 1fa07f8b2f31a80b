// MCP 2026-07-28 on the Streamable HTTP wire, for the requests the era decorator
// (src/gateway/eras/dual-era-upstream.ts) sends a modern server: those whose `_meta` carries the
// per-request protocol version. Legacy traffic passes untouched. It sits as a fetch in front of the
// SDK's client transport (which keeps POSTing, SSE parsing and OAuth), and adds what the modern era
// asks of an HTTP client:
//   - the standard headers `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`, derived from the body
//     (the server checks they agree: -32020);
//   - an error answer sent with a 4xx status (the modern era's way: -32022, -32020, -32601 …) becomes a
//     JSON-RPC answer to the request instead of a transport failure, and a 4xx with no such body
//     (a legacy server refusing a request without a session) becomes one in our words: the probe
//     reads both as "not modern", a call reads them as the server's refusal;
//   - SEP-2243: a tool's `x-mcp-header` arguments go in `Mcp-Param-*` headers of its calls, and a tool
//     whose marks break the rules is left out of the list (http-param-headers.ts);
//   - cancellation is the end of the request's stream (no `notifications/cancelled` POST), and the
//     SSE event ids are dropped so that a stream we end is never resumed by a GET the server lacks.
// Bundled into the http chunk only.
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, isRecord, isValidId, type JsonRpcId } from '../../shared/jsonrpc';
import { ModernMeta } from '../eras/modern-meta';
import { paramHeaderValues, scanParamHeaders, type ParamHeader } from './http-param-headers';

/** The body field `Mcp-Name` mirrors, per method (2026-07-28 Streamable HTTP, "Standard headers"). */
const MCP_NAME_SOURCE: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };
const BASE64_PREFIX = '=?base64?';
const BASE64_SUFFIX = '?=';
/** Longest error body read from a 4xx answer: a JSON-RPC error is small, a hostile body is not. */
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/** The modern request a POST body carries, if it is one: a single request with the envelope's version. */
function modernRequestOf(body: unknown): { id: JsonRpcId; method: string; params: Record<string, unknown>; version: string } | undefined {
  if (typeof body !== 'string' || !body.includes(ModernMeta.protocolVersion)) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(message) || typeof message.method !== 'string' || !isValidId(message.id) || !isRecord(message.params)) return undefined;
  const meta = message.params._meta;
  const version = isRecord(meta) ? meta[ModernMeta.protocolVersion] : undefined;
  return typeof version === 'string' ? { id: message.id, method: message.method, params: message.params, version } : undefined;
}

/** A header value as the spec encodes it: plain when it is safe visible ASCII, else `=?base64?…?=` of its UTF-8. */
export function encodeHeaderValue(value: string): string {
  const unsafe =
    value.length === 0 ||
    value !== value.trim() ||
    (value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX)) ||
    [...value].some((c) => {
      const code = c.codePointAt(0)!;
      return code !== 9 && (code < 32 || code > 126);
    });
  return unsafe ? `${BASE64_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${BASE64_SUFFIX}` : value;
}

/** A body without SSE `id:` fields: nothing to resume, so the SDK never reopens a modern stream by GET. */
function withoutEventIds(body: ReadableStream<Uint8Array>, ended: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let partial = '';
  return new ReadableStream<Uint8Array>({
    start(controller) {
      ended.addEventListener(
        'abort',
        () => {
          // Our cancellation: the reader sees a clean end (no error to report), the server a closed stream.
          void reader.cancel().catch(() => undefined);
          try {
            controller.close();
          } catch {
            // already closed
          }
        },
        { once: true },
      );
    },
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (!ended.aborted) controller.error(err);
        return;
      }
      if (ended.aborted) return;
      if (chunk.done) {
        if (partial) controller.enqueue(encoder.encode(partial));
        controller.close();
        return;
      }
      const lines = (partial + decoder.decode(chunk.value, { stream: true })).split('\n');
      partial = lines.pop() ?? '';
      const kept = lines.filter((line) => !/^id\s*(:|$)/.test(line));
      if (kept.length) controller.enqueue(encoder.encode(kept.map((line) => `${line}\n`).join('')));
    },
    cancel() {
      return reader.cancel().catch(() => undefined);
    },
  });
}

/** The modern wire for one connection: its fetch, and the streams of the requests under way. */
export class ModernHttpWire {
  private readonly underWay = new Map<JsonRpcId, AbortController>();
  /** The method of each modern request not yet answered: the answer to a tools/list is screened. */
  private readonly methods = new Map<JsonRpcId, string>();
  /** Each listed tool's marked arguments, by the server's tool name. */
  private readonly paramHeaders = new Map<string, readonly ParamHeader[]>();

  constructor(
    private readonly base: FetchLike,
    private readonly log: (line: string) => void,
  ) {}

  readonly fetch: FetchLike = async (url, init) => {
    const request = init?.method === 'POST' ? modernRequestOf(init.body) : undefined;
    if (!request) return this.base(url, init);
    const headers = new Headers(init!.headers);
    headers.set('mcp-protocol-version', request.version);
    headers.set('mcp-method', request.method);
    const nameField = Object.hasOwn(MCP_NAME_SOURCE, request.method) ? MCP_NAME_SOURCE[request.method] : undefined;
    const name = nameField === undefined ? undefined : request.params[nameField];
    if (typeof name === 'string') headers.set('mcp-name', encodeHeaderValue(name));
    if (request.method === 'tools/call' && typeof name === 'string') {
      for (const [header, value] of paramHeaderValues(this.paramHeaders.get(name) ?? [], request.params.arguments, encodeHeaderValue)) headers.set(header, value);
    }
    this.methods.set(request.id, request.method);
    const stream = new AbortController();
    init!.signal?.addEventListener('abort', () => stream.abort(), { once: true });
    this.underWay.get(request.id)?.abort();
    this.underWay.set(request.id, stream);
    let response: Response;
    try {
      response = await this.base(url, { ...init, headers, signal: stream.signal });
    } catch (err) {
      // Withdrawn before the server answered: nothing went wrong with the connection.
      if (stream.signal.aborted && !init!.signal?.aborted) return new Response(null, { status: 202 });
      this.underWay.delete(request.id);
      this.methods.delete(request.id);
      throw err;
    }
    if (response.ok) {
      const sse = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
      if (!sse || !response.body) return response;
      return new Response(withoutEventIds(response.body, stream.signal), { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    // 401 and 403 are the OAuth flow's (sign-in, step-up); 5xx and redirects stay transport failures.
    if (response.status < 400 || response.status >= 500 || response.status === 401 || response.status === 403) return response;
    this.underWay.delete(request.id);
    return jsonAnswer(await refusal(response, request.id));
  };

  /** Ends the stream of request `id` if it is a modern one under way (its cancellation); false otherwise. */
  cancel(id: unknown): boolean {
    if (!isValidId(id)) return false;
    const stream = this.underWay.get(id);
    if (!stream) return false;
    this.underWay.delete(id);
    this.methods.delete(id);
    stream.abort();
    return true;
  }

  /**
   * A message from the server, before anyone else sees it. The answer to a modern request ends its
   * stream's tracking; a tools/list answer loses the tools whose `x-mcp-header` marks are invalid
   * (SEP-2243: a client must not call them) and teaches us the marks of the others.
   */
  received<T>(message: T): T {
    if (!isRecord(message) || 'method' in message || !isValidId(message.id)) return message;
    const id = message.id;
    this.underWay.delete(id);
    const method = this.methods.get(id);
    this.methods.delete(id);
    if (method !== 'tools/list' || !isRecord(message.result) || !Array.isArray(message.result.tools)) return message;
    const request = message.result;
    const kept: unknown[] = [];
    for (const tool of request.tools as unknown[]) {
      if (!isRecord(tool) || typeof tool.name !== 'string') {
        kept.push(tool); // the router's own checks refuse it
        continue;
      }
      const scan = scanParamHeaders(tool.inputSchema);
      if ('invalid' in scan) {
        this.paramHeaders.delete(tool.name);
        this.log(`left out tool '${tool.name.slice(0, 100)}': ${scan.invalid.slice(0, 200)}`);
        continue;
      }
      if (scan.headers.length) this.paramHeaders.set(tool.name, scan.headers);
      else this.paramHeaders.delete(tool.name);
      kept.push(tool);
    }
    return { ...message, result: { ...request, tools: kept } };
  }

  /** The connection ends: every stream with it. */
  endAll(): void {
    for (const stream of this.underWay.values()) stream.abort();
    this.underWay.clear();
    this.methods.clear();
  }
}

/** A 4xx to a modern request as a JSON-RPC answer: the server's own error for this id, else one in our words. */
async function refusal(response: Response, id: JsonRpcId): Promise<Record<string, unknown>> {
  const text = await readBounded(response);
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isRecord(parsed) && parsed.id === id && isRecord(parsed.error) && Number.isSafeInteger(parsed.error.code) && typeof parsed.error.message === 'string' && !('result' in parsed)) {
    return { jsonrpc: '2.0', id, error: parsed.error };
  }
  // No modern error body: a server that does not speak 2026-07-28 (a legacy one wants a session first).
  return { jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message: `The server refused the request with HTTP ${response.status}`, data: { httpStatus: response.status } } };
}

async function readBounded(response: Response): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
      if (text.length > MAX_ERROR_BODY_CHARS) {
        void reader.cancel().catch(() => undefined);
        return undefined;
      }
    }
  } catch {
    return undefined;
  }
}

function jsonAnswer(message: Record<string, unknown>): Response {
  return new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json' } });
}
