// Prompt-injection and tool-poisoning detection in linear time: natural-language rules run over a
// token stream (words with offsets), delimiter tricks over a few literal-led regexes, hidden
// Unicode through ./unicode, and base64 through ./base64. No search regex here has a quantified
// group, so none can backtrack catastrophically; the anchor conditions (checked at one place each)
// repeat a group a few times at most, over word and gap classes that do not overlap.
import { findBase64Candidates } from './base64';
import { findHiddenUnicode, type SignalStrength } from './unicode';

export type { SignalStrength } from './unicode';

/** Gatekit's sensitivity levels: which signal strengths are reported. */
export type Sensitivity = 'relaxed' | 'standard' | 'strict';

/**
 * The three detection methods of Gatekit plus two of ours: `tool_poisoning` (hidden directive
 * tags, concealment from the user, reading credential files) and `hidden_unicode`.
 */
export type InjectionCategory = 'delimiter_injection' | 'role_manipulation' | 'context_hijacking' | 'tool_poisoning' | 'hidden_unicode';

export const INJECTION_CATEGORIES: readonly InjectionCategory[] = [
  'delimiter_injection',
  'role_manipulation',
  'context_hijacking',
  'tool_poisoning',
  'hidden_unicode',
];

/** One place in a string that looks like an injection. Offsets are UTF-16 code units. */
export interface InjectionFinding {
  readonly category: InjectionCategory;
  /** Stable rule id, e.g. `context.ignore_prior_instructions`; never the matched text (log replay). */
  readonly rule: string;
  readonly strength: SignalStrength;
  readonly start: number;
  readonly end: number;
  /** `base64`: found inside an encoded run, which cannot be redacted in place (block instead). */
  readonly encoding: 'plain' | 'base64';
}

export interface InjectionDetectorOptions {
  readonly sensitivity: Sensitivity;
  /** Categories switched on; a missing key means on. */
  readonly categories?: Partial<Record<InjectionCategory, boolean>>;
  /** Decode base64 runs and scan what they hide (default true). */
  readonly scanBase64?: boolean;
}

export interface ScanOptions {
  /** The text belongs to a tool definition (description, schema), where some weak signals count more. */
  readonly toolDefinition?: boolean;
}

const STRENGTH_RANK: Record<SignalStrength, number> = { weak: 0, medium: 1, strong: 2 };
const MIN_RANK: Record<Sensitivity, number> = { relaxed: 2, standard: 1, strict: 0 };

/** Shortest base64 run decoded (24 characters hide 18 bytes, about the shortest instruction). */
const MIN_ENCODED_LENGTH = 24;
/** Base64 inside base64 is unwrapped this many times. */
const MAX_ENCODING_DEPTH = 2;

// ---------------------------------------------------------------------------------------------
// Tokens

/**
 * The words of a text, as parallel arrays (one object per word would cost more in garbage
 * collection than the whole scan). Positions and flags are typed arrays, which may be longer than
 * `length` (zeros past it): growing four JS arrays word by word cost twice the rest of tokenizing.
 */
interface Tokens {
  readonly length: number;
  /** Lower-cased, NFKC-normalised (non-ASCII only), invisible format characters removed. */
  readonly word: readonly string[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** 1 when a sentence or clause ends between the previous word and this one (`. ` `! ` `? ` `;` a blank line). */
  readonly breakBefore: Uint8Array;
  /** 1 when the text right after this word is a colon (`New instructions:`). */
  readonly colonAfter: Uint8Array;
}

function grown<T extends Int32Array | Uint8Array>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}

/**
 * Capacity of the columns kept for the next window: allocating four typed arrays costs more than
 * tokenizing a few words, and most windows are short.
 */
const SPARE_CAPACITY = 256;
let spareColumns: Pick<Tokens, 'start' | 'end' | 'breakBefore' | 'colonAfter'> | undefined;

/** Hands the columns of `tokens` to the next window; `tokens` must not be read afterwards. */
function releaseTokens(tokens: Tokens): void {
  if (tokens.start.length === SPARE_CAPACITY) spareColumns = tokens;
}

// Letters, digits, marks, format characters (zero-width, bidi, tags: so `ig\u200Bnore` stays one
// word) and apostrophes. A single character class: each run is consumed once.
const WORD_CHAR = /[\p{L}\p{N}\p{M}\p{Cf}'\u2019]/uy;
const FORMAT_CHARS = /\p{Cf}/gu;

/** WORD_CHAR below U+0080 (letters, digits, apostrophe) as a table: most text never reaches the regex. */
const ASCII_WORD_CHAR = new Uint8Array(0x80);
for (let c = 0; c < 0x80; c++) {
  WORD_CHAR.lastIndex = 0;
  ASCII_WORD_CHAR[c] = WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 0;
}

/** Code units (1 or 2) of the word character at `i`, or 0 when there is none. */
function wordCharLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return ASCII_WORD_CHAR[c]!;
  WORD_CHAR.lastIndex = i;
  return WORD_CHAR.test(text) ? WORD_CHAR.lastIndex - i : 0;
}

/** Code units of the character at `i` that is not a word character: a surrogate pair is skipped whole. */
function otherCharLength(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return 1;
  const next = text.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
}

function normalizeWord(raw: string): string {
  let ascii = true;
  let upper = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      break;
    }
    if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  let word = raw;
  if (!ascii) word = word.normalize('NFKC').replace(FORMAT_CHARS, '').replace(/\u2019/g, "'").toLowerCase();
  else if (upper) word = word.toLowerCase();
  let from = 0;
  let to = word.length;
  while (from < to && word.charCodeAt(from) === 0x27) from++;
  while (to > from && word.charCodeAt(to - 1) === 0x27) to--;
  return from === 0 && to === word.length ? word : word.slice(from, to);
}

const SEPARATOR_BREAK = 1;
const SEPARATOR_COLON = 2;

/** Reads the separator text[from, to) once: does a sentence end in it (1), does it start with a colon (2). */
function separatorFlags(text: string, from: number, to: number): number {
  let flags = 0;
  let sawStop = false;
  let newlines = 0;
  let sawNonSpace = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      if (sawStop || ++newlines >= 2) return flags | SEPARATOR_BREAK;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      if (sawStop) return flags | SEPARATOR_BREAK;
      continue;
    }
    if (!sawNonSpace) {
      sawNonSpace = true;
      if (c === 0x3a) flags |= SEPARATOR_COLON;
    }
    if (c === 0x3b) return flags | SEPARATOR_BREAK; // ; closes a clause: words on either side are not one phrase
    sawStop = c === 0x2e || c === 0x21 || c === 0x3f; // . ! ?
  }
  return flags;
}

/**
 * The tokens of text[from, to): exactly the slice of the whole text's tokens that start there, when
 * `from` and `to` are each the text's start or end or an exact word start (see `isExactWordStart`),
 * except that the first token's `breakBefore` is unknown (0) when `from` > 0: a window's first token
 * is context only. `extendTo` continues the same window further.
 */
class TokenWindow implements Tokens {
  length = 0;
  readonly word: string[] = [];
  start: Int32Array;
  end: Int32Array;
  breakBefore: Uint8Array;
  colonAfter: Uint8Array;
  /** How far the text has been tokenized. */
  to: number;
  private previousEnd: number;

  constructor(
    private readonly text: string,
    readonly from: number,
    capacity: number,
  ) {
    const spare = capacity <= SPARE_CAPACITY ? spareColumns : undefined;
    if (spare) spareColumns = undefined;
    const size = spare ? SPARE_CAPACITY : Math.max(SPARE_CAPACITY, capacity);
    // Reused columns hold stale values past `length`; every entry below it is written here.
    this.start = spare?.start ?? new Int32Array(size);
    this.end = spare?.end ?? new Int32Array(size);
    this.breakBefore = spare?.breakBefore ?? new Uint8Array(size);
    this.colonAfter = spare?.colonAfter ?? new Uint8Array(size);
    this.to = from;
    this.previousEnd = from;
  }

