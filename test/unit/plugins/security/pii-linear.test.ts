// Feeds each PII detector 1 MiB adversarial inputs (long runs of near-matches) and checks they
// finish promptly: catastrophic backtracking would take seconds to hours, a linear scan milliseconds.
import assert from 'node:assert/strict';
import { detectCreditCards, detectEmails, detectIbans, detectIpAddresses, detectNationalIds, detectPhones, detectPii, PII_TYPES } from '../../../../src/plugins/security/detect/pii';
import type { TextFinding } from '../../../../src/plugins/security/detect/findings';
import { cpuMs } from './cpu-time';

const MiB = 1 << 20;
/** CPU milliseconds (see cpu-time.ts), loose on purpose: a super-linear scan of 1 MiB takes far longer. */
const BOUND_MS = 2000;

function repeat(unit: string): string {
  return unit.repeat(Math.ceil(MiB / unit.length)).slice(0, MiB);
}

const INPUTS: Record<string, string> = {
  'a@a@…': repeat('a@'),
  'a.a@a.a …': repeat('a.a@a.a '),
  'emails x@y.com,': repeat('x@y.com,'),
  '@ only': repeat('@'),
  'long local part then @': repeat('a'.repeat(4096) + '@'),
  'digits with dashes': repeat('1-2-3-4-5-6-7-8-9-0-'),
  'digit pairs with spaces': repeat('12 34 56 78 90 '),
  'dotted digits 1.1.1.1.': repeat('1.1.1.1.'),
  'IPv4 list': repeat('10.1.2.3 '),
  'parenthesised digits': repeat('(1) '),
  'plus signs': repeat('+1 '),
  'one phone repeated': repeat('202-555-0143 '),
  'card-like groups': repeat('4111 1111 1111 1111 '),
  'colons': repeat(':'),
  'hex and colons': repeat('a:b:'),
  'IPv6 list': repeat('fe80::1ff:fe23:4567:890a '),
  'digits only': repeat('0123456789'),
  'IBAN prefixes': repeat('DE89 '),
  'IBAN-like run': repeat('GB82WEST1234'),
  'NI-like groups': repeat('AB 12 34 56 '),
  'periods': repeat('.'),
  'equals': repeat('='),
  'base64-ish': repeat('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'),
  // Issue #15: internationalised addresses, national phone shapes, lower-case NI numbers.
  'CJK around @': repeat('张伟@例子'),
  'CJK local part then @': repeat('张'.repeat(4096) + '@'),
  'IDN domains': repeat('a@почта.рф '),
  'Brazilian shapes': repeat('(11) 98765-4321 '),
  'Spanish shapes': repeat('612 34 56 78 '),
  'dates with dots': repeat('01.02.2024 '),
  'lower-case NI-like': repeat('ab 12 34 56 '),
};

const DETECTORS: Record<string, (text: string) => TextFinding[]> = {
  email: (t) => detectEmails(t),
  phone: (t) => detectPhones(t),
  credit_card: (t) => detectCreditCards(t),
  ip_address: (t) => detectIpAddresses(t),
  national_id: (t) => detectNationalIds(t),
  iban: (t) => detectIbans(t),
  'all (detectPii)': (t) => detectPii(t, new Set(PII_TYPES)),
};

describe('PII detectors run in linear time on 1 MiB adversarial inputs', function () {
  // Thirty megabyte-sized scans per detector on a shared machine; the per-input bound is what matters.
  this.timeout(120_000);
  for (const [name, detect] of Object.entries(DETECTORS)) {
    it(name, () => {
      const times: string[] = [];
      let slowest = 0;
      for (const [inputName, text] of Object.entries(INPUTS)) {
        const elapsed = cpuMs(() => detect(text)).ms;
        slowest = Math.max(slowest, elapsed);
        times.push(`${inputName} ${elapsed.toFixed(0)}`);
        assert.ok(elapsed < BOUND_MS, `${name} took ${elapsed.toFixed(0)} ms on ${inputName}`);
      }
      console.log(`      ${name}: slowest ${slowest.toFixed(0)} ms (${times.join(', ')} ms)`);
    });
  }

  it('validates a 1 MiB directory of distinct phone numbers in bounded time per number', () => {
    // Not adversarial but the costliest real input: every candidate reaches libphonenumber once.
    const parts: string[] = [];
    let length = 0;
    for (let n = 0; length < MiB; n++) {
      const part = `(${200 + (n % 700)}) ${200 + ((n * 7) % 700)}-${String(n % 10000).padStart(4, '0')}, `;
      parts.push(part);
      length += part.length;
    }
    const { result: found, ms: elapsed } = cpuMs(() => detectPhones(parts.join('')));
    console.log(`      phone directory: ${parts.length} candidates, ${found.length} valid, ${elapsed.toFixed(0)} ms`);
    assert.ok(found.length > 0);
    assert.ok(elapsed < 3 * BOUND_MS, `phone directory took ${elapsed.toFixed(0)} ms`);
  });
});
