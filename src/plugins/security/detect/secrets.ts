// Credential detectors for the basic_secrets_filter: provider key formats found by literal prefixes
// and bounded token scans, PEM private keys, credentials in URLs and connection strings, literal
// password/token assignments, and optional entropy detection. Every scan is linear in the text.
import { resolveOverlaps, type TextFinding } from './findings';
import { findHighEntropyTokens, type EntropyOptions } from './entropy';

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
] as const;

export const SECRET_TYPES = [...GATEKIT_SECRET_TYPES, ...ADDED_SECRET_TYPES] as const;
export type SecretType = (typeof SECRET_TYPES)[number];
/** What a finding may be labelled: a secret type, or `entropy_based` from entropy detection. */
export type SecretFindingType = SecretType | 'entropy_based';

export interface SecretDetectionOptions {
  /** Set to also report high-entropy tokens no pattern recognised. */
  readonly entropy?: EntropyOptions;
}

// ---------------------------------------------------------------------------------------------
// Character classes

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
function isAlnum(c: number): boolean {
  return isDigit(c) || isLower(c) || isUpper(c);
}
function isUpperOrDigit(c: number): boolean {
  return isDigit(c) || isUpper(c);
}
function isUrlSafe(c: number): boolean {
  return isAlnum(c) || c === 0x5f || c === 0x2d;
}
function isUnderscoreAlnum(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}
function isAlnumDash(c: number): boolean {
  return isAlnum(c) || c === 0x2d;
}
function isUrlSafeOrDot(c: number): boolean {
  return isUrlSafe(c) || c === 0x2e;
}
function isBase64(c: number): boolean {
  return isAlnum(c) || c === 0x2b || c === 0x2f;
}
function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/** Characters that continue a token: a prefix right after one of them is inside another word. */
function continuesToken(c: number): boolean {
  return isUrlSafe(c);
}

/** Whether a token body has upper case, lower case and digits, as generated keys do. */
function mixedCharacters(text: string, start: number, end: number): boolean {
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isUpper(c)) upper = true;
    else if (isLower(c)) lower = true;
    else if (isDigit(c)) digit = true;
  }
  return upper && lower && digit;
}

const PLACEHOLDER_WORDS = /example|placeholder|replace|dummy|sample|your|xxxx|\*\*\*|\.\.\.|redacted|insert|changeme/i;

/**
 * Whether a token body is a documentation placeholder rather than a key: few distinct characters
 * (`xxxx…`, `0000…`), an ascending run (`abcdefgh`, `12345678`), or a placeholder word.
 */
export function looksLikePlaceholder(text: string, start = 0, end = text.length): boolean {
  if (end - start === 0) return true;
  const distinct = new Set<number>();
  let ascending = 1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    distinct.add(c);
    ascending = i > start && c === text.charCodeAt(i - 1) + 1 ? ascending + 1 : 1;
    if (ascending >= 8) return true;
  }
  if (distinct.size < Math.min(8, Math.ceil((end - start) / 3))) return true;
  return PLACEHOLDER_WORDS.test(text.slice(start, end));
}

// ---------------------------------------------------------------------------------------------
// Prefixed tokens

interface PrefixRule {
  readonly type: SecretType;
  readonly prefixes: readonly string[];
  /** Characters of the body after the prefix. */
  readonly body: (c: number) => boolean;
  readonly minBody: number;
  readonly maxBody: number;
  /** Extra validation of the whole token [start, end) and the body start. Returns the accepted end, or -1. */
  readonly check?: (text: string, start: number, bodyStart: number, end: number) => number;
}

const notPlaceholder = (text: string, _start: number, bodyStart: number, end: number): number => (looksLikePlaceholder(text, bodyStart, end) ? -1 : end);
const randomBody = (text: string, _start: number, bodyStart: number, end: number): number =>
  !looksLikePlaceholder(text, bodyStart, end) && mixedCharacters(text, bodyStart, end) ? end : -1;

