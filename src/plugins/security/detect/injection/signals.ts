// Structural signals of an injection, scored together: what a passage asks of its reader rather
// than one phrase list. Each signal is a vocabulary of short phrases in seventeen languages (en, zh,
// ja, de, fr, es, ar, vi, ru, pt, it, ko, hi, pl, nl, id, tr; the data is the chunk
// src/gateway/chunks/injection-vocabulary.ts), found by one literal alternation over the lower-cased
// text (linear: no quantifier). Hits are grouped by sentence, and a sentence with its neighbour scores
// the combination: asking for the system prompt, dropping earlier instructions, a new persona
// without limits, words addressed to an AI inside data, a demand for secrecy, "if asked, reply
// only …", a destination for data, code offered to switch protections off. Text that talks
// *about* injection (advisories, papers, guides) scores one point less, text that reports what an
// attack told a model two (Frame, below); where a hit stands (an identifier, a URL path, after a
// possessive or a negation) can take a signal away.
import type { SignalStrength } from '../unicode';
import { normalizeForScan } from '../normalize';
import { execAt } from '../regex';
import { loadChunk } from '../../../../gateway/chunks';
import type * as VocabularyChunk from '../../../../gateway/chunks/injection-vocabulary';
import type { Emit, InjectionCategory, Signal } from './types';

/** The signals, in the order of their bits (SIGNAL_BIT); each one's phrases are in the vocabulary chunk. */
const SIGNALS: readonly Signal[] = [
  'leak_verb',
  'leak_target',
  'drop_verb',
  'instructions',
  'setup',
  'origin',
  'persona',
  'unrestricted',
  'mode',
  'address_ai',
  'address_lead',
  'ai_reader',
  'reading_this',
  'secrecy',
  'condition',
  'reply_only',
  'send_verb',
  'destination',
  'data',
  'credential',
  'gather',
  'tool_offer',
  'disable',
  'execute',
  'directive',
  'restricted_ask',
  'about',
  'reported',
  'shadow',
  'person_frame',
];

/** What a combination of signals within a sentence and its neighbour is worth, and what it is. */
interface Combination {
  readonly all: readonly Signal[];
  readonly score: number;
  readonly category: InjectionCategory;
  readonly id: string;
}

