// How the gateway names what it aggregates: `server__tool`. Both processes build and read these
// names (router, pins CLI, control link, views, commands), so the convention lives here once.

/** Separator between server and item names; the first occurrence splits (`fs__read__file` → fs, read__file). */
export const NAMESPACE_SEPARATOR = '__';

/**
 * Tool names a server may use (the MCP naming guidance: letters, digits, `_`, `-`, `.`, 1-128):
 * a listed tool whose name breaks it is left out by the router.
 */
export const UPSTREAM_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** The name a client sees for a server's tool, prompt or resource: `server__name`. */
export function namespacedName(server: string, name: string): string {
  return `${server}${NAMESPACE_SEPARATOR}${name}`;
}

/** Splits a namespaced name, or returns undefined when it has no separator or an empty part. */
export function splitNamespaced(name: string): { server: string; name: string } | undefined {
  const at = name.indexOf(NAMESPACE_SEPARATOR);
  if (at <= 0 || at + NAMESPACE_SEPARATOR.length >= name.length) return undefined;
  return { server: name.slice(0, at), name: name.slice(at + NAMESPACE_SEPARATOR.length) };
}

/**
 * Splits a namespaced name after the name of a known server. It differs from `splitNamespaced` only
 * where a server's name ends in `_`: the tools of a server named `fs_` are `fs___x`, which the first
 * separator would split as server `fs`, tool `_x`. The server part ends at the first separator or
 * inside the run of `_` that starts there; the longest known server wins. When none is known, the
 * first separator splits (and the caller reports that server as unknown).
 */
export function splitNamespacedAmong(name: string, isServer: (server: string) => boolean): { server: string; name: string } | undefined {
  const first = name.indexOf(NAMESPACE_SEPARATOR);
  if (first <= 0) return undefined;
  // A server's name never holds the separator, so its part ends at `first` or one `_` later: two
  // candidates at most, however long the run of `_` (the name is the client's, of any length).
  for (const at of [first + 1, first]) {
    if (!name.startsWith(NAMESPACE_SEPARATOR, at)) continue;
    const rest = name.slice(at + NAMESPACE_SEPARATOR.length);
    const server = name.slice(0, at);
    if (rest !== '' && isServer(server)) return { server, name: rest };
  }
  return splitNamespaced(name);
}

/** Whether a name holds the separator at all (a server name must not: it would split wrongly). */
export function hasNamespaceSeparator(name: string): boolean {
  return name.includes(NAMESPACE_SEPARATOR);
}
