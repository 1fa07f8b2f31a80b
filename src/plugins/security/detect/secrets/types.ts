// The secret types: the config keys of Gatekit's `secret_types` and ours, and the detector's options.
import type { EntropyOptions } from '../entropy';

/** Gatekit's `secret_types` keys. */
export const GATEKIT_SECRET_TYPES = [
  'aws_access_keys',
  'github_tokens',
  'google_api_keys',
  'jwt_tokens',
  'openai_api_keys',
  'slack_tokens',
  'ssh_private_keys',
  'private_keys',
] as const;

/** Types this gateway adds, each with its own `secret_types` key (enabled by default). */
export const ADDED_SECRET_TYPES = [
  'aws_secret_keys',
  'gitlab_tokens',
  'stripe_keys',
  'anthropic_api_keys',
  'npm_tokens',
  'huggingface_tokens',
  'sendgrid_api_keys',
  'azure_storage_keys',
  'slack_webhooks',
  'database_urls',
  'password_assignments',
  'provider_tokens',
  'telegram_bot_tokens',
  'discord_bot_tokens',
  'facebook_tokens',
  'command_line_credentials',
] as const;

export const SECRET_TYPES = [...GATEKIT_SECRET_TYPES, ...ADDED_SECRET_TYPES] as const;
export type SecretType = (typeof SECRET_TYPES)[number];
/** What a finding may be labelled: a secret type, or `entropy_based` from entropy detection. */
export type SecretFindingType = SecretType | 'entropy_based';

export interface SecretDetectionOptions {
  /** Set to also report high-entropy tokens no pattern recognised. */
  readonly entropy?: EntropyOptions;
}
