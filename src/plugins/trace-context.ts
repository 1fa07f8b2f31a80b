// W3C Trace Context as MCP carries it: `traceparent`, `tracestate` and `baggage` are root keys of a
// request's `params._meta` (MCP 2026-07-28, SEP-414). Reads a client's context strictly and writes
// the gateway's own span into the request it forwards. Pure: no OpenTelemetry here, so the parsing
// rules are tested on their own and the router never learns about tracing.
import type { JsonRpcRequest } from '../shared/jsonrpc';

/** A request as read here: any read-only view of one (the plugin types import this module's types). */
type RequestView = Readonly<Pick<JsonRpcRequest, 'jsonrpc' | 'id' | 'method'>> & { readonly params?: unknown };

/** A valid parent taken from a request: lowercase hex ids, never all zero. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace-flags byte (bit 0: sampled). */
  readonly flags: number;
  /** The `tracestate` that came with it, when it is well formed (passed on, never interpreted). */
  readonly traceState?: string;
}

/**
 * Version 00 only, exactly 55 characters, lowercase hex (W3C: "vendors MUST ignore the traceparent
 * when" it has uppercase, a wrong length, or all-zero ids). A later version may add fields, but we
 * cannot know what they mean, so a value with extra fields starts a new trace rather than continuing
 * one on a guess.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** W3C tracestate: at most 32 list members, each `key=value` of printable ASCII without `,` or `=` in the value. */
const TRACESTATE_MEMBER = /^[a-z0-9][a-z0-9_\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE_LENGTH = 512;

/** What a request carried as trace context: a parent to continue, or why there is none. */
export type IncomingTrace = { readonly parent: TraceParent; readonly invalid?: undefined } | { readonly parent?: undefined; readonly invalid: boolean };

/** The request's `params._meta` when it is a plain object (own keys only: the request is hostile). */
function metaOf(request: RequestView): Readonly<Record<string, unknown>> | undefined {
  const params: unknown = request.params;
  if (typeof params !== 'object' || params === null || Array.isArray(params) || !Object.hasOwn(params, '_meta')) return undefined;
  const meta = (params as Record<string, unknown>)._meta;
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
}

/** Parses a `traceparent` value; undefined for anything not strictly valid. */
export function parseTraceParent(value: unknown): Omit<TraceParent, 'traceState'> | undefined {
  if (typeof value !== 'string' || value.length !== 55) return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** A `tracestate` value when well formed (W3C list rules, bounded), else undefined. */
export function parseTraceState(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TRACESTATE_LENGTH) return undefined;
  const members = value.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (members.length === 0 || members.length > 32) return undefined;
  return members.every((m) => TRACESTATE_MEMBER.test(m)) ? members.join(',') : undefined;
}

/**
 * The trace context a request carries in `_meta`: a parent when `traceparent` is valid; otherwise
 * `invalid` says whether a value was there and refused (never the value itself: it is hostile text).
 */
export function incomingTrace(request: RequestView): IncomingTrace {
  const meta = metaOf(request);
  if (!meta || !Object.hasOwn(meta, 'traceparent')) return { invalid: false };
  const parsed = parseTraceParent(meta.traceparent);
  if (!parsed) return { invalid: true };
  const traceState = Object.hasOwn(meta, 'tracestate') ? parseTraceState(meta.tracestate) : undefined;
  return { parent: traceState === undefined ? parsed : { ...parsed, traceState } };
}

/** A `traceparent` value for a span (version 00). */
export function formatTraceParent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The request with `_meta.traceparent` set to `traceparent` (ours replaces the client's), the rest
 * of `params` and `_meta` kept as they were; a client `tracestate` that was not well formed is
 * dropped rather than passed on beside a parent it does not belong to. Params that are not an object
 * (absent, or an array a server would refuse anyway) get `{_meta}` only when absent.
 */
export function withTraceParent(request: RequestView, traceparent: string, traceState: string | undefined): JsonRpcRequest {
  const params: unknown = request.params;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) return request as JsonRpcRequest;
  const meta: Record<string, unknown> = { ...metaOf(request) };
  // Defined as own data properties: a `_meta` key named `__proto__` must stay a key, never a prototype.
  define(meta, 'traceparent', traceparent);
  if (traceState !== undefined) define(meta, 'tracestate', traceState);
  else delete meta.tracestate;
  const next: Record<string, unknown> = { ...(params as Record<string, unknown> | undefined) };
  define(next, '_meta', meta);
  return { ...(request as JsonRpcRequest), params: next };
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
