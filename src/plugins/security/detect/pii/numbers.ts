// Numbers that identify a person or an account, each checked by its checksum or context: payment
// cards (Luhn), US SSN, UK National Insurance and Canadian SIN numbers, IBANs (mod 97).
import type { TextFinding } from '../findings';
import type { PiiType } from './types';
import { codeAt, DigitFinder, forEachDigitRun, hasWordBefore, isAlnum, isDigit, isLetter, isLower, isUpper, isWordChar, luhnValid, sameGroups } from './text';

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
  if (p4 >= 2200 && p4 <= 2204) return length >= 16; // Mir
  if (p2 === 60 || p2 === 81 || p2 === 82 || p3 === 508 || p3 === 353 || p3 === 356) return length === 16; // RuPay
  // Maestro (50, 56–69), whose ranges also hold Elo's 5067…, 6277…, 6362…, 6504…
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return length >= 13;
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
export function detectCreditCards(text: string, out: TextFinding<PiiType>[] = [], digitFinder = new DigitFinder(text, false)): TextFinding<PiiType>[] {
  const seen = new Set<number>();
  for (const separator of [0x20, 0x2d, 0x2e]) {
    forEachDigitRun(digitFinder, separator, 13, 19, (run) => {
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

/** Words that name a National Insurance number just before it. */
const NINO_WORDS = new Set(['ni', 'nino', 'insurance', 'nic']);

/**
 * Matches a UK NI number at `start` (`AB123456C`, `AB 12 34 56 C`, or the same in lower case, as
 * people type it into forms); returns its end or -1. The letters must share one case unless the
 * text names the number just before it (`NI: Ce 11 22 33 A`): mixed case alone is too common in
 * part and room numbers.
 */
function matchNino(text: string, start: number): number {
  const lower = isLower(text.charCodeAt(start));
  let named: boolean | undefined;
  const sameCase = (c: number): boolean => (lower ? isLower(c) : isUpper(c)) || (isLetter(c) && (named ??= hasWordBefore(text, start, NINO_WORDS, 3)));
  const a = text[start]!.toUpperCase();
  const b = text[start + 1]?.toUpperCase();
  if (b === undefined || !sameCase(text.charCodeAt(start + 1)) || NINO_BAD_FIRST.has(a) || NINO_BAD_SECOND.has(b) || NINO_BAD_PREFIX.has(a + b)) return -1;
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
  if (!sameCase(suffix) || (suffix | 0x20) < 0x61 || (suffix | 0x20) > 0x64) return -1; // A-D
  i++;
  return isWordChar(codeAt(text, i)) ? -1 : i;
}

/** US Social Security numbers, UK National Insurance numbers and Canadian Social Insurance numbers. */
export function detectNationalIds(text: string, out: TextFinding<PiiType>[] = [], digitFinder = new DigitFinder(text, false)): TextFinding<PiiType>[] {
  const seen = new Set<number>();
  for (const separator of [0x2d, 0x20]) {
    forEachDigitRun(digitFinder, separator, 9, 9, (run) => {
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
  for (let digit = digitFinder.next(0); digit < n; digit = digitFinder.next(digit)) {
    for (let i = digit - 3; i <= digit - 2; i++) {
      if (i < next || i < 0 || i + 9 > n) continue;
      const c = text.charCodeAt(i);
      if (!(isUpper(c) || isLower(c)) || isWordChar(codeAt(text, i - 1))) continue;
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

/**
 * Matches an IBAN at `start` (compact or grouped by four with single spaces); returns its end or -1.
 * `offsets` is scratch space for the positions of its characters, so nothing is allocated per try.
 */
function matchIban(text: string, start: number, offsets: number[]): number {
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
export function detectIbans(text: string, out: TextFinding<PiiType>[] = [], digitFinder = new DigitFinder(text, false)): TextFinding<PiiType>[] {
  const n = text.length;
  // This call's own scratch for `matchIban`, made at the first candidate (most texts have none). A
  // plain array: a typed array this size is allocated off the heap, which costs more per call.
  let offsets: number[] | undefined;
  for (let i = 0; i + 15 <= n; i++) {
    if (!isDigit(text.charCodeAt(i + 2))) {
      // Every IBAN has a digit third: the next candidate starts two before the next digit.
      i = digitFinder.next(i + 3) - 3;
      continue;
    }
    if (!isLetter(text.charCodeAt(i)) || !isLetter(text.charCodeAt(i + 1))) continue;
    if (isWordChar(codeAt(text, i - 1))) continue;
    const end = matchIban(text, i, (offsets ??= new Array<number>(MAX_IBAN_LENGTH).fill(0)));
    if (end !== -1) {
      out.push({ type: 'iban', start: i, end });
      i = end - 1;
    }
  }
  return out;
}
