// Token counting for the token_usage plugin, in its own bundle (dist/gateway-tokenizer.js): the
// cl100k_base ranks weigh about a megabyte, which no configuration without token_usage should load.
// Byte-pair encoding costs grow with the length of a run of letters, and a server decides what it
// sends: huge texts and long unbroken runs are estimated instead of encoded.
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';

/** Texts longer than this (in UTF-16 units) are estimated as a whole. */
export const EXACT_LIMIT_CHARS = 64 * 1024;
/** Runs of non-space characters longer than this are estimated, the rest of the text encoded. */
export const LONG_RUN_CHARS = 512;
const LONG_RUN = new RegExp(`\\S{${LONG_RUN_CHARS + 1},}`, 'g');
/** Text such as `<|endoftext|>` is counted as the ordinary text it is: by default the encoder throws on it. */
const ORDINARY_TEXT = { disallowedSpecial: new Set<string>() };

/** The rough estimate Gatekit falls back on: about four characters or three quarters of a word per token. */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return Math.ceil(Math.max(text.length / 4, words * 1.33));
}

/** Tokens of `text` in cl100k_base: exact for ordinary text, estimated for huge texts and long unbroken runs. */
export function countTextTokens(text: string): { tokens: number; exact: boolean } {
  if (text.length > EXACT_LIMIT_CHARS) return { tokens: estimateTokens(text), exact: false };
  let estimated = 0;
  const rest = text.replace(LONG_RUN, (run) => {
    estimated += estimateTokens(run);
    return ' ';
  });
  return { tokens: countTokens(rest, ORDINARY_TEXT) + estimated, exact: estimated === 0 };
}
