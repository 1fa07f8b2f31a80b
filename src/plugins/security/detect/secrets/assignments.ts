// Literal values assigned to credential-named keys (`password = "…"`, `"api_key": "…"`,
// `Authorization: Bearer …`), with placeholders, references and ordinary values left alone.
import type { TextFinding } from '../findings';
import { execAt } from '../regex';
import type { SecretFindingType } from './types';
import { shannonEntropy } from '../entropy';
import { codeAt, hasRepeatedRun, isAlnum, isDigit, isLower, isUpper } from './text';

/** Keywords that end a credential-bearing key name. */
export const KEYWORD = /pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|authorization|auth(?!e|o)|signing|[_-]key/gi;

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

/** A key name's words, lower case: `DB_PASSWORD`, `dbPassword` and `db-password` all give `db`, `password`. */
function keySegments(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((s) => s.length > 0);
}

/** The last two words of a key name (see keySegments); `previous` is undefined for a one-word key. */
interface KeyWords {
  readonly last: string | undefined;
  readonly previous: string | undefined;
}

/**
 * keySegments' last two words without building them all: this runs once per credential keyword in
 * every scanned string, where the regex replace and split cost more than the rest of the check.
 * Keys outside ASCII go through keySegments, whose lower-casing may change their length.
 */
function lastKeyWords(key: string): KeyWords {
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0x7f) {
      const segments = keySegments(key);
      return { last: segments[segments.length - 1], previous: segments[segments.length - 2] };
    }
  }
  const words: string[] = [];
  let i = key.length;
  while (words.length < 2) {
    while (i > 0 && !isAlnum(key.charCodeAt(i - 1))) i--;
    if (i === 0) break;
    const end = i;
    i--;
    // A word starts after a non-alphanumeric character, or at a capital after a lower-case letter or digit.
    while (i > 0 && isAlnum(key.charCodeAt(i - 1)) && !(isUpper(key.charCodeAt(i)) && !isUpper(key.charCodeAt(i - 1)))) i--;
    words.push(key.slice(i, end).toLowerCase());
  }
  return { last: words[0], previous: words[1] };
}

/**
 * Key names that hold a credential only sometimes (`user_auth`, `credential`, `webhook_signing`,
 * `cache_key`): their value counts when it looks generated (see `looksRandom`).
 */
const SOMETIMES_CREDENTIAL = new Set(['auth', 'signing', 'credential', 'cred', 'creds', 'hmac', 'key']);

/** Whether a key names a credential whose value counts only when it looks generated. */
export function isSometimesCredentialKey(key: string): boolean {
  return sometimesCredential(lastKeyWords(key));
}

function sometimesCredential({ last, previous }: KeyWords): boolean {
  return last !== undefined && SOMETIMES_CREDENTIAL.has(last) && !(last === 'key' && previous === undefined);
}

/** A value a program generated: 16+ characters, letters and digits, about 3.5+ bits of entropy per character. */
export function looksRandom(value: string): boolean {
  if (value.length < 16) return false;
  let letters = 0;
  let digits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isUpper(c) || isLower(c)) letters++;
    else if (isDigit(c)) digits++;
  }
  if (letters === 0 || digits === 0) return false;
  return shannonEntropy(value) >= Math.min(3.5, Math.log2(value.length) - 0.5);
}

/** Whether a key name (`DB_PASSWORD`, `clientSecret`, `api-key`, `spring.datasource.password`) names a credential. */
export function isCredentialKey(key: string): boolean {
  return credentialKey(lastKeyWords(key));
}

