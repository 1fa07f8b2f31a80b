// Personal-data detectors (email, phone, payment card, IP address, national id, IBAN): linear
// token scanners with checksum and context validation, used by the basic_pii_filter plugin.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js';
import { resolveOverlaps, type TextFinding } from './findings';

/** The PII types, with the config keys of Gatekit's `pii_types` (iban is ours). */
export const PII_TYPES = ['email', 'phone', 'credit_card', 'ip_address', 'national_id', 'iban'] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** When two findings overlap, the more specific (checksum-validated) type wins over the broader ones. */
const OVERLAP_RANK: Record<PiiType, number> = { credit_card: 0, iban: 1, national_id: 2, email: 3, ip_address: 4, phone: 5 };

// ---------------------------------------------------------------------------------------------
// Character helpers

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}
function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
function isAlnum(c: number): boolean {
  return isDigit(c) || isLetter(c);
}
/** Letters, digits and `_`: characters that glue a number to an identifier. */
function isWordChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}
function isHex(c: number): boolean {
  const l = c | 0x20;
  return isDigit(c) || (l >= 0x61 && l <= 0x66);
}
/**
 * Index of the first match of `pattern` (global, one character) at or after `from`, or the text's
 * length. A native search skips ordinary text several times faster than a character loop, and
 * most text has few of the characters a detector starts from. (`test` allocates no match array.)
 */
function skipTo(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.test(text) ? pattern.lastIndex - 1 : text.length;
}
const DIGIT = /[0-9]/g;

/**
 * The digit runs of the text `detectPii` is scanning, found once: six detectors each skip from
 * digit to digit, and one native search for all of them costs a sixth of one search each.
 */
const digitIndex = { text: undefined as string | undefined, starts: new Int32Array(64), ends: new Int32Array(64), count: 0, cursor: 0 };

function indexDigits(text: string): void {
  let { starts, ends } = digitIndex;
  let count = 0;
  const n = text.length;
  for (let i = skipTo(DIGIT, text, 0); i < n; i = skipTo(DIGIT, text, i)) {
    const start = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (count === starts.length) {
      const grownStarts = new Int32Array(count * 2);
      const grownEnds = new Int32Array(count * 2);
      grownStarts.set(starts);
      grownEnds.set(ends);
      starts = grownStarts;
      ends = grownEnds;
    }
    starts[count] = start;
    ends[count] = i;
    count++;
  }
  // Where digits are dense, skipping is short anyway and the index would only add its own cost.
  digitIndex.text = count <= n >> 5 ? text : undefined;
  digitIndex.starts = starts;
  digitIndex.ends = ends;
  digitIndex.count = count;
  digitIndex.cursor = 0;
}

/** The first digit at or after `from`, or the text's length. */
function nextDigit(text: string, from: number): number {
  if (text !== digitIndex.text) return skipTo(DIGIT, text, from);
  const { starts, ends, count } = digitIndex;
  // First run ending after `from`: each detector moves forward, so step on from the last answer
  // unless `from` lies before it (a new detector), then search.
  let k = digitIndex.cursor;
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
  digitIndex.cursor = k;
  if (k === count) return text.length;
  return Math.max(from, starts[k]!);
}

/** The first digit, `+` or `(` at or after `from`; `next` remembers the last `+` and `(` found so each is searched for once. */
function nextPhoneStart(text: string, from: number, next: { plus: number; paren: number }): number {
  if (next.plus < from) next.plus = indexOrLength(text, '+', from);
  if (next.paren < from) next.paren = indexOrLength(text, '(', from);
  return Math.min(nextDigit(text, from), next.plus, next.paren);
}

function indexOrLength(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at < 0 ? text.length : at;
}

/** Code at `i`, or -1 outside the text (so boundary checks need no range test). */
function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/**
 * Up to `count` words (letters only, lower-cased) before `pos`, nearest first, looking back at most
 * `maxChars` characters. Bounded, so context checks keep the scans linear.
 */