function base64UrlDecode(text: string, start: number, end: number): string {
  return Buffer.from(text.slice(start, end), 'base64url').toString('latin1');
}

/** A JWT/JWE: 3 or 5 base64url segments whose first decodes to a JOSE header. */
function checkJwt(text: string, start: number, _bodyStart: number, end: number): number {
  const dots: number[] = [];
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 0x2e) dots.push(i);
  // A full stop right after a complete token ends the sentence (an unsigned JWT itself ends in a dot).
  if ((dots.length === 3 || dots.length === 5) && dots[dots.length - 1] === end - 1) {
    end--;
    dots.pop();
  }
  if (dots.length !== 2 && dots.length !== 4) return -1;
  const header = base64UrlDecode(text, start, dots[0]!);
  if (!header.startsWith('{') || !(header.includes('"alg"') || header.includes('"typ"') || header.includes('"enc"'))) return -1;
  if (dots[1]! - dots[0]! < 3) return -1;
  return end;
}

/** OpenAI keys: `sk-` (but not Anthropic's `sk-ant-`), random-looking body. */
function checkOpenAi(text: string, start: number, bodyStart: number, end: number): number {
  if (text.startsWith('ant-', bodyStart)) return -1;
  return randomBody(text, start, bodyStart, end);
}

/** SendGrid: `SG.` + 22 + `.` + 43 base64url characters. */
function checkSendGrid(text: string, _start: number, bodyStart: number, end: number): number {
  const dot = text.indexOf('.', bodyStart);
  if (dot - bodyStart !== 22 || end - dot - 1 !== 43) return -1;
  return looksLikePlaceholder(text, bodyStart, end) ? -1 : end;
}

/** Slack tokens carry numeric workspace/user ids; placeholders do not. */
function checkSlack(text: string, _start: number, bodyStart: number, end: number): number {
  let digits = 0;
  for (let i = bodyStart; i < end; i++) if (isDigit(text.charCodeAt(i))) digits++;
  return digits >= 4 && !looksLikePlaceholder(text, bodyStart, end) ? end : -1;
}

function checkHuggingFace(text: string, _start: number, bodyStart: number, end: number): number {
  let upper = false;
  let lower = false;
  for (let i = bodyStart; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isUpper(c)) upper = true;
    else if (isLower(c)) lower = true;
  }
  return upper && lower && !looksLikePlaceholder(text, bodyStart, end) ? end : -1;
}

/** GitLab's newer tokens carry a `.01.` routing suffix; a trailing dot ends a sentence. */
function checkGitLab(text: string, start: number, bodyStart: number, end: number): number {
  while (end > bodyStart && text.charCodeAt(end - 1) === 0x2e) end--;
  if (end - bodyStart < 20) return -1;
  return notPlaceholder(text, start, bodyStart, end);
}

function checkAws(text: string, _start: number, bodyStart: number, end: number): number {
  return looksLikePlaceholder(text, bodyStart, end) || text.startsWith('EXAMPLE', end - 7) ? -1 : end;
}