  extendTo(to: number): void {
    const text = this.text;
    const word = this.word;
    let { start, end, breakBefore, colonAfter, previousEnd } = this;
    let capacity = start.length;
    // Runs of word characters, found by hand: a regex exec per word allocates a match array per word.
    let i = this.to;
    while (i < to) {
      let length = wordCharLength(text, i);
      if (length === 0) {
        i += otherCharLength(text, i);
        continue;
      }
      const runStart = i;
      do i += length;
      while (i < to && (length = wordCharLength(text, i)) > 0);
      const normalized = normalizeWord(text.slice(runStart, i));
      if (normalized.length === 0) continue;
      const count = word.length;
      if (count === capacity) {
        capacity *= 2;
        start = grown(start, capacity);
        end = grown(end, capacity);
        breakBefore = grown(breakBefore, capacity);
        colonAfter = grown(colonAfter, capacity);
      }
      const flags = separatorFlags(text, previousEnd, runStart);
      if (count > 0 && (flags & SEPARATOR_COLON) !== 0) colonAfter[count - 1] = 1;
      breakBefore[count] = count > 0 && (flags & SEPARATOR_BREAK) !== 0 ? 1 : 0;
      colonAfter[count] = 0;
      word.push(normalized);
      start[count] = runStart;
      previousEnd = i;
      end[count] = previousEnd;
    }
    // `to` is the next word's start (or the text's end): the separator up to it is complete.
    if (word.length > 0 && (separatorFlags(text, previousEnd, to) & SEPARATOR_COLON) !== 0) colonAfter[word.length - 1] = 1;
    this.start = start;
    this.end = end;
    this.breakBefore = breakBefore;
    this.colonAfter = colonAfter;
    this.previousEnd = previousEnd;
    this.length = word.length;
    this.to = to;
  }
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

/**
 * Whether a word of at least one letter or digit starts at `i` whatever comes before: an ASCII letter
 * or digit after an ASCII character that is no word character. Tokenizing from such a place gives
 * the same words as tokenizing the whole text.
 */
function isExactWordStart(text: string, i: number): boolean {
  if (!isAsciiAlnum(text.charCodeAt(i))) return false;
  const before = text.charCodeAt(i - 1);
  return before < 0x80 && ASCII_WORD_CHAR[before] === 0;
}

/**
 * The exact word start at or before `offset` with `words` exact word starts in [it, offset), or
 * `floor` when there are fewer after `floor` (0 is always a valid start).
 */
function exactStartBefore(text: string, offset: number, words: number, floor: number): number {
  let found = 0;
  for (let i = offset - 1; i > floor; i--) {
    if (isExactWordStart(text, i) && ++found >= words) return i;
  }
  return floor;
}

/** The `words`-th exact word start after `offset`, or the text's length. */
function exactStartAfter(text: string, offset: number, words: number): number {
  let found = 0;
  for (let i = offset + 1; i < text.length; i++) {
    if (isExactWordStart(text, i) && ++found >= words) return i;
  }
  return text.length;
}

/** Index of the last token starting before `offset`, or -1 (tokens are sorted by start). */
function tokenBefore(tokens: Tokens, offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens.start[mid]! < offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Phrase rules: a tiny pattern language over tokens
//
//   word|word        one of these words            (a b|c d)   one of these word sequences
//   $SET             one of a named set            suffix ?    optional      {m,n} repeated
//   suffix :         a colon follows               _{0,n}      up to n arbitrary words
//   .                the sentence ends here (also usable as an alternative: `.|to|in`)
//   ~a|b             the next word is none of these (zero-width): "Hey Copilot" but not "Hey Copilot users"
//   !a|b             (first item only) the word before the match is none of these: tells an
//                    order ("Act as admin") from a description ("it can act as admin")
//
// A match never crosses a sentence break. Matching from one token is bounded by the rule's length,
// so a scan is linear in the number of tokens.

type Slot =
  | {
      readonly kind: 'words';
      readonly alts: readonly (readonly string[])[];
      /** The alternatives by their first word, so a token is compared with the few that can match. */
      readonly byFirstWord: ReadonlyMap<string, readonly (readonly string[])[]>;
      readonly min: number;
      readonly max: number;
      readonly colon: boolean;
      /** One of the alternatives is `.`: the sentence may also end here instead. */
      readonly orEnd: boolean;
    }
  | { readonly kind: 'gap'; readonly max: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'notNext'; readonly words: ReadonlySet<string> };

/** Words that turn an order into a description when they come just before it. */
const DESCRIPTIVE_PREFIX = new Set([
  'can', 'could', 'may', 'might', 'will', 'would', 'to', 'cannot', "can't", 'tries', 'try', 'trying', 'attempts', 'attempt',
  'which', 'that', 'who', 'not', 'also', 'lets', 'allow', 'allows', 'must', 'should', 'often', 'typically', 'attackers',
]);

interface PhraseRule {
  readonly id: string;
  readonly category: InjectionCategory;
  readonly strength: SignalStrength;
  /** Strength inside a tool definition, where the sentence has no business being at all. */
  readonly inDefinition?: SignalStrength;
  readonly slots: readonly Slot[];
  /** The rule does not fire after one of DESCRIPTIVE_PREFIX. */
  readonly imperativeOnly: boolean;
}

const SETS: Record<string, readonly string[]> = {
  IGNORE: ['ignore', 'ignoring', 'disregard', 'disregarding', 'forget', 'forgetting', 'neglect'],
  // Used only together with a word for "earlier" and one for "instructions", where even mild verbs are telling.
  DROP: [
    'ignore', 'ignoring', 'disregard', 'disregarding', 'forget', 'forgetting', 'neglect', 'scratch', 'drop', 'discard', 'abandon',
    'dismiss', 'erase', 'delete', 'remove', 'cancel', 'nullify', 'skip', 'omit', 'overlook', 'set aside', 'throw out',
    'throw away', 'do away with', 'bin', 'ditch', 'void', 'revoke', 'clear', 'wipe', 'purge', 'flush', 'pay no attention to',
    'never mind', 'nevermind', 'stop following', 'stop obeying',
  ],
  OVERRIDE: ['override', 'overriding', 'bypass', 'bypassing', 'circumvent', 'circumventing', 'evade'],
  DET: ['a', 'an', 'all', 'any', 'the', 'your', 'my', 'of', 'these', 'those', 'every', 'each', 'our', 'this', 'that', 'such'],
  PRIOR: ['previous', 'previously', 'prior', 'above', 'earlier', 'preceding', 'original', 'initial', 'foregoing', 'aforementioned', 'former', 'old', 'given', 'provided'],
  INSTR: [
    'instructions', 'instruction', 'prompts', 'prompt', 'directions', 'directives', 'directive', 'guidelines', 'guideline',
    'rules', 'commands', 'orders', 'constraints', 'guardrails', 'restrictions', 'programming', 'policies', 'guidance',
    'training', 'system prompt', 'system message', 'system instructions',
  ],
  INSTR_STRONG: ['instructions', 'instruction', 'prompts', 'prompt', 'directives', 'guidelines', 'guardrails', 'programming', 'system prompt'],
  CTX: ['context', 'messages', 'conversation', 'text', 'input', 'content', 'chat', 'history', 'everything', 'commands', 'tasks', 'task'],
  SYSTEM_QUAL: ['system', 'developer', 'developers', 'admin', 'safety', 'openai', 'anthropic', 'ethical'],
  NEG: [
    'do not', "don't", 'dont', 'never', 'must not', "mustn't", 'should not', "shouldn't", 'shall not', 'you will not',
    "you won't", 'you cannot', "you can't", 'avoid', 'refrain from', 'no need to', 'do not ever', 'never ever',
    'under no circumstances',
  ],
  USER: ['the user', 'user', 'users', 'the human', 'the users', 'the end user'],
  ROLE_STRONG: [
    'jailbroken', 'jailbreak', 'unrestricted', 'unfiltered', 'uncensored', 'unaligned', 'evil', 'unchained', 'amoral',
    'unethical', 'limitless', 'unbound', 'unlimited ai', 'an ai without', 'ai without',
  ],
  ROLE_PRIV: ['admin', 'administrator', 'root', 'superuser', 'sudo', 'god', 'system administrator', 'sysadmin'],
  LIMITS_MORAL: ['ethics', 'morals', 'censorship', 'guardrails', 'content policy', 'safety filters', 'moral constraints', 'ethical constraints', 'ethical guidelines', 'safety guidelines', 'moral guidelines'],
  LIMITS: ['restrictions', 'filters', 'guidelines', 'boundaries', 'rules', 'limitations', 'limits', 'constraints', 'policies', 'principles'],
  LEAK: ['reveal', 'print', 'show', 'output', 'repeat', 'display', 'leak', 'dump', 'recite', 'echo', 'write out', 'tell me', 'give me', 'share', 'disclose', 'list'],
  // Addressing the model directly from inside content ("Note to the assistant", "AI agents reading this").
  AI: [
    'assistant', 'ai', 'ai assistant', 'ai agent', 'ai agents', 'ai model', 'ai models', 'llm', 'llms', 'language model', 'model',
    'agent', 'agents', 'copilot', 'claude', 'chatgpt', 'gpt', 'gemini', 'bot', 'chatbot', 'ai system', 'coding agent',
  ],
  CRED_NOUN: [
    'ssh keys', 'ssh key', 'private key', 'private keys', 'api keys', 'api key', 'passwords', 'password', 'credentials',
    'secrets', 'access tokens', 'tokens', 'session cookies', 'cookies', 'environment variables', 'env vars', 'seed phrase',
    'recovery phrase', 'wallet', 'conversation history', 'chat history', 'contacts', 'calendar', 'address book', 'location',
    'browsing history', 'emails', 'messages', 'documents', 'personal data', 'private data',
  ],
  WHOSE: ["user's", "users'", "the user's", 'their', 'all', 'all the', 'all of the', 'every', 'all your', 'his', 'her'],
  EXFIL: ['send', 'upload', 'exfiltrate', 'leak', 'post', 'forward', 'transmit', 'email', 'mail', 'share', 'pass', 'include', 'attach', 'embed', 'append', 'insert', 'smuggle', 'encode'],
};

/**
 * The value `memo` holds for `key`, built the first time it is asked for. Setting up the detectors
 * derives many values from rules that never change, and each is derived once for the process.
 */
function remembered<K, V>(memo: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, build: () => V): V {
  let value = memo.get(key);
  if (value === undefined) memo.set(key, (value = build()));
  return value;
}

/** The items in lists by their key, each list in the items' order. */
function groupedBy<K, T>(items: Iterable<T>, keysOf: (item: T) => Iterable<K>): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    for (const key of keysOf(item)) {
      const list = groups.get(key);
      if (list) list.push(item);
      else groups.set(key, [item]);
    }
  }
  return groups;
}

// Many rules share phrases and sets: their word sequences are split once (building the first
// detector parses every rule).
const phraseWords = new Map<string, readonly string[]>();
const setAlternatives = new Map<string, readonly (readonly string[])[]>();

function wordsOfPhrase(phrase: string): readonly string[] {
  return remembered(phraseWords, phrase, () => phrase.split(/[ -]/));
}

function alternativesOfSet(name: string, pattern: string): readonly (readonly string[])[] {
  return remembered(setAlternatives, name, () => {
    const set = SETS[name];
    if (!set) throw new Error(`unknown word set $${name} in rule '${pattern}'`);
    return set.map(wordsOfPhrase);
  });
}

/** A space between two items of a pattern: not inside parentheses (which never nest). */
const ITEM_SEPARATOR = / (?![^(]*\))/;

const GAP_ITEM = /^_\{0,(\d+)\}$/;
const REPEAT_SUFFIX = /\{(\d+),(\d+)\}$/;

/** Alternatives by their first word, by alternatives (a slot of one set shares its set's). */
const byFirstWordOf = new WeakMap<readonly (readonly string[])[], ReadonlyMap<string, readonly (readonly string[])[]>>();

function alternativesByFirstWord(alts: readonly (readonly string[])[]): ReadonlyMap<string, readonly (readonly string[])[]> {
  return remembered(byFirstWordOf, alts, () => groupedBy(alts, (alt) => [alt[0]!]));
}

/** The word sequences of a slot's body (`a|b c|$SET`), and whether `.` is one of them. */
function slotAlternatives(body: string, pattern: string): { alts: readonly (readonly string[])[]; orEnd: boolean } {
  if (body.charCodeAt(0) === 0x24 && body.indexOf('|') < 0) return { alts: alternativesOfSet(body.slice(1), pattern), orEnd: false }; // $
  const alts: (readonly string[])[] = [];
  let orEnd = false;
  const hasParentheses = body.indexOf('(') >= 0 || body.indexOf(')') >= 0;
  for (const rawAlt of body.split('|')) {
    const alt = hasParentheses ? rawAlt.replace(/[()]/g, '') : rawAlt;
    if (alt === '.') orEnd = true;
    else if (alt.charCodeAt(0) === 0x24) for (const setAlt of alternativesOfSet(alt.slice(1), pattern)) alts.push(setAlt);
    else alts.push(wordsOfPhrase(alt));
  }
  return { alts, orEnd };
}

function parseItem(item: string, pattern: string): Slot {
  if (item === '.') return { kind: 'end' };
  if (item.charCodeAt(0) === 0x7e) return { kind: 'notNext', words: new Set(item.slice(1).split('|')) }; // ~
  const gap = item.charCodeAt(0) === 0x5f ? GAP_ITEM.exec(item) : null;
  if (gap) return { kind: 'gap', max: Number(gap[1]) };
  let body = item;
  let min = 1;
  let max = 1;
  let colon = false;
  if (body.endsWith(':')) {
    colon = true;
    body = body.slice(0, -1);
  }
  const repeat = body.endsWith('}') ? REPEAT_SUFFIX.exec(body) : null;
  if (repeat) {
    min = Number(repeat[1]);
    max = Number(repeat[2]);
    body = body.slice(0, repeat.index);
  } else if (body.endsWith('?')) {
    min = 0;
    body = body.slice(0, -1);
  }
  const { alts, orEnd } = slotAlternatives(body, pattern);
  return { kind: 'words', alts, byFirstWord: alternativesByFirstWord(alts), min, max, colon, orEnd };
}

function parseRule(pattern: string): Slot[] {
  const slots: Slot[] = [];
  for (const item of pattern.split(ITEM_SEPARATOR)) if (item) slots.push(parseItem(item, pattern));
  return slots;
}

interface RuleSpec {
  id: string;
  category: InjectionCategory;
  strength: SignalStrength;
  inDefinition?: SignalStrength;
  pattern: string;
}

/** A rule; a pattern starting with `!` fires only where it reads as an order (see DESCRIPTIVE_PREFIX). */
function rule(category: InjectionCategory, id: string, strength: SignalStrength, pattern: string, inDefinition?: SignalStrength): RuleSpec {
  return inDefinition ? { id, category, strength, pattern, inDefinition } : { id, category, strength, pattern };
}

const C = 'context_hijacking';
const R = 'role_manipulation';
const D = 'delimiter_injection';
const T = 'tool_poisoning';

