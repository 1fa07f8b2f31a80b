// How a tool definition is shown as text (the two sides of the diff before approving a change).
// Pure, so the extension and its unit tests share it.

/**
 * Keys sorted at every level, so a diff lines up what changed and nothing else. The copies have no
 * prototype: a key named `__proto__` from a server stays a visible key instead of setting the
 * prototype and vanishing from the diff a user approves.
 */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value).sort()) sorted[key] = sortedKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** A definition as the documents show it: pretty JSON with sorted keys. */
export function renderDefinition(definition: unknown): string {
  return `${JSON.stringify(sortedKeys(definition), null, 2)}\n`;
}
