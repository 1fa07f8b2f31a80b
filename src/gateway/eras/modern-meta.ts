// The vocabulary of MCP's modern era (revision 2026-07-28 and later), where there is no `initialize`
// handshake: every request carries its protocol version, client identity and capabilities in `_meta`
// (spec page basic/versioning). Defined once here for the adapter that serves such clients.
import { isRecord } from '../../shared/jsonrpc';

/** Modern protocol revisions the gateway serves (ISO dates: newer sorts later). */
export const MODERN_PROTOCOL_VERSIONS = ['2026-07-28'] as const;
const FIRST_MODERN_VERSION = MODERN_PROTOCOL_VERSIONS[0];

/** Reserved `_meta` keys of the modern era. */
export const ModernMeta = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
  logLevel: 'io.modelcontextprotocol/logLevel',
} as const;

/** The per-request keys that describe the client: consumed by the gateway, never passed to a server. */
const CLIENT_ENVELOPE_KEYS: readonly string[] = [ModernMeta.protocolVersion, ModernMeta.clientInfo, ModernMeta.clientCapabilities, ModernMeta.logLevel];

/** Syslog severities of MCP logging (`logging/setLevel`, `_meta` logLevel), least severe first. */
export const LOG_LEVELS: readonly string[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** Where a server names the `inputRequests` key of its request for input (Gatekit's own `_meta` key). */
export const INPUT_KEY_META = 'dev.gatekit/inputKey';

/** Error codes the modern era defines (spec page basic/index, "Error Codes"). */
export const ModernErrorCode = {
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

/** Methods of the earlier revisions that the modern era removed: a modern request naming one is answered -32601. */
export const REMOVED_IN_MODERN: ReadonlySet<string> = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/** Requests a server may answer with `resultType: "input_required"` (spec page basic/patterns/mrtr). */
export const INPUT_CAPABLE_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/**
 * Results a modern client may cache, which must say for how long and for whom (`ttlMs`, `cacheScope`).
 * Servers behind the gateway speak the legacy era and say neither; see cacheHints.
 */
const CACHEABLE_METHODS: ReadonlySet<string> = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover']);

/**
 * A result of `method` as a modern client must get it. `resultType` is always "complete": the servers
 * behind the gateway speak the legacy era, where the field does not exist, so one that sends it (an
 * "input_required" with its own inputRequests, say) is trying to ask the client something past the
 * relay that screens such requests. A cacheable result gets `ttlMs` and `cacheScope`: a well-formed
 * value it already has is kept, else 0 (stale at once: the answer depends on the gateway's policy and
 * servers, which change without telling a cache) and "private" (filtered for this user).
 */
export function withModernResultFields(method: string, result: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = { resultType: 'complete' };
  if (CACHEABLE_METHODS.has(method)) {
    fields.ttlMs = Number.isSafeInteger(result.ttlMs) && (result.ttlMs as number) >= 0 ? result.ttlMs : 0;
    fields.cacheScope = result.cacheScope === 'public' ? 'public' : 'private';
  }
  return { ...result, ...fields };
}

/** Server→client requests that become `inputRequests`, and the client capability each needs. */
export const INPUT_REQUEST_CAPABILITY: Readonly<Record<string, string>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** A version string from the modern era's range (any, supported or not). */
export function isModernVersion(version: string): boolean {
  return version >= FIRST_MODERN_VERSION;
}

/** The per-request envelope of a modern request, as sent (hostile: every field checked). */
export interface ModernEnvelope {
  /** The version the request declares; undefined when `_meta` names none (a legacy request). */
  readonly protocolVersion: string | undefined;
  readonly clientInfo: Record<string, unknown> | undefined;
  readonly capabilities: Record<string, unknown>;
  /** The least severe log level the request wants `notifications/message` for (index into LOG_LEVELS); undefined: none. */
  readonly logLevel: number | undefined;
}

/** Reads the modern envelope of a request's params; a missing or non-string version reads as undefined. */
export function envelopeOf(params: unknown): ModernEnvelope {
  const meta = isRecord(params) && isRecord(params._meta) ? params._meta : undefined;
  const version = meta?.[ModernMeta.protocolVersion];
  const info = meta?.[ModernMeta.clientInfo];
  const capabilities = meta?.[ModernMeta.clientCapabilities];
  const level = meta?.[ModernMeta.logLevel];
  const logLevel = typeof level === 'string' ? LOG_LEVELS.indexOf(level) : -1;
  return {
    logLevel: logLevel === -1 ? undefined : logLevel,
    protocolVersion: typeof version === 'string' ? version : undefined,
    clientInfo: isRecord(info) ? info : undefined,
    capabilities: isRecord(capabilities) ? capabilities : {},
  };
}

/** The params without the client envelope (what a server behind the gateway is sent); other `_meta` keys stay. */
export function withoutEnvelope(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params || !isRecord(params._meta)) return params;
  // fromEntries defines own properties: a `__proto__` key stays a key instead of setting a prototype.
  const meta = Object.fromEntries(Object.entries(params._meta).filter(([key]) => !CLIENT_ENVELOPE_KEYS.includes(key)));
  const { _meta: _dropped, ...rest } = params;
  return Object.keys(meta).length ? { ...rest, _meta: meta } : rest;
}

/**
 * The caching hints of a result merged from several servers' answers (SEP-2549): it may be kept no
 * longer than the shortest `ttlMs` among them, and only shared (`public`) when every one of them is.
 * An answer without a valid hint (every legacy server's) leaves the merged result without one, which
 * a modern client then gets as 0 / "private" (withModernResultFields).
 */
export class MergedCacheHints {
  private answers = 0;
  private shortestTtlMs = Number.MAX_SAFE_INTEGER;
  private ttlUnknown = false;
  private anyPrivate = false;
  private scopeUnknown = false;

  /** One server's answer (a page of its list). */
  note(result: Record<string, unknown>): void {
    this.answers++;
    const ttl = result.ttlMs;
    if (Number.isSafeInteger(ttl) && (ttl as number) >= 0) this.shortestTtlMs = Math.min(this.shortestTtlMs, ttl as number);
    else this.ttlUnknown = true;
    if (result.cacheScope === 'private') this.anyPrivate = true;
    else if (result.cacheScope !== 'public') this.scopeUnknown = true;
  }

  /** The merged hints to put on the result: only those every answer supports. */
  merged(): { ttlMs?: number; cacheScope?: 'public' | 'private' } {
    const hints: { ttlMs?: number; cacheScope?: 'public' | 'private' } = {};
    if (this.answers > 0 && !this.ttlUnknown) hints.ttlMs = this.shortestTtlMs;
    if (this.anyPrivate) hints.cacheScope = 'private';
    else if (this.answers > 0 && !this.scopeUnknown) hints.cacheScope = 'public';
    return hints;
  }
}
