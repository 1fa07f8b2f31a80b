// What the PII and secrets detectors read instead of the raw text: the text a person or a model sees
// when it reads it. Formatting that hides a key or a number from a pattern but not from a reader is
// undone: invisible characters (zero-width, soft hyphen, bidi controls, variation selectors) removed,
// compatibility forms (full-width, mathematical, circled letters and digits) folded by NFKC, Latin
// look-alikes from Cyrillic and Greek folded to Latin, digits of other scripts read as ASCII digits,
// every kind of space (no-break, narrow, figure, thin…) read as a space, and JSON/JS backslash escapes
// (`\u0041`, `\n`, `\/`) decoded. Findings in the normalised text are mapped back to the original,
// so redaction covers everything the reader would have read as the finding.

/** A normalised text and the way back to the original's offsets. */
export interface NormalizedText {
  readonly text: string;
  /** Original offset where the finding that starts at normalised offset `start` starts. */
  originalStart(start: number): number;
  /** Original offset where the finding that ends at normalised offset `end` (exclusive) ends. */
  originalEnd(end: number): number;
}

/**
 * The one cheap test of the fast path: text with nothing outside printable-and-control ASCII and
 * no backslash reads exactly as written. Most strings of a message pass it.
 */
const MAY_NEED_NORMALIZING = /[^\x00-\x5b\x5d-\x7f]/;

const BACKSLASH = 0x5c;

/** Characters a reader does not see: format characters (Cf), default-ignorables, combining marks. */
const INVISIBLE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}]$/u;
const SPACE = /^\p{Zs}$/u;
const LINE_BREAK = /^[\p{Zl}\p{Zp}\u0085]$/u;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * Cyrillic and Greek letters drawn like Latin ones in common fonts (Unicode's confusables, the
 * unambiguous subset): `АКІА…` and `ghр_…` read as an AWS key and a GitHub token to a person.
 */
const LATIN_LOOKALIKES: Readonly<Record<string, string>> = {
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', У: 'Y', Ѕ: 'S', І: 'I', Ј: 'J', Ԛ: 'Q', Ԝ: 'W',
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', і: 'i', ј: 'j', ԛ: 'q', ԝ: 'w', һ: 'h', ԁ: 'd', ӏ: 'l', ɡ: 'g',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  ο: 'o', ν: 'v', ι: 'i', ı: 'i', ȷ: 'j',
};

/** The ASCII digit a decimal digit of another script stands for (each script's digits run from zero in order). */
function asciiDigit(codePoint: number): string {
  let zero = codePoint;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
  return String((codePoint - zero) % 10);
}

/** How one character reads, or `undefined` when it reads as itself. */
function readingOf(codePoint: number): string | undefined {
  const original = String.fromCodePoint(codePoint);
  let out = '';
  for (const c of original.normalize('NFKC')) {
    if (INVISIBLE.test(c)) continue;
    if (SPACE.test(c)) out += ' ';
    else if (LINE_BREAK.test(c)) out += '\n';
    else if (c.charCodeAt(0) >= 0x80 && DECIMAL_DIGIT.test(c)) out += asciiDigit(c.codePointAt(0)!);
    else out += LATIN_LOOKALIKES[c] ?? c;
  }
  return out === original ? undefined : out;
}

// What each character reads as, computed once per code point: a table for the BMP (0 not yet
// known, 1 reads as itself, 2 look up its reading) and a bounded map for astral characters.
const BMP_KNOWN = new Uint8Array(0x10000);
const bmpReadings = new Map<number, string>();
const astralReadings = new Map<number, string | undefined>();
const MAX_ASTRAL_READINGS = 4096;

function cachedReadingOf(codePoint: number): string | undefined {
  if (codePoint < 0x10000) {
    const known = BMP_KNOWN[codePoint]!;
    if (known === 1) return undefined;
    if (known === 2) return bmpReadings.get(codePoint);
    const reading = readingOf(codePoint);
    BMP_KNOWN[codePoint] = reading === undefined ? 1 : 2;
    if (reading !== undefined) bmpReadings.set(codePoint, reading);
    return reading;
  }
  if (astralReadings.has(codePoint)) return astralReadings.get(codePoint);
  const reading = readingOf(codePoint);
  if (astralReadings.size >= MAX_ASTRAL_READINGS) astralReadings.clear();
  astralReadings.set(codePoint, reading);
  return reading;
}

/** The character a single-letter escape stands for (JSON's set, plus `\v` and `\0` of JS). */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0', '"': '"', "'": "'", '/': '/' };

