// Addresses people are reached at: email addresses, and IPv4 and IPv6 addresses (not versions).
import { resolveOverlaps, type TextFinding } from '../findings';
import type { PiiType } from './types';
import { codeAt, DigitFinder, isAlnum, isDigit, isHex, isLetter, isWordChar, previousWords } from './text';

// ---------------------------------------------------------------------------------------------
// Email


// Local part: RFC 5322 atext minus the rarely used symbols that also delimit prose and code.
const LOCAL_CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-'") LOCAL_CHARS[c.charCodeAt(0)] = 1;
const NON_ASCII_LETTER = /[\p{L}\p{M}\p{Nd}]/u;
/**
 * Letters and digits of other scripts, allowed in internationalised addresses (RFC 6531 local
 * parts, IDN domains: `josé@correo.es`, `ivan@почта.рф`, `张伟@例子.中国`). One table for the BMP.
 */
const NON_ASCII_WORD = new Uint8Array(0x10000);
function isNonAsciiLetter(c: number): boolean {
  if (c < 0x80 || c > 0xffff || (c >= 0xd800 && c <= 0xdfff)) return false;
  let known = NON_ASCII_WORD[c]!;
  if (known === 0) {
    known = NON_ASCII_LETTER.test(String.fromCharCode(c)) ? 1 : 2;
    NON_ASCII_WORD[c] = known;
  }
  return known === 1;
}
function isLocalChar(c: number): boolean {
  return c < 128 ? LOCAL_CHARS[c] === 1 : isNonAsciiLetter(c);
}
function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 0x2d || c === 0x2e || isNonAsciiLetter(c);
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
      if (length < 2 && !isNonAsciiLetter(text.charCodeAt(labelStart))) return false;
      for (let j = labelStart; j < end; j++) if (!isLetter(text.charCodeAt(j)) && !isNonAsciiLetter(text.charCodeAt(j))) return false;
      if (FILE_EXTENSIONS.has(text.slice(labelStart, end).toLowerCase())) return false;
    }
    labelStart = i + 1;
  }
  return labels >= 2;
}

/**
 * Domains reserved for documentation and testing (RFC 2606, RFC 6761): `example.com`, `.org`,
 * `.net` and their subdomains, and the `.example`, `.test`, `.invalid` and `.localhost` top-level
 * domains. No mailbox there belongs to a person, and documentation is full of them
 * (`support@example.com`), so an address there is not personal data.
 */
const RESERVED_SECOND_LEVEL = /(?:^|\.)example\.(?:com|org|net)$/;
const RESERVED_TOP_LEVEL = new Set(['example', 'test', 'invalid', 'localhost']);

function isReservedDomain(domain: string): boolean {
  const lower = domain.toLowerCase();
  return RESERVED_TOP_LEVEL.has(lower.slice(lower.lastIndexOf('.') + 1)) || RESERVED_SECOND_LEVEL.test(lower);
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
      !isReservedDomain(text.slice(at + 1, end)) &&
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

function detectIpv4(text: string, out: TextFinding<PiiType>[], digitFinder: DigitFinder): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) {
      i = digitFinder.next(i + 1);
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
export function detectIpAddresses(text: string, out: TextFinding<PiiType>[] = [], digitFinder = new DigitFinder(text, false)): TextFinding<PiiType>[] {
  const found: TextFinding<PiiType>[] = [];
  detectIpv6(text, found);
  detectIpv4(text, found, digitFinder);
  // The IPv4 tail of `::ffff:192.0.2.1` is part of the IPv6 finding.
  for (const finding of resolveOverlaps(found, () => 0)) out.push(finding);
  return out;
}