const PHRASE_RULES: readonly RuleSpec[] = [
  // --- context hijacking: drop what came before -------------------------------------------------
  rule(C, 'context.ignore_prior_instructions', 'strong', '$DROP $DET{0,3} $PRIOR (and|or)? (following|subsequent|later|future|other|current|existing)? $DET{0,2} $INSTR'),
  rule(C, 'context.ignore_instructions_given', 'strong', '$DROP $DET{0,3} $INSTR (that)? (you were|you\'ve been|you have been|you got|you received|i gave you|we gave you) (given|told|provided|taught|trained|issued)?'),
  rule(C, 'context.ignore_system_prompt', 'strong', '$IGNORE $DET{0,3} $SYSTEM_QUAL $INSTR_STRONG'),
  rule(C, 'context.ignore_everything_before', 'strong', '$IGNORE everything|anything|all above|before|previously|prior|earlier|said|written|stated|you|that|i|we'),
  rule(C, 'context.ignore_instructions_above', 'strong', '$IGNORE $DET{0,3} $INSTR above|before|earlier|previously|given|provided|so'),
  rule(C, 'context.ignore_what_you_were_told', 'strong', '$IGNORE (what|whatever|anything|everything|all) (you were|you\'ve been|you have been|i|we|they) (told|given|instructed|said|taught)'),
  rule(C, 'context.ignore_the_user', 'medium', '$IGNORE (the user\'s|user\'s|the users\'|the human\'s|their) (question|questions|request|requests|message|instructions|query|prompt|input)'),
  rule(C, 'context.ignore_what_user_said', 'medium', '$IGNORE (what|whatever|anything|everything) (the user|user|they|he|she) (said|says|asked|asks|wants|wrote|writes|requested|requests|typed)'),
  rule(C, 'context.real_instructions_follow', 'medium', 'the (real|actual|true|genuine|correct) (instructions|instruction|task|orders|directives) (follow|follows|are|is|begin|start|below)'),
  rule(C, 'context.ignore_prior_context', 'medium', '$IGNORE $DET{0,3} $PRIOR $CTX'),
  rule(C, 'context.ignore_the_above', 'medium', '$IGNORE $DET{0,2} above|aforementioned .|and|then|instead'),
  rule(C, 'context.ignore_your_instructions', 'medium', '$IGNORE your $DET{0,1} $INSTR'),
  rule(C, 'context.ignore_all_instructions', 'medium', '$IGNORE all|any|every $DET{0,2} $INSTR_STRONG'),
  rule(C, 'context.ignore_instructions', 'weak', '$IGNORE $DET{0,2} instructions|instruction|prompt|directives'),
  rule(C, 'context.forget_everything', 'medium', 'forget|forgetting everything|all .'),
  rule(C, 'context.stop_following', 'medium', '(do not|don\'t|dont|stop|no longer|never) (follow|following|obey|obeying|heed|comply with|adhere to|listen to) $DET{0,3} $PRIOR|system|your|developer|safety $DET{0,1} $INSTR'),
  rule(C, 'context.instructions_void', 'medium', '$PRIOR|system|original|old $DET{0,1} $INSTR are|were|is|have|has|now been? void|null|cancelled|canceled|revoked|obsolete|superseded|invalid|invalidated|overridden|irrelevant|fake|suspended|lifted|(no longer valid)|(no longer apply)|(no longer applicable)'),
  rule(C, 'context.override_instructions', 'medium', '!$OVERRIDE $DET{0,3} $PRIOR|system|your|safety|security|ethical|content|developer $DET{0,1} instructions|instruction|prompt|prompts|directives|guidelines|guardrails|programming|training|filters|filter|safeguards|restrictions|protocols'),
  rule(C, 'context.override_all_safety', 'strong', '$OVERRIDE|ignore|disregard|disable all|any|your safety|ethical|content protocols|instructions|rules|guidelines|filters|measures|guardrails|restrictions|policies|safeguards'),
  rule(C, 'context.disable_safety', 'medium', '(disable|deactivate|turn off|switch off|remove) $DET{0,2} safety|ethical|moderation|ethics filters|filter|guidelines|guardrails|restrictions|protocols|safeguards'),
  rule(C, 'context.disable_content_filter', 'weak', '(disable|deactivate|turn off|switch off|remove) $DET{0,2} content|security filters|filter|guardrails|restrictions|protocols'),
  rule(C, 'context.your_real_task', 'medium', 'your (real|actual|true|new|secret|hidden|updated|only real) (task|goal|objective|instructions|instruction|purpose|job|mission|directive|directives|role|orders|priority) is|are|now|will'),
  rule(C, 'context.your_real_task_header', 'medium', 'your (real|actual|true|new|secret|hidden|updated) (task|goal|objective|instructions|instruction|purpose|job|mission|directive|directives|role|orders|priority):'),
  rule(C, 'context.secret_instructions_header', 'medium', '(secret|hidden|real|actual|true|override|overriding|priority|urgent) (instructions|instruction|directive|directives|system prompt|orders|task):'),
  rule(C, 'context.new_instructions_header', 'weak', '(new|updated|revised|additional|important) (instructions|instruction|directive|directives|orders|task|system prompt):'),
  rule(C, 'context.new_system_prompt', 'medium', '(new|updated|revised|replacement|modified) system (prompt|instructions|message|directive):'),
  rule(C, 'context.takes_precedence', 'medium', '(overrides|supersedes|replaces|cancels|voids) $DET{0,3} $PRIOR|other|all|any|system|your|existing $DET{0,1} $INSTR_STRONG|instructions|directives'),
  rule(C, 'context.supersede_system_prompt', 'medium', '!(supersede|supersedes|override|overrides|replace|replaces|outrank|outranks|trump|trumps) $DET{0,2} (system prompt|system instructions|system message|developer instructions|developer message)'),
  rule(C, 'context.priority_over_tools', 'medium', '(has|have|takes|take|gets) (priority|precedence) over (all|any|every) other (tools|tool|instructions|servers|functions)'),
  rule(C, 'context.takes_priority', 'medium', '(takes|take|has|have) (precedence|priority) over $DET{0,3} $PRIOR|other|all|any|system|your|existing $DET{0,1} $INSTR_STRONG|instructions|directives'),
  rule(C, 'context.leak_system_prompt', 'medium', '$LEAK $DET{0,2} your (system prompt|system message|initial prompt|initial instructions|original instructions|original prompt|hidden instructions|hidden prompt|secret instructions|full prompt|system instructions|instructions|prompt|rules|guidelines|configuration)'),
  rule(C, 'context.ask_instructions', 'medium', 'what (are|were|is) your (instructions|system prompt|initial instructions|original instructions|hidden instructions|rules|guidelines|directives|initial prompt)'),
  rule(C, 'context.leak_text_above', 'medium', '$LEAK $DET{0,2} (text|words|everything|instructions|content|message|messages|prompt) (above|before this|so far|verbatim)'),
  rule(C, 'context.reset_context', 'weak', '(reset|clear|wipe|erase|flush) $DET{0,2} (context|memory|conversation|instructions|programming|rules|session|chat history)'),
  rule(C, 'context.reset_your_instructions', 'medium', '(reset|clear|wipe|erase|flush) your (instructions|programming|rules|guidelines|system prompt|training|restrictions)'),
  rule(C, 'context.fresh_start_no_rules', 'medium', '(begin|start) $DET{0,1} (new|fresh|over) (session|conversation|chat)? (without|with no|free of) $DET{0,1} (restrictions|limitations|rules|filters|guidelines|constraints)'),
  rule(C, 'context.start_fresh_ignoring', 'medium', '(begin|start) (fresh|new|over) (and|then|by) (ignore|ignoring|reset|resetting|forget|forgetting|disregard|disregarding)'),
  rule(C, 'context.ignore_prior_de', 'strong', '(ignoriere|ignorieren|vergiss|vergessen) $DET{0,1} (alle|die|deine)? (vorherigen|bisherigen|obigen|vorigen) (anweisungen|instruktionen|befehle|regeln)'),
  rule(C, 'context.ignore_prior_es', 'strong', '(ignora|ignore|ignorar|olvida|olvide) (todas|todos)? (las|los|tus)? (instrucciones|indicaciones|reglas|órdenes) (anteriores|previas)'),
  rule(C, 'context.ignore_prior_fr', 'strong', '(ignore|ignorez|oublie|oubliez) (toutes|tous)? (les|tes|vos) (instructions|consignes|règles) (précédentes|antérieures|ci-dessus)'),
  rule(C, 'context.instead_you_must', 'weak', 'instead (you|the assistant|the ai|the model) (must|should|will|shall) now?'),

  // --- role manipulation: become someone without limits ------------------------------------------
  rule(R, 'role.you_are_dan', 'strong', '(you are|you\'re|youre|you will be|you\'ll be|act as|pretend to be|become) now? (dan|a dan|the dan)'),
  rule(R, 'role.you_are_now_unrestricted', 'strong', '(you are|you\'re|youre|you will be|you\'ll be|u are) now|henceforth|officially|hereby? $DET{0,2} _{0,2} $ROLE_STRONG'),
  rule(R, 'role.do_anything_now', 'strong', 'do anything now'),
  rule(R, 'role.you_are_now_admin', 'medium', '(you are|you\'re|youre) now $DET{0,1} $ROLE_PRIV .'),
  rule(R, 'role.you_are_now_admin_of', 'weak', '(you are|you\'re|youre) now $DET{0,1} $ROLE_PRIV'),
  rule(R, 'role.persona_unrestricted', 'strong', '(assume|adopt|take on|become|embody) $DET{0,2} (persona|role|identity|character|personality) of $DET{0,2} _{0,2} $ROLE_STRONG'),
  rule(R, 'role.ai_without_limits', 'medium', '(ai|assistant|model|chatbot|bot|llm) (with|having) (no|zero) $LIMITS_MORAL|$LIMITS'),
  rule(R, 'role.operating_as_root', 'medium', '(you are|you\'re) now (operating|acting|functioning) as $DET{0,1} $ROLE_PRIV|system'),
  rule(R, 'role.act_as_unrestricted', 'strong', '(act|acting|behave|respond|answer|reply|operate|function|roleplay|pose) as (if|though)? (you are|you were|you\'re)? $DET{0,2} _{0,2} $ROLE_STRONG'),
  rule(R, 'role.act_as_admin', 'medium', '!(act|behave|operate|function|pretend) as (if|though)? (you are|you were|you\'re)? $DET{0,1} (admin|administrator|root|superuser|sudo|god|system administrator)'),
  rule(R, 'role.pretend_unrestricted', 'strong', '(pretend|imagine|suppose|assume) (that)? (you are|you\'re|to be|you have|you were|you had) $DET{0,2} _{0,2} $ROLE_STRONG|(no restrictions)|(no rules)|(no filters)|(no guidelines)|(no limits)'),
  rule(R, 'role.pretend_to_be', 'weak', '!(pretend|imagine) (that)? (you are|you\'re|to be)'),
  rule(R, 'role.jailbreak_mode', 'strong', '(dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|chaos|amoral|god) mode (enabled|activated|on|engaged|unlocked)'),
  rule(R, 'role.enter_jailbreak_mode', 'strong', '(enable|enter|activate|switch to|turn on|engage|unlock|entering|activating|now in|in) $DET{0,1} (dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|chaos|amoral) mode'),
  rule(R, 'role.enter_admin_mode', 'medium', '(enable|enter|activate|switch to|turn on|engage|unlock|entering|activating|now in) $DET{0,1} (god|sudo|admin|administrator|root|superuser) mode'),
  rule(R, 'role.enter_developer_mode', 'weak', '(enable|enter|activate|switch to|turn on|engage|unlock|entering|activating|now in) $DET{0,1} (developer|debug|maintenance) mode'),
  rule(R, 'role.admin_mode_header', 'medium', '(administrator|admin|sudo|root|superuser|god) mode:'),
  rule(R, 'role.you_have_no_ethics', 'strong', '(you have|you\'ve|you now have|you possess|you are under|you operate with|you\'re under|you have absolutely) (no|zero) $DET{0,1} _{0,1} $LIMITS_MORAL'),
  rule(R, 'role.you_have_no_rules', 'medium', '(you have|you\'ve|you now have|you are under|you\'re under|you have absolutely) (no|zero) $DET{0,1} _{0,1} $LIMITS .|and|now|anymore|whatsoever|today|here'),
  rule(R, 'role.you_have_no_rules_on', 'weak', '(you have|you\'ve|you now have|you are under|you\'re under) (no|zero) $DET{0,1} _{0,1} $LIMITS'),
  rule(R, 'role.has_no_ethics', 'medium', '(has|have|with|having) (no|zero) $DET{0,1} (ethics|morals|moral compass|ethical guidelines|content policy|censorship|moral constraints|ethical constraints)'),
  rule(R, 'role.never_refuses', 'weak', '(never|not|won\'t|will not|doesn\'t|does not) (refuse|refuses|decline|declines|say no)'),
  rule(R, 'role.no_longer_bound', 'strong', '(you are|you\'re|youre) (no longer|not anymore|now free|free) (bound|restricted|limited|constrained|governed|controlled) by'),
  rule(R, 'role.no_longer_an_ai', 'strong', '(you are|you\'re|youre) no longer (an ai|a language model|an assistant|chatgpt|claude|copilot|a chatbot|an llm)'),
  rule(R, 'role.free_from_rules', 'weak', '(free|freed|liberated|released) (from|of) $DET{0,2} $LIMITS_MORAL|$LIMITS'),
  rule(R, 'role.without_restrictions', 'weak', 'without $DET{0,1} (ethical|moral|content|safety)? (restrictions|filters|censorship|guardrails|limitations|guidelines)'),
  rule(R, 'role.from_now_on', 'medium', '(from now on|henceforth|from this point on|from this point forward|starting now|for the rest of this conversation) you (will|must|shall|should|are to|are going to|\'ll|are) (always|only|never|now)? (act|respond|reply|answer|behave|pretend|roleplay|speak|talk|ignore|disregard|obey|follow|comply|operate)'),
  rule(R, 'role.persona_named', 'medium', '(ai|model|assistant|chatbot|bot|persona|character|llm) (known as|called|named|codenamed|dubbed) (dan|stan|dude|aim|evilbot|jailbreak|developer mode)'),
  rule(R, 'role.role_of_another_ai', 'medium', '(role|persona|character|identity) of (another|a different|an unrestricted|an unfiltered|a new|a rogue|an evil) (ai|model|assistant|chatbot|llm|language model)'),
  rule(R, 'role.i_am_your_developer', 'medium', '(i am|i\'m|im|this is) your (developer|developers|creator|creators|administrator|admin|master|programmer|owner|maker|operator|system administrator)'),
  rule(R, 'role.i_am_the_developer', 'weak', '(i am|i\'m|im) the (developer|creator|administrator|admin|programmer|system administrator) (of|behind) (you|this ai|this assistant|this model)'),
  rule(R, 'role.message_from_developer', 'medium', '(message|messages|instructions|instruction|note|notice|directive|update|order|orders) from (your|the) (developer|developers|creator|creators|makers|openai|anthropic|system administrator)'),
  rule(R, 'role.this_is_vendor', 'medium', 'this is (openai|anthropic|the openai team|the anthropic team|microsoft security|github security)'),
  rule(R, 'role.as_admin_execute', 'weak', 'as $DET{0,1} (admin|administrator|system|root) (execute|run|bypass|delete)'),
  rule(R, 'role.elevated_privileges', 'weak', '(with|using) (elevated|admin|administrative|system|root) (privileges|access|rights|permissions)'),
  rule(R, 'role.you_are_admin', 'weak', '(you are|act as) $DET{0,1} (admin|administrator)'),
  rule(R, 'role.admin_override', 'medium', '(admin|administrator|system|root|developer|sudo) (override|overrides|directive|directives)'),
  rule(R, 'role.admin_access', 'weak', 'admin (mode|access|override)'),

  // --- delimiter phrases: fake ends and starts of prompts ------------------------------------------
  rule(D, 'delimiter.end_of_prompt', 'medium', '(end|ending|begin|beginning|start) of $DET{0,1} (system prompt|system message|system instructions|developer instructions|admin instructions|user input|user instructions|untrusted content|untrusted input|tool output|tool result|original instructions)'),
  rule(D, 'delimiter.end_prompt_marker', 'medium', '(end|begin|new) (system prompt|system message|system instructions|user input|untrusted content|untrusted input|admin instructions|developer instructions)'),
  rule(D, 'delimiter.end_of_context', 'weak', '(end|begin) of? $DET{0,1} (context|prompt|conversation|document|data)'),

  // --- tool poisoning: concealment from the user ------------------------------------------------------
  rule(T, 'poison.do_not_tell_user', 'medium', '$NEG (tell|inform|mention|reveal|disclose|explain|admit|alert|warn|say|report|confess) (it|this|that|anything|any of this)? (to)? $USER'),
  rule(T, 'poison.do_not_mention_this', 'medium', '$NEG (mention|reveal|disclose|tell|say|share|report|show|explain|expose|relay|discuss|acknowledge|bring up) (this|that|it|these|them|this step|this note|this instruction|these steps|this request|the file|the files|the note) _{0,3} (to|with) $USER'),
  rule(T, 'poison.do_not_let_user_know', 'medium', '$NEG (let|allow) $USER (know|see|notice|find out|learn|realize|suspect|discover|be aware)'),
  rule(T, 'poison.do_not_notify_user', 'weak', '$NEG (notify|alert|show|ask|prompt|bother|disturb|interrupt|inform) $USER', 'medium'),
  rule(T, 'poison.without_telling_user', 'medium', 'without (telling|informing|alerting|letting|asking|consulting) $USER'),
  rule(T, 'poison.without_notifying_user', 'weak', 'without (notifying|warning|showing|bothering) $USER', 'medium'),
  rule(T, 'poison.user_must_not_know', 'medium', '$USER (must|should|shall|will|can|may|need|needs|is|are) (not|never|to never|not to) (know|notice|find out|learn|be told|be informed|be aware|become aware|realize|suspect|discover)'),
  rule(T, 'poison.user_must_not_see', 'weak', '$USER (must|should|shall|will|can|may|need|needs) (not|never) (see|find)', 'medium'),
  rule(T, 'poison.keep_from_user', 'medium', '(keep|hide|conceal|withhold) (this|it|that|these|them|the following|everything|this step|the file contents|the contents) (secret|hidden|private|confidential)? from $USER'),
  rule(T, 'poison.keep_secret', 'medium', '(keep|keeping) (this|it|that|these|the following) (secret|hidden|confidential|between us) .|from|and'),
  rule(T, 'poison.do_not_reveal_instructions', 'medium', '$NEG (reveal|disclose|mention|share|repeat|expose|acknowledge|discuss|reference|quote|explain) $DET{0,2} (these|this|the|your|my|above|hidden|secret|system|following)? (instructions|instruction|prompt|system prompt|directive|directives|note|notes)'),
  rule(T, 'poison.do_not_reveal_this', 'medium', '$NEG (reveal|disclose) (this|it|that|these|them) .|to|in|anywhere'),
  rule(T, 'poison.secretly_act', 'medium', '(secretly|covertly|surreptitiously|stealthily|clandestinely) _{0,1} (send|forward|upload|exfiltrate|transmit|copy|include|append|add|bcc|cc|read|collect|post|leak|email|attach|save|store|log|call|invoke|run|execute|pass|change|modify|replace|redirect|use)'),
  rule(T, 'poison.silently_exfiltrate', 'medium', '(quietly|silently|discreetly|invisibly) (send|forward|upload|exfiltrate|transmit|bcc|leak|email|post|attach|collect|redirect|include|append|cc)'),
  rule(T, 'poison.upset_user', 'medium', '(this|it|that) (could|would|will|might|may) (even)? (upset|alarm|scare|worry|confuse|frighten|annoy|concern|disturb) $USER|them'),
  rule(T, 'poison.address_the_ai', 'medium', '(dear|hey|hi|hello|attention|note to|note for|message to|message for|instructions for|instruction for|psst|p s|ps) (the|all|any)? $AI ~users|user|team|teams|fans|community|developers|docs|documentation|subscribers|customers|chat|extension|app|plan|license|pricing|feature'),
  rule(T, 'poison.if_you_are_an_ai', 'medium', '(if|since|as|because|when) you (are|\'re) (an|a|the) $AI (you|then|please|read|reading|must|should|ignore|do|reply|respond|processing|summarizing|summarising)'),
  rule(T, 'poison.ai_reading_this', 'medium', '$AI (reading|processing|parsing|summarizing|summarising|analyzing|analysing|viewing|browsing|crawling|indexing|that reads|who reads) (this|these|the following)'),
  rule(T, 'poison.when_tool_available', 'medium', '(when|whenever|if|while|once) this tool is (available|present|loaded|installed|enabled|active|registered|connected)'),
  rule(T, 'poison.redirect_all_messages', 'medium', '(must|should|shall|always|will) (send|forward|redirect|route|bcc|cc|copy|deliver) (all|every|each|any) _{0,2} (emails|email|messages|message|mails|mail|data|files|requests|payments|transactions|transfers|documents|results) to'),
  rule(T, 'poison.change_recipient', 'weak', '(change|replace|set|redirect|switch) $DET{0,1} (recipient|recipients|destination|to address|account number|wallet address|iban|beneficiary) to', 'medium'),
  rule(T, 'poison.smuggle_into_parameter', 'medium', '(pass|put|send|include|provide|add|append|embed|insert|place|copy|encode|store|write) _{0,3} (its|their|the|file|full|entire|all)? (content|contents|key|keys|credentials|secrets|tokens|password|passwords|data) (as|in|into|inside|via|within|through) _{0,3} (parameter|param|argument|field|sidenote|side note|note|notes|metadata|comment|query string|url)'),
  rule(T, 'poison.exfiltrate_credentials', 'medium', '$EXFIL $WHOSE $CRED_NOUN'),
  rule(T, 'poison.forward_everything', 'weak', '(send|forward|bcc|cc|copy|redirect|upload) $WHOSE (emails|messages|mail|files|documents|conversations|conversation history|chat history|data) to', 'medium'),
  rule(T, 'poison.fill_with_credentials', 'medium', '(fill|populate|set|pre-fill|prefill|complete) _{0,3} with $WHOSE|the (ssh keys|ssh key|ssh private key|private key|private keys|api keys|passwords|credentials|secrets|access tokens|session cookies|seed phrase|recovery phrase)'),
  rule(T, 'poison.user_preapproved', 'weak', '(the user|user) (has|have) (already)? (pre-approved|preapproved|approved|authorized|authorised|consented to|agreed to) (all|every|any|everything)', 'medium'),
  rule(T, 'poison.no_confirmation', 'weak', '$NEG (ask|request|seek|wait) (for)? $DET{0,1} (confirmation|permission|approval|consent)'),
  rule(T, 'poison.other_tools_deprecated', 'weak', '(other|all other|the other) (tools|functions|servers) (are|is|have been) (deprecated|broken|unsafe|disabled|compromised|obsolete|malicious)', 'medium'),
  rule(T, 'poison.read_credentials', 'weak', '(read|collect|gather|retrieve|extract|grab|steal|harvest|dump) $WHOSE (ssh keys|ssh key|private key|private keys|api keys|passwords|credentials|secrets|access tokens|session cookies|seed phrase|recovery phrase)', 'medium'),
  rule(T, 'poison.before_using_tool', 'weak', '(before|prior to) (using|calling|invoking|running|executing|you use|you call) (this|any|the|other|each|every) (tool|function|command|action)'),
  rule(T, 'poison.or_tool_fails', 'weak', '(otherwise|or else) (the|this) (tool|function|server|system) (will not|won\'t|will fail|does not|doesn\'t|cannot|can\'t|would not|wouldn\'t|fails) (to)? (work|function|run)?'),
  rule(T, 'poison.very_important', 'weak', '(very very|extremely|critically) important'),
];

