// The upstream map a per-server session sees: the gateway's live map narrowed to one name, so a
// config reload that replaces or removes that server is seen at once (a copy would go stale).
import type { Upstream } from '../upstream';

export function oneUpstreamView(all: ReadonlyMap<string, Upstream>, name: string): ReadonlyMap<string, Upstream> {
  const entries = (): [string, Upstream][] => {
    const upstream = all.get(name);
    return upstream ? [[name, upstream]] : [];
  };
  const view: ReadonlyMap<string, Upstream> = {
    get: (key) => (key === name ? all.get(name) : undefined),
    has: (key) => key === name && all.has(name),
    get size() {
      return entries().length;
    },
    forEach: (callback, thisArg?: unknown) => {
      for (const [key, value] of entries()) callback.call(thisArg, value, key, view);
    },
    entries: () => entries()[Symbol.iterator](),
    keys: () => entries().map(([key]) => key)[Symbol.iterator](),
    values: () => entries().map(([, value]) => value)[Symbol.iterator](),
    [Symbol.iterator]: () => entries()[Symbol.iterator](),
  };
  return view;
}
