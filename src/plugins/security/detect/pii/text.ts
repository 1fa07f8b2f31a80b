// What the PII detectors share: character classes, the words before a place, digit runs and the
// digit finder of one scan, the Luhn checksum.

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
export function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}
export function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
export function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
export function isAlnum(c: number): boolean {
  return isDigit(c) || isLetter(c);
}
/** Letters, digits and `_`: characters that glue a number to an identifier. */
export function isWordChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}
export function isHex(c: number): boolean {
  const l = c | 0x20;
  return isDigit(c) || (l >= 0x61 && l <= 0x66);
}
/**
 * Index of the first match of `pattern` (global, one character) at or after `from`, or the text's
 * length. A native search skips ordinary text several times faster than a character loop, and
 * most text has few of the characters a detector starts from. (`test` allocates no match array.)
 * `lastIndex` is set, searched and read back with nothing in between (see ../regex.ts).
 */
function skipTo(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.test(text) ? pattern.lastIndex - 1 : text.length;
}
const DIGIT = /[0-9]/g;

/**
 * Finds the digits of one text for the detectors of one scan. `detectPii` indexes the digit runs
 * once (six detectors each skip from digit to digit, and one native search for all of them costs a
 * sixth of one search each); a detector called on its own searches natively. One per scan: the
 * index and its cursor are never shared with another scan.
 */
export class DigitFinder {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly indexed: boolean;
  /** The run `next` answered last: each detector moves forward, so the next answer is at or after it. */
  private cursor = 0;

  /** `index`: index the digit runs up front (worth it when several detectors read the text). */
  constructor(
    readonly text: string,
    index: boolean,
  ) {
    this.indexed = index && this.indexRuns();
  }

  /** Indexes the runs; false when digits are dense, where skipping is short anyway and the index would only add its own cost. */
  private indexRuns(): boolean {
    const { text, starts, ends } = this;
    const n = text.length;
    for (let i = skipTo(DIGIT, text, 0); i < n; i = skipTo(DIGIT, text, i)) {
      starts.push(i);
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      ends.push(i);
    }
    return starts.length <= n >> 5;
  }

  /** The first digit at or after `from`, or the text's length. */
  next(from: number): number {
    const text = this.text;
    if (!this.indexed) return skipTo(DIGIT, text, from);
    const { starts, ends } = this;
    const count = starts.length;
    // First run ending after `from`: step on from the last answer unless `from` lies before it
    // (a new detector), then search.
    let k = this.cursor;
    if (k > 0 && ends[k - 1]! > from) {
      let lo = 0;
      let hi = k;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ends[mid]! <= from) lo = mid + 1;
        else hi = mid;
      }
      k = lo;
    } else {
      while (k < count && ends[k]! <= from) k++;
    }
    this.cursor = k;
    if (k === count) return text.length;
    return Math.max(from, starts[k]!);
  }
}

export function indexOrLength(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at < 0 ? text.length : at;
}

/** Code at `i`, or -1 outside the text (so boundary checks need no range test). */
export function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/**
 * Up to `count` words (letters only, lower-cased) before `pos`, nearest first, looking back at most
 * `maxChars` characters. Bounded, so context checks keep the scans linear.
 */
export function previousWords(text: string, pos: number, count: number, maxChars = 40): string[] {
  const words: string[] = [];
  const floor = Math.max(0, pos - maxChars);
  let i = pos;
  while (words.length < count && i > floor) {
    while (i > floor && !isLetter(text.charCodeAt(i - 1))) i--;
    const end = i;
    while (i > floor && isLetter(text.charCodeAt(i - 1))) i--;
    if (end > i) words.push(text.slice(i, end).toLowerCase());
  }
  return words;
}

export function hasWordBefore(text: string, pos: number, vocabulary: ReadonlySet<string>, count = 2, maxChars = 40): boolean {
  for (const word of previousWords(text, pos, count, maxChars)) if (vocabulary.has(word)) return true;
  return false;
}

/** Luhn checksum over the digits of `digits` (a digit-only string). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A maximal run of digit groups joined by one separator character, e.g. `123-45-6789`. */
export interface DigitRun {
  readonly start: number;
  readonly end: number;
  /** Digits only. */
  readonly digits: string;
  /** Length of each group. */
  readonly groups: readonly number[];
}

/** Most groups a payment card or national id is written in; longer runs are neither. */
const MAX_GROUPS = 8;

/**
 * Calls `visit` for each maximal run of digit groups (consecutive groups separated by exactly one
 * `separator`) that has between `minDigits` and `maxDigits` digits. One pass; runs outside the range
 * are skipped without building anything, so long runs of digits cost no allocations.
 */
export function forEachDigitRun(digitFinder: DigitFinder, separator: number, minDigits: number, maxDigits: number, visit: (run: DigitRun) => void): void {
  const text = digitFinder.text;
  const n = text.length;
  // This call's own scratch (small enough for V8 to allocate on the heap): `visit` gets a copy.
  const groups = new Int32Array(MAX_GROUPS + 1);
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i = digitFinder.next(i + 1);
      continue;
    }
    const start = i;
    let groupCount = 0;
    let count = 0;
    for (;;) {
      const groupStart = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      count += i - groupStart;
      if (groupCount <= MAX_GROUPS) groups[groupCount] = i - groupStart;
      groupCount++;
      if (i + 1 < n && text.charCodeAt(i) === separator && isDigit(text.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      break;
    }
    if (count < minDigits || count > maxDigits || groupCount > MAX_GROUPS) continue;
    const lengths: number[] = [];
    let digits = '';
    let at = start;
    for (let g = 0; g < groupCount; g++) {
      const length = groups[g]!;
      lengths.push(length);
      digits += text.slice(at, at + length);
      at += length + 1;
    }
    visit({ start, end: i, digits, groups: lengths });
  }
}

export function sameGroups(groups: readonly number[], shape: readonly number[]): boolean {
  if (groups.length !== shape.length) return false;
  for (let i = 0; i < shape.length; i++) if (groups[i] !== shape[i]) return false;
  return true;
}