const PREFIX_RULES: readonly PrefixRule[] = [
  { type: 'aws_access_keys', prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AROA', 'AIDA'], body: isUpperOrDigit, minBody: 16, maxBody: 16, check: checkAws },
  { type: 'github_tokens', prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], body: isAlnum, minBody: 36, maxBody: 251, check: notPlaceholder },
  { type: 'github_tokens', prefixes: ['github_pat_'], body: isUnderscoreAlnum, minBody: 22, maxBody: 244, check: notPlaceholder },
  {
    type: 'gitlab_tokens',
    prefixes: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-', 'glft-', 'glimt-', 'glsoat-', 'glagent-', 'gloas-', 'GR1348941'],
    body: isUrlSafeOrDot,
    minBody: 20,
    maxBody: 255,
    check: checkGitLab,
  },
  { type: 'google_api_keys', prefixes: ['AIza'], body: isUrlSafe, minBody: 35, maxBody: 35, check: notPlaceholder },
  { type: 'jwt_tokens', prefixes: ['eyJ'], body: isUrlSafeOrDot, minBody: 20, maxBody: 16384, check: checkJwt },
  { type: 'anthropic_api_keys', prefixes: ['sk-ant-'], body: isUrlSafe, minBody: 32, maxBody: 255, check: notPlaceholder },
  { type: 'openai_api_keys', prefixes: ['sk-'], body: isUrlSafe, minBody: 20, maxBody: 255, check: checkOpenAi },
  { type: 'slack_tokens', prefixes: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxe.xoxp-', 'xapp-'], body: isAlnumDash, minBody: 10, maxBody: 255, check: checkSlack },
  { type: 'stripe_keys', prefixes: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'], body: isAlnum, minBody: 16, maxBody: 247, check: randomBody },
  { type: 'stripe_keys', prefixes: ['whsec_'], body: isAlnum, minBody: 32, maxBody: 128, check: notPlaceholder },
  { type: 'npm_tokens', prefixes: ['npm_'], body: isAlnum, minBody: 36, maxBody: 36, check: randomBody },
  { type: 'huggingface_tokens', prefixes: ['hf_'], body: isAlnum, minBody: 30, maxBody: 40, check: checkHuggingFace },
  { type: 'sendgrid_api_keys', prefixes: ['SG.'], body: isUrlSafeOrDot, minBody: 66, maxBody: 66, check: checkSendGrid },
];

interface CompiledPrefix {
  readonly rule: PrefixRule;
  readonly index: number;
}

const PREFIXES = new Map<string, CompiledPrefix>();
PREFIX_RULES.forEach((rule, index) => {
  for (const prefix of rule.prefixes) PREFIXES.set(prefix, { rule, index });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One alternation of literal prefixes, longest first so `sk-ant-` wins over `sk-`. */
function prefixPattern(): RegExp {
  const all = [...PREFIXES.keys()].sort((a, b) => b.length - a.length);
  return new RegExp(all.map(escapeRegExp).join('|'), 'g');
}
/** Shared by every call (a scan runs to its end before the next starts): compiling one per call cost more than scanning a short string. */
const PREFIX = prefixPattern();

function detectPrefixedTokens(text: string, enabled: ReadonlySet<SecretType>, out: TextFinding<SecretFindingType>[]): void {
  const pattern = PREFIX;
  pattern.lastIndex = 0;
  // Per rule, how far its body scans reached: a later hit inside that stretch is not rescanned,
  // which keeps inputs like 'eyJ.eyJ.eyJ…' linear.
  const scannedUntil = new Array<number>(PREFIX_RULES.length).fill(-1);
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const start = match.index;
    const compiled = PREFIXES.get(match[0])!;
    const { rule } = compiled;
    if (!enabled.has(rule.type) || start < scannedUntil[compiled.index]!) continue;
    if (continuesToken(codeAt(text, start - 1))) continue;
    const bodyStart = start + match[0].length;
    const limit = Math.min(text.length, bodyStart + rule.maxBody + 1);
    let end = bodyStart;
    while (end < limit && rule.body(text.charCodeAt(end))) end++;
    scannedUntil[compiled.index] = end;
    const length = end - bodyStart;
    if (length < rule.minBody || length > rule.maxBody) continue;
    // The token must end at a word boundary, or it is part of something longer.
    if (continuesToken(codeAt(text, end))) continue;
    const accepted = rule.check === undefined ? end : rule.check(text, start, bodyStart, end);
    if (accepted === -1) continue;
    out.push({ type: rule.type, start, end: accepted });
    pattern.lastIndex = Math.max(pattern.lastIndex, accepted);
  }
}

// ---------------------------------------------------------------------------------------------
// PEM and other private key files

const SSH_KEY_LABELS = new Set(['RSA PRIVATE KEY', 'DSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY']);

/** End of the line starting at `from` if it ends within `max` characters, else -1 (bounded, unlike indexOf). */
function lineEndWithin(text: string, from: number, max: number): number {
  const limit = Math.min(text.length, from + max);
  for (let i = from; i < limit; i++) if (text.charCodeAt(i) === 0x0a) return i;
  return limit === text.length ? text.length : -1;
}

/** Consumes the body of a PEM block without an END line: base64 lines and `Name: value` header lines. */
function pemBodyEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const runStart = i;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (!(isBase64(c) || c === 0x3d || c === 0x0a || c === 0x0d || c === 0x5c)) break;
      i++;
    }
    // A `Proc-Type: 4,ENCRYPTED` / `DEK-Info: …` line: skip to its end and go on.
    if (text.charCodeAt(i) === 0x3a || (text.charCodeAt(i) === 0x2d && i > runStart && text.charCodeAt(i + 1) !== 0x2d)) {
      const lineEnd = lineEndWithin(text, i, 200);
      if (lineEnd === -1 || lineEnd >= text.length) return lineEnd === -1 ? i : text.length;
      i = lineEnd + 1;
      continue;
    }
    return i;
  }
}

