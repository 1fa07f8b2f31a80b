// Finds base64 runs in text and decodes the ones that hide readable text, so detectors can scan
// encoded content too (shared by the PII, secrets and prompt-injection filters).

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

// Both alphabets: standard (+ /) and URL-safe (- _). Node's decoder accepts either.
const BASE64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_') BASE64_CHAR[c.charCodeAt(0)] = 1;

const EQUALS = 0x3d;

function isBase64Char(code: number): boolean {
  return code < 128 && BASE64_CHAR[code] === 1;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes `encoded` (either alphabet, padding optional) and returns the text if the bytes are valid
 * UTF-8 and almost free of control characters; `undefined` for binary data such as images, hashes
 * or ordinary words that merely happen to use the base64 alphabet.
 */
export function decodeBase64Text(encoded: string): string | undefined {
  let length = encoded.length;
  while (length > 0 && encoded.charCodeAt(length - 1) === EQUALS) length--;
  // A lone trailing sextet cannot form a byte; dropping it lets the rest decode.
  if (length % 4 === 1) length--;
  if (length < 4) return undefined;
  const bytes = Buffer.from(length === encoded.length ? encoded : encoded.slice(0, length), 'base64');
  if (bytes.length < 3) return undefined;
  let control = 0;
  const allowedControl = Math.floor(bytes.length / 50);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) {
      if (++control > allowedControl) return undefined;
    }
  }
  try {
    return utf8.decode(bytes);
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
  let i = 0;
  while (i < n) {
    if (!isBase64Char(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isBase64Char(text.charCodeAt(i))) i++;
    let end = i;
    if (end < n && text.charCodeAt(end) === EQUALS) {
      end++;
      if (end < n && text.charCodeAt(end) === EQUALS) end++;
    }
    i = end;
    if (end - start < minLength) continue;
    const decoded = decodeBase64Text(text.slice(start, end));
    if (decoded !== undefined) yield { start, end, decoded };
  }
}

/** Whether `text` has at least one base64 run of `minLength` that decodes to readable text. */
export function hasBase64Text(text: string, minLength: number = DEFAULT_MIN_BASE64_LENGTH): boolean {
  for (const _candidate of findBase64Candidates(text, minLength)) return true;
  return false;
}
