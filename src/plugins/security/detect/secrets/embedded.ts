// Credentials embedded in URLs and configuration: Slack webhooks, Azure connection strings,
// database, web and git URLs with a password, and AWS secret access keys next to an access key id or a name.
import type { TextFinding } from '../findings';
import { execAt } from '../regex';
import type { SecretFindingType } from './types';
import { isPlaceholderValue } from './assignments';
import { codeAt, continuesToken, isAlnum, isBase64, isUrlSafe, looksLikePlaceholder, mixedCharacters } from './text';

// ---------------------------------------------------------------------------------------------
// Slack webhooks, Azure connection strings, database URLs

export function detectSlackWebhooks(text: string, out: TextFinding<SecretFindingType>[]): void {
  const marker = 'hooks.slack.com/';
  let at = text.indexOf(marker);
  while (at !== -1) {
    let i = at + marker.length;
    const kind = text.startsWith('services/', i) ? 9 : text.startsWith('workflows/', i) ? 10 : text.startsWith('triggers/', i) ? 9 : 0;
    if (kind > 0) {
      const pathStart = i + kind;
      i = pathStart;
      while (i < text.length && (isUrlSafe(text.charCodeAt(i)) || text.charCodeAt(i) === 0x2f)) i++;
      if (i - pathStart >= 20 && !looksLikePlaceholder(text, pathStart, i)) {
        const start = text.startsWith('https://', at - 8) ? at - 8 : at;
        out.push({ type: 'slack_webhooks', start, end: i });
      }
    }
    at = text.indexOf(marker, Math.max(i, at + marker.length));
  }
}

const AZURE_KEY_NAMES = /(?:AccountKey|SharedAccessKey)[ \t]*=[ \t]*/gi;

export function detectAzureKeys(text: string, out: TextFinding<SecretFindingType>[]): void {
  // Where the next key name is looked for: this scan's own (see ../regex.ts).
  let next = 0;
  for (let match = execAt(AZURE_KEY_NAMES, text, next); match !== null; match = execAt(AZURE_KEY_NAMES, text, next)) {
    const start = match.index + match[0].length;
    next = start;
    let end = start;
    while (end < text.length && isBase64(text.charCodeAt(end))) end++;
    let padded = end;
    while (padded < text.length && padded - end < 2 && text.charCodeAt(padded) === 0x3d) padded++;
    next = Math.max(next, padded);
    if (end - start < 20 || looksLikePlaceholder(text, start, end)) continue;
    out.push({ type: 'azure_storage_keys', start, end: padded });
  }
}

/** URL schemes of databases, caches and message brokers. */
const DATABASE_SCHEMES = new Set([
  'postgres', 'postgresql', 'mysql', 'mysqlx', 'mariadb', 'mongodb', 'mongodb+srv', 'redis', 'rediss', 'valkey', 'amqp',
  'amqps', 'mssql', 'sqlserver', 'oracle', 'cockroachdb', 'clickhouse', 'couchdb', 'neo4j', 'neo4j+s', 'bolt', 'cassandra',
  'snowflake', 'db2', 'memcached', 'nats', 'kafka', 'elasticsearch', 'influxdb', 'timescaledb', 'sqlalchemy', 'ldap', 'ldaps',
  'postgresql+psycopg2', 'postgresql+asyncpg', 'mysql+pymysql', 'mysql+mysqldb', 'redshift', 'presto', 'trino', 'vertica',
]);

/**
 * Web, version-control and file-transfer schemes: `git clone https://user:pass@host/…` and the
 * same in remotes, package registries and mirror configs. Their userinfo is read only with a
 * password that is not a reference or placeholder and looks like one (a letter and a digit or
 * symbol, or eight mixed-case letters), since `https://user:password@host` is how documentation writes the form.
 */
const TRANSFER_SCHEMES = new Set(['http', 'https', 'git', 'git+https', 'git+http', 'git+ssh', 'ssh', 'svn', 'svn+ssh', 'ftp', 'ftps', 'sftp', 'smb', 'webdav', 'davs', 'rsync']);

function credibleTransferPassword(value: string): boolean {
  if (value.length < 6 || isPlaceholderValue(value) || !/[A-Za-z]/.test(value)) return false;
  return /[^A-Za-z]/.test(value) || (value.length >= 8 && /[a-z]/.test(value) && /[A-Z]/.test(value));
}

function isSchemeChar(c: number): boolean {
  return isAlnum(c) || c === 0x2b || c === 0x2e || c === 0x2d;
}

function isUserinfoChar(c: number): boolean {
  // Stops at the path, query, fragment, whitespace and quoting characters.
  return c > 0x20 && c !== 0x2f && c !== 0x3f && c !== 0x23 && c !== 0x22 && c !== 0x27 && c !== 0x3c && c !== 0x3e && c !== 0x5c && c !== 0x60 && c !== 0x7f;
}

export function detectDatabaseUrls(text: string, out: TextFinding<SecretFindingType>[]): void {
  let at = text.indexOf('://');
  while (at !== -1) {
    let schemeStart = at;
    while (schemeStart > 0 && at - schemeStart < 32 && isSchemeChar(text.charCodeAt(schemeStart - 1))) schemeStart--;
    const scheme = text.slice(schemeStart, at).toLowerCase();
    let i = at + 3;
    let lastAt = -1;
    const limit = Math.min(text.length, i + 512);
    while (i < limit && isUserinfoChar(text.charCodeAt(i))) {
      if (text.charCodeAt(i) === 0x40) lastAt = i;
      i++;
    }
    const database = DATABASE_SCHEMES.has(scheme);
    if (lastAt !== -1 && (database || TRANSFER_SCHEMES.has(scheme))) {
      let colon = at + 3;
      while (colon < lastAt && text.charCodeAt(colon) !== 0x3a) colon++;
      if (colon < lastAt) {
        const passwordStart = colon + 1;
        const password = text.slice(passwordStart, lastAt);
        if (lastAt > passwordStart && (database ? !isPlaceholderValue(password) : credibleTransferPassword(password))) {
          out.push({ type: 'database_urls', start: passwordStart, end: lastAt });
        }
      }
    }
    at = text.indexOf('://', Math.max(i, at + 3));
  }
}

// ---------------------------------------------------------------------------------------------
// AWS secret access keys (40 base64 characters, only next to an access key id or a naming key)

const AWS_SECRET_CONTEXT = /secret.?access.?key|aws.?secret|secretkey/i;

export function detectAwsSecretKeys(text: string, accessKeys: readonly TextFinding<SecretFindingType>[], out: TextFinding<SecretFindingType>[]): void {
  const named = AWS_SECRET_CONTEXT.test(text);
  if (!named && accessKeys.length === 0) return;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isBase64(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isBase64(text.charCodeAt(i))) i++;
    if (i - start !== 40 || continuesToken(codeAt(text, i)) || continuesToken(codeAt(text, start - 1)) || codeAt(text, i) === 0x3d) continue;
    if (!mixedCharacters(text, start, i) || looksLikePlaceholder(text, start, i)) continue;
    const nearId = accessKeys.some((k) => Math.abs(k.start - start) < 256);
    const nearName = named && AWS_SECRET_CONTEXT.test(text.slice(Math.max(0, start - 64), start));
    if (nearId || nearName) out.push({ type: 'aws_secret_keys', start, end: i });
  }
}
