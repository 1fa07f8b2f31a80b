// `basic_pii_filter`'s descriptor: its options and display facts. The detectors (and the phone
// number metadata) are in basic_pii_filter.ts and detect/, which only the gateway loads.
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

const typeSwitch = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

const configSchema = z.strictObject({
  action: z.enum(['block', 'redact', 'audit_only']).default('redact').describe('What to do with personal data found. block: refuse the message; redact: replace what was found and let it through; audit_only: record the finding, change nothing.'),
  pii_types: z
    .strictObject({
      email: typeSwitch,
      phone: typeSwitch,
      credit_card: typeSwitch,
      ip_address: typeSwitch,
      national_id: typeSwitch,
      iban: typeSwitch,
    })
    .prefault({})
    .describe('Which kinds of personal data to look for (each on by default).'),
  scan_base64: z
    .boolean()
    .default(false)
    .describe('Decode base64 runs inside any string and scan them too; a finding there blocks even with `action: redact`. (`blob` members of resources are decoded and scanned either way.)'),
});

/** Parsed `basic_pii_filter` options. */
export type PiiFilterOptions = z.output<typeof configSchema>;

export const basicPiiFilterDescriptor: PluginDescriptor<PiiFilterOptions> = {
  handler: 'basic_pii_filter',
  kind: 'security',
  displayName: 'Basic PII Filter',
  description:
    'Finds emails, phone numbers, payment cards, IP addresses, national ids and IBANs in every message and blocks, redacts or reports them. Pattern-based: it cannot find personal data it has no format for.',
  configSchema,
};
