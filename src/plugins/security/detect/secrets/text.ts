// What the secret detectors share: character classes, token boundaries, and what a placeholder looks like.

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
export function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
export function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
export function isAlnum(c: number): boolean {
  return isDigit(c) || isLower(c) || isUpper(c);
}
export function isUpperOrDigit(c: number): boolean {
  return isDigit(c) || isUpper(c);
}
export function isUrlSafe(c: number): boolean {
  return isAlnum(c) || c === 0x5f || c === 0x2d;
}
export function isUnderscoreAlnum(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}
export function isAlnumDash(c: number): boolean {
  return isAlnum(c) || c === 0x2d;
}
export function isUrlSafeOrDot(c: number): boolean {
  return isUrlSafe(c) || c === 0x2e;
}
export function isBase64(c: number): boolean {
  return isAlnum(c) || c === 0x2b || c === 0x2f;
}
export function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/** Characters that continue a token: a prefix right after one of them is inside another word. */
export function continuesToken(c: number): boolean {
  return isUrlSafe(c);
}

/** Whether a token body has upper case, lower case and digits, as generated keys do. */
export function mixedCharacters(text: string, start: number, end: number): boolean {
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isUpper(c)) upper = true;
    else if (isLower(c)) lower = true;
    else if (isDigit(c)) digit = true;
  }
  return upper && lower && digit;
}

/** Eight equal characters in a row: a generated key of any usual length holds them with odds far below one in a billion. */
const PLACEHOLDER_RUN = 8;

/** Whether [start, end) holds a run of PLACEHOLDER_RUN equal characters (`AIzaSyAAAAAAAA…`, `sk_live_0000…`). */
export function hasRepeatedRun(text: string, start = 0, end = text.length): boolean {
  let repeated = 1;
  for (let i = start + 1; i < end; i++) {
    repeated = text.charCodeAt(i) === text.charCodeAt(i - 1) ? repeated + 1 : 1;
    if (repeated >= PLACEHOLDER_RUN) return true;
  }
  return false;
}

const PLACEHOLDER_WORDS = /example|placeholder|replace|dummy|sample|your|xxxx|\*\*\*|\.\.\.|redacted|insert|changeme/i;

/**
 * Whether a token body is a documentation placeholder rather than a key: few distinct characters
 * (`xxxx…`, `0000…`), an ascending run (`abcdefgh`, `12345678`), a run of one repeated character
 * (`hasRepeatedRun`), or a placeholder word.
 */
export function looksLikePlaceholder(text: string, start = 0, end = text.length): boolean {
  if (end - start === 0) return true;
  // Distinct characters are counted only up to the number that makes a body varied enough: a few
  // comparisons per character where a Set cost more than the rest of this check.
  const enough = Math.min(8, Math.ceil((end - start) / 3));
  const distinct: number[] = [];
  let ascending = 1;
  let repeated = 1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (distinct.length < enough && !distinct.includes(c)) distinct.push(c);
    ascending = i > start && c === text.charCodeAt(i - 1) + 1 ? ascending + 1 : 1;
    repeated = i > start && c === text.charCodeAt(i - 1) ? repeated + 1 : 1;
    if (ascending >= 8 || repeated >= PLACEHOLDER_RUN) return true;
  }
  if (distinct.length < enough) return true;
  return PLACEHOLDER_WORDS.test(text.slice(start, end));
}
