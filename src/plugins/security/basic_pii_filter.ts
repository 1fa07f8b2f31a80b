// `basic_pii_filter`: finds personal data (email, phone, payment card, IP address, national id,
// IBAN) in every string of a message and blocks, redacts or only reports it.
import type { InterceptorPlugin, PluginDefinition } from '../types';
import { basicPiiFilterDescriptor, type PiiFilterOptions } from './basic_pii_filter.descriptor';
import { rememberCleanTokens } from '../content';
import { scanningFilter, type ContentScanOptions } from './detect/findings';
import { detectPii, PII_TYPES, type PiiType } from './detect/pii';
import { onNormalizedText } from './detect/normalize';

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

export type { PiiFilterOptions };

export const basicPiiFilter: PluginDefinition<PiiFilterOptions> = {
  ...basicPiiFilterDescriptor,
  create: (config) => createPiiFilter(config),
};
