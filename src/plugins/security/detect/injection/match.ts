// The phrase rules matched over tokens: where the prefilter finds a candidate, a window of exact
// tokens is read around it and every rule that can start at each of its tokens is tried.
import type { PhraseRule, Slot, WordsSlot } from './language';
import { groupedBy, remembered } from './memo';
import { nextNonAsciiWord, nextVerifiedAnchor, phraseFinder, type PhraseFinder } from './prefilter';
import { DESCRIPTIVE_PREFIX, ruleSetKey } from './rules';
import { exactStartAfter, exactStartBefore, SPARE_CAPACITY, TokenWindow, type SpareColumns, type Tokens } from './tokenize';
import type { SignalStrength } from '../unicode';
import { STRENGTH_RANK, type Emit } from './types';

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
  slot: WordsSlot,
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

/** Rules by the words they can start with, by rule set (see `ruleSetKey`; shared, never changed). */
const rulesByFirstWordOf = new Map<string, ReadonlyMap<string, readonly PhraseRule[]>>();

function rulesByFirstWord(rules: readonly PhraseRule[]): ReadonlyMap<string, readonly PhraseRule[]> {
  return remembered(rulesByFirstWordOf, ruleSetKey(rules), () =>
    groupedBy(rules, (compiled) => new Set((compiled.slots[0] as WordsSlot).alts.map((alt) => alt[0]!))),
  );
}

/**
 * The phrase rules of one detector configuration. Holds only what is derived from the rules and
 * options (shared with every matcher of the same rules); a scan's state lives in `match`'s locals
 * and the `SpareColumns` its scan passes in.
 */
export class PhraseMatcher {
  private readonly rulesByFirstWord: ReadonlyMap<string, readonly PhraseRule[]>;
  private readonly contentFinder: PhraseFinder;
  private readonly definitionFinder: PhraseFinder;

  /** `rules`: the enabled rules; `minRank`: the weakest strength reported (see STRENGTH_RANK). */
  constructor(
    rules: readonly PhraseRule[],
    private readonly minRank: number,
  ) {
    const fires = (definition: boolean) => (r: PhraseRule) => STRENGTH_RANK[definition && r.inDefinition ? r.inDefinition : r.strength] >= minRank;
    this.contentFinder = phraseFinder(rules.filter(fires(false)));
    this.definitionFinder = phraseFinder(rules.filter(fires(true)));
    this.rulesByFirstWord = rulesByFirstWord(rules);
  }

  /**
   * Tries the phrase rules at every token that a match could start from: around each candidate of
   * the finder, in windows of exact tokens (see TokenWindow) that merge when they meet. A token is
   * tried once, in order, with the same tokens around it as a tokenization of the whole text.
   */
  match(text: string, nonAscii: boolean, definition: boolean, emit: Emit, spares: SpareColumns): void {
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
      if (nextNonAscii < triedUntil) nextNonAscii = nonAscii ? nextNonAsciiWord(text, triedUntil) : n;
      const candidate = Math.min(nextAnchor, nextNonAscii);
      if (candidate >= n) break;
      const floor = window ? window.to : 0;
      const from = exactStartBefore(text, candidate, finder.before, floor);
      const to = exactStartAfter(text, candidate, finder.after);
      if (!window || from > floor) {
        if (window) spares.give(window);
        window = new TokenWindow(text, from, SPARE_CAPACITY, spares);
        nextToken = from === 0 ? 0 : 1;
      }
      window.extendTo(to);
      const last = to === n ? window.length - 1 : window.length - 1 - finder.span;
      for (; nextToken <= last; nextToken++) this.tryRulesAt(text, window, nextToken, definition, emit);
      if (to === n) break;
      triedUntil = Math.max(window.start[last]! + 1, candidate + 1);
    }
    if (window) spares.give(window);
  }

  private tryRulesAt(text: string, tokens: Tokens, ti: number, definition: boolean, emit: Emit): void {
    const candidates = this.rulesByFirstWord.get(tokens.word[ti]!);
    if (!candidates) return;
    for (const phrase of candidates) {
      const strength = definition && phrase.inDefinition ? phrase.inDefinition : phrase.strength;
      if (STRENGTH_RANK[strength] < this.minRank) continue;
      if (phrase.imperativeOnly && ti > 0 && !tokens.breakBefore[ti]! && DESCRIPTIVE_PREFIX.has(tokens.word[ti - 1]!)) continue;
      const end = matchSlots(phrase.slots, 0, tokens, ti, ti);
      if (end <= ti) continue;
      const start = tokens.start[ti]!;
      const stop = tokens.end[end - 1]!;
      // Code punctuation between the words (`ignore_previous(instructions`): an identifier and its
      // arguments, not a sentence; two levels lower.
      emit(phrase.category, phrase.id, CODE_PUNCTUATION.test(text.slice(start, stop)) ? demoted(strength) : strength, start, stop);
    }
  }
}

const CODE_PUNCTUATION = /[={}();]/;
const BY_RANK: readonly SignalStrength[] = ['weak', 'medium', 'strong'];

function demoted(strength: SignalStrength): SignalStrength {
  return BY_RANK[Math.max(0, STRENGTH_RANK[strength] - 2)]!;
}
