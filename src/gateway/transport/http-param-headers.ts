// SEP-2243 (MCP 2026-07-28 Streamable HTTP, "Schema extension"): a tool may mark arguments with
// `x-mcp-header: Name`, and a client then mirrors those arguments of a `tools/call` into
// `Mcp-Param-Name` headers (so a load balancer or gateway can route on them without parsing the body).
// A tool whose marks break the rules must be left out of the list, never called. The schema is the
// server's: hostile. Bundled into the http chunk only.
import { isRecord } from '../../shared/jsonrpc';

/** One marked argument: where it sits in `arguments`, and the header it goes in. */
export interface ParamHeader {
  readonly path: readonly string[];
  readonly name: string;
}

const X_MCP_HEADER = 'x-mcp-header';
/** RFC 9110 token: no spaces, controls or delimiters, ASCII only. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PERMITTED_TYPES = new Set(['string', 'integer', 'boolean']);
/** Subschemas not reachable by a chain of `properties`: a mark in one of them makes the tool invalid. */
const UNREACHABLE_KEYWORDS = ['items', 'prefixItems', 'contains', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'propertyNames', 'patternProperties', 'dependentSchemas', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions'];
/** Keywords whose value maps names to subschemas. */
const NAMED_SUBSCHEMAS = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);
/** Deeper schemas are refused rather than walked: the walk must not exhaust the stack. */
const MAX_DEPTH = 64;

/** The marked arguments of a tool's inputSchema, or why the tool is invalid. */
export function scanParamHeaders(inputSchema: unknown): { headers: ParamHeader[] } | { invalid: string } {
  const headers: ParamHeader[] = [];
  const seen = new Map<string, string>();
  const visit = (node: unknown, path: string[], reachable: boolean, depth: number): string | undefined => {
    if (!isRecord(node)) return undefined;
    if (depth > MAX_DEPTH) return `the schema is nested more than ${MAX_DEPTH} levels deep`;
    if (Object.hasOwn(node, X_MCP_HEADER)) {
      const where = path.join('.') || '<root>';
      if (!reachable || path.length === 0) return `${where}: x-mcp-header is allowed only on properties reached through 'properties'`;
      const name = node[X_MCP_HEADER];
      if (typeof name !== 'string' || !TOKEN.test(name)) return `${where}: x-mcp-header must be a non-empty header token`;
      if (typeof node.type !== 'string' || !PERMITTED_TYPES.has(node.type)) return `${where}: x-mcp-header is allowed only on string, integer and boolean properties`;
      const prior = seen.get(name.toLowerCase());
      if (prior !== undefined) return `${where}: x-mcp-header '${name}' repeats '${prior}' (names are case-insensitive)`;
      seen.set(name.toLowerCase(), name);
      headers.push({ path, name });
    }
    if (isRecord(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) {
        const fault = visit(child, [...path, key], reachable, depth + 1);
        if (fault !== undefined) return fault;
      }
    }
    for (const keyword of UNREACHABLE_KEYWORDS) {
      const sub = node[keyword];
      if (sub === undefined) continue;
      const branches: unknown[] = Array.isArray(sub) ? sub : isRecord(sub) && NAMED_SUBSCHEMAS.has(keyword) ? Object.values(sub) : [sub];
      for (const branch of branches) {
        const fault = visit(branch, [...path, `<${keyword}>`], false, depth + 1);
        if (fault !== undefined) return fault;
      }
    }
    return undefined;
  };
  const fault = visit(inputSchema, [], true, 0);
  return fault === undefined ? { headers } : { invalid: fault };
}

/** The `Mcp-Param-*` headers of one call: each marked argument that is a primitive, encoded (see encode). */
export function paramHeaderValues(headers: readonly ParamHeader[], args: unknown, encode: (value: string) => string): [string, string][] {
  const out: [string, string][] = [];
  for (const header of headers) {
    let value: unknown = args;
    for (const key of header.path) value = isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
    const text = typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
    if (text !== undefined) out.push([`Mcp-Param-${header.name}`, encode(text)]);
  }
  return out;
}
