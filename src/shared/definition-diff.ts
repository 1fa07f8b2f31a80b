// The review of a changed tool definition as HTML: a word diff of the approved and the offered
// definition (pretty JSON, sorted keys) with added text marked, removed text struck through, and
// characters a reader cannot see (zero-width, bidi controls, tag characters, odd spaces) shown as
// escapes. Pure, so the review panel and its unit tests share it.
import { renderDefinition } from './definition-text';

/** One run of the diff: text both sides share, or text only the approved (removed) or offered (added) side has. */
export interface DiffPart {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/**
 * Characters that render as nothing or as a plain space but change what a model reads: format
 * characters (zero-width, bidi overrides, tag characters), controls other than newline, private use,
 * unusual spaces and variation selectors. JSON.stringify escapes only the C0 controls.
 */
/** A character a reader cannot see: zero-width, bidi controls, tag characters, odd spaces, control characters. */
export const HIDDEN_CHARACTER = /[\p{Cf}\p{Co}\p{Zl}\p{Zp}\u0000-\u0009\u000B-\u001F\u007F-\u009F\u00A0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000]|\p{Variation_Selector}/gu;

/** Word diffs of larger inputs (token count product) fall back to "all removed, all added". */
const MAX_DIFF_CELLS = 4_000_000;

/** Words, runs of white space and single punctuation marks: what a reader compares. */
function tokens(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

function push(parts: DiffPart[], kind: DiffPart['kind'], text: string): void {
  if (text === '') return;
  const last = parts[parts.length - 1];
  if (last?.kind === kind) last.text += text;
  else parts.push({ kind, text });
}

/** Word diff of two texts (longest common subsequence of tokens, after the common head and tail). */
export function diffWords(before: string, after: string): DiffPart[] {
  const a = tokens(before);
  const b = tokens(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const parts: DiffPart[] = [];
  push(parts, 'same', a.slice(0, head).join(''));
  if (midA.length * midB.length > MAX_DIFF_CELLS) {
    push(parts, 'removed', midA.join(''));
    push(parts, 'added', midB.join(''));
  } else {
    // lengths[i][j]: longest common subsequence of midA[i..] and midB[j..].
    const width = midB.length + 1;
    const lengths = new Uint32Array((midA.length + 1) * width);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lengths[i * width + j] = midA[i] === midB[j] ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < midA.length || j < midB.length) {
      if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
        push(parts, 'same', midA[i++]!);
        j++;
      } else if (j < midB.length && (i === midA.length || lengths[i * width + j + 1]! >= lengths[(i + 1) * width + j]!)) {
        push(parts, 'added', midB[j++]!);
      } else {
        push(parts, 'removed', midA[i++]!);
      }
    }
  }
  push(parts, 'same', a.slice(a.length - tail).join(''));
  return parts;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `\u{200B}` for one hidden character. */
export function escapeForReader(character: string): string {
  return `\\u{${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`;
}

/** The text with every hidden character replaced by its `\u{200B}` escape (for plain-text views). */
export function escapeHidden(text: string): string {
  return text.replace(HIDDEN_CHARACTER, escapeForReader);
}

/** HTML of a text with every hidden character replaced by a marked escape. */
export function revealHidden(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(HIDDEN_CHARACTER)) {
    html += escapeHtml(text.slice(last, match.index));
    html += `<span class="hidden-char" title="invisible character">${escapeForReader(match[0])}</span>`;
    last = match.index + match[0].length;
  }
  return html + escapeHtml(text.slice(last));
}

/** How many hidden characters a text holds. */
export function countHidden(text: string): number {
  return [...text.matchAll(HIDDEN_CHARACTER)].length;
}

/** The review body: the offered definition with what changed marked (`approved` absent: a new tool, all of it added). */
export function definitionDiffHtml(approved: unknown, offered: unknown): string {
  const before = approved === undefined ? '' : renderDefinition(approved);
  const after = renderDefinition(offered);
  return diffWords(before, after)
    .map((part) => (part.kind === 'same' ? revealHidden(part.text) : `<${part.kind === 'added' ? 'ins' : 'del'}>${revealHidden(part.text)}</${part.kind === 'added' ? 'ins' : 'del'}>`))
    .join('');
}
