// The request metadata headers of MCP 2026-07-28 over Streamable HTTP (spec page basic/transports/
// streamable-http, "Request Metadata"): `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and the
// tool-defined `Mcp-Param-{Name}` mirror fields of the body so that intermediaries can route on them
// without parsing it. A server that reads the body must reject any header that disagrees with it
// (400, -32020 HeaderMismatch): otherwise a load balancer or a policy in front of the gateway could
// be shown one tool name while the gateway runs another.
import type { IncomingHttpHeaders } from 'node:http';
import { isRecord } from '../../shared/jsonrpc';
import { ModernErrorCode } from '../eras/modern-meta';

/** A refusal of a modern POST: the HTTP status and the JSON-RPC error. */
export interface HeaderRefusal {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

/** Where one `x-mcp-header` annotated parameter sits in a tool's arguments (a chain of `properties` keys). */
export interface MirroredParam {
  readonly header: string;
  readonly path: readonly string[];
  readonly type: 'string' | 'integer' | 'boolean';
}

/** Methods whose target (`params.name` or `params.uri`) is mirrored in `Mcp-Name`. */
const NAME_FIELD: Readonly<Record<string, 'name' | 'uri'>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** Bounds on what a tool schema can make us walk and check per call. */
const MAX_SCHEMA_DEPTH = 8;
const MAX_MIRRORED_PARAMS = 32;

/** Header values are visible ASCII, space and tab (RFC 9110 §5.5); anything else is refused, never compared. */
const FIELD_VALUE = /^[\x20-\x7e\t]*$/;
const BASE64_SENTINEL = /^=\?base64\?(.*)\?=$/s;
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const mismatch = (message: string): HeaderRefusal => ({ status: 400, code: ModernErrorCode.HeaderMismatch, message: `Header mismatch: ${message}` });

/** One header as a string (a repeated header is refused: which copy would an intermediary have read?). */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined | HeaderRefusal {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return mismatch(`${name} is sent more than once`);
  if (!FIELD_VALUE.test(value)) return mismatch(`${name} contains characters a header value cannot carry (encode it as =?base64?…?=)`);
  // RFC 9110 §5.5: whitespace around a field value is not part of it.
  return value.trim();
}

/** A mirrored value as sent: the `=?base64?…?=` form decoded (strictly: bad padding or letters are refused). */
function decoded(name: string, value: string): string | HeaderRefusal {
  const sentinel = BASE64_SENTINEL.exec(value);
  if (!sentinel) return value;
  const text = sentinel[1]!;
  if (!BASE64_TEXT.test(text)) return mismatch(`${name} is not valid Base64 inside =?base64?…?=`);
  return Buffer.from(text, 'base64').toString('utf8');
}

/** Shortened for an error message (the client's own text, but bounded). */
const quote = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/**
 * Checks a modern request's headers against its body; `mirrored` are the annotated parameters of the
 * tool being called, as its last `tools/list` on this endpoint showed them (none when not known).
 */
export function checkRequestHeaders(headers: IncomingHttpHeaders, method: string, params: Record<string, unknown> | undefined, mirrored: readonly MirroredParam[]): HeaderRefusal | undefined {
  const methodHeader = headerValue(headers, 'mcp-method');
  if (typeof methodHeader === 'object') return methodHeader;
  if (methodHeader === undefined) return mismatch('the Mcp-Method header is required');
  if (methodHeader !== method) return mismatch(`Mcp-Method ${quote(methodHeader)} does not match the body's method ${quote(method)}`);
  const field = Object.hasOwn(NAME_FIELD, method) ? NAME_FIELD[method] : undefined;
  const nameHeader = headerValue(headers, 'mcp-name');
  if (typeof nameHeader === 'object') return nameHeader;
  if (field !== undefined) {
    const bodyName = params?.[field];
    if (typeof bodyName === 'string' && nameHeader === undefined) return mismatch(`the Mcp-Name header is required for ${method} (params.${field})`);
    if (nameHeader !== undefined) {
      const name = decoded('Mcp-Name', nameHeader);
      if (typeof name === 'object') return name;
      if (name !== bodyName) return mismatch(`Mcp-Name ${quote(name)} does not match params.${field}`);
    }
  }
  return method === 'tools/call' ? checkParamHeaders(headers, params?.arguments, mirrored) : undefined;
}

function checkParamHeaders(headers: IncomingHttpHeaders, args: unknown, mirrored: readonly MirroredParam[]): HeaderRefusal | undefined {
  const known = new Set<string>();
  for (const param of mirrored) {
    const headerName = `mcp-param-${param.header.toLowerCase()}`;
    known.add(headerName);
    const sent = headerValue(headers, headerName);
    if (typeof sent === 'object') return sent;
    const value = valueAt(args, param.path);
    if (value === undefined || value === null) {
      if (sent !== undefined) return mismatch(`Mcp-Param-${param.header} is sent but the argument is absent`);
      continue;
    }
    if (sent === undefined) return mismatch(`the Mcp-Param-${param.header} header is required: the argument ${param.path.join('.')} is present`);
    const text = decoded(`Mcp-Param-${param.header}`, sent);
    if (typeof text === 'object') return text;
    if (!sameValue(text, value)) return mismatch(`Mcp-Param-${param.header} does not match the argument ${param.path.join('.')}`);
  }
  // Parameters we do not know about (no tools/list seen yet): their encoding is still checked.
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('mcp-param-') || known.has(name) || typeof value !== 'string') continue;
    const text = headerValue(headers, name);
    if (typeof text === 'object') return text;
    const checked = decoded(name, text!);
    if (typeof checked === 'object') return checked;
  }
  return undefined;
}

/** Integers compare numerically (`42.0` is 42), booleans as `true`/`false`, strings as they are. */
function sameValue(header: string, value: unknown): boolean {
  if (typeof value === 'string') return header === value;
  if (typeof value === 'boolean') return header === String(value);
  if (typeof value === 'number') return header.trim() !== '' && Number(header) === value;
  return false;
}

function valueAt(args: unknown, path: readonly string[]): unknown {
  let at: unknown = args;
  for (const key of path) {
    if (!isRecord(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/**
 * The `x-mcp-header` annotations of a tool's input schema: only on primitive properties reached
 * through `properties` keys alone (spec page server/tools), bounded in depth and number. A malformed
 * annotation is skipped: checking a header against it would refuse calls for the server's mistake.
 */
export function mirroredParams(inputSchema: unknown): MirroredParam[] {
  const found: MirroredParam[] = [];
  const walk = (schema: unknown, path: string[]): void => {
    if (!isRecord(schema) || path.length > MAX_SCHEMA_DEPTH || !isRecord(schema.properties)) return;
    for (const [key, property] of Object.entries(schema.properties)) {
      if (found.length >= MAX_MIRRORED_PARAMS || !isRecord(property)) continue;
      const header = property['x-mcp-header'];
      const type = property.type;
      if (typeof header === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(header) && (type === 'string' || type === 'integer' || type === 'boolean')) {
        found.push({ header, path: [...path, key], type });
      }
      walk(property, [...path, key]);
    }
  };
  walk(inputSchema, []);
  return found;
}
