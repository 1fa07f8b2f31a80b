// JSON-RPC 2.0 message shapes as MCP uses them, with small pure guards and the gateway's error codes.

/** A request or response id. MCP allows strings and integers; `1` and `"1"` are different ids. */
export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: Record<string, unknown>;
}

export interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** Error codes the gateway answers with (see docs/architecture in shared/design). */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  SecurityBlocked: -32000,
  ConfigInvalid: -32001,
  UnknownPlugin: -32002,
  UpstreamUnavailable: -32004,
} as const;

/** A JSON object (not an array, not null): the one shape check of untrusted values. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id is a string or a safe integer (MCP forbids null ids on requests). */
export function isValidId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** Guards over already-validated messages (see `classifyMessage` for untrusted input). */
export const Message = {
  isRequest(m: JsonRpcMessage): m is JsonRpcRequest {
    return 'method' in m && 'id' in m;
  },
  isNotification(m: JsonRpcMessage): m is JsonRpcNotification {
    return 'method' in m && !('id' in m);
  },
  isResponse(m: JsonRpcMessage): m is JsonRpcResponse {
    return !('method' in m) && ('result' in m || 'error' in m);
  },
  isFailure(m: JsonRpcMessage): m is JsonRpcFailure {
    return !('method' in m) && 'error' in m;
  },
};

/**
 * What an untrusted parsed value turned out to be, or why it is not a JSON-RPC 2.0 message. A valid
 * message is rebuilt from the members the protocol defines (see {@link classifyMessage}); `exact`
 * says whether that left nothing out, i.e. whether the rebuilt message is the whole value.
 */
export type Classified =
  | { kind: 'request'; message: JsonRpcRequest; exact: boolean }
  | { kind: 'notification'; message: JsonRpcNotification; exact: boolean }
  | { kind: 'response'; message: JsonRpcResponse; exact: boolean }
  | { kind: 'invalid'; code: number; reason: string; id: JsonRpcId | null };

/**
 * Classifies a parsed JSON value received from a peer. Never throws. Batches (arrays) are
 * rejected: MCP removed them and they could carry calls past per-message filters. A response must
 * carry exactly one of `result` and `error`: with both, a filter would scan one while a client
 * might read the other.
 *
 * The message returned holds only the members JSON-RPC defines (`jsonrpc`, `id`, `method`,
 * `params`, `result`, `error` with `code`, `message`, `data`): security plugins scan content, so
 * anything else a peer adds would travel on unscanned.
 */
export function classifyMessage(value: unknown): Classified {
  if (Array.isArray(value)) {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: 'Batch requests are not supported', id: null };
  }
  if (!isRecord(value)) {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: 'Message must be a JSON object', id: null };
  }
  const rawId = value.id;
  const idForError = isValidId(rawId) ? rawId : null;
  if (value.jsonrpc !== '2.0') {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Field 'jsonrpc' must be \"2.0\"", id: idForError };
  }
  const hasId = Object.hasOwn(value, 'id');
  if (Object.hasOwn(value, 'method')) {
    if (typeof value.method !== 'string' || value.method.length === 0) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Field 'method' must be a non-empty string", id: idForError };
    }
    if (hasId && !isValidId(rawId)) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Field 'id' must be a string or an integer", id: null };
    }
    const hasParams = Object.hasOwn(value, 'params') && value.params !== undefined;
    if (hasParams && !isRecord(value.params)) {
      return { kind: 'invalid', code: ErrorCode.InvalidParams, reason: "Field 'params' must be an object", id: idForError };
    }
    const params = value.params as Record<string, unknown>;
    const members = 2 + (hasId ? 1 : 0) + (Object.hasOwn(value, 'params') ? 1 : 0);
    const exact = memberCount(value) === members;
    if (hasId) {
      const message: JsonRpcRequest = hasParams ? { jsonrpc: '2.0', id: rawId as JsonRpcId, method: value.method, params } : { jsonrpc: '2.0', id: rawId as JsonRpcId, method: value.method };
      return { kind: 'request', message, exact };
    }
    const message: JsonRpcNotification = hasParams ? { jsonrpc: '2.0', method: value.method, params } : { jsonrpc: '2.0', method: value.method };
    return { kind: 'notification', message, exact };
  }
  const hasResult = Object.hasOwn(value, 'result');
  const hasError = Object.hasOwn(value, 'error');
  if (hasResult && hasError) {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response has both 'result' and 'error'", id: idForError };
  }
  if (hasResult || hasError) {
    if (!isValidId(rawId) && !(rawId === null && hasError)) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response 'id' must be a string or an integer", id: null };
    }
    const id = rawId as JsonRpcId | null;
    if (hasError) {
      const err = value.error;
      if (!isRecord(err) || typeof err.code !== 'number' || typeof err.message !== 'string') {
        return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response 'error' must have a numeric code and a string message", id: idForError };
      }
      const hasData = Object.hasOwn(err, 'data');
      // Built here, never by makeError: an upstream's error must not pass for the gateway's own.
      const error: JsonRpcErrorObject = hasData ? { code: err.code, message: err.message, data: err.data } : { code: err.code, message: err.message };
      const exact = memberCount(value) === 3 && memberCount(err) === (hasData ? 3 : 2);
      return { kind: 'response', message: { jsonrpc: '2.0', id, error }, exact };
    }
    if (!isRecord(value.result)) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response 'result' must be an object", id: idForError };
    }
    return { kind: 'response', message: { jsonrpc: '2.0', id: id as JsonRpcId, result: value.result }, exact: memberCount(value) === 3 };
  }
  return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Message has neither 'method' nor 'result'/'error'", id: idForError };
}

/** Own enumerable members of a parsed object (JSON.parse makes every member one). */
function memberCount(record: Record<string, unknown>): number {
  let count = 0;
  for (const key in record) if (Object.hasOwn(record, key)) count++;
  return count;
}

/**
 * Error objects the gateway wrote itself (see {@link makeError}), as opposed to ones a peer sent:
 * only their text may be quoted in reports (unavailable servers, start-up failures) unscanned.
 */
const gatewayErrors = new WeakSet<JsonRpcErrorObject>();

/** Whether `error` was made by this gateway (its text is ours), not received from a peer. */
export function isGatewayError(error: JsonRpcErrorObject): boolean {
  return gatewayErrors.has(error);
}

/**
 * A short description of an error for reports: the gateway's own message, or for a peer's error
 * only its code (a peer's text may carry secrets or instructions that no filter has seen).
 */
export function describeError(error: JsonRpcErrorObject): string {
  return isGatewayError(error) ? error.message : `upstream error ${Number.isFinite(error.code) ? error.code : 'without a code'}`;
}

export function makeError(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcFailure {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  gatewayErrors.add(error);
  return { jsonrpc: '2.0', id, error };
}

export function makeResult(id: JsonRpcId, result: Record<string, unknown>): JsonRpcSuccess {
  return { jsonrpc: '2.0', id, result };
}