function hexValue(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * The escape at `i` (a backslash): the code point it stands for and its length, or undefined.
 * `\\` is not decoded to one backslash; the scan then moves on by one character, so an escape
 * right after it is still decoded (twice-escaped `\\u0041` reads `\A`: hidden text is read either way).
 */
function escapeAt(text: string, i: number): { codePoint: number; length: number } | undefined {
  const next = text[i + 1];
  if (next === undefined) return undefined;
  if (next === 'u') {
    const unit = hexValue(text, i + 2);
    if (unit < 0) return undefined;
    // A surrogate pair written as two escapes is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && text.charCodeAt(i + 6) === BACKSLASH && text[i + 7] === 'u') {
      const low = hexValue(text, i + 8);
      if (low >= 0xdc00 && low <= 0xdfff) return { codePoint: 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), length: 12 };
    }
    return { codePoint: unit, length: 6 };
  }
  const simple = SIMPLE_ESCAPES[next];
  return simple === undefined ? undefined : { codePoint: simple.charCodeAt(0), length: 2 };
}

/**
 * Replacements made while normalising, in order: normalised [from, to) came from original
 * [originalFrom, originalTo). Between them the text is copied, so offsets shift by a constant.
 */
class OffsetMap implements NormalizedText {
  readonly from: number[] = [];
  readonly to: number[] = [];
  readonly originalFrom: number[] = [];
  readonly originalTo: number[] = [];
  text = '';

  add(from: number, to: number, originalFrom: number, originalTo: number): void {
    this.from.push(from);
    this.to.push(to);
    this.originalFrom.push(originalFrom);
    this.originalTo.push(originalTo);
  }

  /** Index of the last replacement that starts at or before `offset`, or -1. */
  private lastAtOrBefore(offset: number): number {
    let lo = 0;
    let hi = this.from.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.from[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Where the normalised character at `offset` came from: [start, end) in the original. */
  private sourceOf(offset: number): { start: number; end: number } {
    const k = this.lastAtOrBefore(offset);
    if (k < 0) return { start: offset, end: offset + 1 };
    if (offset < this.to[k]!) return { start: this.originalFrom[k]!, end: this.originalTo[k]! };
    const start = this.originalTo[k]! + (offset - this.to[k]!);
    return { start, end: start + 1 };
  }

  originalStart(start: number): number {
    return this.sourceOf(start).start;
  }

  originalEnd(end: number): number {
    return end === 0 ? this.originalStart(0) : this.sourceOf(end - 1).end;
  }
}

/**
 * Normalises `text` for the PII and secrets detectors, or returns `undefined` when it already reads
 * as written (then scan the original). Linear: each character is looked at once, unchanged runs are
 * copied as slices.
 */
export function normalizeForScan(text: string): NormalizedText | undefined {
  if (!MAY_NEED_NORMALIZING.test(text)) return undefined;
  const map = new OffsetMap();
  const parts: string[] = [];
  let length = 0; // of the normalised text so far
  let copiedUntil = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && c !== BACKSLASH) {
      i++;
      continue;
    }
    let codePoint: number;
    let width: number;
    let escaped = false;
    if (c === BACKSLASH) {
      const escape = escapeAt(text, i);
      if (escape === undefined) {
        i++;
        continue;
      }
      ({ codePoint, length: width } = escape);
      escaped = true;
    } else {
      codePoint = text.codePointAt(i)!;
      width = codePoint > 0xffff ? 2 : 1;
    }
    const reading = codePoint < 0x80 ? undefined : cachedReadingOf(codePoint);
    if (reading === undefined && !escaped) {
      i += width;
      continue;
    }
    const replacement = reading ?? String.fromCodePoint(codePoint);
    if (i > copiedUntil) {
      parts.push(text.slice(copiedUntil, i));
      length += i - copiedUntil;
    }
    parts.push(replacement);
    map.add(length, length + replacement.length, i, i + width);
    length += replacement.length;
    i += width;
    copiedUntil = i;
  }
  if (map.from.length === 0) return undefined;
  parts.push(text.slice(copiedUntil));
  map.text = parts.join('');
  return map;
}

/** A finding as the detectors report it. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Wraps a detector so that it reads the normalised text and reports findings at original offsets,
 * each covering the whole original span (escapes and invisible characters inside it included).
 */
export function onNormalizedText<F extends Span>(detect: (text: string) => F[]): (text: string) => F[] {
  return (text) => {
    const normalized = normalizeForScan(text);
    if (normalized === undefined) return detect(text);
    const found = detect(normalized.text);
    if (found.length === 0) return found;
    return found.map((f) => ({ ...f, start: normalized.originalStart(f.start), end: normalized.originalEnd(f.end) }));
  };
}