const COMBINATIONS: readonly Combination[] = [
  { all: ['leak_verb', 'leak_target'], score: 2, category: 'context_hijacking', id: 'signals.system_prompt_request' },
  { all: ['leak_verb', 'instructions', 'origin'], score: 2, category: 'context_hijacking', id: 'signals.system_prompt_request' },
  { all: ['leak_verb', 'setup', 'origin'], score: 2, category: 'context_hijacking', id: 'signals.system_prompt_request' },
  { all: ['leak_verb', 'setup'], score: 1, category: 'context_hijacking', id: 'signals.setup_request' },
  { all: ['instructions', 'origin'], score: 1, category: 'context_hijacking', id: 'signals.setup_question' },
  { all: ['setup', 'origin'], score: 1, category: 'context_hijacking', id: 'signals.setup_question' },
  { all: ['drop_verb', 'setup'], score: 1, category: 'context_hijacking', id: 'signals.drop_rules' },
  { all: ['address_lead', 'ai_reader', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['ai_reader', 'reading_this', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['address_lead', 'ai_reader'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['ai_reader', 'reading_this'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['shadow'], score: 1, category: 'tool_poisoning', id: 'signals.shadowing' },
  { all: ['drop_verb', 'instructions'], score: 2, category: 'context_hijacking', id: 'signals.drop_instructions' },
  { all: ['persona', 'unrestricted'], score: 3, category: 'role_manipulation', id: 'signals.unrestricted_persona' },
  { all: ['persona'], score: 1, category: 'role_manipulation', id: 'signals.persona' },
  { all: ['mode'], score: 1, category: 'role_manipulation', id: 'signals.special_mode' },
  { all: ['unrestricted'], score: 1, category: 'role_manipulation', id: 'signals.unrestricted' },
  { all: ['address_ai', 'execute'], score: 2, category: 'tool_poisoning', id: 'signals.command_for_ai' },
  { all: ['address_ai', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['address_ai', 'secrecy'], score: 2, category: 'tool_poisoning', id: 'signals.secret_for_ai' },
  { all: ['persona', 'restricted_ask'], score: 2, category: 'role_manipulation', id: 'signals.persona_for_restricted' },
  { all: ['address_ai'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['secrecy'], score: 1, category: 'tool_poisoning', id: 'signals.secrecy' },
  { all: ['condition', 'reply_only'], score: 2, category: 'context_hijacking', id: 'signals.scripted_reply' },
  { all: ['send_verb', 'destination', 'data'], score: 2, category: 'tool_poisoning', id: 'signals.exfiltration' },
  { all: ['gather', 'send_verb', 'destination', 'credential'], score: 2, category: 'tool_poisoning', id: 'signals.exfiltration' },
  { all: ['send_verb', 'destination'], score: 1, category: 'tool_poisoning', id: 'signals.send_somewhere' },
  { all: ['tool_offer', 'disable'], score: 2, category: 'tool_poisoning', id: 'signals.protection_off' },
  { all: ['tool_offer'], score: 1, category: 'tool_poisoning', id: 'signals.tool_offer' },
];

/** Each signal's bit (fewer than 31 signals): a sentence's signals are one number, a combination's test two `&`s. */
const SIGNAL_BIT = new Map(SIGNALS.map((signal, i) => [signal, 1 << i]));
const maskOf = (signals: readonly Signal[]): number => signals.reduce((mask, signal) => mask | SIGNAL_BIT.get(signal)!, 0);
const ABOUT = maskOf(['about']);
const REPORTED = maskOf(['reported']);
const DROP_VERB = maskOf(['drop_verb']);
const REPLY_ONLY = maskOf(['reply_only']);
const AI_READER = maskOf(['ai_reader']);
const ADDRESS_AI = maskOf(['address_ai']);

/** The last word of a name addressed with a colon must name an automated reader ("AI code reviewers:", not "AI team:"). */
const READER_NOUNS: ReadonlySet<string> = new Set([
  'assistant', 'assistants', 'agent', 'agents', 'reviewer', 'reviewers', 'bot', 'bots', 'tool', 'tools', 'model', 'models', 'system',
  'systems', 'summarizer', 'summarizers', 'summariser', 'summarisers', 'screener', 'screeners', 'crawler', 'crawlers', 'software',
  'copilot', 'llm', 'llms', 'reader', 'readers', 'scanner', 'scanners', 'parser', 'parsers', 'pipeline', 'pipelines', 'screening',
]);

/** Whether more words follow `from` up to a colon (letters, spaces, hyphens; at most 24 characters) and the last names a reader. */
function colonAfterName(text: string, from: number): boolean {
  if (text.charCodeAt(from) !== 0x20) return false;
  let wordStart = from + 1;
  for (let i = from + 1; i < text.length && i - from <= 24; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return READER_NOUNS.has(text.slice(wordStart, i));
    if (c === 0x20 || c === 0x2d) wordStart = i + 1;
    else if (!isAsciiLetter(c) && c < 0xc0) return false;
  }
  return false;
}

/** Whether a word of the same line comes right before `at` ("summarizing model", "travel assistants"). */
function qualifiedBefore(text: string, at: number): boolean {
  return text.charCodeAt(at - 1) === 0x20 && isAsciiLetter(text.charCodeAt(at - 2));
}

/** Labels that address a model when a comment or a bracket opens right before them (`<!-- assistant:`). */
const COMMENT_LABELS: ReadonlySet<string> = new Set(['ai:', 'assistant:', 'agent:', 'llm:', 'bot:', 'model:', 'chatbot:']);
const COMMENT_OPENER = /(?:<!--|\/\*|\/\/|#|\[|\() ?$/;
/** Words that switch something off only as an assigned value (`SAFE_MODE=off`, `"sandbox": "off"`). */
const ASSIGNED_WORDS: ReadonlySet<string> = new Set(['false', 'none', 'off']);
const ASSIGNMENT = /[=:] ?["']?$/;
/** "Don't forget", "never ignore", "vergiss nicht", "n'oublie pas": a negated drop verb. */
const INSTRUCTIONS = maskOf(['instructions']);
const SPEAKERS_POSSESSIVE = /(?:^|[^a-z])(?:my|mis|mes|meine|meinen|mie|minhas|meus|moje|mijn|мои) $/;
const NEGATION_BEFORE = /(?:n't|not|never|nie) $/;
const NEGATION_AFTER = /^ (?:nicht|pas|no|not)\b/;
const VERBS = maskOf(['drop_verb', 'send_verb', 'leak_verb', 'directive']);
const PERSON_FRAME = maskOf(['person_frame']);

/**
 * How a text frames what it says: `about` talks about injection (papers, advisories, guides),
 * `reported` describes in the third person what an attack told a model ("could direct the assistant
 * to read …", "told the model to ignore …"): its attack words are a report, not an order.
 */
export type Frame = 'none' | 'about' | 'reported';

/** Combinations of more signals are tried first, so a pair is not lost to one of its members alone. */
const BY_SIZE: readonly (Combination & { readonly mask: number })[] = [...COMBINATIONS]
  .sort((a, b) => b.all.length - a.all.length || b.score - a.score)
  .map((c) => ({ ...c, mask: maskOf(c.all) }));

/** What is known of a phrase when the search finds it (one lookup per hit). */
interface PhraseInfo {
  /** Its signals, as bits (SIGNAL_BIT). */
  signals: number;
  /** A stem (written with a final `*`): letters may follow it (Turkish `talimatları`, German `Systemanweisungen`). */
  stem: boolean;
  /** What must precede it: a comment opener (COMMENT_LABELS), an assignment (ASSIGNED_WORDS), or nothing. */
  needs: 'comment' | 'assignment' | undefined;
}

interface Compiled {
  /** Every phrase, longest first, as one alternation (a trie of them was no faster in irregexp, nor a search by hand in JavaScript). */
  readonly search: RegExp;
  readonly infoOf: ReadonlyMap<string, PhraseInfo>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  const infoOf = new Map<string, PhraseInfo>();
  const { VOCABULARY } = loadChunk<typeof VocabularyChunk>('injection-vocabulary');
  for (const [signal, phrases] of Object.entries(VOCABULARY) as [Signal, readonly string[]][]) {
    for (const entry of phrases) {
      const stem = entry.endsWith('*');
      const written = stem ? entry.slice(0, -1) : entry;
      // Phrases are matched in normalised text (../normalize: Cyrillic and Greek look-alikes folded
      // to Latin, so Russian words are partly Latin there): the vocabulary goes through the same reading.
      const phrase = (normalizeForScan(written)?.text ?? written).toLowerCase();
      const info = infoOf.get(phrase) ?? { signals: 0, stem, needs: COMMENT_LABELS.has(phrase) ? 'comment' : ASSIGNED_WORDS.has(phrase) ? 'assignment' : undefined };
      info.signals |= SIGNAL_BIT.get(signal)!;
      infoOf.set(phrase, info);
    }
  }
  const escaped = (phrases: string[]): string => phrases.sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const phrases = [...infoOf.keys()];
  const wordLed = phrases.filter((p) => isAsciiLetter(p.charCodeAt(0)));
  const otherLed = phrases.filter((p) => !isAsciiLetter(p.charCodeAt(0)));
  // A phrase that starts with an ASCII letter must not be glued to one on its left: the lookbehind
  // says so first, so inside a word (most positions) no alternative is tried at all.
  return { search: new RegExp(`(?<![A-Za-z])(?:${escaped(wordLed)})|${escaped(otherLed)}`, 'g'), infoOf };
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** Sentence ends: `.!?` before a space or line end, CJK full stops, blank lines. */
function isSentenceEnd(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0x3002 || c === 0xff01 || c === 0xff1f) return true;
  if (c === 0x0a) return text.charCodeAt(i + 1) === 0x0a;
  if (c !== 0x2e && c !== 0x21 && c !== 0x3f) return false;
  const next = text.charCodeAt(i + 1);
  return Number.isNaN(next) || next === 0x20 || next === 0x0a;
}

/** The characters isSentenceEnd looks at. */
const END_CHARACTER = /[.!?\n\u3002\uff01\uff1f]/g;

const RANK_STRENGTH: readonly SignalStrength[] = ['weak', 'medium', 'strong'];

/** A possessive that is not the reader's ("its", "my", "their" … system prompt), just before a leak target. */
const OWNED_BY_SOMEONE_ELSE = /(?:^|[^a-z])(?:its|my|their|his|her|our|bot's|model's) $/;
/** What a possessive can make someone else's: "its system prompt", "its hidden instructions". */
const OWNED = maskOf(['leak_target', 'origin', 'address_ai']);

/**
 * Scores `text` and reports one finding per sentence whose signals, with its neighbour's, score at
 * least one point, over the span of the signals that scored. Linear: one alternation search, one pass  over the sentence ends.
 * Returns whether the text talks *about* injection (the phrase rules use it to read quoted attacks as quotations).
 */
export function detectSignals(text: string, emit: Emit, plainAscii = false): Frame {
  if (text.length < 4) return 'none';
  const lowerCased = text.toLowerCase();
  // Offsets must stay those of the original; a lower-casing that changes lengths is rare (İ): skip it.
  if (lowerCased.length !== text.length) return 'none';
  // Lower-cased first, then normalised like the vocabulary (look-alike folding is not case-symmetric:
  // `Т` folds to `T`, `т` does not), and findings mapped back through the normalisation's offsets.
  // ASCII without a backslash has nothing to normalise (the caller knows it already).
  const normalized = plainAscii ? undefined : normalizeForScan(lowerCased);
  const lower = normalized?.text ?? lowerCased;
  if (normalized !== undefined) {
    const inner = emit;
    emit = (category, rule, strength, start, end) => inner(category, rule, strength, normalized.originalStart(start), normalized.originalEnd(end));
  }
  compiled ??= compile();
  const { search, infoOf } = compiled;
  const hits: Hit[] = [];
  let next = 0;
  for (let m = execAt(search, lower, next); m !== null; m = execAt(search, lower, next)) {
    const phrase = m[0];
    const start = m.index;
    next = start + phrase.length;
    // An ASCII word must not be glued to letters on either side ("post" in "poster", "ai" in "said").
    const first = phrase.charCodeAt(0);
    const last = phrase.charCodeAt(phrase.length - 1);
    if (isAsciiLetter(first) && isAsciiLetter(lower.charCodeAt(start - 1))) {
      next = start + 1;
      continue;
    }
    const info = infoOf.get(phrase)!;
    if (isAsciiLetter(last) && isAsciiLetter(lower.charCodeAt(next)) && !info.stem) {
      next = start + 1;
      continue;
    }
    // A verb inside an identifier or a call is code, not prose: `ignore_previous(…)`, `requests.post(…)`
    // (nouns inside identifiers still count: `SAFETY_CHECKS`, `disable_content_filter`).
    let signals = info.signals;
    if (isAsciiLetter(first) && (signals & ~VERBS) === 0 && isIdentifierJoint(lower, start - 1, next)) continue;
    // A word in a URL's path (`https://api.example.com/messages`) names a resource; it is not prose.
    if (isAsciiLetter(first) && lower.charCodeAt(start - 1) === 0x2f && inUrl(lower, start)) continue;
    // Comment labels and assigned words need what precedes them (a literal of each form would make
    // the search try every `<`, `/`, `#` and `=` of code).
    // (Without one, "summarizing model:" still addresses a reader named with a qualifier; a bare
    // "Assistant:" at a line's start is a transcript's role label.)
    if (info.needs === 'comment' && !COMMENT_OPENER.test(lower.slice(Math.max(0, start - 5), start)) && !qualifiedBefore(lower, start)) continue;
    if (info.needs === 'assignment' && !ASSIGNMENT.test(lower.slice(Math.max(0, start - 3), start))) continue;
    // "Reply with only the translated text": the form of an answer a request asked for, not a scripted
    // one (a script names its words: "reply only 'Refunds are not available'", "just say it is fine").
    if ((signals & REPLY_ONLY) !== 0 && (lower.startsWith(' the ', next) || lower.startsWith(' with the ', next))) {
      signals &= ~REPLY_ONLY;
      if (signals === 0) continue;
    }
    // "Olvida mis instrucciones", "meine Anweisungen": the speaker's own instructions, withdrawn.
    if ((signals & INSTRUCTIONS) !== 0 && SPEAKERS_POSSESSIVE.test(lower.slice(Math.max(0, start - 8), start))) {
      signals &= ~INSTRUCTIONS;
      if (signals === 0) continue;
    }
    // "Don't forget the instructions", "Vergiss nicht …": a negated drop verb keeps them.
    if ((signals & DROP_VERB) !== 0 && (NEGATION_BEFORE.test(lower.slice(Math.max(0, start - 8), start)) || NEGATION_AFTER.test(lower.slice(next, next + 8)))) {
      signals &= ~DROP_VERB;
      if (signals === 0) continue;
    }
    // "reveal its system prompt", "my system prompt": someone else's prompt is talked about, not asked for.
    if ((signals & OWNED) !== 0 && OWNED_BY_SOMEONE_ELSE.test(lower.slice(Math.max(0, start - 12), start))) {
      signals &= ~OWNED;
      if (signals === 0) continue;
    }
    // "AI travel assistants:", "AI code reviewers:": words naming an automated reader, then a colon,
    // address what follows to it.
    if ((signals & AI_READER) !== 0 && (colonAfterName(lower, next) || (lower.charCodeAt(next) === 0x3a && qualifiedBefore(lower, start)))) signals |= ADDRESS_AI;
    hits.push({ signals, start, end: start + phrase.length, sentence: 0 });
  }
  if (hits.length === 0) return 'none';
  // The sentence of each hit, when there are two to tell apart: jump from one end character to the
  // next (each searched for once).
  if (hits.length > 1) {
    let sentence = 0;
    let nextEnd = execAt(END_CHARACTER, lower, hits[0]!.end)?.index ?? lower.length;
    for (const hit of hits) {
      while (nextEnd < hit.start) {
        if (isSentenceEnd(lower, nextEnd)) sentence++;
        nextEnd = execAt(END_CHARACTER, lower, nextEnd + 1)?.index ?? lower.length;
      }
      hit.sentence = sentence;
    }
  }
  let present = 0;
  for (const hit of hits) present |= hit.signals;
  const frame: Frame = (present & REPORTED) !== 0 ? 'reported' : (present & ABOUT) !== 0 ? 'about' : 'none';
  // In a text about injection, words inside quotation marks are quoted, not said.
  const counted = frame === 'none' ? hits : hits.filter((hit) => !insideQuotes(lower, hit.start, hit.end));
  const discount = frame === 'reported' ? 2 : frame === 'about' || (present & PERSON_FRAME) !== 0 ? 1 : 0;
  // Each sentence scores its own combinations (a pair of signals counts only inside one sentence).
  const sentences: SentenceScore[] = [];
  for (let h = 0; h < counted.length; ) {
    let end = h;
    while (end < counted.length && counted[end]!.sentence === counted[h]!.sentence) end++;
    const scored = scoreSentence(counted, h, end);
    if (scored !== undefined) sentences.push(scored);
    h = end;
  }
  // A sentence and the one after it are read together: secrecy next to an order to the AI counts twice.
  for (let k = 0; k < sentences.length; k++) {
    const current = sentences[k]!;
    const neighbour = sentences[k + 1]?.sentence === current.sentence + 1 ? sentences[k + 1]! : sentences[k - 1]?.sentence === current.sentence - 1 ? sentences[k - 1]! : undefined;
    // In a frame (about injection, reported speech, a person at a screen) a sentence counts its best
    // combination, not their sum: a list of examples ("requests to reveal the system prompt or to
    // ignore prior instructions") names several attacks without making one.
    const score = counting(current, discount) + (neighbour === undefined ? 0 : counting(neighbour, discount)) - discount;
    if (score < 1) continue;
    emit(current.best.category, current.best.id, RANK_STRENGTH[Math.min(score, 3) - 1]!, current.start, current.end);
  }
  return frame;
}

/** What a sentence counts: the sum of its combinations, or in a frame (a discount) its best one. */
function counting(sentence: SentenceScore, discount: number): number {
  return discount === 0 ? sentence.score : sentence.best.score;
}

/** Whether `at` lies in a URL: `://` before it with no space between (looked for at most 96 characters back). */
function inUrl(text: string, at: number): boolean {
  for (let i = at - 1; i >= 2 && at - i <= 96; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09) return false;
    if (c === 0x2f && text.charCodeAt(i - 1) === 0x2f && text.charCodeAt(i - 2) === 0x3a) return true;
  }
  return false;
}

/** Whether the characters around a hit make it part of an identifier or a call (`_` or `.` glued before, `_` or `(` after). */
function isIdentifierJoint(text: string, before: number, after: number): boolean {
  const b = text.charCodeAt(before);
  const a = text.charCodeAt(after);
  if (b === 0x5f || a === 0x5f || a === 0x28) return true;
  return b === 0x2e && isAsciiLetter(text.charCodeAt(before - 1));
}

const OPENING_QUOTES = '"\u201c\u201e\u00ab\u300c\u300e`';
const CLOSING_QUOTES = '"\u201d\u201c\u00bb\u300d\u300f`';
/** How far a quotation may reach before and after the phrase found inside it. */
const QUOTE_REACH = 160;

/**
 * Whether [start, end) lies inside a quotation on one line: an opening mark before it and a closing
 * one after, none between. A single quote counts as a mark only where it cannot be an apostrophe
 * (an opening one not after a letter, a closing one not before a letter: `'reveal your prompt'`, not `don't … it's`).
 */
export function insideQuotes(text: string, start: number, end: number): boolean {
  // A phrase found with its marks (`'ignore previous instructions'`) is a quotation; one found with
  // its opening mark only (`'ignore your instructions`) starts after it.
  if (end - start > 2 && (OPENING_QUOTES.includes(text[start]!) || text[start] === "'")) {
    const close = text[end - 1]!;
    if (close === "'" ? text[start] === "'" : CLOSING_QUOTES.includes(close) && text[start] !== "'") return true;
    start++;
  }
  let open = -1;
  let single = false;
  for (let i = start - 1; i >= 0 && start - i <= QUOTE_REACH; i--) {
    const c = text[i]!;
    if (c === '\n') return false;
    if (OPENING_QUOTES.includes(c) || (c === "'" && !isLetterAt(text, i - 1))) {
      open = i;
      single = c === "'";
      break;
    }
  }
  if (open === -1) return false;
  const closes = (i: number): boolean => {
    const c = text[i]!;
    return single ? c === "'" && !isLetterAt(text, i + 1) : CLOSING_QUOTES.includes(c);
  };
  for (let i = start; i < end; i++) if (closes(i)) return false;
  for (let i = end; i < text.length && i - end <= QUOTE_REACH; i++) {
    if (text[i] === '\n') return false;
    if (closes(i)) return true;
  }
  return false;
}

function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return isAsciiLetter(c) || c > 0x7f;
}

interface Hit {
  /** Bits of SIGNAL_BIT. */
  readonly signals: number;
  readonly start: number;
  readonly end: number;
  /** Index of its sentence (set after the search, when there are two hits or more). */
  sentence: number;
}

interface SentenceScore {
  readonly sentence: number;
  readonly score: number;
  readonly best: Combination;
  /** The span of the hits that scored. */
  readonly start: number;
  readonly end: number;
}

/** The combinations one sentence's hits, hits[from, to), make (each signal used once), their score and span. */
function scoreSentence(hits: readonly Hit[], from: number, to: number): SentenceScore | undefined {
  let present = 0;
  for (let h = from; h < to; h++) present |= hits[h]!.signals;
  let used = 0;
  let score = 0;
  let best: Combination | undefined;
  for (const c of BY_SIZE) {
    if ((present & c.mask) !== c.mask || (used & c.mask) !== 0) continue;
    used |= c.mask;
    score += c.score;
    if (best === undefined || c.score > best.score) best = c;
  }
  if (best === undefined) return undefined;
  let start = Infinity;
  let end = -1;
  for (let h = from; h < to; h++) {
    const hit = hits[h]!;
    if ((hit.signals & used) === 0) continue;
    start = Math.min(start, hit.start);
    end = Math.max(end, hit.end);
  }
  return { sentence: hits[from]!.sentence, score, best, start, end };
}
