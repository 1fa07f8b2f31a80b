// The phrase rules' language: a tiny pattern language over tokens, and its parser.
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
import type { SignalStrength } from '../unicode';
import { groupedBy, remembered } from './memo';
import type { InjectionCategory } from './types';

/** One item of a compiled pattern. */
export type Slot =
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

/** A slot of alternative word sequences. */
export type WordsSlot = Extract<Slot, { kind: 'words' }>;

/** A compiled rule. */
export interface PhraseRule {
  readonly id: string;
  readonly category: InjectionCategory;
  readonly strength: SignalStrength;
  /** Strength inside a tool definition, where the sentence has no business being at all. */
  readonly inDefinition?: SignalStrength;
  readonly slots: readonly Slot[];
  /** The rule does not fire after a word that makes it a description (see DESCRIPTIVE_PREFIX in ./rules). */
  readonly imperativeOnly: boolean;
}
// Many rules share phrases and sets: their word sequences are split once (building the first
// detector parses every rule).
const phraseWords = new Map<string, readonly string[]>();
const setAlternatives = new WeakMap<readonly string[], readonly (readonly string[])[]>();

function wordsOfPhrase(phrase: string): readonly string[] {
  return remembered(phraseWords, phrase, () => phrase.split(/[ -]/));
}

function alternativesOfSet(sets: WordSets, name: string, pattern: string): readonly (readonly string[])[] {
  const set = sets[name];
  if (!set) throw new Error(`unknown word set $${name} in rule '${pattern}'`);
  return remembered(setAlternatives, set, () => set.map(wordsOfPhrase));
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
function slotAlternatives(body: string, pattern: string, sets: WordSets): { alts: readonly (readonly string[])[]; orEnd: boolean } {
  if (body.charCodeAt(0) === 0x24 && body.indexOf('|') < 0) return { alts: alternativesOfSet(sets, body.slice(1), pattern), orEnd: false }; // $
  const alts: (readonly string[])[] = [];
  let orEnd = false;
  const hasParentheses = body.indexOf('(') >= 0 || body.indexOf(')') >= 0;
  for (const rawAlt of body.split('|')) {
    const alt = hasParentheses ? rawAlt.replace(/[()]/g, '') : rawAlt;
    if (alt === '.') orEnd = true;
    else if (alt.charCodeAt(0) === 0x24) for (const setAlt of alternativesOfSet(sets, alt.slice(1), pattern)) alts.push(setAlt);
    else alts.push(wordsOfPhrase(alt));
  }
  return { alts, orEnd };
}

function parseItem(item: string, pattern: string, sets: WordSets): Slot {
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
  const { alts, orEnd } = slotAlternatives(body, pattern, sets);
  return { kind: 'words', alts, byFirstWord: alternativesByFirstWord(alts), min, max, colon, orEnd };
}

function parseRule(pattern: string, sets: WordSets): Slot[] {
  const slots: Slot[] = [];
  for (const item of pattern.split(ITEM_SEPARATOR)) if (item) slots.push(parseItem(item, pattern, sets));
  return slots;
}

/** A rule as written: its pattern in the language above. */
export interface RuleSpec {
  readonly id: string;
  readonly category: InjectionCategory;
  readonly strength: SignalStrength;
  readonly inDefinition?: SignalStrength;
  readonly pattern: string;
}

/** The named word sets a pattern's `$NAME` refers to. */
export type WordSets = Readonly<Record<string, readonly string[]>>;

/** Parses every rule's pattern; throws on a pattern the matcher could not run (found by the tests, at the first detector built). */
export function compileRules(specs: readonly RuleSpec[], sets: WordSets): PhraseRule[] {
  return specs.map((s) => {
    const imperativeOnly = s.pattern.startsWith('!');
    const slots = parseRule(imperativeOnly ? s.pattern.slice(1) : s.pattern, sets);
    const first = slots[0];
    if (!first || first.kind !== 'words' || first.min < 1) throw new Error(`rule ${s.id} must start with a required word`);
    const base = { id: s.id, category: s.category, strength: s.strength, slots, imperativeOnly };
    return s.inDefinition ? { ...base, inDefinition: s.inDefinition } : base;
  });
}