function credentialKey({ last, previous }: KeyWords): boolean {
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

const YAML_TAG = /^!!?[A-Za-z][A-Za-z_]{0,31}$/;

const REFERENCE_PREFIXES = [
  'process.env', 'os.environ', 'os.getenv', 'getenv(', 'env.', 'env[', 'env(', 'system.getenv', 'config.', 'settings.',
  'self.', 'this.', 'props.', 'secrets.', 'vault:', 'op://', 'arn:aws:', 'ssm:', 'sm://', 'gcp-secret', 'projects/',
  'keyvault', 'file:', 'cmd:', 'exec:', 'data.', 'var.', 'local.', 'params.', 'args.', 'request.', 'req.',
];

/**
 * Whether a value is a placeholder, a reference or empty rather than a literal credential:
 * `${VAR}`, `$VAR`, `%VAR%`, `<your-key>`, `{{ secret }}`, `xxx…`, `****`, `changeme`, `your_token_here`,
 * `AIzaSyAAAAAAAA…` (a run of one character).
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
  if (/change[_-]?me|your[_.-]|[_.-]here$|placeholder|example|redacted|dummy|replace|insert|sample|fixme|todo|xxx|\*\*\*|\.\.\./.test(lower)) return true;
  for (const prefix of REFERENCE_PREFIXES) if (lower.startsWith(prefix)) return true;
  // A YAML tag (`!vault prod/db#password`, `!secret github_token`, `!Ref ApiKey`, `!GetAtt X.Secret`):
  // the value is looked up elsewhere; a tag is letters only, a password rarely is.
  if (YAML_TAG.test(v)) return true;
  return atMostTwoCodePoints(v) || hasRepeatedRun(v);
}

/** Whether `v` is made of at most two distinct code points (`new Set(v).size <= 2`, stopping at the third). */
function atMostTwoCodePoints(v: string): boolean {
  let first = -1;
  let second = -1;
  for (let i = 0; i < v.length; i++) {
    const c = v.codePointAt(i)!;
    if (c > 0xffff) i++;
    if (c === first || c === second) continue;
    if (first === -1) first = c;
    else if (second === -1) second = c;
    else return false;
  }
  return true;
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

export function detectAssignments(text: string, out: TextFinding<SecretFindingType>[]): void {
  let examinedUntil = 0;
  // Where the next keyword is looked for: this scan's own (see ../regex.ts).
  let next = 0;
  for (let match = execAt(KEYWORD, text, next); match !== null; match = execAt(KEYWORD, text, next)) {
    next = match.index + match[0].length;
    if (match.index < examinedUntil) continue;
    // The whole key identifier around the keyword (bounded both ways).
    let keyStart = match.index;
    while (keyStart > 0 && match.index - keyStart < 64 && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
    let keyEnd = match.index + match[0].length;
    const keyLimit = Math.min(text.length, keyEnd + 64);
    while (keyEnd < keyLimit && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
    examinedUntil = keyEnd;
    next = Math.max(next, keyEnd);
    // A trailing dot belongs to prose ("the password."), not to the key.
    while (keyEnd > keyStart && text.charCodeAt(keyEnd - 1) === 0x2e) keyEnd--;
    // A keyword glued to a colon-separated identifier (`arn:aws:secretsmanager:…:secret:prod/db`,
    // `urn:x:token:…`) is a segment of a name, not a key.
    if (text.charCodeAt(keyStart - 1) === 0x3a && isKeyChar(text.charCodeAt(keyStart - 2))) continue;
    const key = text.slice(keyStart, keyEnd);
    const words = lastKeyWords(key);
    const always = credentialKey(words);
    if (!always && !sometimesCredential(words)) continue;
    const scanned = { until: keyEnd };
    let value = assignedValue(text, keyStart, keyEnd, key, words.last === 'authorization', scanned);
    if (value !== undefined && !always && !looksRandom(text.slice(value.start, value.end))) value = undefined;
    // Keywords inside a value already scanned are not keys (and rescanning them would be quadratic).
    examinedUntil = Math.max(examinedUntil, scanned.until);
    next = Math.max(next, scanned.until);
    if (value === undefined) continue;
    examinedUntil = Math.max(examinedUntil, value.end);
    next = Math.max(next, value.end);
    out.push({ type: 'password_assignments', start: value.start, end: value.end });
  }
}

/**
 * Finds the literal value assigned to the key at [keyStart, keyEnd), or undefined. `scanned.until`
 * is set to how far an unquoted value was read, whether or not it was accepted.
 */
function assignedValue(text: string, keyStart: number, keyEnd: number, key: string, authorization: boolean, scanned: { until: number }): { start: number; end: number } | undefined {
  const attribute = attributeValue(text, keyStart, keyEnd, key);
  if (attribute !== null) return attribute;
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
    // A value cut off with an ellipsis (`sk_test_...`) is documentation.
    if (text.endsWith('...', end) || text.charCodeAt(end - 1) === 0x2026) return undefined;
    // Sentence punctuation after a bare value.
    while (end > start && (text.charCodeAt(end - 1) === 0x2e || text.charCodeAt(end - 1) === 0x3a)) end--;
  }
  let value = text.slice(start, end);
  if (authorization) {
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

// `<add key="ApiSecret" value="…"/>` (.NET appSettings), `<param name="password" value="…">`: the
// key name is an attribute and the value the next one.
const VALUE_ATTRIBUTE = /^[ \t]{1,8}value=(["'])/;

/** The `value` attribute after a quoted `key=`/`name=` attribute naming the key; null when the key is not written so. */
function attributeValue(text: string, keyStart: number, keyEnd: number, key: string): { start: number; end: number } | undefined | null {
  const quote = codeAt(text, keyStart - 1);
  if (!isQuote(quote) || codeAt(text, keyEnd) !== quote || codeAt(text, keyStart - 2) !== 0x3d) return null;
  const attribute = text.slice(Math.max(0, keyStart - 6), keyStart - 2).toLowerCase();
  if (!attribute.endsWith('key') && !attribute.endsWith('name')) return null;
  const next = VALUE_ATTRIBUTE.exec(text.slice(keyEnd + 1, keyEnd + 20));
  if (next === null) return null;
  const start = keyEnd + 1 + next[0].length;
  const close = next[1]!.charCodeAt(0);
  const limit = Math.min(text.length, start + MAX_VALUE_LENGTH);
  let end = start;
  while (end < limit && text.charCodeAt(end) !== close && text.charCodeAt(end) !== 0x0a) end++;
  if (text.charCodeAt(end) !== close) return undefined;
  return acceptableValue(text.slice(start, end), true, '=', key) ? { start, end } : undefined;
}

/** Lower-case words joined by `.`, `_` or `-`, nothing else (`paste.discord.token`, `bot-token`). */
const LOWER_CASE_WORDS = /^[a-z]{2,24}(?:[._-][a-z]{2,24}){1,7}$/;

/**
 * Whether a value of lower-case words repeats its key's last word (`DISCORD_TOKEN=paste.discord.token`,
 * `api_key: my-api-key`): a value that names what it stands for is documentation, while a generated
 * credential has digits or mixed case, and a passphrase of words does not name its key.
 */
function namesItsKey(value: string, key: string): boolean {
  if (!LOWER_CASE_WORDS.test(value)) return false;
  const last = /[a-z]+$/.exec(key.toLowerCase())?.[0];
  return last !== undefined && value.split(/[._-]/).includes(last);
}

const PATH_OR_URL = /^(?:\/|\.{1,2}\/|~\/|[A-Za-z]:\\|[a-z][a-z0-9+.-]{1,16}:\/\/)/;

function acceptableValue(value: string, quoted: boolean, operator: string, key: string): boolean {
  if (value.length < MIN_VALUE_LENGTH || isPlaceholderValue(value) || namesItsKey(value, key)) return false;
  // Prose and type annotations, not credentials.
  if (/\s/.test(value)) return false;
  // A path or a URL names where the secret is (`master_key: /etc/app/master.key`,
  // `--ask-password https://…`), not the secret; credentials inside URLs are embedded.ts's.
  if (PATH_OR_URL.test(value)) return false;
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
