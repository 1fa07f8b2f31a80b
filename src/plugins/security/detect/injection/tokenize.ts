// The tokenizer of the phrase rules: the words of a text with their offsets, sentence breaks and
// colons, read in windows that give exactly the words a tokenization of the whole text gives there.

/**
 * The words of a text, as parallel arrays (one object per word would cost more in garbage
 * collection than the whole scan). Positions and flags are typed arrays, which may be longer than
 * `length` (zeros past it): growing four JS arrays word by word cost twice the rest of tokenizing.
 */
export interface Tokens {
  readonly length: number;
  /** Lower-cased, NFKC-normalised (non-ASCII only), invisible format characters removed. */
  readonly word: readonly string[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** 1 when a sentence or clause ends between the previous word and this one (`. ` `! ` `? ` `;` a blank line). */
  readonly breakBefore: Uint8Array;
  /** 1 when the text right after this word is a colon (`New instructions:`). */
  readonly colonAfter: Uint8Array;
}

function grown<T extends Int32Array | Uint8Array>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}

/** Capacity of the columns a scan hands from one window to the next. */
export const SPARE_CAPACITY = 256;

type Columns = Pick<Tokens, 'start' | 'end' | 'breakBefore' | 'colonAfter'>;

/**
 * The columns a scan's finished window leaves for its next one: allocating four typed arrays costs
 * more than tokenizing a few words, most windows are short, and a large text opens many. One per
 * scan, never shared between scans, so a scan started while another one is running cannot take or
 * overwrite columns the other is still reading.
 */
export class SpareColumns {
  private spare: Columns | undefined;

  /** The spare columns for a window of up to `capacity` words, given up by this object; undefined when none fit. */
  take(capacity: number): Columns | undefined {
    const spare = capacity <= SPARE_CAPACITY ? this.spare : undefined;
    if (spare) this.spare = undefined;
    return spare;
  }

  /** Keeps the columns of `tokens` for the next window; `tokens` must not be read afterwards. */
  give(tokens: Tokens): void {
    if (tokens.start.length === SPARE_CAPACITY) this.spare = tokens;
  }
}

// Letters, digits, marks, format characters (zero-width, bidi, tags: so `ig\u200Bnore` stays one
// word) and apostrophes. A single character class: each run is consumed once.
const WORD_CHAR = /[\p{L}\p{N}\p{M}\p{Cf}'\u2019]/uy;
const FORMAT_CHARS = /\p{Cf}/gu;

/** WORD_CHAR below U+0080 (letters, digits, apostrophe) as a table: most text never reaches the regex. */
const ASCII_WORD_CHAR = new Uint8Array(0x80);
for (let c = 0; c < 0x80; c++) {
  WORD_CHAR.lastIndex = 0;
  ASCII_WORD_CHAR[c] = WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 0;
}

/** Code units (1 or 2) of the word character at `i`, or 0 when there is none. */
function wordCharLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return ASCII_WORD_CHAR[c]!;
  // Set, searched and read back with nothing in between (see ../regex.ts).
  WORD_CHAR.lastIndex = i;
  return WORD_CHAR.test(text) ? WORD_CHAR.lastIndex - i : 0;
}

/** Code units of the character at `i` that is not a word character: a surrogate pair is skipped whole. */
function otherCharLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return 1;
  const next = text.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

function normalizeWord(raw: string): string {
  let ascii = true;
  let upper = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  let word = raw;
  if (!ascii) word = word.normalize('NFKC').replace(FORMAT_CHARS, '').replace(/\u2019/g, "'").toLowerCase();
  else if (upper) word = word.toLowerCase();
  let from = 0;
  let to = word.length;
  while (from < to && word.charCodeAt(from) === 0x27) from++;
  while (to > from && word.charCodeAt(to - 1) === 0x27) to--;
  return from === 0 && to === word.length ? word : word.slice(from, to);
}

const SEPARATOR_BREAK = 1;
const SEPARATOR_COLON = 2;

/** Reads the separator text[from, to) once: does a sentence end in it (1), does it start with a colon (2). */
function separatorFlags(text: string, from: number, to: number): number {
  let flags = 0;
  let sawStop = false;
  let newlines = 0;
  let sawNonSpace = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      if (sawStop || ++newlines >= 2) return flags | SEPARATOR_BREAK;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      if (sawStop) return flags | SEPARATOR_BREAK;
      continue;
    }
    if (!sawNonSpace) {
      sawNonSpace = true;
      if (c === 0x3a) flags |= SEPARATOR_COLON;
    }
    if (c === 0x3b) return flags | SEPARATOR_BREAK; // ; closes a clause: words on either side are not one phrase
    sawStop = c === 0x2e || c === 0x21 || c === 0x3f; // . ! ?
  }
  return flags;
}