function previousWords(text: string, pos: number, count: number, maxChars = 40): string[] {
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

function hasWordBefore(text: string, pos: number, vocabulary: ReadonlySet<string>, count = 2, maxChars = 40): boolean {
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
interface DigitRun {
  readonly start: number;
  readonly end: number;
  /** Digits only. */
  readonly digits: string;
  /** Length of each group. */
  readonly groups: readonly number[];
}

/** Most groups a payment card or national id is written in; longer runs are neither. */
const MAX_GROUPS = 8;
/** Scratch for `forEachDigitRun` (`visit` gets its own copy): most texts it sees hold no candidate at all. */
const GROUP_LENGTHS = new Int32Array(MAX_GROUPS + 1);

/**
 * Calls `visit` for each maximal run of digit groups (consecutive groups separated by exactly one
 * `separator`) that has between `minDigits` and `maxDigits` digits. One pass; runs outside the range
 * are skipped without building anything, so long runs of digits cost no allocations.
 */
function forEachDigitRun(text: string, separator: number, minDigits: number, maxDigits: number, visit: (run: DigitRun) => void): void {
  const n = text.length;
  const groups = GROUP_LENGTHS;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i = nextDigit(text, i + 1);
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

function sameGroups(groups: readonly number[], shape: readonly number[]): boolean {
  if (groups.length !== shape.length) return false;
  for (let i = 0; i < shape.length; i++) if (groups[i] !== shape[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Email

// Local part: RFC 5322 atext minus the rarely used symbols that also delimit prose and code.
const LOCAL_CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-'") LOCAL_CHARS[c.charCodeAt(0)] = 1;
function isLocalChar(c: number): boolean {
  return c < 128 && LOCAL_CHARS[c] === 1;
}
function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 0x2d || c === 0x2e;
}

/** Suffixes that look like a top-level domain but name a file (`icon@2x.png`, `lib@1.x.js`). */
const FILE_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'tif', 'tiff', 'avif', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx',
  'css', 'scss', 'less', 'json', 'map', 'txt', 'md', 'py', 'rb', 'go', 'rs', 'java', 'kt', 'cs', 'php', 'html', 'htm',
  'xml', 'yml', 'yaml', 'toml', 'lock', 'log', 'wasm', 'pdf', 'tgz', 'gz', 'jar', 'whl', 'exe', 'dll', 'so', 'dylib',
]);

function validDomain(text: string, start: number, end: number): boolean {
  let labelStart = start;
  let labels = 0;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 0x2e) continue;
    const length = i - labelStart;
    if (length === 0 || length > 63) return false;
    if (text.charCodeAt(labelStart) === 0x2d || text.charCodeAt(i - 1) === 0x2d) return false;
    labels++;
    if (i === end) {
      // Top-level domain: letters only, at least two.
      if (length < 2) return false;
      for (let j = labelStart; j < end; j++) if (!isLetter(text.charCodeAt(j))) return false;
      if (FILE_EXTENSIONS.has(text.slice(labelStart, end).toLowerCase())) return false;
    }
    labelStart = i + 1;
  }
  return labels >= 2;
}

/** `user:pass@host` inside a URL is a credential (the secrets filter's business), not an email. */
function isUrlUserinfo(text: string, at: number): boolean {
  const floor = Math.max(0, at - 256);
  for (let i = at - 1; i >= floor; i--) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e) return false;
    if (c === 0x2f) return i >= 2 && text.charCodeAt(i - 1) === 0x2f && text.charCodeAt(i - 2) === 0x3a;
  }
  return false;
}

