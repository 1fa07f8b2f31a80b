// Text that came from a server, a gateway or a config file, made safe to show in a tree or a hover:
// hidden characters (bidi overrides, zero-width, tag characters) as visible escapes, so a name
// cannot reorder what the user reads, and markdown that renders literally, so a description cannot
// add a link, a command URI or HTML to a hover. Pure: no vscode.
import { escapeHidden } from '../../shared/definition-diff';

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line for a label, description or comment: hidden characters and line breaks as escapes, cut to `max`. */
export function oneLine(text: string, max = 200): string {
  return cut(escapeHidden(text).replace(/\n/g, '\\n'), max);
}

/**
 * Markdown that shows `text` as it is: every ASCII punctuation mark is backslash-escaped (CommonMark
 * allows that for all of them), so no `[link](command:…)`, `<autolink>`, `https://` autolink,
 * emphasis, heading or HTML survives; hidden characters are escapes; line breaks stay (as hard breaks).
 */
export function literalMarkdown(text: string, max = 4000): string {
  return cut(escapeHidden(text), max)
    .split('\n')
    .map((line) => line.replace(/[!-/:-@[-`{-~]/g, '\\$&'))
    .join('  \n');
}