/**
 * The tokens of text[from, to): exactly the slice of the whole text's tokens that start there, when
 * `from` and `to` are each the text's start or end or an exact word start (see `isExactWordStart`),
 * except that the first token's `breakBefore` is unknown (0) when `from` > 0: a window's first token
 * is context only. `extendTo` continues the same window further.
 */
export class TokenWindow implements Tokens {
  length = 0;
  readonly word: string[] = [];
  start: Int32Array;
  end: Int32Array;
  breakBefore: Uint8Array;
  colonAfter: Uint8Array;
  /** How far the text has been tokenized. */
  to: number;
  private previousEnd: number;

  constructor(
    private readonly text: string,
    readonly from: number,
    capacity: number,
    spares: SpareColumns,
  ) {
    const spare = spares.take(capacity);
    const size = spare ? SPARE_CAPACITY : Math.max(SPARE_CAPACITY, capacity);
    // Reused columns hold stale values past `length`; every entry below it is written here.
    this.start = spare?.start ?? new Int32Array(size);
    this.end = spare?.end ?? new Int32Array(size);
    this.breakBefore = spare?.breakBefore ?? new Uint8Array(size);
    this.colonAfter = spare?.colonAfter ?? new Uint8Array(size);
    this.to = from;
    this.previousEnd = from;
  }

  extendTo(to: number): void {
    const text = this.text;
    const word = this.word;
    let { start, end, breakBefore, colonAfter, previousEnd } = this;
    let capacity = start.length;
    // Runs of word characters, found by hand: a regex exec per word allocates a match array per word.
    let i = this.to;
    while (i < to) {
      let length = wordCharLength(text, i);
      if (length === 0) {
        i += otherCharLength(text, i);
        continue;
      }
      const runStart = i;
      do i += length;
      while (i < to && (length = wordCharLength(text, i)) > 0);
      const normalized = normalizeWord(text.slice(runStart, i));
      if (normalized.length === 0) continue;
      const count = word.length;
      if (count === capacity) {
        capacity *= 2;
        start = grown(start, capacity);
        end = grown(end, capacity);
        breakBefore = grown(breakBefore, capacity);
        colonAfter = grown(colonAfter, capacity);
      }
      const flags = separatorFlags(text, previousEnd, runStart);
      if (count > 0 && (flags & SEPARATOR_COLON) !== 0) colonAfter[count - 1] = 1;
      breakBefore[count] = count > 0 && (flags & SEPARATOR_BREAK) !== 0 ? 1 : 0;
      colonAfter[count] = 0;
      word.push(normalized);
      start[count] = runStart;
      previousEnd = i;
      end[count] = previousEnd;
    }
    // `to` is the next word's start (or the text's end): the separator up to it is complete.
    if (word.length > 0 && (separatorFlags(text, previousEnd, to) & SEPARATOR_COLON) !== 0) colonAfter[word.length - 1] = 1;
    this.start = start;
    this.end = end;
    this.breakBefore = breakBefore;
    this.colonAfter = colonAfter;
    this.previousEnd = previousEnd;
    this.length = word.length;
    this.to = to;
  }
}

export function isAsciiAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

/**
 * Whether a word of at least one letter or digit starts at `i` whatever comes before: an ASCII letter
 * or digit after an ASCII character that is no word character. Tokenizing from such a place gives
 * the same words as tokenizing the whole text.
 */
function isExactWordStart(text: string, i: number): boolean {
  if (!isAsciiAlnum(text.charCodeAt(i))) return false;
  const before = text.charCodeAt(i - 1);
  return before < 0x80 && ASCII_WORD_CHAR[before] === 0;
}

/**
 * The exact word start at or before `offset` with `words` exact word starts in [it, offset), or
 * `floor` when there are fewer after `floor` (0 is always a valid start).
 */
export function exactStartBefore(text: string, offset: number, words: number, floor: number): number {
  let found = 0;
  for (let i = offset - 1; i > floor; i--) {
    if (isExactWordStart(text, i) && ++found >= words) return i;
  }
  return floor;
}

/** The `words`-th exact word start after `offset`, or the text's length. */
export function exactStartAfter(text: string, offset: number, words: number): number {
  let found = 0;
  for (let i = offset + 1; i < text.length; i++) {
    if (isExactWordStart(text, i) && ++found >= words) return i;
  }
  return text.length;
}

/** Index of the last token starting before `offset`, or -1 (tokens are sorted by start). */
export function tokenBefore(tokens: Tokens, offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens.start[mid]! < offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
