// `basic_secrets_filter`: finds credentials (cloud and SaaS keys, tokens, private keys, passwords in
// URLs and assignments, optionally high-entropy strings) in every string of a message and blocks,
// redacts or only reports them.
import type { InterceptorPlugin, PluginDefinition } from '../types';
import { basicSecretsFilterDescriptor, type SecretsFilterOptions } from './basic_secrets_filter.descriptor';
import { rememberCleanTokens } from '../content';
import { scanningFilter, type ContentScanOptions } from './detect/findings';
import { onNormalizedText } from './detect/normalize';
import { detectSecrets, SECRET_TYPES, type SecretDetectionOptions, type SecretFindingType, type SecretType } from './detect/secrets';

/** The placeholder every secret is replaced with. */
export const SECRET_PLACEHOLDER = '[SECRET REDACTED by Gatekit]';

const identity = { handler: 'basic_secrets_filter', subject: 'Secret' } as const;
const placeholder = (): string => SECRET_PLACEHOLDER;

/** Builds the filter for parsed options (exported for tests and benchmarks). */
export function createSecretsFilter(options: SecretsFilterOptions): InterceptorPlugin {
  const enabled = new Set<SecretType>(SECRET_TYPES.filter((type) => options.secret_types[type].enabled));
  const entropy = options.entropy_detection;
  const detection: SecretDetectionOptions = entropy.enabled ? { entropy: { threshold: entropy.threshold, minLength: entropy.min_length } } : {};
  // Read as a person or model reads it: formatting that hides a key from a pattern does not hide it from them.
  const detect = onNormalizedText((text: string) => detectSecrets(text, enabled, detection));
  // Decoded content is checked against the patterns only: entropy of decoded bytes means nothing.
  const detectDecoded = onNormalizedText((text: string) => detectSecrets(text, enabled));
  const active = enabled.size > 0 || entropy.enabled;
  const scanOptions: ContentScanOptions<SecretFindingType> = {
    detect: rememberCleanTokens(detect),
    detectEncoded: (decoded: string) => new Set(detectDecoded(decoded).map((f) => f.type)),
    scanBase64Runs: options.scan_base64,
    redact: options.action === 'redact',
    placeholder,
  };
  return scanningFilter(identity, options.action, scanOptions, active);
}

export type { SecretsFilterOptions };

export const basicSecretsFilter: PluginDefinition<SecretsFilterOptions> = {
  ...basicSecretsFilterDescriptor,
  create: (config) => createSecretsFilter(config),
};
