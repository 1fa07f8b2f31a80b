// Finds invisible Unicode that hides text from people but not from models: tag characters
// (ASCII smuggling), bidirectional overrides (Trojan Source), runs of zero-width characters and of
// variation selectors. One linear pass over the UTF-16 code units, no regular expressions.

/** What kind of invisible content was found. */
export type HiddenUnicodeKind = 'tag_characters' | 'bidi_control' | 'zero_width_run' | 'variation_selector_run';

/** How sure a single signal is: `strong` fires at every sensitivity, `medium` from standard, `weak` only at strict. */
export type SignalStrength = 'strong' | 'medium' | 'weak';

export interface HiddenUnicodeFinding {
  readonly kind: HiddenUnicodeKind;
  readonly strength: SignalStrength;
  /** Offset of the first hidden code unit. */
  readonly start: number;
  /** Offset just past the run. */
  readonly end: number;
  /** For tag characters: the ASCII they spell (what a model reads and a person cannot see). */
  readonly decoded?: string;
}

export interface HiddenUnicodeOptions {
  /**
   * The text is part of a tool definition (description, schema): there, any bidi control and
   * even short zero-width runs are suspicious, while in ordinary content (Arabic or Hebrew text,
   * emoji) some are legitimate.
   */
  readonly toolDefinition?: boolean;
}

const HIGH_SURROGATE_TAGS = 0xdb40; // U+E0000–U+E03FF start with this high surrogate
const BLACK_FLAG_HIGH = 0xd83c; // U+1F3F4 WAVING BLACK FLAG = D83C DFF4
const BLACK_FLAG_LOW = 0xdff4;
const CANCEL_TAG_LOW = 0xdc7f; // U+E007F

/** Shortest zero-width run that counts in ordinary content, and the run that counts at every sensitivity. */
const ZERO_WIDTH_RUN_MEDIUM = 3;
const ZERO_WIDTH_RUN_STRONG = 16;
/** A base character takes at most one variation selector; four in a row carry hidden bytes. */
const VARIATION_RUN_MEDIUM = 4;
const VARIATION_RUN_STRONG = 16;

function isZeroWidth(code: number, offset: number): boolean {
  switch (code) {
    case 0x200b: // ZERO WIDTH SPACE
    case 0x200c: // ZERO WIDTH NON-JOINER
    case 0x200d: // ZERO WIDTH JOINER
    case 0x2060: // WORD JOINER
    case 0x2061: // FUNCTION APPLICATION
    case 0x2062: // INVISIBLE TIMES
    case 0x2063: // INVISIBLE SEPARATOR
    case 0x2064: // INVISIBLE PLUS
    case 0x180e: // MONGOLIAN VOWEL SEPARATOR
    case 0x034f: // COMBINING GRAPHEME JOINER
    case 0x115f: // HANGUL CHOSEONG FILLER (renders blank)
    case 0x1160: // HANGUL JUNGSEONG FILLER
    case 0x3164: // HANGUL FILLER
    case 0xffa0: // HALFWIDTH HANGUL FILLER
      return true;
    case 0xfeff: // a byte-order mark opening a file is normal; anywhere else it is an invisible character
      return offset > 0;
    default:
      return false;
  }
}

function isBidiControl(code: number): boolean {
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

function isBidiOverride(code: number): boolean {
  return code === 0x202d || code === 0x202e;
}

/** Length in code units of a variation selector at `i` (U+FE00–FE0F, or U+E0100–E01EF as a pair), else 0. */
function variationSelectorLength(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code >= 0xfe00 && code <= 0xfe0f) return 1;
  if (code === HIGH_SURROGATE_TAGS) {
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdd00 && low <= 0xddef) return 2;
  }
  return 0;
}

/** Whether the surrogate pair at `i` is a tag character (U+E0000–U+E007F). */
function isTagPair(text: string, i: number): boolean {
  if (text.charCodeAt(i) !== HIGH_SURROGATE_TAGS) return false;
  const low = text.charCodeAt(i + 1);
  return low >= 0xdc00 && low <= 0xdc7f;
}

/**
 * A subdivision flag (England, Scotland, Wales) is U+1F3F4 followed by a few tag letters and
 * U+E007F CANCEL TAG: the one legitimate use of tag characters.
 */
function isFlagTagSequence(text: string, start: number, end: number): boolean {
  if (start < 2 || text.charCodeAt(start - 2) !== BLACK_FLAG_HIGH || text.charCodeAt(start - 1) !== BLACK_FLAG_LOW) return false;
  const tags = (end - start) / 2;
  return tags >= 2 && tags <= 7 && text.charCodeAt(end - 1) === CANCEL_TAG_LOW;
}

/** Quick reject: every character we look for is at or above U+034F. */
function mayContainHiddenUnicode(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x034f) return true;
  return false;
}

/**
 * Returns every run of hidden characters in `text`, in order. Runs of tag characters are always
 * strong (there is no innocent reason to put invisible ASCII in a message, flags aside); bidi
 * overrides are medium; embeddings/isolates are weak in content and medium in tool definitions.
 */
export function findHiddenUnicode(text: string, options: HiddenUnicodeOptions = {}): HiddenUnicodeFinding[] {
  const findings: HiddenUnicodeFinding[] = [];
  if (!mayContainHiddenUnicode(text)) return findings;
  const definition = options.toolDefinition === true;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code < 0x034f) {
      i++;
      continue;
    }
    if (isTagPair(text, i)) {
      const start = i;
      const ascii: string[] = [];
      while (i < n && isTagPair(text, i)) {
        const value = text.charCodeAt(i + 1) - 0xdc00;
        if (value >= 0x20 && value < 0x7f) ascii.push(String.fromCharCode(value));
        i += 2;
      }
      if (!isFlagTagSequence(text, start, i)) {
        findings.push({ kind: 'tag_characters', strength: 'strong', start, end: i, decoded: ascii.join('') });
      }
      continue;
    }
    if (isBidiControl(code)) {
      const start = i;
      let override = false;
      while (i < n && isBidiControl(text.charCodeAt(i))) {
        override ||= isBidiOverride(text.charCodeAt(i));
        i++;
      }
      const strength: SignalStrength = override || definition ? 'medium' : 'weak';
      findings.push({ kind: 'bidi_control', strength, start, end: i });
      continue;
    }
    if (isZeroWidth(code, i)) {
      const start = i;
      while (i < n && isZeroWidth(text.charCodeAt(i), i)) i++;
      const run = i - start;
      let strength: SignalStrength | undefined;
      if (run >= ZERO_WIDTH_RUN_STRONG) strength = 'strong';
      else if (run >= ZERO_WIDTH_RUN_MEDIUM) strength = 'medium';
      else if (definition) strength = run >= 2 ? 'medium' : 'weak';
      else if (run >= 2) strength = 'weak';
      if (strength) findings.push({ kind: 'zero_width_run', strength, start, end: i });
      continue;
    }
    const selector = variationSelectorLength(text, i);
    if (selector > 0) {
      const start = i;
      let count = 0;
      for (let len = selector; len > 0; len = variationSelectorLength(text, i)) {
        i += len;
        count++;
      }
      let strength: SignalStrength | undefined;
      if (count >= VARIATION_RUN_STRONG) strength = 'strong';
      else if (count >= VARIATION_RUN_MEDIUM) strength = 'medium';
      else if (count >= 2) strength = 'weak';
      if (strength) findings.push({ kind: 'variation_selector_run', strength, start, end: i });
      continue;
    }
    i++;
  }
  return findings;
}
