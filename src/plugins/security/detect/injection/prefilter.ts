// The rules' compiler: from the parsed rules to one search regex per rule set, and verifier regexes
// built as their words are first found.
//
// Where a rule can match: most text holds none of the words a rule needs, and tokenizing all of it
// costs ten times finding those words with one native regex. Each rule gets anchors: the rarest word
// of each alternative of one required slot (one regex finds them all), each with a condition on the
// words around it (the nearest required slot before or after) checked where it is found. Only ASCII
// words are found so; a word with any other character is found by NON_ASCII_WORD instead
// (normalisation can make it anything). Tokens are then tried only in windows around what is found.
import { execAt } from '../regex';
import type { PhraseRule, Slot, WordsSlot } from './language';
import { groupedBy, remembered } from './memo';
import { ruleSetKey } from './rules';
import { isAsciiAlnum } from './tokenize';

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

const necessaryPatterns = new Map<PhraseRule, NecessaryPattern>();
const ruleSpans = new Map<PhraseRule, number>();

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

/** Offset of the first character at or after `from` that may start a non-ASCII word, or the text's length. */
export function nextNonAsciiWord(text: string, from: number): number {
  return execAt(NON_ASCII_WORD, text, from)?.index ?? text.length;
}

/**
 * Offset of the first anchor at or after `from` whose condition holds, or the text's length.
 * The search regexes and verifiers are shared by every detector with the same rules: each search
 * is positioned right before it runs (see ../regex.ts), and nothing between calls out.
 */
export function nextVerifiedAnchor(text: string, finder: PhraseFinder, pattern: RegExp, from: number): number {
  for (let m = execAt(pattern, text, from); m !== null; m = execAt(pattern, text, m.index + 1)) {
    const found = m[0];
    // By the text as found: lower-case hits (most of them) cost a lookup, no new string.
    const verifier = finder.verifiers.get(found) ?? verifierOf(finder, found);
    if (verifier === true) return m.index;
    verifier.lastIndex = found.charCodeAt(0) === 0x5f ? m.index + 1 : m.index;
    if (verifier.test(text)) return m.index;
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
export interface PhraseFinder {
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

export function phraseFinder(rules: readonly PhraseRule[]): PhraseFinder {
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