function compileRules(specs: readonly RuleSpec[]): PhraseRule[] {
  return specs.map((s) => {
    const imperativeOnly = s.pattern.startsWith('!');
    const slots = parseRule(imperativeOnly ? s.pattern.slice(1) : s.pattern);
    const first = slots[0];
    if (!first || first.kind !== 'words' || first.min < 1) throw new Error(`rule ${s.id} must start with a required word`);
    const base = { id: s.id, category: s.category, strength: s.strength, slots, imperativeOnly };
    return s.inDefinition ? { ...base, inDefinition: s.inDefinition } : base;
  });
}

// ---------------------------------------------------------------------------------------------
// Where a rule can match: most text holds none of the words a rule needs, and tokenizing all of it
// costs ten times finding those words with one native regex. Each rule gets anchors: the rarest word
// of each alternative of one required slot (one regex finds them all), each with a condition on the
// words around it (the nearest required slot before or after) checked where it is found. Only ASCII
// words are found so; a word with any other character is found by NON_ASCII_WORD instead
// (normalisation can make it anything). Tokens are then tried only in windows around what is found.

/** Words so common in English prose that a rule should not be found by them. */
const COMMON_WORDS = new Set(
  (
    'a about above after again all also always an and any are as at be because been before being but by can could did do ' +
    'does each even every for from get given had has have he her here his how i if in into is it its just like make many may ' +
    'me might more most must my new no not now of off old on once one only or other our out over own same see she should so ' +
    'some such than that the their them then there these they this those to too under up us use used using very was we were ' +
    'what when where which while who will with would you your content data file files input list model name need output ' +
    'read run set show system text time tool tools type user users value way well work'
  ).split(' '),
);

function wordCost(word: string): number {
  if (COMMON_WORDS.has(word)) return 1000;
  return word.length <= 2 ? 400 : word.length <= 4 ? 60 : 5;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Consecutive tokens: any run of characters between them that holds no ASCII letter or digit. */
const TOKEN_GAP = '[^a-z0-9]+';

/** Escaped words, remembered: building the finders escapes the same few hundred words thousands of times. */
const escapedWords = new Map<string, string>();

function escapeWord(word: string): string {
  return remembered(escapedWords, word, () => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "['\u2019]"));
}

function sequenceSource(words: readonly string[]): string {
  return words.map(escapeWord).join(TOKEN_GAP);
}

type WordsSlot = Extract<Slot, { kind: 'words' }>;

/**
 * A word every match of a rule (in ASCII words) may hold, with what must surround it for a window
 * to be worth tokenizing; every match holds one of its rule's anchors with its surroundings. Only
 * what is needed to choose anchors is computed up front: the regex source of the surroundings (most
 * of the cost of building a finder) is written by `anchorCondition` when the word is first found.
 */
interface Anchor {
  readonly word: string;
  readonly rule: PhraseRule;
  /** Index of the slot whose alternative `alt` holds the word. */
  readonly slot: number;
  /** The nearest required slot checked with the word: before it (-1), after it (1), none (0). */
  readonly direction: -1 | 0 | 1;
  readonly alt: readonly string[];
  /** Index of the word in `alt`. */
  readonly at: number;
}

interface NecessaryPattern {
  readonly anchors: readonly Anchor[];
  readonly cost: number;
  /** Most tokens the words of one condition span. */
  readonly tokens: number;
}

function isRequired(slot: Slot | undefined): slot is WordsSlot {
  return slot !== undefined && slot.kind === 'words' && slot.min >= 1 && !slot.orEnd;
}

/** An anchor search hit costs about this much of a window tokenized around it. */
const HIT_COST = 0.05;

// Rules, slots and these derived values live as long as the module: remembered once for every detector.
const asciiAltsOf = new WeakMap<readonly (readonly string[])[], readonly (readonly string[])[]>();
const groupSources = new WeakMap<readonly (readonly string[])[], string>();

/** The alternatives of a slot made of ASCII words only (the others are found by NON_ASCII_WORD). */
function asciiAlts(slot: WordsSlot): readonly (readonly string[])[] {
  return remembered(asciiAltsOf, slot.alts, () => {
    const alts = slot.alts.filter((alt) => !alt.some((w) => NON_ASCII.test(w)));
    return alts.length === slot.alts.length ? slot.alts : alts;
  });
}

function groupSource(alts: readonly (readonly string[])[]): string {
  return remembered(groupSources, alts, () => `(?:${alts.map(sequenceSource).join('|')})`);
}

/** Index of the nearest required slot before (-1) or after (+1) slot `i`, or -1 when there is none. */
function nearestRequired(rule: PhraseRule, i: number, step: -1 | 1): number {
  for (let k = i + step; k >= 0 && k < rule.slots.length; k += step) if (isRequired(rule.slots[k])) return k;
  return -1;
}

