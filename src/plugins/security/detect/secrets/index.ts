// Credential detectors for the basic_secrets_filter: provider key formats found by literal prefixes
// and bounded token scans, PEM private keys, credentials in URLs and connection strings, literal
// password/token assignments, and optional entropy detection. Every scan is linear in the text.
// One file per family over what they share (text.ts); this one runs the enabled ones over a text.
// A scan's positions are its own (see ../regex.ts), so scans may interleave.
import { findHighEntropyTokens } from '../entropy';
import { resolveOverlaps, type TextFinding } from '../findings';
import { detectAssignments, KEYWORD } from './assignments';
import { detectAwsSecretKeys, detectAzureKeys, detectDatabaseUrls, detectSlackWebhooks } from './embedded';
import { detectCommandLineCredentials, NET_USE_LITERAL } from './command-line';
import { detectKubernetesSecrets } from './documents';
import { detectPrivateKeys } from './key-files';
import { detectPrefixedTokens, PREFIX } from './prefixed';
import { detectShapedTokens } from './shapes';
import type { SecretDetectionOptions, SecretFindingType, SecretType } from './types';

export { SECRET_TYPES, type SecretDetectionOptions, type SecretFindingType, type SecretType } from './types';
export { isCredentialKey, isPlaceholderValue } from './assignments';
export { looksLikePlaceholder } from './text';

// ---------------------------------------------------------------------------------------------
// All types

/** Strings up to this long are first checked against ANY_SECRET_LITERAL. */
const SHORT_TEXT = 256;

/** `source` matching letters in either case, for one regex mixing case-sensitive and -insensitive parts. */
function eitherCase(source: string): string {
  return source.replace(/[a-z]/gi, (ch) => `[${ch.toLowerCase()}${ch.toUpperCase()}]`);
}

/**
 * A literal each detector needs: a token prefix, a credential keyword (also `secret` for the AWS
 * context), an Azure key name, `://`, the private key markers, the Slack webhook host.
 */
const ANY_SECRET_LITERAL = new RegExp(
  [PREFIX.source, eitherCase(KEYWORD.source), eitherCase('accountkey|sharedaccesskey'), '://', 'PRIVATE KEY', 'PuTTY-User-Key-File-', 'hooks\\.slack\\.com/', ':AA', '\\d\\|[0-9a-f]', '\\.[\\w-]{6}\\.[\\w-]{27}', '-[upaU] ', '-p\\S', '--user[ =]', '--[a-z-]{0,16}pass', 'kind["\']?\\s{0,4}:\\s{0,4}["\']?Secret', '\\bs\\.[A-Za-z0-9]{24}', NET_USE_LITERAL].join('|'),
);

/** When findings overlap, prefer the most specific kind; entropy comes last. */
function rank(type: SecretFindingType): number {
  switch (type) {
    case 'ssh_private_keys':
    case 'private_keys':
      return 0;
    case 'password_assignments':
      return 3;
    // `--password=x` is an assignment too: reported as one when both see it.
    case 'command_line_credentials':
      return 3.5;
    case 'aws_secret_keys':
      return 2;
    case 'entropy_based':
      return 4;
    default:
      return 1;
  }
}

/**
 * Finds the enabled secret types in `text` (and high-entropy tokens when `options.entropy` is set),
 * sorted by start, overlapping findings merged.
 */
export function detectSecrets(text: string, enabled: ReadonlySet<SecretType>, options: SecretDetectionOptions = {}): TextFinding<SecretFindingType>[] {
  // Nothing shorter can hold any of the formats.
  if (text.length < 8) return [];
  // Most strings in a message are short and hold none of the literals every pattern needs: one
  // search rules them out (on long text the detectors' own searches are faster than this one).
  if (text.length <= SHORT_TEXT && options.entropy === undefined && !ANY_SECRET_LITERAL.test(text)) return [];
  const found: TextFinding<SecretFindingType>[] = [];
  detectPrefixedTokens(text, enabled, found);
  if (text.includes('PRIVATE KEY') || text.includes('PuTTY-User-Key-File-')) detectPrivateKeys(text, enabled, found);
  if (enabled.has('slack_webhooks')) detectSlackWebhooks(text, found);
  // An Azure key name is followed by `=` (a memchr-speed search rules most text out).
  if (enabled.has('azure_storage_keys') && text.includes('=')) detectAzureKeys(text, found);
  if (enabled.has('database_urls')) detectDatabaseUrls(text, found);
  if (enabled.has('aws_secret_keys')) {
    const ids = found.filter((f) => f.type === 'aws_access_keys');
    detectAwsSecretKeys(text, ids, found);
  }
  detectShapedTokens(text, enabled, found);
  if (enabled.has('command_line_credentials')) detectCommandLineCredentials(text, found);
  if (enabled.has('password_assignments')) {
    detectAssignments(text, found);
    detectKubernetesSecrets(text, found);
  }
  if (options.entropy !== undefined) {
    for (const token of findHighEntropyTokens(text, options.entropy)) found.push({ type: 'entropy_based', start: token.start, end: token.end });
  }
  return resolveOverlaps(found, rank);
}
