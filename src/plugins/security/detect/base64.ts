// Finds base64 runs in text and decodes the ones that hide readable text, so detectors can scan
// encoded content too (shared by the PII, secrets and prompt-injection filters).
import { execAt } from './regex';

/** A run of base64 in the scanned text whose decoded bytes are readable UTF-8 text. */
export interface Base64Candidate {
  /** Offset of the first encoded character in the scanned text. */
  readonly start: number;
  /** Offset just past the last encoded character (padding included). */
  readonly end: number;
  /** The decoded text. */
  readonly decoded: string;
}

/** Shortest run worth decoding by default: 16 characters decode to 12 bytes. */
export const DEFAULT_MIN_BASE64_LENGTH = 16;

// Sextet value of each base64 character, both alphabets (standard + / and URL-safe - _); -1 otherwise.
const SEXTET = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (SEXTET[c.charCodeAt(0)] = i));
SEXTET[0x2d] = 62;
SEXTET[0x5f] = 63;

const EQUALS = 0x3d;

function isBase64Char(code: number): boolean {
  return code < 128 && SEXTET[code]! >= 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** By minimum length: runs of base64 characters that can reach it with two `=` of padding. */
const longRunPatterns = new Map<number, RegExp>();

function longRunPattern(minLength: number): RegExp {
  let pattern = longRunPatterns.get(minLength);
  if (!pattern) {
    // A run starts at the text's start or after another character, and its first characters are
    // written out, not `{k,}`: irregexp then only tries places after a separator and skips ahead
    // by the class at the k-th position (ten times faster on prose). Past 64 the caller checks.
    const base64Char = '[A-Za-z0-9+/_-]';
    pattern = new RegExp(`(?:^|[^A-Za-z0-9+/_-])${base64Char.repeat(Math.min(64, Math.max(1, minLength - 2)))}${base64Char}*`, 'g');
    longRunPatterns.set(minLength, pattern);
  }
  return pattern;
}

/**
 * Checks decoded bytes as they come: UTF-8 structure (lead and continuation bytes) and a budget of
 * control characters, so binary data is rejected after a few bytes instead of after decoding it all.
 */
class TextByteCheck {
  private pendingContinuations = 0;
  private controls = 0;
  constructor(private readonly allowedControls: number) {}

  /** False as soon as the bytes cannot be readable text. */
  accept(b: number): boolean {
    if (this.pendingContinuations > 0) {
      if ((b & 0xc0) !== 0x80) return false;
      this.pendingContinuations--;
      return true;
    }
    if (b < 0x80) {
      if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return ++this.controls <= this.allowedControls;
      return true;
    }
    if (b >= 0xc2 && b <= 0xdf) this.pendingContinuations = 1;
    else if (b >= 0xe0 && b <= 0xef) this.pendingContinuations = 2;
    else if (b >= 0xf0 && b <= 0xf4) this.pendingContinuations = 3;
    else return false;
    return true;
  }
}

/**
 * Decodes `encoded` (either alphabet, padding optional) and returns the text if the bytes are valid
 * UTF-8 and almost free of control characters; `undefined` for binary data such as images, hashes
 * or ordinary words that merely happen to use the base64 alphabet.
 */
export function decodeBase64Text(encoded: string, start = 0, end = encoded.length): string | undefined {
  while (end > start && encoded.charCodeAt(end - 1) === EQUALS) end--;
  // A lone trailing sextet cannot form a byte; dropping it lets the rest decode.
  if ((end - start) % 4 === 1) end--;
  const length = end - start;
  if (length < 4) return undefined;
  const bytes = new Uint8Array(Math.floor((length * 3) / 4));
  const check = new TextByteCheck(Math.floor(bytes.length / 50));
  let out = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    const c = encoded.charCodeAt(i);
    const v = c < 128 ? SEXTET[c]! : -1;
    if (v < 0) return undefined;
    buffer = ((buffer << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const b = (buffer >> bits) & 0xff;
      if (!check.accept(b)) return undefined;
      bytes[out++] = b;
    }
  }
  if (out < 3) return undefined;
  try {
    return utf8.decode(bytes.subarray(0, out));
  } catch {
    return undefined;
  }
}

/**
 * Yields every maximal run of base64 characters (followed by up to two `=`) at least `minLength`
 * long whose decoding is readable text. Runs are delimited by any other character, so the scan is
 * a single linear pass and each run is decoded once.
 */
export function* findBase64Candidates(text: string, minLength: number = DEFAULT_MIN_BASE64_LENGTH): Generator<Base64Candidate> {
  const n = text.length;
  if (n < minLength) return;
  const runs = longRunPattern(minLength);
  let i = 0;
  while (i < n) {
    // Runs too short to qualify even with two `=` are skipped natively (prose is all short runs).
    // The match is a whole run: a longer one would have matched one character earlier.
    // From the character before when it can be the separator (after `=` padding the next run
    // starts right at `i`); never from a base64 character, or the run before would match again.
    // Positioned right before the search: this generator yields between searches, and whatever runs
    // then may search with the same shared regex (see ./regex.ts).
    const run = execAt(runs, text, i > 0 && !isBase64Char(text.charCodeAt(i - 1)) ? i - 1 : i);
    if (run === null) return;
    const start = isBase64Char(text.charCodeAt(run.index)) ? run.index : run.index + 1;
    i = run.index + run[0].length;
    let end = i;
    if (end < n && text.charCodeAt(end) === EQUALS) {
      end++;
      if (end < n && text.charCodeAt(end) === EQUALS) end++;
    }
    i = end;
    if (end - start < minLength) continue;
    const decoded = decodeBase64Text(text, start, end);
    if (decoded !== undefined) yield { start, end, decoded };
  }
}
