// What the gateway accepts as a tool or prompt from a server's list, decided once, in the router,
// before any plugin sees the list: so pinning, filters and the allowlist all judge the same tools,
// and the client never sees an entry it could not call or that two definitions share.
import { isRecord } from '../shared/jsonrpc';
import { UPSTREAM_TOOL_NAME } from '../shared/namespacing';

export type NamedListKey = 'tools' | 'prompts';

/** An entry left out of a server's list, with a reason written by the gateway (never the server's text). */
export interface LeftOut {
  /** The entry's name when it is a plain identifier that is safe to show, else undefined. */
  readonly name?: string;
  readonly reason: string;
}

export interface ScreenedList {
  readonly items: Record<string, unknown>[];
  readonly leftOut: LeftOut[];
}

/** Names quoted in reasons and logs: plain identifiers only, so a name cannot forge a log line or carry instructions. */
const QUOTABLE_NAME = UPSTREAM_TOOL_NAME;

const PROMPT_NAME_MAX = 128;

function isObjectSchema(value: unknown): boolean {
  return isRecord(value) && value['type'] === 'object';
}

/** Why `tool` is not a tool the gateway can offer (the MCP Tool type), or undefined when it is. */
function toolProblem(tool: Record<string, unknown>): string | undefined {
  const name = tool['name'];
  if (typeof name !== 'string') return `'name' is ${describeType(name)}, not a string`;
  if (!UPSTREAM_TOOL_NAME.test(name)) return "'name' breaks the tool-name rule (1-128 letters, digits, '_', '-', '.')";
  if (!isObjectSchema(tool['inputSchema'])) return "'inputSchema' is missing or not a JSON Schema object with type 'object'";
  if (tool['outputSchema'] !== undefined && !isObjectSchema(tool['outputSchema'])) return "'outputSchema' is not a JSON Schema object with type 'object'";
  for (const key of ['title', 'description'] as const) {
    if (tool[key] !== undefined && typeof tool[key] !== 'string') return `'${key}' is ${describeType(tool[key])}, not a string`;
  }
  for (const key of ['annotations', 'execution', '_meta'] as const) {
    if (tool[key] !== undefined && !isRecord(tool[key])) return `'${key}' is ${describeType(tool[key])}, not an object`;
  }
  if (tool['icons'] !== undefined && !Array.isArray(tool['icons'])) return `'icons' is ${describeType(tool['icons'])}, not an array`;
  return undefined;
}

/** Prompts are only routed by name: the name must be a string that fits on one line. */
function promptProblem(prompt: Record<string, unknown>): string | undefined {
  const name = prompt['name'];
  if (typeof name !== 'string') return `'name' is ${describeType(name)}, not a string`;
  if (name === '' || name.length > PROMPT_NAME_MAX || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    return `'name' is empty, longer than ${PROMPT_NAME_MAX} characters or holds control characters`;
  }
  if (prompt['arguments'] !== undefined && !Array.isArray(prompt['arguments'])) return `'arguments' is ${describeType(prompt['arguments'])}, not an array`;
  return undefined;
}

function describeType(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Keeps the entries of one server's complete list (every page) that are valid tools or prompts and
 * whose name no other entry of the list shares. Every copy of a name listed twice is left out: the
 * server could run either definition, so neither can be shown or pinned as the tool.
 */
export function screenList(key: NamedListKey, entries: readonly unknown[]): ScreenedList {
  const what = key === 'tools' ? 'tool' : 'prompt';
  const leftOut: LeftOut[] = [];
  const candidates: { item: Record<string, unknown>; name: string }[] = [];
  // Counted over valid and invalid entries alike: a broken second copy still means two definitions.
  const copies = new Map<string, number>();
  entries.forEach((entry, index) => {
    const name = isRecord(entry) && typeof entry['name'] === 'string' ? entry['name'] : undefined;
    if (name !== undefined) copies.set(name, (copies.get(name) ?? 0) + 1);
    const problem = !isRecord(entry) ? `is ${describeType(entry)}, not an object` : key === 'tools' ? toolProblem(entry) : promptProblem(entry);
    if (problem !== undefined) {
      leftOut.push(named(name, `${what} ${label(name, index)} left out: ${problem}`));
      return;
    }
    candidates.push({ item: entry as Record<string, unknown>, name: name! });
  });
  const items: Record<string, unknown>[] = [];
  const reported = new Set<string>();
  for (const candidate of candidates) {
    const count = copies.get(candidate.name)!;
    if (count === 1) {
      items.push(candidate.item);
      continue;
    }
    if (reported.has(candidate.name)) continue;
    reported.add(candidate.name);
    leftOut.push(named(candidate.name, `${what} ${label(candidate.name, undefined)} left out: listed ${count} times with possibly different definitions (every copy is withheld)`));
  }
  // An invalid copy whose valid twin was withheld above is already counted in that report.
  return { items, leftOut };
}

function named(name: string | undefined, reason: string): LeftOut {
  return name !== undefined && QUOTABLE_NAME.test(name) ? { name, reason } : { reason };
}

/** `'read_file'` for a plain name, else the entry's position (the server's text is not repeated). */
function label(name: string | undefined, index: number | undefined): string {
  if (name !== undefined && QUOTABLE_NAME.test(name)) return `'${name}'`;
  return index === undefined ? '(a name that is not a plain identifier)' : `#${index + 1} of the list`;
}
