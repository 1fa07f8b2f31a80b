// Makes one diagnostic line safe to write: names, messages and stderr text from servers and clients
// end up in log lines, and a raw newline in them forges a line of its own ("gatekit: [other] …"),
// a carriage return or escape sequence overwrites what a terminal shows, a bidi override reorders it.

/**
 * C0 controls except TAB, DEL, C1 controls (NEL among them), the Unicode line and paragraph
 * separators, and the bidirectional marks, embeddings, overrides and isolates.
 */
const UNSAFE_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, 'g');

function escapeCharacter(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `line` with every character that could break or disguise a log line written as `\n`, `\r` or `\uXXXX`. */
export function escapeLogLine(line: string): string {
  return UNSAFE_CHARACTER.test(line) ? line.replace(UNSAFE_CHARACTERS, escapeCharacter) : line;
}
