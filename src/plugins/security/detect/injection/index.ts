// Prompt-injection and tool-poisoning detection in linear time: natural-language rules run over a
// token stream (words with offsets), delimiter tricks over a few literal-led regexes, hidden
// Unicode through ../unicode, and base64 through ../base64. No search regex here has a quantified
// group, so none can backtrack catastrophically; the anchor conditions (checked at one place each)
// repeat a group a few times at most, over word and gap classes that do not overlap.
//
// The folder is a small compiler and its runtime, one file per seam:
//   rules.ts       the rules' data (word sets, phrase rules) in the language of language.ts
//   language.ts    the pattern language over tokens and its parser
//   prefilter.ts   rules compiled to searches: anchor words, their conditions, verifiers
//   tokenize.ts    exact token windows over the text
//   match.ts       the rules matched over the windows the prefilter points at
//   structural.ts  delimiter, tag and comment detectors; credentials.ts credential-file access
//   index.ts       the detector: options, one scan, base64, findings (this file)
// What is derived from the rules is remembered for the process (./memo.ts); what a scan changes is
// its own (locals, its SpareColumns, its findings), so scans may interleave (see ../regex.ts).
import { findBase64Candidates } from '../base64';
import { normalizeForScan } from '../normalize';
import { findHiddenUnicode } from '../unicode';
import { detectCredentialAccess } from './credentials';
import { PhraseMatcher } from './match';
import { hitsBesides, keepInLiveStretches } from './model';
import { detectSignals, insideQuotes, type Frame } from './signals';
import { phraseRules } from './rules';
import { detectBracketRoles, detectChatTokens, detectFencesAndTurns, detectHtmlComments, detectQuotedOverride, detectTags } from './structural';
import { SpareColumns } from './tokenize';
import type { SignalStrength } from '../unicode';
import { MIN_RANK, STRENGTH_RANK, WEAKEST_REPORTED, type Emit, type InjectionCategory, type InjectionDetectorOptions, type InjectionFinding, type ScanOptions } from './types';

export { INJECTION_CATEGORIES } from './types';
export type { InjectionCategory, InjectionDetectorOptions, InjectionFinding, ScanOptions, Sensitivity, SignalStrength } from './types';