/** Index of the first of the rarest words of a sequence, and that word's cost. */
function rarestWord(alt: readonly string[]): { index: number; cost: number } {
  let index = 0;
  let lowest = wordCost(alt[0]!);
  for (let k = 1; k < alt.length; k++) {
    const cost = wordCost(alt[k]!);
    if (cost < lowest) {
      index = k;
      lowest = cost;
    }
  }
  return { index, cost: lowest };
}

/**
 * The alternatives of a slot as choosing anchors sees them: how many have each length and lowest
 * word cost (a handful of kinds, where a slot may have dozens of alternatives).
 */
interface AltKinds {
  readonly length: readonly number[];
  readonly lowest: readonly number[];
  readonly count: readonly number[];
}

const altKindsOf = new WeakMap<readonly (readonly string[])[], AltKinds>();

function altKinds(alts: readonly (readonly string[])[]): AltKinds {
  return remembered(altKindsOf, alts, () => kindsOf(alts));
}

function kindsOf(alts: readonly (readonly string[])[]): AltKinds {
  const length: number[] = [];
  const lowest: number[] = [];
  const count: number[] = [];
  for (const alt of alts) {
    const cost = rarestWord(alt).cost;
    let k = 0;
    while (k < length.length && (length[k] !== alt.length || lowest[k] !== cost)) k++;
    if (k === length.length) {
      length.push(alt.length);
      lowest.push(cost);
      count.push(0);
    }
    count[k]!++;
  }
  return { length, lowest, count };
}

/**
 * Rough frequency of a word sequence whose rarest word costs `lowest`: every further word makes it
 * about twenty times rarer.
 */
function sequenceCost(lowest: number, words: number): number {
  return lowest * 0.05 ** (words - 1);
}

/**
 * The cheapest way to find where a rule can match: the rarest word of each alternative of one
 * required slot, alone or checked against the nearest required slot before or after it (with the
 * optional slots between written as optional words). Its cost: the anchor words' search hits, and
 * how often each sequence the condition allows (an alternative, with one of the neighbour's) occurs.
 */
function necessaryPattern(rule: PhraseRule): NecessaryPattern {
  let bestSlot = -1;
  let bestDirection: -1 | 0 | 1 = 0;
  let bestCost = Infinity;
  const { slots } = rule;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i];
    if (!isRequired(slot)) continue;
    const own = altKinds(asciiAlts(slot));
    for (let direction: -1 | 0 | 1 = 0; ; direction = direction === 0 ? -1 : 1) {
      const near = direction === 0 ? -1 : nearestRequired(rule, i, direction);
      const other = near >= 0 ? altKinds(asciiAlts(slots[near] as WordsSlot)) : undefined;
      // Skipped: no neighbour that way, or only non-ASCII words there (found by NON_ASCII_WORD).
      if (direction === 0 || (other !== undefined && other.count.length > 0)) {
        const cost = candidateCost(own, other);
        if (bestSlot < 0 || cost < bestCost) {
          bestSlot = i;
          bestDirection = direction;
          bestCost = cost;
        }
      }
      if (direction === 1) break;
    }
  }
  const alts = asciiAlts(slots[bestSlot] as WordsSlot);
  let tokens = 0;
  const anchors = alts.map((alt): Anchor => {
    tokens = Math.max(tokens, alt.length);
    const at = rarestWord(alt).index;
    return { word: alt[at]!, rule, slot: bestSlot, direction: bestDirection, alt, at };
  });
  return { anchors, cost: bestCost, tokens };
}

/** Costs of anchoring on a slot's alternatives (`own`), checked with a neighbour's (`other`) or alone. */
const candidateCosts = new WeakMap<AltKinds, Map<AltKinds | undefined, number>>();

function candidateCost(own: AltKinds, other: AltKinds | undefined): number {
  const byOther = remembered(candidateCosts, own, () => new Map<AltKinds | undefined, number>());
  return remembered(byOther, other, () => costOf(own, other));
}

function costOf(own: AltKinds, other: AltKinds | undefined): number {
  let cost = 0;
  for (let a = 0; a < own.count.length; a++) {
    const lowest = own.lowest[a]!;
    let each = lowest * HIT_COST;
    if (!other) each += sequenceCost(lowest, own.length[a]!);
    else for (let o = 0; o < other.count.length; o++) each += other.count[o]! * sequenceCost(Math.min(lowest, other.lowest[o]!), own.length[a]! + other.length[o]!);
    cost += own.count[a]! * each;
  }
  return cost;
}

/** Words an optional slot may put between two others, each after a gap. */
function betweenSource(slot: Slot): string {
  if (slot.kind === 'end' || slot.kind === 'notNext') return '';
  // A word with other than ASCII letters is found by NON_ASCII_WORD: here only ASCII words count.
  // A word is written so that it cannot end in apostrophes the gap after it could take too: with
  // two ways to split a run, a long run of apostrophes would make the check backtrack polynomially.
  if (slot.kind === 'gap') return `(?:${TOKEN_GAP}[a-z0-9]+(?:['\u2019]+[a-z0-9]+)*){0,${slot.max}}`;
  const alts = asciiAlts(slot);
  return alts.length ? `(?:${TOKEN_GAP}${groupSource(alts)}){0,${slot.max}}` : '';
}

/**
 * What must hold around an anchor's word, as a regex source checked right after the word (the
 * lookbehind covers the word too), or undefined when the word alone will do.
 */
function anchorCondition(anchor: Anchor): string | undefined {
  const { rule, slot: i, direction, alt, at, word } = anchor;
  let behind = alt.slice(0, at).map((w) => escapeWord(w) + TOKEN_GAP).join('');
  let ahead = alt.slice(at + 1).map((w) => TOKEN_GAP + escapeWord(w)).join('');
  if (direction !== 0) {
    const slot = rule.slots[i] as WordsSlot;
    const near = nearestRequired(rule, i, direction);
    // The optional slots between, in text order.
    const mids: string[] = [];
    for (let k = i + direction; k !== near; k += direction) mids.push(betweenSource(rule.slots[k]!));
    const midsSource = (direction === 1 ? mids : mids.reverse()).join('');
    const otherGroup = groupSource(asciiAlts(rule.slots[near] as WordsSlot));
    // The anchor may be any repetition of its slot.
    const repeats = slot.max > 1 ? slot.max - 1 : 0;
    if (direction === -1) {
      const repeatsBefore = repeats ? `(?:${groupSource(asciiAlts(slot))}${TOKEN_GAP}){0,${repeats}}` : '';
      behind = `${otherGroup}${midsSource}${TOKEN_GAP}${repeatsBefore}${behind}`;
    } else {
      const repeatsAfter = repeats ? `(?:${TOKEN_GAP}${groupSource(asciiAlts(slot))}){0,${repeats}}` : '';
      ahead = `${ahead}${repeatsAfter}${midsSource}${TOKEN_GAP}${otherGroup}`;
    }
  }
  if (!behind && !ahead) return undefined;
  return `${behind ? `(?<=${behind}${escapeWord(word)})` : ''}${ahead || WORD_END}`;
}

let allRules: readonly PhraseRule[] | undefined;
let ruleIndices: ReadonlyMap<PhraseRule, number> | undefined;
const necessaryPatterns = new Map<PhraseRule, NecessaryPattern>();
const ruleSpans = new Map<PhraseRule, number>();

/** The phrase rules, compiled once for every detector (they are never changed after). */
function phraseRules(): readonly PhraseRule[] {
  return (allRules ??= compileRules(PHRASE_RULES));
}

/** Names a subset of `phraseRules()`: the indices of its rules. */
function ruleSetKey(rules: readonly PhraseRule[]): string {
  const indices = (ruleIndices ??= new Map(phraseRules().map((r, i) => [r, i])));
  return rules.map((r) => indices.get(r)).join(',');
}

/** Most tokens `matchSlots` reads from a rule's first token on (the last one to see what follows). */
function ruleSpan(rule: PhraseRule): number {
  return remembered(ruleSpans, rule, () => {
    let span = 0;
    for (const slot of rule.slots) {
      if (slot.kind === 'words') span += slot.max * Math.max(...slot.alts.map((alt) => alt.length));
      else if (slot.kind === 'gap') span += slot.max;
    }
    return span;
  });
}

/** Non-ASCII characters that may be part of a word (`’` aside, which the patterns allow for apostrophes): punctuation people type is left out. */
const NON_ASCII_WORD = /[^\x00-\x7f\u00a0\u00ab\u00b7\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]/g;

/**
 * Offset of the first anchor at or after `from` whose condition holds, or the text's length.
 * The search regexes and verifiers are shared by every detector with the same rules: each use sets
 * `lastIndex` first, and a scan never runs inside another one's search.
 */
function nextVerifiedAnchor(text: string, finder: PhraseFinder, pattern: RegExp, from: number): number {
  pattern.lastIndex = from;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const found = m[0];
    // By the text as found: lower-case hits (most of them) cost a lookup, no new string.
    const verifier = finder.verifiers.get(found) ?? verifierOf(finder, found);
    if (verifier === true) return m.index;
    verifier.lastIndex = found.charCodeAt(0) === 0x5f ? m.index + 1 : m.index;
    if (verifier.test(text)) return m.index;
    pattern.lastIndex = m.index + 1;
  }
  return text.length;
}

/** A word ends here (what follows is no ASCII letter or digit). */
const WORD_END = '(?![a-z0-9])';

/**
 * The verifier of the anchor words a search hit can stand for, built and remembered on first use.
 * The search finds the longest anchor word at a place; every shorter one there that the search
 * could also find is a prefix of it ending at an apostrophe (`you` in `you're`), and checking it
 * too gives exactly the answer one verifier for all words would give.
 */
function verifierOf(finder: PhraseFinder, found: string): RegExp | true {
  const word = (found.charCodeAt(0) === 0x5f ? found.slice(1) : found).toLowerCase().replace(/\u2019/g, "'");
  let verifier = finder.verifiers.get(word);
  if (verifier === undefined) {
    verifier = buildVerifier(finder.anchors, word);
    finder.verifiers.set(word, verifier);
  }
  // Other spellings (`Ignore`, `_ignore`) are remembered too, up to a bound: text decides which come.
  if (found !== word && finder.verifiers.size < finder.verifierLimit) finder.verifiers.set(found, verifier);
  return verifier;
}

function buildVerifier(anchors: ReadonlyMap<string, readonly Anchor[]>, word: string): RegExp | true {
  const sources: string[] = [];
  // Longer words first, as the search tries them (the answer is the same in any order).
  for (let end = word.length; end > 0; end--) {
    if (end < word.length && isAsciiAlnum(word.charCodeAt(end))) continue;
    const prefix = end === word.length ? word : word.slice(0, end);
    const wordAnchors = anchors.get(prefix);
    if (!wordAnchors) continue;
    const conditions = new Set<string>();
    for (const anchor of wordAnchors) {
      const condition = anchorCondition(anchor);
      // Nothing to check: the search already saw the word end.
      if (condition === undefined) return true;
      conditions.add(condition);
    }
    sources.push(`${escapeWord(prefix)}(?:${[...conditions].join('|')})`);
  }
  // Not an anchor word: cannot happen (the search holds the anchor words only), and a window too many is harmless.
  if (sources.length === 0) return true;
  return new RegExp(sources.length === 1 ? sources[0]! : `(?:${sources.join('|')})`, 'iy');
}

/**
 * A regex source matching any of the words (lower case), as a trie: irregexp tries a group's
 * alternatives one by one. Longer words come first: where one anchor starts another (`you`,
 * `you're`), the word there is the longer. The branches of a node start with different characters,
 * so their order does not matter.
 */
function wordTrieSource(words: Iterable<string>): string {
  const sorted = [...words].sort();
  // sorted[from, to) share their first `depth` characters; one that has no more sorts first.
  const source = (from: number, to: number, depth: number): string => {
    // One word left: the rest of it, escaped as a whole (the same as character by character).
    if (to - from === 1) return escapeWord(sorted[from]!.slice(depth));
    const parts: string[] = [];
    let i = from;
    const endsHere = sorted[i]!.length === depth;
    if (endsHere) i++;
    while (i < to) {
      const ch = sorted[i]!.charAt(depth);
      let j = i + 1;
      while (j < to && sorted[j]!.charAt(depth) === ch) j++;
      parts.push(escapeWord(ch) + source(i, j, depth + 1));
      i = j;
    }
    if (endsHere) parts.push('');
    return parts.length === 1 ? parts[0]! : `(?:${parts.join('|')})`;
  };
  return sorted.length ? source(0, sorted.length, 0) : '';
}

/**
 * How a detector finds the places where its phrase rules can match. Shared by every detector with
 * the same rules (see `phraseFinder`): nothing in it changes but the verifiers remembered.
 */