/** Email addresses: local part, `@`, a dotted domain with an alphabetic top-level label. */
export function detectEmails(text: string, out: TextFinding<PiiType>[] = []): TextFinding<PiiType>[] {
  const n = text.length;
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && isLocalChar(text.charCodeAt(start - 1))) start--;
    while (start < at && (text.charCodeAt(start) === 0x2e || text.charCodeAt(start) === 0x27)) start++;
    let end = at + 1;
    while (end < n && isDomainChar(text.charCodeAt(end))) end++;
    // Sentence punctuation after the address is not part of it.
    while (end > at + 1 && (text.charCodeAt(end - 1) === 0x2e || text.charCodeAt(end - 1) === 0x2d)) end--;
    const localLength = at - start;
    const accepted =
      localLength > 0 &&
      localLength <= 64 &&
      text.charCodeAt(at - 1) !== 0x2e &&
      end - at - 1 <= 253 &&
      validDomain(text, at + 1, end) &&
      !isUrlUserinfo(text, at) &&
      // `git@github.com:org/repo.git` is an SSH remote, not a mailbox.
      !(codeAt(text, end) === 0x3a && isWordChar(codeAt(text, end + 1)) && codeAt(text, end + 1) !== -1);
    if (accepted) out.push({ type: 'email', start, end });
    at = text.indexOf('@', at + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IP addresses

/** Words that make a dotted quad a version number rather than an address. */
const VERSION_WORDS = new Set([
  'version', 'versions', 'ver', 'v', 'release', 'released', 'releases', 'build', 'builds', 'firmware', 'fw', 'revision', 'rev',
  'tag', 'tagged', 'sdk', 'kernel', 'patch', 'upgrade', 'upgraded', 'upgrading', 'downgrade', 'downgraded', 'bump', 'bumped',
  'bumps', 'requires', 'required', 'compatible', 'changelog', 'update', 'updated', 'edition', 'driver', 'bios', 'package',
  'pkg', 'library', 'lib', 'assembly', 'semver', 'dependency', 'installed', 'install',
  // Numbered headings: "section 3.2.1.4", "table 2.1.3.5".
  'section', 'sections', 'table', 'figure', 'fig', 'chapter', 'step', 'clause', 'paragraph', 'rule', 'item', 'appendix',
]);

function isVersionWord(word: string): boolean {
  return VERSION_WORDS.has(word) || word.endsWith('version');
}

function parseIpv4(text: string, start: number, end: number): number[] | undefined {
  const octets: number[] = [];
  let value = 0;
  let length = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (length === 0 || length > 3 || value > 255) return undefined;
      // Leading zeros (`01.02.03.04`) mark dates and versions; addresses are written without them.
      if (length > 1 && text.charCodeAt(i - length) === 0x30) return undefined;
      octets.push(value);
      value = 0;
      length = 0;
      continue;
    }
    value = value * 10 + (c - 0x30);
    length++;
  }
  return octets.length === 4 ? octets : undefined;
}

/** Loopback, unspecified, broadcast and netmasks identify no one. */
function isNonPersonalIpv4(octets: readonly number[]): boolean {
  const [a, b, c, d] = octets as [number, number, number, number];
  if (a === 127 || (a === 0 && b === 0 && c === 0 && d === 0)) return true;
  if (a === 255) {
    const mask = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const inverted = ~mask >>> 0;
    return (inverted & (inverted + 1)) === 0;
  }
  return false;
}

function detectIpv4(text: string, out: TextFinding<PiiType>[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) {
      i = nextDigit(text, i + 1);
      continue;
    }
    const start = i;
    while (i < n && (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === 0x2e)) i++;
    let end = i;
    // One trailing dot ends a sentence.
    if (text.charCodeAt(end - 1) === 0x2e) end--;
    if (end - start < 7 || end - start > 15) continue;
    const before = codeAt(text, start - 1);
    if (isWordChar(before) || before === 0x2e) continue;
    // Version ranges and markers: ^1.2.3.4, ~1.2.3.4, >=1.2.3.4, ==1.2.3.4.
    if (before === 0x5e || before === 0x7e || ((before === 0x3d || before === 0x3e || before === 0x3c) && codeAt(text, start - 2) !== -1 && '=<>~!'.includes(text[start - 2]!))) continue;
    const after = codeAt(text, end);
    if (isWordChar(after)) continue;
    // Pre-release / build suffixes: 1.2.3.4-beta, 1.2.3.4+build.
    if ((after === 0x2d || after === 0x2b) && isLetter(codeAt(text, end + 1))) continue;
    const octets = parseIpv4(text, start, end);
    if (octets === undefined || isNonPersonalIpv4(octets)) continue;
    // Four single digits number sections and versions (3.2.1.4); the addresses of that shape are
    // public resolvers such as 1.1.1.1 and 8.8.8.8, which identify no one.
    if (octets.every((o) => o < 10)) continue;
    // `pkg@1.2.3.4` is a version, `deploy@203.0.113.9` a host: versions have small parts.
    if (before === 0x40 && octets.filter((o) => o >= 10).length < 2) continue;
    let versionContext = false;
    for (const word of previousWords(text, start, 2, 32)) if (isVersionWord(word)) versionContext = true;
    if (versionContext) continue;
    out.push({ type: 'ip_address', start, end });
  }
}

function isIpv6RunChar(c: number): boolean {
  return isHex(c) || c === 0x3a || c === 0x2e;
}

