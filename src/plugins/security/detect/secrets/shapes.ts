// Tokens with no fixed prefix but a known shape, found from the one literal each shape must hold:
// Telegram bot tokens (`<bot id>:AA<33>`), Discord bot tokens (base64 of a numeric user id, a dot,
// 6, a dot, 27–38), Facebook app tokens (`<app id>|<32 hex>`). Each search is a native `indexOf`
// or a regex whose quantifiers are bounded and over one class, then checks on a bounded window.
import type { TextFinding } from '../findings';
import { execAt } from '../regex';
import type { SecretFindingType, SecretType } from './types';
import { codeAt, continuesToken, isAlnum, isDigit, isUrlSafe, looksLikePlaceholder, mixedCharacters } from './text';

/** Telegram: 8–10 digit bot id, `:`, then 35 URL-safe characters starting with `AA`. */
function detectTelegram(text: string, out: TextFinding<SecretFindingType>[]): void {
  for (let at = text.indexOf(':AA'); at !== -1; at = text.indexOf(':AA', at + 3)) {
    let start = at;
    while (start > 0 && at - start < 11 && isDigit(text.charCodeAt(start - 1))) start--;
    const idLength = at - start;
    if (idLength < 8 || idLength > 10) continue;
    // `bot123…:AA…` inside an API URL; otherwise the id starts a token.
    const before = codeAt(text, start - 1);
    if (continuesToken(before) && !text.endsWith('bot', start)) continue;
    let end = at + 1;
    while (end < text.length && end - at <= 36 && isUrlSafe(text.charCodeAt(end))) end++;
    if (end - at - 1 !== 35 || continuesToken(codeAt(text, end))) continue;
    if (looksLikePlaceholder(text, at + 3, end) || !mixedCharacters(text, at + 3, end)) continue;
    out.push({ type: 'telegram_bot_tokens', start, end });
  }
}

// The first part is the base64 of a 17–20 digit user id: it starts with M, N or O.
const DISCORD = /(?<![\w-])[MNO][\w-]{23,27}\.[\w-]{6}\.[\w-]{27,38}(?![\w-])/g;

/** The middle part every Discord token has: a cheap test before the full search. */
const DISCORD_MIDDLE = /\.[\w-]{6}\.[\w-]{27}/;

function detectDiscord(text: string, out: TextFinding<SecretFindingType>[]): void {
  let next = 0;
  for (let m = execAt(DISCORD, text, next); m !== null; m = execAt(DISCORD, text, next)) {
    next = m.index + m[0].length;
    const dot = m[0].indexOf('.');
    const id = Buffer.from(m[0].slice(0, dot), 'base64url').toString('latin1');
    if (!/^\d{17,20}$/.test(id)) continue;
    const secretStart = m.index + m[0].lastIndexOf('.') + 1;
    if (looksLikePlaceholder(text, secretStart, next)) continue;
    out.push({ type: 'discord_bot_tokens', start: m.index, end: next });
  }
}

/**
 * Facebook app access tokens: `<15–16 digit app id>|<32 hex app secret>`, or `<app id>|<27 URL-safe>`,
 * the form Graph's client-credentials grant returns (a random-looking body: mixed characters).
 */
function detectFacebookAppTokens(text: string, out: TextFinding<SecretFindingType>[]): void {
  for (let bar = text.indexOf('|'); bar !== -1; bar = text.indexOf('|', bar + 1)) {
    let start = bar;
    while (start > 0 && bar - start < 17 && isDigit(text.charCodeAt(start - 1))) start--;
    if (bar - start < 15 || bar - start > 16 || continuesToken(codeAt(text, start - 1))) continue;
    let end = bar + 1;
    while (end < text.length && end - bar <= 33 && isHexLower(text.charCodeAt(end))) end++;
    if (end - bar - 1 !== 32 || continuesToken(codeAt(text, end))) {
      end = bar + 1;
      while (end < text.length && end - bar <= 28 && isUrlSafe(text.charCodeAt(end))) end++;
      if (end - bar - 1 !== 27 || continuesToken(codeAt(text, end)) || !mixedCharacters(text, bar + 1, end)) continue;
    }
    if (looksLikePlaceholder(text, bar + 1, end)) continue;
    out.push({ type: 'facebook_tokens', start, end });
  }
}

function isHexLower(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}

// Vault's legacy service tokens (`s.` + 24; the `hvs.`/`hvb.` forms come from the generated rules).
// Not in the prefix alternation: `s.` ends every other English word, and most hits fail the first
// check here (a letter before the `s`).
function detectVaultLegacy(text: string, out: TextFinding<SecretFindingType>[]): void {
  for (let at = text.indexOf('s.'); at !== -1; at = text.indexOf('s.', at + 2)) {
    const before = codeAt(text, at - 1);
    if (continuesToken(before) || before === 0x2e) continue;
    let end = at + 2;
    while (end < text.length && end - at <= 26 && isAlnum(text.charCodeAt(end))) end++;
    if (end - at !== 26 || continuesToken(codeAt(text, end))) continue;
    if (!mixedCharacters(text, at + 2, end) || looksLikePlaceholder(text, at + 2, end)) continue;
    out.push({ type: 'provider_tokens', start: at, end });
  }
}

// Vault's current tokens: `hvs.` (service), `hvb.` (batch), `hvr.` (recovery). The generated rules
// know only the long forms (90+ and 138+ characters); dev-server root tokens and the examples people
// paste are `hvs.` + 24, so any random-looking body of 24 or more counts here.
const VAULT_KINDS = 'sbr';
function detectVaultPrefixed(text: string, out: TextFinding<SecretFindingType>[]): void {
  for (let at = text.indexOf('hv'); at !== -1; at = text.indexOf('hv', at + 2)) {
    if (!VAULT_KINDS.includes(text[at + 2] ?? '') || text.charCodeAt(at + 3) !== 0x2e || continuesToken(codeAt(text, at - 1))) continue;
    let end = at + 4;
    while (end < text.length && end - at <= 304 && isUrlSafe(text.charCodeAt(end))) end++;
    if (end - at - 4 < 24 || end - at - 4 > 300 || continuesToken(codeAt(text, end))) continue;
    if (!mixedCharacters(text, at + 4, end) || looksLikePlaceholder(text, at + 4, end)) continue;
    out.push({ type: 'provider_tokens', start: at, end });
  }
}

export function detectShapedTokens(text: string, enabled: ReadonlySet<SecretType>, out: TextFinding<SecretFindingType>[]): void {
  if (enabled.has('telegram_bot_tokens') && text.includes(':AA')) detectTelegram(text, out);
  if (enabled.has('discord_bot_tokens') && DISCORD_MIDDLE.test(text)) detectDiscord(text, out);
  if (enabled.has('facebook_tokens') && text.includes('|')) detectFacebookAppTokens(text, out);
  if (enabled.has('provider_tokens') && text.includes('s.')) detectVaultLegacy(text, out);
  if (enabled.has('provider_tokens') && text.includes('hv')) detectVaultPrefixed(text, out);
}
