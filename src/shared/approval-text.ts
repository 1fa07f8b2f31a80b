// How a tool call's arguments are shown to the person asked to approve it: one readable line per
// argument, characters a reader cannot see (bidi overrides, zero-width, controls) shown as escapes,
// long values cut with the count of what was left out. Pure: the gateway's elicitation message and
// the extension's prompt share it.
import { escapeForReader, HIDDEN_CHARACTER } from './definition-diff';

/** Characters of one value shown in the summary before it is cut. */
export const MAX_SHOWN_VALUE_CHARS = 200;
/** Arguments listed in the summary; the rest are counted. */
export const MAX_SHOWN_ARGUMENTS = 12;

/** The arguments as summary lines, and whether anything was cut (then offer {@link renderArgumentsInFull}). */
export interface ArgumentSummary {
  readonly lines: string[];
  readonly truncated: boolean;
}

/** Text with every hidden character replaced by its `\u{…}` escape. */
export function escapeHidden(text: string): string {
  return text.replace(HIDDEN_CHARACTER, escapeForReader);
}

/** A value as one line of JSON (strings quoted, so newlines and quotes show as escapes), hidden characters escaped. */
function oneLine(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined; // nesting too deep, a BigInt: a call's arguments came as JSON, so this is rare
  }
  return escapeHidden(json ?? String(value));
}

function cut(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  return { text: `${text.slice(0, max)}… (${text.length - max} more characters)`, cut: true };
}

/** One line per argument (`name: value`), or one line for arguments that are not an object. */
export function summarizeArguments(args: unknown, maxValueChars = MAX_SHOWN_VALUE_CHARS): ArgumentSummary {
  if (args === undefined) return { lines: ['(no arguments)'], truncated: false };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    const shown = cut(oneLine(args), maxValueChars);
    return { lines: [shown.text], truncated: shown.cut };
  }
  const keys = Object.keys(args);
  if (keys.length === 0) return { lines: ['(no arguments)'], truncated: false };
  const lines: string[] = [];
  let truncated = false;
  for (const key of keys.slice(0, MAX_SHOWN_ARGUMENTS)) {
    const name = cut(escapeHidden(key), 64);
    const value = cut(oneLine((args as Record<string, unknown>)[key]), maxValueChars);
    truncated ||= name.cut || value.cut;
    lines.push(`${name.text}: ${value.text}`);
  }
  if (keys.length > MAX_SHOWN_ARGUMENTS) {
    lines.push(`… and ${keys.length - MAX_SHOWN_ARGUMENTS} more arguments`);
    truncated = true;
  }
  return { lines, truncated };
}

/** Every argument in full: pretty JSON with hidden characters escaped (what "show all" opens). */
export function renderArgumentsInFull(args: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(args ?? {}, null, 2);
  } catch {
    json = undefined;
  }
  return `${escapeHidden(json ?? String(args))}\n`;
}
