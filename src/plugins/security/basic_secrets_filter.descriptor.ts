// `basic_secrets_filter`'s descriptor: its options and display facts (the detectors are in
// basic_secrets_filter.ts and detect/, which only the gateway loads).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

const enabledByDefault = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

const configSchema = z.strictObject({
  action: z.enum(['block', 'redact', 'audit_only']).default('redact').describe('What to do with secrets found. block: refuse the message; redact: replace what was found and let it through; audit_only: record the finding, change nothing.'),
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
      provider_tokens: enabledByDefault,
      telegram_bot_tokens: enabledByDefault,
      discord_bot_tokens: enabledByDefault,
      facebook_tokens: enabledByDefault,
      command_line_credentials: enabledByDefault,
    })
    .prefault({})
    .describe('Which kinds of secrets to look for (each on by default).'),
  entropy_detection: z
    .strictObject({
      enabled: z.boolean().default(false),
      threshold: z.number().min(4).max(5).default(5),
      min_length: z.int().min(10).default(20),
    })
    .prefault({})
    .describe('Also report long random-looking strings (Shannon entropy of at least `threshold` bits per character, `min_length` characters or more); off by default.'),
  scan_base64: z
    .boolean()
    .default(false)
    .describe('Decode base64 runs inside any string and scan them too; a finding there blocks even with `action: redact`. (`blob` members of resources are decoded and scanned either way.)'),
});

/** Parsed `basic_secrets_filter` options. */
export type SecretsFilterOptions = z.output<typeof configSchema>;

export const basicSecretsFilterDescriptor: PluginDescriptor<SecretsFilterOptions> = {
  handler: 'basic_secrets_filter',
  kind: 'security',
  displayName: 'Basic Secrets Filter',
  description:
    'Finds API keys, tokens, private keys and passwords in every message and blocks, redacts or reports them. Pattern-based: a credential in a format it does not know passes unless entropy detection is on.',
  configSchema,
};