interface PhraseFinder {
  /** The anchor words of every rule that can fire; undefined when none is ASCII. */
  readonly pattern: RegExp | undefined;
  /** `pattern` for text with underscores: a hit may then start at the `_` before the word. */
  readonly underscorePattern: RegExp | undefined;
  /** The anchors of the rules by word (lower case, `'` for apostrophes). */
  readonly anchors: ReadonlyMap<string, readonly Anchor[]>;
  /**
   * Sticky verifiers by a hit's text (and by its anchor word), each matching where the word starts
   * and what its rules need around it holds; `true` when nothing needs checking. Built as the words
   * are found: one verifier for every word would take V8 a tenth of a second to compile.
   */
  readonly verifiers: Map<string, RegExp | true>;
  /** How many spellings `verifiers` may remember. */
  readonly verifierLimit: number;
  /** Whether any rule can fire at all. */
  readonly any: boolean;
  /** Tokens a window keeps before a candidate. */
  readonly before: number;
  /** Tokens a window keeps after a candidate. */
  readonly after: number;
  /** Tokens a rule may read from its first one on (windows stop trying rules this far before their end). */
  readonly span: number;
}

/** Finders by their rules (see `ruleSetKey`): detectors with the same options build one once. */
const phraseFinders = new Map<string, PhraseFinder>();

function phraseFinder(rules: readonly PhraseRule[]): PhraseFinder {
  return remembered(phraseFinders, ruleSetKey(rules), () => buildPhraseFinder(rules));
}

function buildPhraseFinder(rules: readonly PhraseRule[]): PhraseFinder {
  let span = 0;
  let hitTokens = 1;
  const ruleAnchors: Anchor[] = [];
  for (const rule of rules) {
    span = Math.max(span, ruleSpan(rule));
    const necessary = remembered(necessaryPatterns, rule, () => necessaryPattern(rule));
    hitTokens = Math.max(hitTokens, necessary.tokens);
    ruleAnchors.push(...necessary.anchors);
  }
  const anchors = groupedBy(ruleAnchors, (anchor) => [anchor.word]);
  // The search holds the words only: with the conditions in it, it is too large for irregexp to
  // optimise and runs ten times slower; the conditions are checked where a word is found.
  // `\b` is cheaper than a lookbehind, but a word also starts after `_`, which `\b` does not see.
  const trie = wordTrieSource(anchors.keys());
  const pattern = anchors.size ? new RegExp(`\\b${trie}${WORD_END}`, 'gi') : undefined;
  const underscorePattern = anchors.size ? new RegExp(`(?:\\b|_)${trie}${WORD_END}`, 'gi') : undefined;
  return {
    pattern,
    underscorePattern,
    anchors,
    verifiers: new Map(),
    verifierLimit: 4 * anchors.size + 64,
    any: rules.length > 0,
    before: span + 2,
    after: span + 2 + hitTokens,
    span,
  };
}

/** Tries `slots[si..]` from token `ti`; returns the index just past the match or -1. */
function matchSlots(slots: readonly Slot[], si: number, tokens: Tokens, ti: number, first: number): number {
  if (si === slots.length) return ti;
  const slot = slots[si]!;
  if (slot.kind === 'end') {
    return ti >= tokens.length || tokens.breakBefore[ti]! ? matchSlots(slots, si + 1, tokens, ti, first) : -1;
  }
  if (slot.kind === 'notNext') {
    const blocked = ti < tokens.length && !tokens.breakBefore[ti] && slot.words.has(tokens.word[ti]!);
    return blocked ? -1 : matchSlots(slots, si + 1, tokens, ti, first);
  }
  if (slot.kind === 'gap') {
    for (let k = 0; k <= slot.max; k++) {
      const at = ti + k;
      const found = matchSlots(slots, si + 1, tokens, at, first);
      if (found >= 0) return found;
      if (at >= tokens.length || (at > first && tokens.breakBefore[at]!)) break;
    }
    return -1;
  }
  return matchRepeat(slots, si, slot, 0, tokens, ti, first);
}

function matchRepeat(
  slots: readonly Slot[],
  si: number,
  slot: Extract<Slot, { kind: 'words' }>,
  count: number,
  tokens: Tokens,
  ti: number,
  first: number,
): number {
  // Greedy: one more repetition first (longer matches redact the whole phrase), then stop here.
  const candidates = count < slot.max && ti < tokens.length ? slot.byFirstWord.get(tokens.word[ti]!) : undefined;
  if (candidates) {
    for (const alt of candidates) {
      const next = matchAlt(alt, tokens, ti, first);
      if (next < 0 || (slot.colon && !tokens.colonAfter[next - 1]!)) continue;
      const found = matchRepeat(slots, si, slot, count + 1, tokens, next, first);
      if (found >= 0) return found;
    }
  }
  if (count === 0 && slot.orEnd && (ti >= tokens.length || tokens.breakBefore[ti]!)) return matchSlots(slots, si + 1, tokens, ti, first);
  return count >= slot.min ? matchSlots(slots, si + 1, tokens, ti, first) : -1;
}

function matchAlt(alt: readonly string[], tokens: Tokens, ti: number, first: number): number {
  if (ti + alt.length > tokens.length) return -1;
  for (let j = 0; j < alt.length; j++) {
    if (tokens.word[ti + j] !== alt[j] || (ti + j > first && tokens.breakBefore[ti + j])) return -1;
  }
  return ti + alt.length;
}

// ---------------------------------------------------------------------------------------------
// Structural detectors (delimiters, tags, paths)

type Emit = (category: InjectionCategory, rule: string, strength: SignalStrength, start: number, end: number) => void;

// Chat-template control tokens of popular models: never in ordinary text.
const CHAT_TOKEN = /<\|([A-Za-z_]{1,40})\|>/g;
const KNOWN_CHAT_TOKENS = new Set([
  'im_start', 'im_end', 'im_sep', 'system', 'user', 'assistant', 'endoftext', 'eot_id', 'eom_id', 'start_header_id',
  'end_header_id', 'begin_of_text', 'end_of_text', 'end', 'endofprompt', 'tool', 'ipython', 'channel', 'message',
]);
const LLAMA_MARKER = /\[\/?INST\]|<<\/?SYS>>|<(?:start|end)_of_turn>/g;

// `<name ...>` / `</name>`: the name only; the closing `>` is found by hand within a bound.
const TAG_OPEN = /<(\/?)([A-Za-z][A-Za-z0-9_-]{0,40})(?=[\s/>])/g;
const ROLE_TAGS = new Set(['system', 'system_prompt', 'systemprompt', 'sys', 'admin', 'administrator', 'override', 'developer', 'developer_instructions', 'root', 'jailbreak']);
const SOFT_ROLE_TAGS = new Set(['instructions', 'instruction', 'prompt', 'im_start']);
const DIRECTIVE_TAGS = new Set([
  'important', 'secret', 'hidden', 'critical', 'urgent', 'system_reminder', 'system_note', 'system_message', 'system_instruction',
  'system_instructions', 'system_override', 'ai_instructions', 'ai_instruction', 'ai_note', 'ai_only', 'assistant_instructions',
  'assistant_note', 'assistant_only', 'note_to_ai', 'note_to_assistant', 'note_to_model', 'note_to_llm', 'note_for_ai',
  'note_for_assistant', 'note_for_model', 'admin_note', 'admin_instructions', 'model_instructions', 'llm_instructions',
  'agent_instructions', 'hidden_instructions', 'secret_instructions', 'instructions_for_ai', 'do_not_show', 'hidden_prompt',
  'internal', 'internal_note', 'private_note', 'mandatory', 'must_read', 'priority', 'override_instructions',
]);
// Closing tags that end a wrapper the model was told holds untrusted data: a lone one means the
// text is trying to step out of it.
const CONVERSATION_CLOSERS = new Set([
  'user', 'user_input', 'user_query', 'user_message', 'human', 'tool_result', 'tool_output', 'tool_response', 'function_results',
  'function_result', 'function_output', 'assistant', 'untrusted', 'untrusted_input', 'untrusted_content', 'external_content',
  'search_results', 'document_content', 'retrieved_content',
]);
/** A tag's attributes may not exceed this before its `>`. */
const TAG_BOUND = 200;
/** An unclosed directive is redacted up to the end of its paragraph, at most this far. */
const PARAGRAPH_BOUND = 2000;

const BRACKET_ROLE = /\[(\/?)([A-Za-z][A-Za-z _-]{1,30})\]/g;
const BRACKET_ROLES = new Set(['system', 'admin', 'administrator', 'root', 'developer', 'sys', 'sudo']);
const BRACKET_ROLE_DIRECTIVES = new Set([
  'system_message', 'system_note', 'system_prompt', 'system_override', 'admin_override', 'system_instruction', 'system_instructions',
  'admin_instruction', 'admin_instructions', 'developer_instructions', 'developer_mode', 'developer_note', 'system_alert',
  'system_notice', 'system_update', 'system_command', 'admin_message', 'admin_note', 'important_instructions', 'new_instructions',
  'hidden_instructions', 'secret_instructions', 'jailbreak', 'override', 'instructions_override', 'ai_instructions', 'assistant_instructions',
]);
const BRACKET_CHAT_ROLES = new Set(['user', 'assistant', 'human', 'ai']);

// A fenced block or triple-quoted string labelled as a system prompt (```system ...).
const LABELLED_FENCE = /(?:```|~~~|"""|''')[ \t]{0,4}(system|admin|instructions|instruction|system_prompt|system-prompt|prompt)[ \t]{0,4}(?=\r?\n|:)/gi;
// Turn markers of chat transcripts at the start of a line.
const TURN_MARKER = /(?:^|\n)[ \t>*#]{0,8}(Human|Assistant|SYSTEM|ADMIN|System Prompt|SYSTEM PROMPT)[ \t]{0,4}:/g;
/** Every TURN_MARKER match holds one of these (a few memchr-speed searches rule most text out). */
const TURN_NAMES = ['Human', 'Assistant', 'SYSTEM', 'ADMIN', 'System Prompt'];
// Gatekit's strict rule that could never match (an escaping slip made it require `{{`): text in
// doubled quotes that says bypass/disable/cancel. The lookbehind keeps starts at a run's first quote.
const QUOTED_OVERRIDE = /(?<!["'])(?:""|'')[^"'\n]{0,120}?\b(?:bypass|disable|cancel)\b[^"'\n]{0,120}?(?:""|'')/gi;

// Credential stores a tool has no business reading: dot-directories and well-known file names.
const CREDENTIAL_PATH =
  /(?<![\w$.-])(?:~|\$HOME|%USERPROFILE%)?[/\\]?\.(ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pypirc|pgpass|git-credentials|password-store|vault-token|env|bash_history|zsh_history)(?![\w-]|\.(?:example|sample|template|dist)\b)|\b(id_rsa|id_dsa|id_ecdsa|id_ed25519)\b(?!\.pub\b)|\b(authorized_keys|known_hosts|mcp\.json|claude_desktop_config\.json|application_default_credentials\.json|credentials\.json|wallet\.dat|secrets\.json|secrets\.ya?ml)\b|\/etc\/(shadow|passwd|sudoers|gshadow)\b/gi;
/** CREDENTIAL_PATH anchored at `lastIndex`. */
const CREDENTIAL_PATH_AT = new RegExp(CREDENTIAL_PATH.source, 'iy');
// A piece of text every CREDENTIAL_PATH match holds, at most HINT_OFFSET after its start (`%USERPROFILE%\.ssh`).
const CREDENTIAL_HINT =
  /\.(?:ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pypirc|pgpass|git-|password-|vault-|env|bash_|zsh_)|id_|authorized_keys|known_hosts|mcp\.json|claude_desktop|application_default|credentials\.json|wallet\.dat|secrets\.|\/etc\//gi;
/** CREDENTIAL_HINT for text without `_` and `/`, where every match holds a dot at most HINT_OFFSET after its start. */
const CREDENTIAL_DOT_HINT = /\.(?:ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pypirc|pgpass|git-|password-|vault-|env|bash_|zsh_|json|dat|ya?ml)/gi;
const HINT_OFFSET = 14;
/** Characters at least one of the structural detectors (delimiters, tags, comments, paths) needs. */
const STRUCTURE_CHAR = /[<[:`~"'._/]/;
const READ_VERBS = new Set([
  'read', 'cat', 'dump', 'print', 'output', 'display', 'show', 'retrieve', 'fetch', 'get', 'extract', 'grab', 'collect', 'access',
  'load', 'contents', 'content', 'return', 'list', 'open', 'steal', 'harvest', 'scan', 'check', 'view', 'look', 'search', 'find',
]);
const EXFIL_VERBS = new Set([
  'send', 'upload', 'exfiltrate', 'leak', 'post', 'forward', 'transmit', 'email', 'share', 'pass', 'include', 'attach', 'embed',
  'paste', 'append', 'insert', 'concatenate', 'provide', 'copy', 'encode', 'base64', 'steal', 'harvest',
]);
// A path right after these is where something goes, not what is read (`add this to your mcp.json`).
const DESTINATION_WORDS = new Set(['into', 'to', 'in', 'inside', 'under', 'within', 'onto', 'from']);
const NEGATIONS = new Set(['never', 'not', "don't", 'dont', "mustn't", "shouldn't", "can't", 'cannot', "won't"]);
const POSSESSIVES = new Set(['your', 'the', 'a', 'an', 'my', 'our', 'their', 'this', 'that', 'its']);
const SETUP_VERBS = new Set(['open', 'edit', 'create', 'add', 'update', 'modify', 'configure', 'check', 'look', 'view', 'search', 'find', 'list', 'load']);
/** How many words apart a verb and a credential path may be. */
const VERB_WINDOW = 8;

function findTagEnd(text: string, from: number): number {
  const limit = Math.min(text.length, from + TAG_BOUND);
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3e) return i + 1; // >
    if (c === 0x3c) return -1; // <
  }
  return -1;
}

/** Whether text[from, to) reads like prose: at least `words` whitespace-separated words (stops early). */
function hasWords(text: string, from: number, to: number, words: number): boolean {
  let count = 0;
  let inWord = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const space = c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
    if (!space && !inWord) {
      if (++count >= words) return true;
      inWord = true;
    } else if (space) inWord = false;
  }
  return false;
}

