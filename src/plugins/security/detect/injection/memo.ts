// Values derived once from the rules, which never change: every cache of the injection detector is
// one of these memos. A memo is safe whatever scan fills it, in whatever order: the value it holds
// for a key is a function of the key alone, so a scan started during another sees the same values.

/**
 * The value `memo` holds for `key`, built the first time it is asked for. Setting up the detectors
 * derives many values from rules that never change, and each is derived once for the process.
 */
export function remembered<K, V>(memo: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, build: () => V): V {
  let value = memo.get(key);
  if (value === undefined) memo.set(key, (value = build()));
  return value;
}

/** The items in lists by their key, each list in the items' order. */
export function groupedBy<K, T>(items: Iterable<T>, keysOf: (item: T) => Iterable<K>): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    for (const key of keysOf(item)) {
      const list = groups.get(key);
      if (list) list.push(item);
      else groups.set(key, [item]);
    }
  }
  return groups;
}


/** The value of `build()`, built at the first call (setting up the detectors is left to the first detector built). */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
