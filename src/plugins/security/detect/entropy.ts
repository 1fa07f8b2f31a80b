// Shannon entropy of tokens, for the secrets filter's optional detection of unknown random-looking keys.

/** Shannon entropy in bits per character of `text.slice(start, end)`. */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const length = end - start;
  if (length <= 0) return 0;
  const counts = new Map<number, number>();
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** A token whose entropy reached the threshold. */
export interface HighEntropyToken {
  readonly start: number;
  readonly end: number;
  readonly entropy: number;
}

export interface EntropyOptions {
  /** Bits per character a token must reach (Gatekit: 4.0–5.0, default 5.0). */
  readonly threshold: number;
  /** Shortest token considered (Gatekit default 20). */
  readonly minLength: number;
}

/**
 * Tokens longer than this are treated as encoded data (images, archives), not credentials: keys
 * without a known format are shorter, and a megabyte of base64 always has maximal entropy.
 */
export const MAX_SECRET_TOKEN_LENGTH = 256;

/**
 * Starts of tokens that are data, not keys: subresource-integrity hashes and the base64 of file
 * signatures (PNG, JPEG, GIF, WebP/RIFF, PDF, ZIP, gzip).
 */
const DATA_TOKEN_START = /^(?:sha(?:1|256|384|512)-|iVBORw0KG|\/9j\/|R0lGOD|UklGR|JVBERi0|UEsDB|H4sI)/;

// Characters keys are made of: base64 (both alphabets) and its padding.
const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-') TOKEN_CHAR[c.charCodeAt(0)] = 1;

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHAR[code] === 1;
}

/**
 * Yields the maximal key-like tokens of `text` whose entropy reaches the threshold. Tokens that are
 * the payload of a `data:` URL, longer than MAX_SECRET_TOKEN_LENGTH, or without both letters and
 * digits (words, paths, numbers) are skipped. One linear pass.
 */
export function* findHighEntropyTokens(text: string, options: EntropyOptions): Generator<HighEntropyToken> {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let letters = 0;
    let digits = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isTokenChar(c)) break;
      if (c >= 0x30 && c <= 0x39) digits++;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) letters++;
      i++;
    }
    const end = i;
    // After a backslash the token is the tail of an escape sequence (`\n...`), not a key.
    if (start > 0 && text.charCodeAt(start - 1) === 0x5c) continue;
    const length = end - start;
    if (length < options.minLength || length > MAX_SECRET_TOKEN_LENGTH) continue;
    if (letters === 0 || digits === 0) continue;
    if (isDataUrlPayload(text, start) || DATA_TOKEN_START.test(text.slice(start, start + 12))) continue;
    const entropy = shannonEntropy(text, start, end);
    if (entropy >= options.threshold) yield { start, end, entropy };
  }
}

/** Whether the token at `start` follows `;base64,` (a data URL payload). */
function isDataUrlPayload(text: string, start: number): boolean {
  return start >= 8 && text.startsWith(';base64,', start - 8);
}
