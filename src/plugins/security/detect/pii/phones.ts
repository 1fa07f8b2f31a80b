// Phone numbers: a cheap linear pre-scan finds runs of digits with phone punctuation, then
// libphonenumber validates them.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js';
import type { TextFinding } from '../findings';
import type { PiiType } from './types';
import { codeAt, DigitFinder, indexOrLength, isDigit, isWordChar, previousWords } from './text';

/** The first digit, `+` or `(` at or after `from`; `next` remembers the last `+` and `(` found so each is searched for once. */
function nextPhoneStart(text: string, from: number, next: { plus: number; paren: number }, digitFinder: DigitFinder): number {
  if (next.plus < from) next.plus = indexOrLength(text, '+', from);
  if (next.paren < from) next.paren = indexOrLength(text, '(', from);
  return Math.min(digitFinder.next(from), next.plus, next.paren);
}

/** How North American numbers are grouped: 3-3-4 with an optional leading 1, or one block. */
const NANP_SHAPES = new Set(['3-3-4', '1-3-3-4', '10', '11', '3-7', '1-10', '1-3-7']);
/** Indian mobile numbers: 5-5 or one block of ten. */
const INDIA_SHAPES = new Set(['5-5', '10']);

/**
 * National formats are validated against these regions (international `+CC` ones against all), each
 * only for the groupings its people write: a region is asked only when the digits could be one of
 * its numbers as written, which keeps precision and saves library calls. Trunk-prefix regions
 * (a leading 0 or, in Russia, 8) share one test.
 */
const TRUNK_ZERO_REGIONS: readonly CountryCode[] = ['GB', 'DE', 'FR', 'AU', 'JP', 'NL', 'KR', 'IT'];
const NATIONAL_SHAPES: readonly { region: CountryCode; plausible: (digits: string, shape: string) => boolean }[] = [
  { region: 'US', plausible: (d, shape) => NANP_SHAPES.has(shape) && (d.length === 10 || (d.length === 11 && d[0] === '1')) },
  { region: 'IN', plausible: (d, shape) => INDIA_SHAPES.has(shape) && d.length === 10 && d[0]! >= '6' },
  ...TRUNK_ZERO_REGIONS.map((region) => ({ region, plausible: (d: string) => d[0] === '0' })),
  // Brazil: (11) 98765-4321, area code in parentheses or not, no trunk prefix.
  { region: 'BR', plausible: (d, shape) => (shape === '2-5-4' || shape === '2-4-4') && d[0] !== '0' },
  // China: mobiles 1xx xxxx xxxx.
  { region: 'CN', plausible: (d, shape) => d.length === 11 && d[0] === '1' && (shape === '3-4-4' || shape === '11') },
  // Singapore: 8 digits in two fours.
  { region: 'SG', plausible: (d, shape) => shape === '4-4' && '3689'.includes(d[0]!) },
  // Spain: 9 digits in 3-2-2-2, 3-3-3 or 2-3-2-2.
  { region: 'ES', plausible: (d, shape) => d.length === 9 && '6789'.includes(d[0]!) && (shape === '3-2-2-2' || shape === '3-3-3' || shape === '2-3-2-2') },
  // Italy: mobiles 3xx xxx xxxx.
  { region: 'IT', plausible: (d, shape) => d[0] === '3' && (shape === '3-3-4' || shape === '3-7') },
  // Mexico: 10 digits as 2-4-4 (Mexico City, Monterrey, Guadalajara) or 3-3-4.
  { region: 'MX', plausible: (d, shape) => d.length === 10 && shape === '2-4-4' },
  // Poland: 9 digits as 3-3-3.
  { region: 'PL', plausible: (d, shape) => shape === '3-3-3' && d[0] !== '0' },
  // Russia: trunk 8, then 10 digits: 8 (912) 345-67-89.
  { region: 'RU', plausible: (d, shape) => d.length === 11 && d[0] === '8' && shape === '1-3-3-2-2' },
];

const PHONE_WORDS = new Set([
  'phone', 'phones', 'tel', 'telephone', 'mobile', 'mob', 'cell', 'cellphone', 'call', 'calls', 'fax', 'sms', 'whatsapp',
  'contact', 'ph', 'text', 'dial', 'landline', 'hotline', 'reach', 'telefon', 'telefono', 'phonenumber', 'handy', 'mobiel',
  'celular', 'cellulare', 'portable', 'rufnummer', 'llámame', 'ligue', 'liga', 'appelez', 'chiamare', 'звоните', 'телефон', 'kom',
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
    for (const { region, plausible } of NATIONAL_SHAPES) {
      if (plausible(digits, shape) && parsePhoneNumberFromString(digits, { defaultCountry: region })?.isValid() === true) {
        valid = true;
        break;
      }
    }
  }
  verdicts.set(key, valid);
  return valid;
}

/** Groupings of a date written with dots, dashes or slashes. */
const DATE_SHAPES = new Set(['2-2-4', '4-2-2', '2-2-2']);

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
  // 01.02.2024, 2024-01-15: dates, whichever region's numbering they would also fit.
  if (!plus && DATE_SHAPES.has(shape.join('-')) && !spaceBeforeGroup(text, run, from + 1)) return false;
  if (!validPhoneDigits(plus, digits, shape.join('-'), verdicts)) return false;
  out.push({ type: 'phone', start, end });
  return true;
}

/** Five two-digit groups, the first `0[1-9]`: how a French number is written with dots. */
function frenchPairs(text: string, run: PhoneRun, groupCount: number): boolean {
  if (groupCount !== 5 || text.charCodeAt(run.groups[0]!) !== 0x30 || text.charCodeAt(run.groups[0]! + 1) === 0x30) return false;
  for (let g = 0; g < groupCount; g++) if (run.groups[2 * g + 1]! - run.groups[2 * g]! !== 2) return false;
  return true;
}

/**
 * Phone numbers: a cheap linear pre-scan finds runs of digits with phone punctuation, then
 * libphonenumber validates them (international with `+`/`00`, national for NATIONAL_SHAPES).
 */
export function detectPhones(text: string, out: TextFinding<PiiType>[] = [], digitFinder = new DigitFinder(text, false)): TextFinding<PiiType>[] {
  const n = text.length;
  const verdicts: PhoneVerdicts = new Map();
  const next = { plus: -1, paren: -1 };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isDigit(c) || c === 0x2b || c === 0x28)) {
      i = nextPhoneStart(text, i + 1, next, digitFinder);
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
    // The French write their numbers in dotted pairs (07.81.23.45.67): five pairs from 0[1-9] pass.
    if (run.dotted && groupCount >= 4 && !frenchPairs(text, run, groupCount)) {
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
