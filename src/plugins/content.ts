// Walks the strings of a message's content (request params, response result/error, notification
// params) so security plugins scan text only, and rebuild objects only along changed paths.
import type { JsonRpcMessage } from '../shared/jsonrpc';

/** Path of a string inside the scanned content, e.g. ['arguments', 'query'] or ['tools', 3, 'description']. */
export type ContentPath = readonly (string | number)[];

/**
 * Called for every string value and every object key (a key gets the path of its value: a secret or
 * an instruction can hide in a property name); return a replacement or undefined.
 */
export type StringRewriter = (text: string, path: ContentPath) => string | undefined;

/** Depth beyond which content is not descended into (JSON from a peer can nest arbitrarily deep). */
export const MAX_SCAN_DEPTH = 512;

/** Thrown when content nests deeper than MAX_SCAN_DEPTH: a security plugin must not pass what it cannot scan. */
export class ContentTooDeepError extends Error {
  constructor() {
    super(`content nests deeper than ${MAX_SCAN_DEPTH} levels and cannot be scanned`);
  }
}

/**
 * Returns `value` with every string passed through `rewrite`. Objects and arrays are copied only
 * where something below them changed, so an untouched message stays the very same object.
 */
export function rewriteStrings<T>(value: T, rewrite: StringRewriter): { value: T; changed: boolean } {
  const out = rewriteNode(value, 0, [], rewrite) as T;
  return { value: out, changed: out !== value };
}

// A plain recursive function rather than a closure per call: filters walk every message.
function rewriteNode(node: unknown, depth: number, path: (string | number)[], rewrite: StringRewriter): unknown {
  if (typeof node === 'string') {
    const next = rewrite(node, path);
    return next === undefined ? node : next;
  }
  if (node === null || typeof node !== 'object') return node;
  if (depth > MAX_SCAN_DEPTH) throw new ContentTooDeepError();
  if (Array.isArray(node)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      const next = rewriteNode(node[i], depth + 1, path, rewrite);
      path.pop();
      if (next !== node[i]) {
        copy ??= node.slice();
        copy[i] = next;
      }
    }
    return copy ?? node;
  }
  let copy: Record<string, unknown> | undefined;
  let renames: Map<string, string> | undefined;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    path.push(key);
    const next = rewriteNode(record[key], depth + 1, path, rewrite);
    const newKey = rewrite(key, path);
    path.pop();
    if (newKey !== undefined && newKey !== key) (renames ??= new Map()).set(key, newKey);
    if (next !== record[key]) {
      copy ??= { ...record };
      copy[key] = next;
    }
  }
  if (renames) return renameKeys(copy ?? record, renames);
  return copy ?? node;
}

/** A copy of `record` with keys renamed, in the same order; two keys renamed alike stay apart (`x (2)`). */
function renameKeys(record: Record<string, unknown>, renames: ReadonlyMap<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const wanted = renames.get(key) ?? key;
    let name = wanted;
    for (let n = 2; Object.hasOwn(out, name); n++) name = `${wanted} (${n})`;
    // Defined, not assigned: a key named __proto__ must stay a plain property.
    Object.defineProperty(out, name, { value: record[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The part of a message that carries content: `params`, `result`, or `error`. */
export type ContentKey = 'params' | 'result' | 'error';

export function contentKeyOf(message: JsonRpcMessage): ContentKey | undefined {
  if ('method' in message) return message.params === undefined ? undefined : 'params';
  if ('result' in message) return 'result';
  if ('error' in message) return 'error';
  return undefined;
}

/**
 * Rewrites the strings of a message's content and returns a new message when anything changed
 * (the same object otherwise). The method, id and jsonrpc fields are never touched.
 */
export function rewriteMessageStrings<M extends JsonRpcMessage>(message: M, rewrite: StringRewriter): { message: M; changed: boolean } {
  const key = contentKeyOf(message);
  if (key === undefined) return { message, changed: false };
  const content = (message as unknown as Record<string, unknown>)[key];
  const { value, changed } = rewriteStrings(content, rewrite);
  if (!changed) return { message, changed: false };
  return { message: { ...message, [key]: value } as M, changed: true };
}

/** Strings worth remembering as clean: short tokens without spaces (keys, names, types, ids) repeat across messages. */
const MAX_TOKEN_LENGTH = 64;
const TOKEN_LIKE = /^[\w./:-]+$/;
/** Tokens remembered per detector before the memory starts over (a few hundred kB at most). */
const MAX_REMEMBERED_TOKENS = 1024;

/**
 * Wraps a pure detector (the same text always gives the same findings) so that short token-like
 * strings it once found nothing in are not scanned again. Small messages are mostly such tokens
 * (`content`, `type`, `text`, the tool's name and argument names), each scanned by every filter on
 * every message. Only clean verdicts are remembered, so findings are never served from memory.
 */
export function rememberCleanTokens<F>(detect: (text: string) => F[]): (text: string) => F[] {
  const clean = new Set<string>();
  return (text) => {
    // Only tokens are ever remembered, so a hit needs no shape check.
    if (text.length <= MAX_TOKEN_LENGTH && clean.has(text)) return [];
    const findings = detect(text);
    if (findings.length === 0 && text.length <= MAX_TOKEN_LENGTH && TOKEN_LIKE.test(text)) {
      if (clean.size >= MAX_REMEMBERED_TOKENS) clean.clear();
      clean.add(text);
    }
    return findings;
  };
}