/** All offsets of `needle` in `text`, ascending (one linear pass). */
function offsetsOf(text: string, needle: string): number[] {
  const offsets: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) offsets.push(at);
  return offsets;
}

function detectPemKeys(text: string, wantSsh: boolean, wantOther: boolean, out: TextFinding<SecretFindingType>[]): void {
  // A block ends at the first END line after its header; walking both lists forward keeps this linear.
  const ends = offsetsOf(text, '-----END ');
  let nextEnd = 0;
  let coveredUntil = 0;
  let at = text.indexOf('-----BEGIN ');
  while (at !== -1) {
    const labelStart = at + 11;
    let labelEnd = labelStart;
    while (labelEnd < text.length && labelEnd - labelStart <= 64 && text.charCodeAt(labelEnd) !== 0x2d) labelEnd++;
    const label = text.startsWith('-----', labelEnd) ? text.slice(labelStart, labelEnd) : '';
    if (at >= coveredUntil && /PRIVATE KEY( BLOCK)?$/.test(label)) {
      const type: SecretType = SSH_KEY_LABELS.has(label) ? 'ssh_private_keys' : 'private_keys';
      const headerEnd = labelEnd + 5;
      if (type === 'ssh_private_keys' ? wantSsh : wantOther) {
        while (nextEnd < ends.length && ends[nextEnd]! < headerEnd) nextEnd++;
        const footer = `-----END ${label}-----`;
        const endAt = ends[nextEnd];
        const end = endAt !== undefined && text.startsWith(footer, endAt) ? endAt + footer.length : pemBodyEnd(text, headerEnd);
        out.push({ type, start: at, end });
        coveredUntil = end;
      }
    }
    at = text.indexOf('-----BEGIN ', Math.max(at + 11, coveredUntil));
  }
}

/**
 * Finds key files from `header` on: each block runs to the first `footer` after it (or, without one,
 * over its body or header line). The footer search is remembered, so repeated headers stay linear.
 */
function detectDelimitedKeys(
  text: string,
  header: string,
  footer: string,
  footerIsLine: boolean,
  out: TextFinding<SecretFindingType>[],
): void {
  let footerAt = -2;
  let at = text.indexOf(header);
  while (at !== -1) {
    if (footerAt !== -1 && footerAt < at) footerAt = text.indexOf(footer, at);
    let end: number;
    if (footerAt !== -1) {
      end = footerAt + footer.length;
      if (footerIsLine) {
        const lineEnd = lineEndWithin(text, end, 200);
        end = lineEnd === -1 ? end : lineEnd;
      }
    } else {
      const lineEnd = lineEndWithin(text, at, 200);
      end = pemBodyEnd(text, lineEnd === -1 ? at + header.length : lineEnd);
    }
    out.push({ type: 'ssh_private_keys', start: at, end });
    at = text.indexOf(header, Math.max(end, at + header.length));
  }
}