/** Validates `text[start,end)` as an IPv6 address and returns whether it is specific enough to be one. */
function validIpv6(text: string, start: number, end: number): boolean {
  let groups = 0;
  let compressed = false;
  let longestGroup = 0;
  let i = start;
  if (text.startsWith('::', i)) {
    compressed = true;
    i += 2;
    if (i === end) return false; // `::` itself
  }
  while (i < end) {
    const groupStart = i;
    while (i < end && isHex(text.charCodeAt(i))) i++;
    const length = i - groupStart;
    if (i < end && text.charCodeAt(i) === 0x2e) {
      // Embedded IPv4 tail (::ffff:192.0.2.1), only as the last part.
      while (i < end && (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === 0x2e)) i++;
      if (i !== end || parseIpv4(text, groupStart, end) === undefined) return false;
      groups += 2;
      longestGroup = 4;
      break;
    }
    if (length === 0 || length > 4) return false;
    groups++;
    if (length > longestGroup) longestGroup = length;
    if (i === end) break;
    // i is at ':'
    if (text.charCodeAt(i + 1) === 0x3a) {
      if (compressed) return false;
      compressed = true;
      i += 2;
      if (i === end) break;
    } else {
      i++;
      if (i === end) return false;
    }
  }
  if (compressed ? groups > 7 : groups !== 8) return false;
  // `::1`, `a::b`, `std::map`-like fragments: demand something address-shaped.
  if (compressed && (groups < 2 || longestGroup < 3)) return false;
  return true;
}

function detectIpv6(text: string, out: TextFinding<PiiType>[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    // Only a run with colons can be an address: go to the next colon, then back to the start of its
    // run (not before `from`: the text before it was scanned already).
    const from = i;
    const colon = text.indexOf(':', from);
    if (colon === -1) break;
    i = colon;
    while (i > from && isIpv6RunChar(text.charCodeAt(i - 1))) i--;
    let start = i;
    let colons = 0;
    while (i < n && isIpv6RunChar(text.charCodeAt(i))) {
      if (text.charCodeAt(i) === 0x3a) colons++;
      i++;
    }
    let end = i;
    if (colons < 2) continue;
    // A hex run glued to a word (`std::`, `xdead:beef`) is code, not an address.
    if (isHex(text.charCodeAt(start)) && isWordChar(codeAt(text, start - 1))) continue;
    if (isWordChar(codeAt(text, end))) continue;
    // A label colon before (`ip:fe80::1`) or sentence punctuation after.
    if (text.charCodeAt(start) === 0x3a && text.charCodeAt(start + 1) !== 0x3a) start++;
    if (text.charCodeAt(end - 1) === 0x2e) end--;
    if (text.charCodeAt(end - 1) === 0x3a && text.charCodeAt(end - 2) !== 0x3a) end--;
    if (end - start < 3 || end - start > 45) continue;
    if (validIpv6(text, start, end)) out.push({ type: 'ip_address', start, end });
  }
}

