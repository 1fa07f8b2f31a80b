// Personal-data detectors (email, phone, payment card, IP address, national id, IBAN): linear
// token scanners with checksum and context validation, used by the basic_pii_filter plugin.
// One file per family (addresses, numbers, phones) over what they share (text.ts); this one runs
// the enabled ones over a text. A scan's state (its DigitFinder, scratch arrays) is its own, so
// scans may interleave.
import { resolveOverlaps, type TextFinding } from '../findings';
import { detectEmails, detectIpAddresses } from './addresses';
import { detectCreditCards, detectIbans, detectNationalIds } from './numbers';
import { detectPhones } from './phones';
import { DigitFinder } from './text';
import { PII_TYPES, type PiiType } from './types';

export { PII_TYPES, type PiiType } from './types';
export { detectEmails, detectIpAddresses } from './addresses';
export { detectCreditCards, detectIbans, detectNationalIds, ibanChecksumValid } from './numbers';
export { detectPhones } from './phones';
export { luhnValid } from './text';

/** When two findings overlap, the more specific (checksum-validated) type wins over the broader ones. */
const OVERLAP_RANK: Record<PiiType, number> = { credit_card: 0, iban: 1, national_id: 2, email: 3, ip_address: 4, phone: 5 };

const DETECTORS: Record<PiiType, (text: string, out: TextFinding<PiiType>[], digitFinder: DigitFinder) => unknown> = {
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
  // The digit runs are indexed once for every detector of this scan.
  const digitFinder = new DigitFinder(text, hasDigit);
  for (const type of PII_TYPES) {
    if (!enabled.has(type)) continue;
    if (type === 'email' ? !hasAt : needsDigit(type) && !hasDigit) continue;
    DETECTORS[type](text, found, digitFinder);
  }
  return resolveOverlaps(found, (type) => OVERLAP_RANK[type]);
}
