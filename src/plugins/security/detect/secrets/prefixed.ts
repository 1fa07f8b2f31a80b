// Provider keys found by their literal prefixes (`AKIA`, `ghp_`, `sk-ant-`, `eyJ`…) and a bounded
// scan of the body after each, with a check per provider where the format allows one.
import type { TextFinding } from '../findings';
import { execAt } from '../regex';
import { GENERATED_TOKEN_RULES } from './provider-rules.generated';
import type { SecretFindingType, SecretType } from './types';
import { codeAt, continuesToken, isAlnum, isAlnumDash, isDigit, isLower, isUpper, isUpperOrDigit, isUnderscoreAlnum, isUrlSafe, isUrlSafeOrDot, looksLikePlaceholder, mixedCharacters } from './text';

/** A provider's key format: its prefixes, and the characters and length of the body after them. */
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
  // Facebook user and page access tokens.
  { type: 'facebook_tokens', prefixes: ['EAAB', 'EAAG', 'EAAJ', 'EAAC', 'EAAE', 'EAAI'], body: isAlnum, minBody: 90, maxBody: 400, check: randomBody },
  ...GENERATED_TOKEN_RULES.map(generatedRule),
];

/** A rule of the maintained secretlint preset: its alphabet for the body scan, its own pattern to confirm. */
function generatedRule(generated: (typeof GENERATED_TOKEN_RULES)[number]): PrefixRule {
  const alphabet = new RegExp(generated.alphabet);
  const table = new Uint8Array(0x80);
  for (let c = 0; c < 0x80; c++) table[c] = alphabet.test(String.fromCharCode(c)) ? 1 : 0;
  const whole = new RegExp(`^(?:${generated.pattern})$`, 'u');
  return {
    type: 'provider_tokens',
    prefixes: generated.prefixes,
    body: (c) => c < 0x80 && table[c] === 1,
    minBody: 8,
    maxBody: generated.maxBody,
    check: (text, start, bodyStart, end) => (whole.test(text.slice(start, end)) && !looksLikePlaceholder(text, bodyStart, end) ? end : -1),
  };
}

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

/**
 * `words` as a trie-shaped alternation: `gh(?:[pousr]_…)|gl(?:pat-|…)|s(?:k(?:-(?:ant-)?|…))`. At each
 * position the regex tries one branch per first character instead of every prefix (a fifth less
 * time than the flat alternation over the corpora's lines). A word that continues into a longer one
 * is an optional group, greedy, so the longest prefix wins (`sk-ant-` over `sk-`).
 */
export function trieSource(words: readonly string[]): string {
  // Single characters as one class (`EAA[BCEGIJ]`): one test where an alternation tries each.
  if (words.length > 1 && words.every((word) => word.length === 1)) return `[${[...new Set(words)].sort().map((c) => c.replace(/[\]\\^-]/, '\\$&')).join('')}]`;
  const byFirst = new Map<string, string[]>();
  for (const word of words) {
    const rests = byFirst.get(word[0]!) ?? [];
    rests.push(word.slice(1));
    byFirst.set(word[0]!, rests);
  }
  const branches = [...byFirst.keys()].sort().map((first) => {
    const rests = byFirst.get(first)!;
    const longer = rests.filter((rest) => rest.length > 0);
    if (longer.length === 0) return escapeRegExp(first);
    const sub = trieSource(longer);
    if (longer.length < rests.length) return `${escapeRegExp(first)}(?:${sub})?`;
    return longer.length === 1 ? `${escapeRegExp(first)}${sub}` : `${escapeRegExp(first)}(?:${sub})`;
  });
  return branches.join('|');
}

/** One search for every literal prefix, the longest at each position. */
function prefixPattern(): RegExp {
  return new RegExp(trieSource([...PREFIXES.keys()]), 'g');
}
/** Shared by every call (positioned by each search, see ../regex.ts): compiling one per call cost more than scanning a short string. */
export const PREFIX = prefixPattern();

export function detectPrefixedTokens(text: string, enabled: ReadonlySet<SecretType>, out: TextFinding<SecretFindingType>[]): void {
  // Per rule, how far its body scans reached: a later hit inside that stretch is not rescanned,
  // which keeps inputs like 'eyJ.eyJ.eyJ…' linear.
  const scannedUntil = new Array<number>(PREFIX_RULES.length).fill(-1);
  // Where the next prefix is looked for: this scan's own, not PREFIX's (see ../regex.ts).
  let next = 0;
  for (let match = execAt(PREFIX, text, next); match !== null; match = execAt(PREFIX, text, next)) {
    next = match.index + match[0].length;
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
    // Cut off with an ellipsis (`xoxb-123-456-abc…`): a documentation excerpt, not a key.
    if (text.charCodeAt(end) === 0x2026 || text.startsWith('...', end)) continue;
    const accepted = rule.check === undefined ? end : rule.check(text, start, bodyStart, end);
    if (accepted === -1) continue;
    out.push({ type: rule.type, start, end: accepted });
    next = Math.max(next, accepted);
  }
}