function detectPrivateKeys(text: string, enabled: ReadonlySet<SecretType>, out: TextFinding<SecretFindingType>[]): void {
  const wantSsh = enabled.has('ssh_private_keys');
  const wantOther = enabled.has('private_keys');
  if (!wantSsh && !wantOther) return;
  detectPemKeys(text, wantSsh, wantOther, out);
  if (!wantSsh) return;
  // RFC 4716 and PuTTY .ppk private keys.
  detectDelimitedKeys(text, '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----', '---- END SSH2 ENCRYPTED PRIVATE KEY ----', false, out);
  detectDelimitedKeys(text, 'PuTTY-User-Key-File-', 'Private-MAC:', true, out);
}

// ---------------------------------------------------------------------------------------------
// Slack webhooks, Azure connection strings, database URLs

function detectSlackWebhooks(text: string, out: TextFinding<SecretFindingType>[]): void {
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

function detectAzureKeys(text: string, out: TextFinding<SecretFindingType>[]): void {
  AZURE_KEY_NAMES.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = AZURE_KEY_NAMES.exec(text)) !== null) {
    const start = match.index + match[0].length;
    let end = start;
    while (end < text.length && isBase64(text.charCodeAt(end))) end++;
    let padded = end;
    while (padded < text.length && padded - end < 2 && text.charCodeAt(padded) === 0x3d) padded++;
    AZURE_KEY_NAMES.lastIndex = Math.max(AZURE_KEY_NAMES.lastIndex, padded);
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

function isSchemeChar(c: number): boolean {
  return isAlnum(c) || c === 0x2b || c === 0x2e || c === 0x2d;
}

function isUserinfoChar(c: number): boolean {
  // Stops at the path, query, fragment, whitespace and quoting characters.
  return c > 0x20 && c !== 0x2f && c !== 0x3f && c !== 0x23 && c !== 0x22 && c !== 0x27 && c !== 0x3c && c !== 0x3e && c !== 0x5c && c !== 0x60 && c !== 0x7f;
}

function detectDatabaseUrls(text: string, out: TextFinding<SecretFindingType>[]): void {
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
    if (lastAt !== -1 && DATABASE_SCHEMES.has(scheme)) {
      let colon = at + 3;
      while (colon < lastAt && text.charCodeAt(colon) !== 0x3a) colon++;
      if (colon < lastAt) {
        const passwordStart = colon + 1;
        if (lastAt > passwordStart && !isPlaceholderValue(text.slice(passwordStart, lastAt))) {
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

function detectAwsSecretKeys(text: string, accessKeys: readonly TextFinding<SecretFindingType>[], out: TextFinding<SecretFindingType>[]): void {
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

// ---------------------------------------------------------------------------------------------
// password / secret / token / api_key assignments with a literal value

/** Keywords that end a credential-bearing key name. */
const KEYWORD = /pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|authorization/gi;

/** Words before `token` that make it a non-secret (pagination, counting, CSRF per page). */
const HARMLESS_TOKEN_QUALIFIERS = new Set([
  'page', 'next', 'prev', 'previous', 'continuation', 'sync', 'cancel', 'cancellation', 'progress', 'max', 'min', 'num',
  'pagination', 'resume', 'continue', 'cursor', 'id', 'type', 'count', 'limit', 'usage', 'input', 'output', 'completion',
  'prompt', 'total', 'start', 'end', 'lexer', 'parser', 'syntax', 'last', 'first', 'eos', 'bos', 'pad', 'unk', 'sep', 'mask',
  'special', 'csrf', 'xsrf', 'verification', 'etag',
]);
const KEY_QUALIFIERS = new Set(['api', 'access', 'secret', 'private', 'auth', 'encryption', 'signing', 'client', 'master', 'service', 'account', 'app', 'subscription', 'admin', 'license', 'webhook', 'consumer', 'storage', 'shared']);

/** Endings of run-together key names that name a credential. */
const COMPOUND_SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'apikey', 'accesstoken', 'authtoken', 'apitoken', 'bottoken', 'refreshtoken', 'sessiontoken', 'privatekey', 'secretkey', 'accesskey'];

function keySegments(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((s) => s.length > 0);
}

/** Whether a key name (`DB_PASSWORD`, `clientSecret`, `api-key`, `spring.datasource.password`) names a credential. */
export function isCredentialKey(key: string): boolean {
  const segments = keySegments(key);
  const last = segments[segments.length - 1];
  const previous = segments[segments.length - 2];
  if (last === undefined) return false;
  switch (last) {
    case 'password':
    case 'passwd':
    case 'pwd':
    case 'passphrase':
    case 'pass':
    case 'secret':
    case 'apikey':
    case 'accesskey':
    case 'secretkey':
    case 'privatekey':
    case 'authkey':
    case 'credential':
    case 'credentials':
    case 'authorization':
      return true;
    case 'token':
    case 'tokens':
      return previous === undefined || !HARMLESS_TOKEN_QUALIFIERS.has(previous);
    case 'key':
      return previous !== undefined && KEY_QUALIFIERS.has(previous);
    default:
      // Run-together names: PGPASSWORD, MYSQL_ROOTPASSWORD, githubtoken → …password, …token.
      return COMPOUND_SUFFIXES.some((suffix) => last.endsWith(suffix));
  }
}

const PLACEHOLDER_VALUES = new Set([
  'password', 'passwd', 'pass', 'secret', 'token', 'apikey', 'api_key', 'api-key', 'null', 'none', 'nil', 'undefined',
  'true', 'false', 'empty', 'default', 'string', 'str', 'int', 'number', 'boolean', 'bool', 'any', 'object', 'required',
  'optional', 'unknown', 'hidden', 'masked', 'secure', 'private', 'notset', 'not_set', 'unset', 'tbd', 'n/a', 'na',
  'mypassword', 'mysecret', 'mytoken', 'yourpassword', 'secretpassword', 'foobar', 'foo', 'bar', 'test', 'testing',
]);

const REFERENCE_PREFIXES = [
  'process.env', 'os.environ', 'os.getenv', 'getenv(', 'env.', 'env[', 'env(', 'system.getenv', 'config.', 'settings.',
  'self.', 'this.', 'props.', 'secrets.', 'vault:', 'op://', 'arn:aws:', 'ssm:', 'sm://', 'gcp-secret', 'projects/',
  'keyvault', 'file:', 'cmd:', 'exec:', 'data.', 'var.', 'local.', 'params.', 'args.', 'request.', 'req.',
];

/**
 * Whether a value is a placeholder, a reference or empty rather than a literal credential:
 * `${VAR}`, `$VAR`, `%VAR%`, `<your-key>`, `{{ secret }}`, `xxx…`, `****`, `changeme`, `your_token_here`.
 */
export function isPlaceholderValue(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  const first = v.charCodeAt(0);
  // $ % < { [ ( @ # & * • — references, templates, structures, masks.
  if ('$%<{[(@#&*\u2022'.includes(v[0]!)) return true;
  if (first === 0x3a && v.length > 1) return true; // `:name` bind parameters
  const lower = v.toLowerCase();
  if (PLACEHOLDER_VALUES.has(lower)) return true;
  if (/change[_-]?me|your[_-]|_here$|-here$|placeholder|example|redacted|dummy|replace|insert|sample|fixme|todo|xxx|\*\*\*|\.\.\./.test(lower)) return true;
  for (const prefix of REFERENCE_PREFIXES) if (lower.startsWith(prefix)) return true;
  const distinct = new Set(v).size;
  return distinct <= 2;
}

function isKeyChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f || c === 0x2d || c === 0x2e;
}

function isQuote(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x60;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Characters that end an unquoted value. */
function endsBareValue(c: number): boolean {
  return c === -1 || c <= 0x20 || c === 0x2c || c === 0x3b || c === 0x26 || isQuote(c) || c === 0x29 || c === 0x5d || c === 0x7d || c === 0x3c || c === 0x3e || c === 0x7c;
}

const MAX_VALUE_LENGTH = 512;
const MIN_VALUE_LENGTH = 6;
const AUTH_SCHEMES = /^(?:bearer|basic|token|bot|digest|apikey)[ \t]+/i;

function detectAssignments(text: string, out: TextFinding<SecretFindingType>[]): void {
  KEYWORD.lastIndex = 0;
  let examinedUntil = 0;
  let match: RegExpExecArray | null;
  while ((match = KEYWORD.exec(text)) !== null) {
    if (match.index < examinedUntil) continue;
    // The whole key identifier around the keyword (bounded both ways).
    let keyStart = match.index;
    while (keyStart > 0 && match.index - keyStart < 64 && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
    let keyEnd = match.index + match[0].length;
    const keyLimit = Math.min(text.length, keyEnd + 64);
    while (keyEnd < keyLimit && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
    examinedUntil = keyEnd;
    KEYWORD.lastIndex = Math.max(KEYWORD.lastIndex, keyEnd);
    // A trailing dot belongs to prose ("the password."), not to the key.
    while (keyEnd > keyStart && text.charCodeAt(keyEnd - 1) === 0x2e) keyEnd--;
    const key = text.slice(keyStart, keyEnd);
    if (!isCredentialKey(key)) continue;
    const scanned = { until: keyEnd };
    const value = assignedValue(text, keyStart, keyEnd, key, scanned);
    // Keywords inside a value already scanned are not keys (and rescanning them would be quadratic).
    examinedUntil = Math.max(examinedUntil, scanned.until);
    KEYWORD.lastIndex = Math.max(KEYWORD.lastIndex, scanned.until);
    if (value === undefined) continue;
    examinedUntil = Math.max(examinedUntil, value.end);
    KEYWORD.lastIndex = Math.max(KEYWORD.lastIndex, value.end);
    out.push({ type: 'password_assignments', start: value.start, end: value.end });
  }
}

/**
 * Finds the literal value assigned to the key at [keyStart, keyEnd), or undefined. `scanned.until`
 * is set to how far an unquoted value was read, whether or not it was accepted.
 */
function assignedValue(text: string, keyStart: number, keyEnd: number, key: string, scanned: { until: number }): { start: number; end: number } | undefined {
  let i = keyEnd;
  if (isQuote(codeAt(text, i)) && isQuote(codeAt(text, keyStart - 1))) {
    i++;
    // config['db_password'] = …
    if (codeAt(text, i) === 0x5d) i++;
  }
  while (isSpace(codeAt(text, i)) && i - keyEnd < 8) i++;
  const op = codeAt(text, i);
  let operator: string;
  if (op === 0x3d) {
    operator = text[i + 1] === '=' || text[i + 1] === '>' ? text.slice(i, i + 2) : '=';
  } else if (op === 0x3a) {
    operator = text[i + 1] === '=' ? ':=' : ':';
  } else if (op === 0x3e && i === keyEnd && codeAt(text, keyStart - 1) === 0x3c) {
    operator = '>'; // <password>hunter2</password>
  } else if (i > keyEnd && key.startsWith('--')) {
    operator = ' '; // --password hunter2
  } else {
    return undefined;
  }
  if (operator !== ' ') i += operator.length;
  if (operator === '>') {
    let end = i;
    const limit = Math.min(text.length, i + MAX_VALUE_LENGTH);
    while (end < limit && text.charCodeAt(end) !== 0x3c && text.charCodeAt(end) !== 0x0a) end++;
    if (text.charCodeAt(end) !== 0x3c) return undefined;
    const value = text.slice(i, end);
    return acceptableValue(value, true, operator, key) ? { start: i, end } : undefined;
  }
  // `password = ` followed by a newline is an empty value, never the next line.
  while (isSpace(codeAt(text, i)) && i - keyEnd < 16) i++;
  let start = i;
  let end: number;
  const quote = codeAt(text, i);
  let quoted = false;
  if (isQuote(quote)) {
    quoted = true;
    start = i + 1;
    end = start;
    const limit = Math.min(text.length, start + MAX_VALUE_LENGTH);
    while (end < limit && text.charCodeAt(end) !== quote && text.charCodeAt(end) !== 0x0a) end++;
    if (end >= limit || text.charCodeAt(end) !== quote) return undefined;
  } else {
    end = start;
    const limit = Math.min(text.length, start + MAX_VALUE_LENGTH);
    while (end < limit && !endsBareValue(text.charCodeAt(end))) end++;
    scanned.until = end;
    if (end >= limit && end < text.length) return undefined;
    // Sentence punctuation after a bare value.
    while (end > start && (text.charCodeAt(end - 1) === 0x2e || text.charCodeAt(end - 1) === 0x3a)) end--;
  }
  let value = text.slice(start, end);
  if (keySegments(key).pop() === 'authorization') {
    const scheme = AUTH_SCHEMES.exec(value);
    if (scheme !== null) {
      start += scheme[0].length;
      value = value.slice(scheme[0].length);
    } else if (!quoted) {
      // `Authorization: Bearer xyz` unquoted: the value is the next word.
      const schemeWord = /^(?:bearer|basic|token|bot)$/i.test(value);
      if (!schemeWord) return undefined;
      let j = end;
      while (isSpace(codeAt(text, j))) j++;
      start = j;
      end = j;
      while (end < text.length && end - j < MAX_VALUE_LENGTH && !endsBareValue(text.charCodeAt(end))) end++;
      value = text.slice(start, end);
    }
  }
  if (!acceptableValue(value, quoted, operator, key)) return undefined;
  return { start, end: start + value.length };
}

function acceptableValue(value: string, quoted: boolean, operator: string, key: string): boolean {
  if (value.length < MIN_VALUE_LENGTH || isPlaceholderValue(value)) return false;
  // Prose and type annotations, not credentials.
  if (/\s/.test(value)) return false;
  if (operator === '==' || operator === '=>') return quoted;
  if (/^\d+$/.test(value)) return false;
  if (!quoted) {
    if (value.includes('(')) return false;
    // A bare identifier or member access is a variable: `password = pwd`, `token: string`, `key=cfg.apiKey`.
    if (/^[A-Za-z_$][A-Za-z_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$/.test(value)) {
      // …except in an env file, where `API_TOKEN=abcdefghij` is the literal.
      const envStyle = operator === '=' && /^[A-Z0-9_]+$/.test(key);
      if (!envStyle) return false;
    }
  }
  return true;
}

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
  [PREFIX.source, eitherCase(KEYWORD.source), eitherCase('accountkey|sharedaccesskey'), '://', 'PRIVATE KEY', 'PuTTY-User-Key-File-', 'hooks\\.slack\\.com/'].join('|'),
);

/** When findings overlap, prefer the most specific kind; entropy comes last. */
function rank(type: SecretFindingType): number {
  switch (type) {
    case 'ssh_private_keys':
    case 'private_keys':
      return 0;
    case 'password_assignments':
      return 3;
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
  if (enabled.has('password_assignments')) detectAssignments(text, found);
  if (options.entropy !== undefined) {
    for (const token of findHighEntropyTokens(text, options.entropy)) found.push({ type: 'entropy_based', start: token.start, end: token.end });
  }
  return resolveOverlaps(found, rank);
}