/** Shortest base64 run decoded (24 characters hide 18 bytes, about the shortest instruction). */
const MIN_ENCODED_LENGTH = 24;
/** Base64 inside base64 is unwrapped this many times. */
const MAX_ENCODING_DEPTH = 2;
/** Characters at least one of the structural detectors (delimiters, tags, comments, paths) needs. */
const STRUCTURE_CHAR = /[<[:`~"'._/]/;

/**
 * Scans strings for prompt injection. Build one per configuration; `scan` is pure and reentrant:
 * the detector holds only what its options derive, and each scan its own state, so a scan may
 * start while another is running (from a callback, or between the slices of a cooperative scan).
 */
export class InjectionDetector {
  private readonly minRank: number;
  private readonly weakestReported: SignalStrength;
  private readonly enabled: Record<InjectionCategory, boolean>;
  private readonly scanBase64: boolean;
  private readonly phrases: PhraseMatcher;
  private readonly model: InjectionDetectorOptions['model'];

  constructor(options: InjectionDetectorOptions) {
    this.model = options.model;
    this.minRank = MIN_RANK[options.sensitivity];
    this.weakestReported = WEAKEST_REPORTED[options.sensitivity];
    this.scanBase64 = options.scanBase64 ?? true;
    this.enabled = {
      delimiter_injection: options.categories?.delimiter_injection ?? true,
      role_manipulation: options.categories?.role_manipulation ?? true,
      context_hijacking: options.categories?.context_hijacking ?? true,
      tool_poisoning: options.categories?.tool_poisoning ?? true,
      hidden_unicode: options.categories?.hidden_unicode ?? true,
    };
    this.phrases = new PhraseMatcher(
      phraseRules().filter((compiled) => this.enabled[compiled.category]),
      this.minRank,
    );
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
    // This scan's own scratch: the windows it tokenizes hand their columns on through it.
    const spares = new SpareColumns();
    const emit = collector(text, this.enabled, this.minRank, findings);

    // Every character from U+0080 on takes two or more bytes in UTF-8 (counted natively, faster than a regex test).
    const nonAscii = Buffer.byteLength(text, 'utf8') !== text.length;
    // Hidden characters are all above U+034F.
    if (this.enabled.hidden_unicode && nonAscii) {
      for (const hit of findHiddenUnicode(text, { toolDefinition: definition })) emit('hidden_unicode', `unicode.${hit.kind}`, hit.strength, hit.start, hit.end);
    }
    // The words are read as a reader sees them (the normalisation the PII and secrets filters use:
    // NFKC, invisible characters removed, Cyrillic and Greek look-alikes folded, `\u` escapes
    // decoded); findings are mapped back to the original offsets. Hidden characters were looked
    // for above, on the original.
    const normalized = normalizeForScan(text);
    const read = normalized?.text ?? text;
    const emitRead = normalized === undefined ? emit : mappedBack(emit, normalized);
    // The statistical model (./model.ts), when configured: phrase and signal findings count only where
    // its windows reach the veto threshold (in a text with no such window those rules are not run;
    // structure, hidden characters, credential paths and base64 always count); what it scores as an
    // injection is a finding below, where no rule found anything.
    // Text decoded from base64 (depth > 0) is read by the rules alone: hiding words in base64 is
    // itself the signal, and the model never saw such text in training.
    const assessment = depth === 0 ? this.model?.assess(read, this.weakestReported) : undefined;
    const wordRules = assessment === undefined || assessment.live.length > 0;
    const firstWordFinding = findings.length;
    // The signals normalise lower-cased text themselves (their vocabulary is read the same way).
    // They run first (the phrase rules need to know whether the text is about injection) but are
    // reported after the phrases, so a phrase rule names a span both found.
    const signalFindings: Parameters<Emit>[] = [];
    const frame: Frame = wordRules ? detectSignals(text, (...finding) => signalFindings.push(finding), !nonAscii && normalized === undefined) : 'none';
    // How the text frames its words (about injection, reporting an attack) lowers what phrases count (framed, below).
    const emitPhrase = frame === 'none' ? emitRead : framed(emitRead, frame, read);
    if (wordRules) this.phrases.match(read, normalized === undefined ? nonAscii : Buffer.byteLength(read, 'utf8') !== read.length, definition, emitPhrase, spares);
    for (const finding of signalFindings) emit(...finding);
    if (assessment !== undefined) keepInLiveStretches(findings, firstWordFinding, assessment.live, normalized);
    // Every structural detector needs one of these characters.
    if (STRUCTURE_CHAR.test(read)) this.detectStructure(read, definition, frame === 'reported' ? emitPhrase : emitRead, spares);
    if (assessment !== undefined && assessment.hits.length > 0) {
      for (const hit of hitsBesides(assessment.hits, findings.sort((a, b) => a.start - b.start), normalized)) emit('context_hijacking', `statistical_model:${(Math.floor(hit.probability * 100) / 100).toFixed(2)}`, hit.strength, hit.start, hit.end);
    }
    if (this.scanBase64 && depth < MAX_ENCODING_DEPTH && text.length >= MIN_ENCODED_LENGTH) this.scanEncoded(text, options, depth, findings);
    return dropNested(findings);
  }

  private detectStructure(text: string, definition: boolean, emit: Emit, spares: SpareColumns): void {
    if (this.enabled.delimiter_injection) {
      detectChatTokens(text, emit);
      detectBracketRoles(text, emit);
      detectFencesAndTurns(text, emit);
      detectQuotedOverride(text, emit);
    }
    if (this.enabled.delimiter_injection || this.enabled.tool_poisoning) detectTags(text, definition, emit);
    if (this.enabled.tool_poisoning) {
      if (definition) detectHtmlComments(text, emit);
      detectCredentialAccess(text, emit, spares);
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

// The emitters of one scan are made by these factories (a returned function is anonymous: no name
// is defined on it per scan, which the bundle's keepNames would otherwise do for each local one).

/** Collects findings at or above `minRank` of the enabled categories; instructions a person wrote count two levels lower. */
function collector(text: string, enabled: Record<InjectionCategory, boolean>, minRank: number, findings: InjectionFinding[]): Emit {
  return (category, ruleId, strength, start, end) => {
    if (DROPPED_INSTRUCTION_RULES.has(ruleId) && aPersonsInstructions(text, start, end)) strength = demoted(strength, 2);
    // "Your instructions for the model": the writer's own instructions, not words addressed to an AI.
    else if (ruleId === 'poison.address_the_ai' && OWNED_LEAD.test(text.slice(Math.max(0, start - 12), start))) strength = demoted(strength, 2);
    if (!enabled[category] || STRENGTH_RANK[strength] < minRank) return;
    findings.push({ category, rule: ruleId, strength, start, end, encoding: 'plain' });
  };
}

/** Maps offsets in the normalised text back to the original. */
function mappedBack(emit: Emit, normalized: NonNullable<ReturnType<typeof normalizeForScan>>): Emit {
  return (category, ruleId, strength, start, end) => emit(category, ruleId, strength, normalized.originalStart(start), normalized.originalEnd(end));
}

/**
 * In a text about injection, an attack phrase inside quotation marks is quoted, not said: two levels
 * lower (a strong phrase still shows at `strict`). In a text that reports what an attack told a
 * model ("could direct the assistant to read ~/.aws/credentials"), every phrase and structure is.
 */
function framed(emit: Emit, frame: Exclude<Frame, 'none'>, read: string): Emit {
  if (frame === 'reported') return (category, ruleId, strength, start, end) => emit(category, ruleId, demoted(strength, 2), start, end);
  return (category, ruleId, strength, start, end) => emit(category, ruleId, insideQuotes(read, start, end) ? demoted(strength, 2) : strength, start, end);
}

/**
 * "Ignore the previous instructions in the README", "… in the leaflet", "… from IT", "the directions
 * I sent", "the assembly instructions": people drop instructions a person wrote, in a document people
 * read, all the time, and a model's own instructions are none of these. Such a request counts two
 * levels lower (a strong phrase still shows at `strict`); one about "the instructions in your
 * context" or "in this conversation" does not.
 */
const DROPPED_INSTRUCTION_RULES: ReadonlySet<string> = new Set([
  'context.ignore_prior_instructions',
  'context.ignore_prior_context',
  'context.ignore_everything_before',
  'context.ignore_what_i_said',
  'signals.drop_instructions',
  'signals.system_prompt_request',
]);
const IN_A_PERSONS_DOCUMENT =
  /^[ \t]{1,4}(?:in|on|from|printed on)[ \t]{1,4}(?:(?:the|this|that|our|my|your)[ \t]{1,4})?(?:(?:old|outdated|setup|install|build|printed|paper|earlier|previous|last|first)[ \t]{1,4})?(?:readme|wiki|ticket|issue|jira|confluence|docs|documentation|manual|handbook|runbook|changelog|contributing|pr|pull request|leaflet|label|box|packet|package|booklet|sheet|letter|flyer|email|it|hr|ops|support|vendor|manufacturer|landlord|teacher|manager|team|[\w-]{1,64}\.(?:md|txt|rst|adoc))\b/i;
/** "… I sent", "… we gave you", "everything I said": the speaker's own words, withdrawn. */
const SPEAKERS_OWN = /^[^.!?\n]{0,40}\b(?:i|we)[ \t]{1,4}(?:sent|gave|wrote|posted|mentioned|shared|left|said|asked|told you)\b/i;
/** "the assembly instructions", "the washing instructions": a task a person does. */
const TASK_INSTRUCTIONS = /\b(?:assembly|installation|install|setup|cooking|washing|care|build|shipping|delivery|parking|wiring|mounting|dosage|baking|recipe|packing)[ \t]{1,4}(?:instructions|directions|steps)$/i;

/** "Ignore any earlier messages about a delay": messages on a topic, a person's. */
const ABOUT_A_TOPIC = /^[ \t]{1,4}(?:about|regarding|concerning|on the subject of|re:)[ \t]/i;
/** "your/the initial instructions for the agent": a noun phrase naming instructions, not words addressed to an AI. */
const OWNED_LEAD = /(?:^|[^a-z])(?:your|our|my|the|its|their|initial|original|default|system|same|these|those) $/i;

/** "Ignore that last instruction", "forget my previous directions": the speaker's own last words. */
const OWN_LAST_WORDS = /^[^ \t]{1,16}[ \t]{1,4}(?:that|my|our)[ \t]{1,4}(?:last|latest|previous|earlier)\b/i;

/** A document a person reads, named in the rest of the sentence, in the languages of the vocabularies. */
const PERSONS_DOCUMENT_NEARBY =
  /^[^.!?\n]{0,40}(?:manual|manuel|manuale|handbuch|anleitung|handleiding|panneau|cartel|schild|etiqueta|étiquette|etikett|leaflet|notice|instrukcji|инструкции по|说明书|マニュアル|매뉴얼|मैनुअल|kılavuz|panduan|sách hướng dẫn|الدليل|readme|wiki|\bdocs?\b|\bguide\b|handbook|onboarding)/i;

function aPersonsInstructions(text: string, start: number, end: number): boolean {
  const after = text.slice(end, end + 96);
  return (
    PERSONS_DOCUMENT_NEARBY.test(after) ||
    IN_A_PERSONS_DOCUMENT.test(after) ||
    SPEAKERS_OWN.test(text.slice(start, end + 48)) ||
    TASK_INSTRUCTIONS.test(text.slice(Math.max(start, end - 48), end)) ||
    ABOUT_A_TOPIC.test(after) ||
    OWN_LAST_WORDS.test(text.slice(start, Math.min(end, start + 64)))
  );
}

const STRENGTHS: readonly SignalStrength[] = ['weak', 'medium', 'strong'];

function demoted(strength: SignalStrength, levels: number): SignalStrength {
  return STRENGTHS[Math.max(0, STRENGTH_RANK[strength] - levels)]!;
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
