// `basic_pii_filter`: finds personal data (email, phone, payment card, IP address, national id,
// IBAN) in every string of a message and blocks, redacts or only reports it.
import * as z from 'zod';
import type { InterceptorPlugin, PluginDefinition } from '../types';
import { rememberCleanTokens } from '../content';
import { scanningFilter, type ContentScanOptions } from './detect/findings';
import { detectPii, PII_TYPES, type PiiType } from './detect/pii';
import { onNormalizedText } from './detect/normalize';

const typeSwitch = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

const configSchema = z.strictObject({
  action: z.enum(['block', 'redact', 'audit_only']).default('redact'),
  pii_types: z
    .strictObject({
      email: typeSwitch,
      phone: typeSwitch,
      credit_card: typeSwitch,
      ip_address: typeSwitch,
      national_id: typeSwitch,
      iban: typeSwitch,
    })
    .prefault({}),
  /**
   * Decode base64 runs inside any string and scan them too; a finding there blocks even with
   * `action: redact`. (`blob` members of resources are decoded and scanned either way.)
   */
  scan_base64: z.boolean().default(false),
});

/** Parsed `basic_pii_filter` options. */
export type PiiFilterOptions = z.output<typeof configSchema>;

/** `[EMAIL REDACTED by Gatekit]`, `[CREDIT_CARD REDACTED by Gatekit]`, … */
export function piiPlaceholder(type: PiiType): string {
  return `[${type.toUpperCase()} REDACTED by Gatekit]`;
}

const identity = { handler: 'basic_pii_filter', subject: 'PII' } as const;

/** Builds the filter for parsed options (exported for tests and benchmarks). */
export function createPiiFilter(options: PiiFilterOptions): InterceptorPlugin {
  const enabled = new Set<PiiType>(PII_TYPES.filter((type) => options.pii_types[type].enabled));
  // Read as a person or model reads it: formatting that hides PII from a pattern does not hide it from them.
  const detect = onNormalizedText((text: string) => detectPii(text, enabled));
  const scanOptions: ContentScanOptions<PiiType> = {
    detect: rememberCleanTokens(detect),
    detectEncoded: (decoded: string) => new Set(detect(decoded).map((f) => f.type)),
    scanBase64Runs: options.scan_base64,
    redact: options.action === 'redact',
    placeholder: piiPlaceholder,
  };
  return scanningFilter(identity, options.action, scanOptions, enabled.size > 0);
}

export const basicPiiFilter: PluginDefinition<PiiFilterOptions> = {
  handler: 'basic_pii_filter',
  kind: 'security',
  displayName: 'Basic PII Filter',
  description:
    'Finds emails, phone numbers, payment cards, IP addresses, national ids and IBANs in every message and blocks, redacts or reports them. Pattern-based: it cannot find personal data it has no format for.',
  configSchema,
  create: (config) => createPiiFilter(config),
};
