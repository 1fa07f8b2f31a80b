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

function isPlainObject(value: unknown): value is Record<string, unknown> {
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

/** What an untrusted parsed value turned out to be, or why it is not a JSON-RPC 2.0 message. */
export type Classified =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | { kind: 'invalid'; code: number; reason: string; id: JsonRpcId | null };

/**
 * Classifies a parsed JSON value received from a peer. Never throws. Batches (arrays) are
 * rejected: MCP removed them and they could carry calls past per-message filters.
 */
export function classifyMessage(value: unknown): Classified {
  if (Array.isArray(value)) {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: 'Batch requests are not supported', id: null };
  }
  if (!isPlainObject(value)) {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: 'Message must be a JSON object', id: null };
  }
  const rawId = value.id;
  const idForError = isValidId(rawId) ? rawId : null;
  if (value.jsonrpc !== '2.0') {
    return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Field 'jsonrpc' must be \"2.0\"", id: idForError };
  }
  if ('method' in value) {
    if (typeof value.method !== 'string' || value.method.length === 0) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Field 'method' must be a non-empty string", id: idForError };
    }
    if ('id' in value && !isValidId(rawId)) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Field 'id' must be a string or an integer", id: null };
    }
    if ('params' in value && value.params !== undefined && !isPlainObject(value.params)) {
      return { kind: 'invalid', code: ErrorCode.InvalidParams, reason: "Field 'params' must be an object", id: idForError };
    }
    if ('id' in value) return { kind: 'request', message: value as unknown as JsonRpcRequest };
    return { kind: 'notification', message: value as unknown as JsonRpcNotification };
  }
  if ('result' in value || 'error' in value) {
    if (!isValidId(rawId) && !(rawId === null && 'error' in value)) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response 'id' must be a string or an integer", id: null };
    }
    if ('error' in value) {
      const err = value.error;
      if (!isPlainObject(err) || typeof err.code !== 'number' || typeof err.message !== 'string') {
        return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response 'error' must have a numeric code and a string message", id: idForError };
      }
    } else if (!isPlainObject(value.result)) {
      return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Response 'result' must be an object", id: idForError };
    }
    return { kind: 'response', message: value as unknown as JsonRpcResponse };
  }
  return { kind: 'invalid', code: ErrorCode.InvalidRequest, reason: "Message has neither 'method' nor 'result'/'error'", id: idForError };
}

export function makeError(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcFailure {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

export function makeResult(id: JsonRpcId, result: Record<string, unknown>): JsonRpcSuccess {
  return { jsonrpc: '2.0', id, result };
}
