// `basic_secrets_filter`: finds credentials (cloud and SaaS keys, tokens, private keys, passwords in
// URLs and assignments, optionally high-entropy strings) in every string of a message and blocks,
// redacts or only reports them.
import * as z from 'zod';
import type { InterceptorPlugin, PluginDefinition } from '../types';
import { rememberCleanTokens } from '../content';
import { scanningFilter, type ContentScanOptions } from './detect/findings';
import { onNormalizedText } from './detect/normalize';
import { detectSecrets, SECRET_TYPES, type SecretDetectionOptions, type SecretFindingType, type SecretType } from './detect/secrets';

/** The placeholder every secret is replaced with. */
export const SECRET_PLACEHOLDER = '[SECRET REDACTED by Gatekit]';

const enabledByDefault = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

const configSchema = z.strictObject({
  action: z.enum(['block', 'redact', 'audit_only']).default('redact'),
  secret_types: z
    .strictObject({
      aws_access_keys: enabledByDefault,
      github_tokens: enabledByDefault,
      google_api_keys: enabledByDefault,
      jwt_tokens: enabledByDefault,
      openai_api_keys: enabledByDefault,
      slack_tokens: enabledByDefault,
      ssh_private_keys: enabledByDefault,
      // On by default (Gatekit had it off): a PEM private-key header is never a false positive.
      private_keys: enabledByDefault,
      aws_secret_keys: enabledByDefault,
      gitlab_tokens: enabledByDefault,
      stripe_keys: enabledByDefault,
      anthropic_api_keys: enabledByDefault,
      npm_tokens: enabledByDefault,
      huggingface_tokens: enabledByDefault,
      sendgrid_api_keys: enabledByDefault,
      azure_storage_keys: enabledByDefault,
      slack_webhooks: enabledByDefault,
      database_urls: enabledByDefault,
      password_assignments: enabledByDefault,
    })
    .prefault({}),
  entropy_detection: z
    .strictObject({
      enabled: z.boolean().default(false),
      threshold: z.number().min(4).max(5).default(5),
      min_length: z.int().min(10).default(20),
    })
    .prefault({}),
  /**
   * Decode base64 runs inside any string and scan them too; a finding there blocks even with
   * `action: redact`. (`blob` members of resources are decoded and scanned either way.)
   */
  scan_base64: z.boolean().default(false),
});

/** Parsed `basic_secrets_filter` options. */
export type SecretsFilterOptions = z.output<typeof configSchema>;

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

export const basicSecretsFilter: PluginDefinition<SecretsFilterOptions> = {
  handler: 'basic_secrets_filter',
  kind: 'security',
  displayName: 'Basic Secrets Filter',
  description:
    'Finds API keys, tokens, private keys and passwords in every message and blocks, redacts or reports them. Pattern-based: a credential in a format it does not know passes unless entropy detection is on.',
  configSchema,
  create: (config) => createSecretsFilter(config),
};