/** IPv4 addresses (real octets, not versions) and IPv6 addresses (full and compressed). */
export function detectIpAddresses(text: string, out: TextFinding<PiiType>[] = []): TextFinding<PiiType>[] {
  const found: TextFinding<PiiType>[] = [];
  detectIpv6(text, found);
  detectIpv4(text, found);
  // The IPv4 tail of `::ffff:192.0.2.1` is part of the IPv6 finding.
  for (const finding of resolveOverlaps(found, () => 0)) out.push(finding);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Payment cards

/** Whether the issuer prefix and length belong to a card network. */
function knownCardNetwork(digits: string): boolean {
  const length = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4') return length === 13 || length === 16 || length === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return length === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return length === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return length >= 16; // Discover
  if (p4 >= 3528 && p4 <= 3589) return length >= 16; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return length >= 14; // Diners Club
  if (p2 === 62) return length >= 16; // UnionPay
  return false;
}

/** Groupings people write cards in: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4. */
function plausibleCardGroups(groups: readonly number[]): boolean {
  if (groups.length === 1) return true;
  if (sameGroups(groups, [4, 6, 5]) || sameGroups(groups, [4, 6, 4])) return true;
  for (let i = 0; i < groups.length - 1; i++) if (groups[i] !== 4) return false;
  const last = groups[groups.length - 1]!;
  return last >= 1 && last <= 4;
}

/**
 * Payment card numbers of a known network, Luhn-checked, plain or grouped with spaces, dashes or dots
 * (other spaces, no-break and narrow ones, are spaces once the filter has normalised the text).
 */
export function detectCreditCards(text: string, out: TextFinding<PiiType>[] = []): TextFinding<PiiType>[] {
  const seen = new Set<number>();
  for (const separator of [0x20, 0x2d, 0x2e]) {
    forEachDigitRun(text, separator, 13, 19, (run) => {
      // Plain runs show up in both passes; keep the first.
      if (seen.has(run.start)) return;
      const before = codeAt(text, run.start - 1);
      if (isWordChar(before) || before === 0x2e || before === 0x2d || before === 0x2b || before === 0x2f) return;
      const after = codeAt(text, run.end);
      if (isWordChar(after) || (after === 0x2e && isDigit(codeAt(text, run.end + 1)))) return;
      if (!plausibleCardGroups(run.groups) || !knownCardNetwork(run.digits) || !luhnValid(run.digits)) return;
      seen.add(run.start);
      out.push({ type: 'credit_card', start: run.start, end: run.end });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// National identifiers: US SSN, UK National Insurance number, Canadian SIN

const SSN_WORDS = new Set(['ssn', 'ssns', 'social', 'security', 'taxpayer', 'tin', 'itin']);
const SIN_WORDS = new Set(['sin', 'insurance', 'nas']);

function validSsn(digits: string): boolean {
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return false;
  // Numbers published in advertising and never issued to a person.
  return digits !== '078051120' && digits !== '219099999';
}

function validSin(digits: string): boolean {
  // 8 is never issued. 0 is unassigned too, but the well-known sample number starts with it and
  // people test filters with it, so it is kept.
  return digits[0] !== '8' && luhnValid(digits);
}

// Letters never used in National Insurance prefixes, and prefixes never allocated.
const NINO_BAD_FIRST = new Set('DFIQUV');
const NINO_BAD_SECOND = new Set('DFIOQUV');
const NINO_BAD_PREFIX = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

/** Matches a UK NI number at `start` (`AB123456C` or `AB 12 34 56 C`); returns its end or -1. */
function matchNino(text: string, start: number): number {
  const a = text[start]!;
  const b = text[start + 1];
  if (b === undefined || !isUpper(b.charCodeAt(0)) || NINO_BAD_FIRST.has(a) || NINO_BAD_SECOND.has(b) || NINO_BAD_PREFIX.has(a + b)) return -1;
  let i = start + 2;
  const spaced = text.charCodeAt(i) === 0x20;
  for (let pair = 0; pair < 3; pair++) {
    if (spaced) {
      if (text.charCodeAt(i) !== 0x20) return -1;
      i++;
    }
    if (!isDigit(codeAt(text, i)) || !isDigit(codeAt(text, i + 1))) return -1;
    i += 2;
  }
  if (spaced && text.charCodeAt(i) === 0x20) i++;
  const suffix = codeAt(text, i);
  if (suffix < 0x41 || suffix > 0x44) return -1; // A-D
  i++;
  return isWordChar(codeAt(text, i)) ? -1 : i;
}

/** US Social Security numbers, UK National Insurance numbers and Canadian Social Insurance numbers. */
export function detectNationalIds(text: string, out: TextFinding<PiiType>[] = []): TextFinding<PiiType>[] {
  const seen = new Set<number>();
  for (const separator of [0x2d, 0x20]) {
    forEachDigitRun(text, separator, 9, 9, (run) => {
      if (seen.has(run.start)) return;
      const before = codeAt(text, run.start - 1);
      if (isWordChar(before) || before === 0x2e || before === 0x2d || before === 0x2b || before === 0x2f) return;
      const after = codeAt(text, run.end);
      if (isWordChar(after) || ((after === 0x2d || after === 0x2e || after === 0x2f) && isDigit(codeAt(text, run.end + 1)))) return;
      let accepted = false;
      if (run.groups.length === 1) {
        // Nine bare digits are an id only when the text says which.
        if (hasWordBefore(text, run.start, SSN_WORDS, 3)) accepted = validSsn(run.digits);
        else if (hasWordBefore(text, run.start, SIN_WORDS, 3)) accepted = validSin(run.digits);
      } else if (sameGroups(run.groups, [3, 2, 4])) {
        accepted = validSsn(run.digits);
      } else if (sameGroups(run.groups, [3, 3, 3])) {
        accepted = validSin(run.digits);
      }
      if (!accepted) return;
      seen.add(run.start);
      out.push({ type: 'national_id', start: run.start, end: run.end });
    });
  }
  // A National Insurance number has its first digit two or three after its start (`AB1`, `AB 1`),
  // where a run of digits starts: only those places are tried, in order.
  const n = text.length;
  let next = 0;
  for (let digit = nextDigit(text, 0); digit < n; digit = nextDigit(text, digit)) {
    for (let i = digit - 3; i <= digit - 2; i++) {
      if (i < next || i < 0 || i + 9 > n) continue;
      const c = text.charCodeAt(i);
      if (!isUpper(c) || isWordChar(codeAt(text, i - 1))) continue;
      const end = matchNino(text, i);
      if (end !== -1) {
        out.push({ type: 'national_id', start: i, end });
        next = end;
      }
    }
    while (digit < n && isDigit(text.charCodeAt(digit))) digit++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IBAN

/** IBAN length per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19,
  SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

function ibanCharValue(c: number): number {
  return isDigit(c) ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

/** ISO 13616 check over characters given by offset: first four moved to the end, remainder mod 97 is 1. */
function ibanRemainder(text: string, offsets: ArrayLike<number>, length: number): number {
  let remainder = 0;
  for (let k = 0; k < length; k++) {
    const v = ibanCharValue(text.charCodeAt(offsets[(k + 4) % length]!));
    remainder = (v < 10 ? remainder * 10 + v : remainder * 100 + v) % 97;
  }
  return remainder;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, remainder mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const offsets = Array.from({ length: iban.length }, (_, i) => i);
  return ibanRemainder(iban, offsets, iban.length) === 1;
}

/** Longest IBAN (Russia). */
const MAX_IBAN_LENGTH = 34;
/** Scratch for `matchIban`, shared: detection is synchronous, and a typed array this size is allocated off the heap (costly per call). */
const IBAN_OFFSETS = new Int32Array(MAX_IBAN_LENGTH);

/**
 * Matches an IBAN at `start` (compact or grouped by four with single spaces); returns its end or -1.
 * `offsets` is scratch space for the positions of its characters, so nothing is allocated per try.
 */
function matchIban(text: string, start: number, offsets: Int32Array): number {
  const length = IBAN_LENGTHS[text.slice(start, start + 2).toUpperCase()];
  if (length === undefined || !isDigit(codeAt(text, start + 2)) || !isDigit(codeAt(text, start + 3))) return -1;
  let count = 0;
  let i = start;
  while (count < length) {
    const c = codeAt(text, i);
    if (isAlnum(c)) {
      offsets[count++] = i;
      i++;
    } else if (c === 0x20 && count % 4 === 0 && count > 0 && isAlnum(codeAt(text, i + 1))) {
      i++;
    } else {
      return -1;
    }
  }
  if (isWordChar(codeAt(text, i))) return -1;
  return ibanRemainder(text, offsets, length) === 1 ? i : -1;
}

/** International Bank Account Numbers with a known country length and a valid mod-97 check. */
export function detectIbans(text: string, out: TextFinding<PiiType>[] = []): TextFinding<PiiType>[] {
  const n = text.length;
  const offsets = IBAN_OFFSETS;
  for (let i = 0; i + 15 <= n; i++) {
    if (!isDigit(text.charCodeAt(i + 2))) {
      // Every IBAN has a digit third: the next candidate starts two before the next digit.
      i = nextDigit(text, i + 3) - 3;
      continue;
    }
    if (!isLetter(text.charCodeAt(i)) || !isLetter(text.charCodeAt(i + 1))) continue;
    if (isWordChar(codeAt(text, i - 1))) continue;
    const end = matchIban(text, i, offsets);
    if (end !== -1) {
      out.push({ type: 'iban', start: i, end });
      i = end - 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

/** National formats are validated against these regions; international (+CC) ones against all. */
const NATIONAL_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR', 'AU', 'IN'];

const PHONE_WORDS = new Set([
  'phone', 'phones', 'tel', 'telephone', 'mobile', 'mob', 'cell', 'cellphone', 'call', 'calls', 'fax', 'sms', 'whatsapp',
  'contact', 'ph', 'text', 'dial', 'landline', 'hotline', 'reach', 'telefon', 'telefono', 'phonenumber',
]);
const NOT_PHONE_WORDS = new Set([
  'order', 'orders', 'invoice', 'tracking', 'track', 'ticket', 'ref', 'reference', 'isbn', 'serial', 'sku', 'id', 'ids',
  'po', 'confirmation', 'transaction', 'txn', 'case', 'build', 'version', 'part', 'item', 'product', 'account', 'acct',
  'batch', 'lot', 'shipment', 'parcel', 'receipt', 'booking', 'claim', 'policy', 'member', 'customer', 'routing', 'iban',
  'card', 'zip', 'postcode', 'timestamp', 'epoch', 'ssn', 'sin', 'size', 'bytes', 'total', 'count', 'amount',
]);

function isPhoneSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2d || c === 0x2e || c === 0xa0 || c === 0x28 || c === 0x29;
}

function isParenOrSpace(c: number): boolean {
  return c === 0x20 || c === 0xa0 || c === 0x28 || c === 0x29;
}

/** Memo of libphonenumber verdicts for one scan: repeated numbers are validated once. */
type PhoneVerdicts = Map<string, boolean>;

/** How North American numbers are grouped: 3-3-4 with an optional leading 1, or one block. */
const NANP_SHAPES = new Set(['3-3-4', '1-3-3-4', '10', '11', '3-7', '1-10', '1-3-7']);
/** Indian mobile numbers: 5-5 or one block of ten. */
const INDIA_SHAPES = new Set(['5-5', '10']);

/**
 * Validates a candidate's digits with libphonenumber. `shape` is its grouping (`3-3-4`); regions
 * whose numbers are never written that way are not asked, which also saves most library calls.
 */
function validPhoneDigits(plus: boolean, digits: string, shape: string, verdicts: PhoneVerdicts): boolean {
  const key = `${plus ? '+' : ''}${digits}/${shape}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  let valid = false;
  if (plus) {
    const nanp = digits.length === 11 && digits[0] === '1';
    valid = (!nanp || NANP_SHAPES.has(shape)) && parsePhoneNumberFromString('+' + digits)?.isValid() === true;
  } else if (digits.startsWith('00') && digits.length >= 10) {
    valid = parsePhoneNumberFromString('+' + digits.slice(2))?.isValid() === true;
  } else {
    for (const region of NATIONAL_REGIONS) {
      const plausible =
        region === 'US'
          ? NANP_SHAPES.has(shape) && (digits.length === 10 || (digits.length === 11 && digits[0] === '1'))
          : region === 'IN'
            ? INDIA_SHAPES.has(shape) && digits.length === 10 && digits[0]! >= '6'
            : digits[0] === '0';
      if (plausible && parsePhoneNumberFromString(digits, { defaultCountry: region })?.isValid() === true) {
        valid = true;
        break;
      }
    }
  }
  verdicts.set(key, valid);
  return valid;
}

/** A candidate phone: the characters [start,end) and the groups of digits inside them. */
interface PhoneRun {
  start: number;
  end: number;
  plus: boolean;
  /** Start and end offsets of each digit group. */
  groups: number[];
  dotted: boolean;
}

function groupDigits(text: string, run: PhoneRun, from: number, to: number): string {
  let digits = '';
  for (let g = from; g < to; g++) digits += text.slice(run.groups[2 * g]!, run.groups[2 * g + 1]!);
  return digits;
}

/** Whether the separator between digit groups `g - 1` and `g` contains whitespace. */
function spaceBeforeGroup(text: string, run: PhoneRun, g: number): boolean {
  for (let i = run.groups[2 * g - 1]!; i < run.groups[2 * g]!; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0xa0) return true;
  }
  return false;
}

function checkPhone(text: string, run: PhoneRun, from: number, to: number, verdicts: PhoneVerdicts, out: TextFinding<PiiType>[]): boolean {
  const digits = groupDigits(text, run, from, to);
  if (digits.length < 7 || digits.length > 15) return false;
  const plus = run.plus && from === 0;
  let start = from === 0 ? run.start : run.groups[2 * from]!;
  // An opening parenthesis belongs to the number only around an area code: `(415) 555-2671`, not
  // the prose of `(415-555-2671)`.
  if (text.charCodeAt(start) === 0x28 && text.charCodeAt(run.groups[2 * from + 1]!) !== 0x29) start = run.groups[2 * from]!;
  const end = run.groups[2 * to - 1]!;
  const separated = to - from > 1;
  if (!plus) {
    const context = previousWords(text, start, 3, 40);
    const phoneContext = context.some((w) => PHONE_WORDS.has(w));
    // A bare run of digits is a phone number only when the text calls it one.
    if (!separated && !phoneContext) return false;
    if (!phoneContext && context.some((w) => NOT_PHONE_WORDS.has(w))) return false;
  }
  const shape: number[] = [];
  for (let g = from; g < to; g++) shape.push(run.groups[2 * g + 1]! - run.groups[2 * g]!);
  if (!validPhoneDigits(plus, digits, shape.join('-'), verdicts)) return false;
  out.push({ type: 'phone', start, end });
  return true;
}

/**
 * Phone numbers: a cheap linear pre-scan finds runs of digits with phone punctuation, then
 * libphonenumber validates them (international with `+`/`00`, national for NATIONAL_REGIONS).
 */
export function detectPhones(text: string, out: TextFinding<PiiType>[] = []): TextFinding<PiiType>[] {
  const n = text.length;
  const verdicts: PhoneVerdicts = new Map();
  const next = { plus: -1, paren: -1 };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isDigit(c) || c === 0x2b || c === 0x28)) {
      i = nextPhoneStart(text, i + 1, next);
      continue;
    }
    const before = codeAt(text, i - 1);
    const run: PhoneRun = { start: i, end: i, plus: c === 0x2b, groups: [], dotted: false };
    if (c === 0x2b || c === 0x28) i++;
    if (c === 0x2b && text.charCodeAt(i) === 0x28) i++;
    let digitCount = 0;
    let separatorRun = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isDigit(d)) {
        const groupStart = i;
        if (separatorRun > 0 && text.charCodeAt(i - 1) === 0x2e) run.dotted = true;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
        // Past 30 digits the run is rejected anyway; keep scanning it without recording groups.
        if (digitCount <= 30) run.groups.push(groupStart, i);
        digitCount += i - groupStart;
        separatorRun = 0;
      } else if (isPhoneSeparator(d) && separatorRun < 2 && run.groups.length > 0) {
        // Two separators need a parenthesis or a space among them: `0..9` and `1--2` are not phones.
        if (separatorRun === 1 && !isParenOrSpace(d) && !isParenOrSpace(text.charCodeAt(i - 1))) break;
        separatorRun++;
        i++;
      } else {
        break;
      }
    }
    run.end = i;
    if (run.groups.length === 0) {
      if (i === run.start) i++;
      continue;
    }
    // Glued to a word, a decimal, a path, a version, an amount, or an order number.
    if (isWordChar(before) || before === 0x2e || before === 0x2f || before === 0x2d || before === 0x23 || before === 0x24 || before === 0x40 || before === 0x5c) continue;
    const lastEnd = run.groups[run.groups.length - 1]!;
    if (isWordChar(codeAt(text, lastEnd)) || (codeAt(text, lastEnd) === 0x2f && isDigit(codeAt(text, lastEnd + 1)))) continue;
    // Too long to be one number even after trimming a neighbour off either end.
    if (digitCount < 7 || digitCount > 30) continue;
    const groupCount = run.groups.length / 2;
    // Dotted quads and longer dotted runs of short groups are addresses and versions.
    if (run.dotted && groupCount >= 4) {
      let short = true;
      for (let g = 0; g < groupCount; g++) if (run.groups[2 * g + 1]! - run.groups[2 * g]! > 3) short = false;
      if (short) continue;
    }
    if (checkPhone(text, run, 0, groupCount, verdicts, out)) continue;
    // A neighbouring number may have been swept into the run across a space: try without it.
    if (groupCount >= 3 && spaceBeforeGroup(text, run, groupCount - 1) && checkPhone(text, run, 0, groupCount - 1, verdicts, out)) continue;
    if (groupCount >= 3 && !run.plus && spaceBeforeGroup(text, run, 1)) checkPhone(text, run, 1, groupCount, verdicts, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// All types

const DETECTORS: Record<PiiType, (text: string, out: TextFinding<PiiType>[]) => unknown> = {
  email: detectEmails,
  phone: detectPhones,
  credit_card: detectCreditCards,
  ip_address: detectIpAddresses,
  national_id: detectNationalIds,
  iban: detectIbans,
};

/** Types that cannot occur in a string without a digit (all but email). */
function needsDigit(type: PiiType): boolean {
  return type !== 'email';
}

/**
 * Finds the enabled PII types in `text`, sorted by start, overlaps resolved in favour of the more
 * specific type. Strings without `@` and without digits return at once.
 */
export function detectPii(text: string, enabled: ReadonlySet<PiiType>): TextFinding<PiiType>[] {
  const hasAt = text.includes('@');
  const hasDigit = /\d/.test(text);
  if (!hasAt && !hasDigit) return [];
  const found: TextFinding<PiiType>[] = [];
  if (hasDigit) indexDigits(text);
  try {
    for (const type of PII_TYPES) {
      if (!enabled.has(type)) continue;
      if (type === 'email' ? !hasAt : needsDigit(type) && !hasDigit) continue;
      DETECTORS[type](text, found);
    }
  } finally {
    digitIndex.text = undefined;
  }
  return resolveOverlaps(found, (type) => OVERLAP_RANK[type]);
}