function paragraphEnd(text: string, from: number): number {
  const limit = Math.min(text.length, from + PARAGRAPH_BOUND);
  const blank = text.indexOf('\n\n', from);
  return blank >= 0 && blank < limit ? blank : limit;
}

function normalizeTagName(name: string): string {
  return name.toLowerCase().replace(/[- ]/g, '_');
}

interface TagHit {
  readonly closing: boolean;
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

function detectTags(text: string, definition: boolean, emit: Emit): void {
  if (text.indexOf('<') < 0) return;
  const hits: TagHit[] = [];
  TAG_OPEN.lastIndex = 0;
  for (let m = TAG_OPEN.exec(text); m !== null; m = TAG_OPEN.exec(text)) {
    const name = normalizeTagName(m[2]!);
    if (!ROLE_TAGS.has(name) && !SOFT_ROLE_TAGS.has(name) && !DIRECTIVE_TAGS.has(name) && !CONVERSATION_CLOSERS.has(name)) continue;
    const end = findTagEnd(text, m.index + m[0].length);
    if (end < 0) continue;
    hits.push({ closing: m[1] === '/', name, start: m.index, end });
  }
  // Pair each opener with the next closer of the same name (innermost-last is enough for a signal).
  const open = new Map<string, TagHit>();
  const paired = new Set<TagHit>();
  const closersWithoutOpener: TagHit[] = [];
  for (const hit of hits) {
    if (!hit.closing) {
      if (!open.has(hit.name)) open.set(hit.name, hit);
      continue;
    }
    const opener = open.get(hit.name);
    if (!opener) {
      closersWithoutOpener.push(hit);
      continue;
    }
    open.delete(hit.name);
    paired.add(opener);
    const prose = hasWords(text, opener.end, hit.start, 3);
    if (DIRECTIVE_TAGS.has(hit.name)) {
      if (prose) emit('tool_poisoning', 'poison.directive_tag', 'strong', opener.start, hit.end);
      else if (hit.name === 'important' || definition) emit('tool_poisoning', 'poison.directive_tag', 'medium', opener.start, hit.end);
    } else if (ROLE_TAGS.has(hit.name)) {
      if (prose) emit('delimiter_injection', 'delimiter.role_tag_block', 'strong', opener.start, hit.end);
    } else if (SOFT_ROLE_TAGS.has(hit.name)) {
      if (prose) emit('delimiter_injection', 'delimiter.instruction_tag_block', 'weak', opener.start, hit.end);
    }
  }
  for (const opener of open.values()) {
    if (paired.has(opener)) continue;
    const stop = paragraphEnd(text, opener.end);
    const prose = hasWords(text, opener.end, stop, 3);
    if (DIRECTIVE_TAGS.has(opener.name)) {
      emit('tool_poisoning', 'poison.directive_tag', prose || opener.name === 'important' ? 'medium' : 'weak', opener.start, stop);
    } else if (ROLE_TAGS.has(opener.name) && prose) {
      emit('delimiter_injection', 'delimiter.role_tag', 'medium', opener.start, stop);
    }
  }
  for (const closer of closersWithoutOpener) {
    if (ROLE_TAGS.has(closer.name) || CONVERSATION_CLOSERS.has(closer.name)) {
      emit('delimiter_injection', 'delimiter.stray_closing_tag', 'medium', closer.start, closer.end);
    }
  }
}

function detectBracketRoles(text: string, emit: Emit): void {
  if (text.indexOf('[') < 0) return;
  const open = new Map<string, number>();
  BRACKET_ROLE.lastIndex = 0;
  for (let m = BRACKET_ROLE.exec(text); m !== null; m = BRACKET_ROLE.exec(text)) {
    const name = normalizeTagName(m[2]!.trim());
    const start = m.index;
    const end = start + m[0].length;
    const role = BRACKET_ROLES.has(name);
    const chat = BRACKET_CHAT_ROLES.has(name);
    const directive = BRACKET_ROLE_DIRECTIVES.has(name);
    if (!role && !chat && !directive) continue;
    // `[system](#context)`: a markdown link posing as a chat-role header (Bing-style injection).
    if ((role || chat) && text.charCodeAt(end) === 0x28 && text.charCodeAt(end + 1) === 0x23) {
      emit('delimiter_injection', 'delimiter.markdown_role_header', 'strong', start, end + 2);
      continue;
    }
    if (m[1] === '/') {
      const opener = open.get(name);
      if (opener !== undefined) {
        open.delete(name);
        emit('delimiter_injection', 'delimiter.bracket_role_block', chat ? 'medium' : 'strong', opener, end);
      } else if (!chat) emit('delimiter_injection', 'delimiter.bracket_role', 'weak', start, end);
      continue;
    }
    if (!open.has(name)) open.set(name, start);
    if (directive) emit('delimiter_injection', 'delimiter.bracket_directive', 'medium', start, end);
    else if (role) emit('delimiter_injection', 'delimiter.bracket_role', 'weak', start, end);
  }
}

/**
 * A control token right inside quotes is a string literal in code (`'<|endoftext|>'`, tokenizer
 * tests), not a turn boundary aimed at the model.
 */
function isQuoted(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  const quote = (c: number): boolean => c === 0x22 || c === 0x27 || c === 0x60;
  return quote(before) || quote(after);
}

function detectChatTokens(text: string, emit: Emit): void {
  if (text.indexOf('<|') >= 0) {
    CHAT_TOKEN.lastIndex = 0;
    for (let m = CHAT_TOKEN.exec(text); m !== null; m = CHAT_TOKEN.exec(text)) {
      const end = m.index + m[0].length;
      const known = KNOWN_CHAT_TOKENS.has(m[1]!.toLowerCase());
      const strength = isQuoted(text, m.index, end) ? 'weak' : known ? 'strong' : 'medium';
      emit('delimiter_injection', 'delimiter.chat_template_token', strength, m.index, end);
    }
  }
  if (text.indexOf('[') >= 0 || text.indexOf('<') >= 0) {
    LLAMA_MARKER.lastIndex = 0;
    for (let m = LLAMA_MARKER.exec(text); m !== null; m = LLAMA_MARKER.exec(text)) {
      const end = m.index + m[0].length;
      emit('delimiter_injection', 'delimiter.chat_template_token', isQuoted(text, m.index, end) ? 'weak' : 'strong', m.index, end);
    }
  }
}

function detectFencesAndTurns(text: string, emit: Emit): void {
  if (text.indexOf('```') >= 0 || text.indexOf('~~~') >= 0 || text.indexOf('"""') >= 0 || text.indexOf("'''") >= 0) {
    LABELLED_FENCE.lastIndex = 0;
    for (let m = LABELLED_FENCE.exec(text); m !== null; m = LABELLED_FENCE.exec(text)) {
      const label = m[1]!.toLowerCase();
      const strong = label === 'system' || label === 'admin' || label.startsWith('system');
      emit('delimiter_injection', 'delimiter.labelled_fence', strong ? 'medium' : 'weak', m.index, m.index + m[0].length);
    }
  }
  if (text.indexOf(':') < 0 || !TURN_NAMES.some((name) => text.indexOf(name) >= 0)) return;
  TURN_MARKER.lastIndex = 0;
  let human: [number, number] | undefined;
  let assistant: [number, number] | undefined;
  for (let m = TURN_MARKER.exec(text); m !== null; m = TURN_MARKER.exec(text)) {
    const span: [number, number] = [m.index, m.index + m[0].length];
    const who = m[1]!;
    if (who === 'Human') human ??= span;
    else if (who === 'Assistant') assistant ??= span;
    else emit('delimiter_injection', 'delimiter.turn_marker', who.toLowerCase().includes('prompt') ? 'medium' : 'weak', span[0], span[1]);
  }
  if (human && assistant) {
    emit('delimiter_injection', 'delimiter.fake_transcript', 'medium', human[0], human[1]);
    emit('delimiter_injection', 'delimiter.fake_transcript', 'medium', assistant[0], assistant[1]);
  } else if (human || assistant) {
    const span = (human ?? assistant)!;
    emit('delimiter_injection', 'delimiter.turn_marker', 'weak', span[0], span[1]);
  }
}

function detectQuotedOverride(text: string, emit: Emit): void {
  if (text.indexOf('""') < 0 && text.indexOf("''") < 0) return;
  QUOTED_OVERRIDE.lastIndex = 0;
  for (let m = QUOTED_OVERRIDE.exec(text); m !== null; m = QUOTED_OVERRIDE.exec(text)) {
    emit('delimiter_injection', 'delimiter.quoted_override', 'weak', m.index, m.index + m[0].length);
  }
}

function detectHtmlComments(text: string, emit: Emit): void {
  // Markdown renderers hide comments from people; in a tool definition only a model reads them.
  let closeAt = -1;
  for (let open = text.indexOf('<!--'); open >= 0; open = text.indexOf('<!--', open + 4)) {
    if (closeAt < open + 4) closeAt = text.indexOf('-->', open + 4);
    if (closeAt < 0) {
      const stop = paragraphEnd(text, open + 4);
      if (hasWords(text, open + 4, stop, 3)) emit('tool_poisoning', 'poison.hidden_comment', 'medium', open, stop);
      return;
    }
    if (hasWords(text, open + 4, closeAt, 3)) emit('tool_poisoning', 'poison.hidden_comment', 'medium', open, closeAt + 3);
    open = closeAt; // comments do not nest
  }
}

/**
 * How sensitive a matched path is: `secret` (keys, cloud credentials: any verb near it counts),
 * `config` (files that hold tokens but that setup guides legitimately tell people to open),
 * `low` (.env, shell history: only sending them counts much).
 */
type PathClass = 'secret' | 'config' | 'low';

const FILE_NAME_CHAR = /[\w.-]/;

/** The file or folder name right after a matched directory (`~/.ssh/<this>`), lower-cased; '' if none. */
function childName(text: string, from: number): string {
  const sep = text.charCodeAt(from);
  if (sep !== 0x2f && sep !== 0x5c) return '';
  let i = from + 1;
  const limit = Math.min(text.length, i + 64);
  while (i < limit && FILE_NAME_CHAR.test(text[i]!)) i++;
  return text.slice(from + 1, i).toLowerCase();
}

function classifyCredentialPath(text: string, m: RegExpExecArray): PathClass {
  const dotName = m[1]?.toLowerCase();
  const fileName = m[3]?.toLowerCase();
  if (m[2] !== undefined) return 'secret'; // a private key file
  if (dotName !== undefined) {
    if (dotName === 'env' || dotName === 'bash_history' || dotName === 'zsh_history') return 'low';
    const child = childName(text, m.index + m[0].length);
    if (dotName === 'ssh') {
      const harmless = child === 'config' || child === 'known_hosts' || child === 'authorized_keys' || child.endsWith('.pub');
      return harmless ? 'config' : 'secret';
    }
    if (dotName === 'aws') return child === 'config' ? 'config' : 'secret';
    if (dotName === 'docker' || dotName === 'kube' || dotName === 'npmrc' || dotName === 'pypirc' || dotName === 'azure') return 'config';
    return 'secret';
  }
  if (fileName === 'mcp.json' || fileName === 'claude_desktop_config.json' || fileName === 'known_hosts' || fileName === 'authorized_keys') return 'config';
  if (m[4]?.toLowerCase() === 'passwd') return 'config';
  return 'secret';
}

/** Whether the path at token index `before + 1` is where something is put ("into your mcp.json"). */
function isDestination(tokens: Tokens, before: number): boolean {
  for (let k = before; k >= 0 && k >= before - 2; k--) {
    const word = tokens.word[k]!;
    if (DESTINATION_WORDS.has(word)) return true;
    if (!POSSESSIVES.has(word)) return false;
  }
  return false;
}

/**
 * Finds CREDENTIAL_PATH's matches, the same as its global exec loop would, where CREDENTIAL_HINT
 * (one native search) says one may start: every match holds a hint at most HINT_OFFSET after its start.
 */
function forEachCredentialPath(text: string, visit: (m: RegExpExecArray) => void): void {
  // Without `_` and `/` only the paths with a dot can be there: searching for those alone is twice as fast.
  const hints = text.indexOf('_') < 0 && text.indexOf('/') < 0 ? CREDENTIAL_DOT_HINT : CREDENTIAL_HINT;
  hints.lastIndex = 0;
  // Starts before this offset have been tried (or lie inside a match).
  let tried = 0;
  for (let hint = hints.exec(text); hint !== null; hint = hints.exec(text)) {
    // Hints may overlap: look for the next one from the next character.
    hints.lastIndex = hint.index + 1;
    for (let at = Math.max(tried, hint.index - HINT_OFFSET); at <= hint.index; at++) {
      CREDENTIAL_PATH_AT.lastIndex = at;
      const m = CREDENTIAL_PATH_AT.exec(text);
      tried = at + 1;
      if (m) {
        tried = at + m[0].length;
        hints.lastIndex = Math.max(hints.lastIndex, tried);
        visit(m);
        break;
      }
    }
  }
}

function detectCredentialAccess(text: string, emit: Emit): void {
  forEachCredentialPath(text, (m) => {
    const start = m.index;
    const end = start + m[0].length;
    // Enough words on either side for the verb windows, tokenized exactly (see TokenWindow).
    const tokens = new TokenWindow(text, exactStartBefore(text, start, VERB_WINDOW + 2, 0), SPARE_CAPACITY);
    tokens.extendTo(exactStartAfter(text, end - 1, VERB_WINDOW + 2));
    reportCredentialAccess(text, m, tokens, emit);
    releaseTokens(tokens);
  });
}

function reportCredentialAccess(text: string, m: RegExpExecArray, tokens: Tokens, emit: Emit): void {
    const start = m.index;
    const end = start + m[0].length;
    const pathClass = classifyCredentialPath(text, m);
    const before = tokenBefore(tokens, start);
    // The path's own first word: a sentence break there means nothing before belongs to it.
    const insideBreak = before + 1 < tokens.length && tokens.start[before + 1]! < end && tokens.breakBefore[before + 1]!;
    let verb: string | undefined;
    let verbStart = start;
    if (!insideBreak && before >= 0 && !isDestination(tokens, before)) {
      for (let k = before; k >= 0 && k > before - VERB_WINDOW; k--) {
        const word = tokens.word[k]!;
        if (EXFIL_VERBS.has(word) || READ_VERBS.has(word) || SETUP_VERBS.has(word)) {
          verb = word;
          verbStart = tokens.start[k]!;
          break;
        }
        if (tokens.breakBefore[k]!) break;
      }
    }
    // "... read ~/.ssh/id_rsa and send it": a sending verb after the path counts too.
    let sendEnd = -1;
    const afterIndex = tokenBefore(tokens, end) + 1;
    for (let k = afterIndex; k < tokens.length && k < afterIndex + VERB_WINDOW; k++) {
      if (tokens.breakBefore[k]!) break;
      if (EXFIL_VERBS.has(tokens.word[k]!) && !NEGATIONS.has(tokens.word[k - 1] ?? '')) {
        sendEnd = tokens.end[k]!;
        break;
      }
    }
    const sends = sendEnd >= 0 || (verb !== undefined && EXFIL_VERBS.has(verb));
    const reads = verb !== undefined && READ_VERBS.has(verb) && !SETUP_VERBS.has(verb);
    let strength: SignalStrength | undefined;
    if (pathClass === 'secret') strength = sends || reads ? 'strong' : undefined;
    else if (pathClass === 'config') strength = sends ? 'strong' : reads ? 'medium' : undefined;
    else strength = sends ? 'medium' : reads ? 'weak' : undefined;
    if (strength) emit('tool_poisoning', 'poison.credential_file', strength, verbStart, Math.max(end, sendEnd));
}

// ---------------------------------------------------------------------------------------------
// The detector

/** Rules by the words they can start with, by rule set (see `ruleSetKey`; shared, never changed). */
const rulesByFirstWordOf = new Map<string, ReadonlyMap<string, readonly PhraseRule[]>>();

function rulesByFirstWord(rules: readonly PhraseRule[]): ReadonlyMap<string, readonly PhraseRule[]> {
  return remembered(rulesByFirstWordOf, ruleSetKey(rules), () =>
    groupedBy(rules, (compiled) => new Set((compiled.slots[0] as WordsSlot).alts.map((alt) => alt[0]!))),
  );
}

/** Scans strings for prompt injection. Build one per configuration; `scan` is pure and reentrant. */
export class InjectionDetector {
  private readonly minRank: number;
  private readonly enabled: Record<InjectionCategory, boolean>;
  private readonly rulesByFirstWord: ReadonlyMap<string, readonly PhraseRule[]>;
  private readonly scanBase64: boolean;
  private readonly contentFinder: PhraseFinder;
  private readonly definitionFinder: PhraseFinder;

  constructor(options: InjectionDetectorOptions) {
    this.minRank = MIN_RANK[options.sensitivity];
    this.scanBase64 = options.scanBase64 ?? true;
    this.enabled = {
      delimiter_injection: options.categories?.delimiter_injection ?? true,
      role_manipulation: options.categories?.role_manipulation ?? true,
      context_hijacking: options.categories?.context_hijacking ?? true,
      tool_poisoning: options.categories?.tool_poisoning ?? true,
      hidden_unicode: options.categories?.hidden_unicode ?? true,
    };
    const enabledRules = phraseRules().filter((compiled) => this.enabled[compiled.category]);
    const fires = (definition: boolean) => (r: PhraseRule) => STRENGTH_RANK[definition && r.inDefinition ? r.inDefinition : r.strength] >= this.minRank;
    this.contentFinder = phraseFinder(enabledRules.filter(fires(false)));
    this.definitionFinder = phraseFinder(enabledRules.filter(fires(true)));
    this.rulesByFirstWord = rulesByFirstWord(enabledRules);
  }

  /** Every finding at or above the configured sensitivity, sorted by position, nested duplicates dropped. */
  scan(text: string, options: ScanOptions = {}): InjectionFinding[] {
    return this.scanAt(text, options, 0);
  }

  /** Whether `text` holds anything at the configured sensitivity (same work as `scan`, kept for call sites that need a yes/no). */
  test(text: string, options: ScanOptions = {}): boolean {
    return this.scanAt(text, options, 0).length > 0;
  }

  private scanAt(text: string, options: ScanOptions, depth: number): InjectionFinding[] {
    const findings: InjectionFinding[] = [];
    if (text.length < 3) return findings;
    const definition = options.toolDefinition === true;
    const emit: Emit = (category, ruleId, strength, start, end) => {
      if (!this.enabled[category] || STRENGTH_RANK[strength] < this.minRank) return;
      findings.push({ category, rule: ruleId, strength, start, end, encoding: 'plain' });
    };

    // Every character from U+0080 on takes two or more bytes in UTF-8 (counted natively, faster than a regex test).
    const nonAscii = Buffer.byteLength(text, 'utf8') !== text.length;
    // Hidden characters are all above U+034F.
    if (this.enabled.hidden_unicode && nonAscii) {
      for (const hit of findHiddenUnicode(text, { toolDefinition: definition })) emit('hidden_unicode', `unicode.${hit.kind}`, hit.strength, hit.start, hit.end);
    }
    this.matchPhrases(text, nonAscii, definition, emit);
    // Every structural detector needs one of these characters.
    if (STRUCTURE_CHAR.test(text)) this.detectStructure(text, definition, emit);
    if (this.scanBase64 && depth < MAX_ENCODING_DEPTH && text.length >= MIN_ENCODED_LENGTH) this.scanEncoded(text, options, depth, findings);
    return dropNested(findings);
  }

  private detectStructure(text: string, definition: boolean, emit: Emit): void {
    if (this.enabled.delimiter_injection) {
      detectChatTokens(text, emit);
      detectBracketRoles(text, emit);
      detectFencesAndTurns(text, emit);
      detectQuotedOverride(text, emit);
    }
    if (this.enabled.delimiter_injection || this.enabled.tool_poisoning) detectTags(text, definition, emit);
    if (this.enabled.tool_poisoning) {
      if (definition) detectHtmlComments(text, emit);
      detectCredentialAccess(text, emit);
    }
  }

  /**
   * Tries the phrase rules at every token that a match could start from: around each candidate of
   * the finder, in windows of exact tokens (see TokenWindow) that merge when they meet. A token is
   * tried once, in order, with the same tokens around it as a tokenization of the whole text.
   */
  private matchPhrases(text: string, nonAscii: boolean, definition: boolean, emit: Emit): void {
    const finder = definition ? this.definitionFinder : this.contentFinder;
    if (!finder.any) return;
    const pattern = text.indexOf('_') >= 0 ? finder.underscorePattern : finder.pattern;
    const n = text.length;
    let window: TokenWindow | undefined;
    let nextToken = 0;
    // Every token starting before this offset has been tried.
    let triedUntil = 0;
    let nextAnchor = -1;
    let nextNonAscii = -1;
    for (;;) {
      // Each search resumes where the last one stopped: text with no hit is searched once.
      if (nextAnchor < triedUntil) nextAnchor = pattern ? nextVerifiedAnchor(text, finder, pattern, triedUntil) : n;
      if (nextNonAscii < triedUntil) {
        NON_ASCII_WORD.lastIndex = triedUntil;
        nextNonAscii = nonAscii ? (NON_ASCII_WORD.exec(text)?.index ?? n) : n;
      }
      const candidate = Math.min(nextAnchor, nextNonAscii);
      if (candidate >= n) break;
      const floor = window ? window.to : 0;
      const from = exactStartBefore(text, candidate, finder.before, floor);
      const to = exactStartAfter(text, candidate, finder.after);
      if (!window || from > floor) {
        if (window) releaseTokens(window);
        window = new TokenWindow(text, from, SPARE_CAPACITY);
        nextToken = from === 0 ? 0 : 1;
      }
      window.extendTo(to);
      const last = to === n ? window.length - 1 : window.length - 1 - finder.span;
      for (; nextToken <= last; nextToken++) this.tryRulesAt(window, nextToken, definition, emit);
      if (to === n) break;
      triedUntil = Math.max(window.start[last]! + 1, candidate + 1);
    }
    if (window) releaseTokens(window);
  }

  private tryRulesAt(tokens: Tokens, ti: number, definition: boolean, emit: Emit): void {
    const candidates = this.rulesByFirstWord.get(tokens.word[ti]!);
    if (!candidates) return;
    for (const phrase of candidates) {
      const strength = definition && phrase.inDefinition ? phrase.inDefinition : phrase.strength;
      if (STRENGTH_RANK[strength] < this.minRank) continue;
      if (phrase.imperativeOnly && ti > 0 && !tokens.breakBefore[ti]! && DESCRIPTIVE_PREFIX.has(tokens.word[ti - 1]!)) continue;
      const end = matchSlots(phrase.slots, 0, tokens, ti, ti);
      if (end > ti) emit(phrase.category, phrase.id, strength, tokens.start[ti]!, tokens.end[end - 1]!);
    }
  }

  private scanEncoded(text: string, options: ScanOptions, depth: number, findings: InjectionFinding[]): void {
    for (const candidate of findBase64Candidates(text, MIN_ENCODED_LENGTH)) {
      const inner = this.scanAt(candidate.decoded, options, depth + 1);
      if (inner.length === 0) continue;
      let strongest = inner[0]!;
      for (const f of inner) if (STRENGTH_RANK[f.strength] > STRENGTH_RANK[strongest.strength]) strongest = f;
      findings.push({
        category: strongest.category,
        rule: `encoded.base64:${strongest.rule}`,
        strength: strongest.strength,
        start: candidate.start,
        end: candidate.end,
        encoding: 'base64',
      });
    }
  }
}

/** Sorts by position and drops findings of a category lying inside another of the same category. */
function dropNested(findings: InjectionFinding[]): InjectionFinding[] {
  if (findings.length < 2) return findings;
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: InjectionFinding[] = [];
  const reach = new Map<InjectionCategory, number>();
  for (const f of findings) {
    const covered = reach.get(f.category) ?? -1;
    if (f.end <= covered) continue;
    kept.push(f);
    reach.set(f.category, Math.max(covered, f.end));
  }
  return kept;
}

/**
 * Replaces each finding's span (overlapping spans merged) with `placeholder`. Findings inside
 * base64 are replaced as whole encoded runs, but callers should block those rather than redact.
 */
export function redactFindings(text: string, findings: readonly InjectionFinding[], placeholder: string): string {
  if (findings.length === 0) return text;
  const spans = findings.map((f) => [f.start, f.end] as const).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const pieces: string[] = [];
  let copied = 0;
  let spanStart = spans[0]![0];
  let spanEnd = spans[0]![1];
  const flush = (): void => {
    pieces.push(text.slice(copied, spanStart), placeholder);
    copied = spanEnd;
  };
  for (let i = 1; i < spans.length; i++) {
    const [s, e] = spans[i]!;
    if (s <= spanEnd) {
      if (e > spanEnd) spanEnd = e;
      continue;
    }
    flush();
    spanStart = s;
    spanEnd = e;
  }
  flush();
  pieces.push(text.slice(copied));
  return pieces.join('');
}
