// The statistical injection model (issue #15): a logistic regression over hashed word unigrams,
// bigrams and word prefixes of the normalised text, with each character of a script written without
// spaces (Chinese, Japanese, Thai…) read as a word, so those get character unigrams and bigrams.
// Trained by scripts/train-injection-model.ts, which writes the weights file (model-weights.json);
// the gateway loads that file from its own bundle (src/gateway/chunks/injection-model.ts) so
// gateway-core.js does not carry it. Everything here is one left-to-right pass over the text:
// no regular expression searches it, and a long text is scored over sliding windows of a fixed
// number of tokens (prefix sums, so linear) so one injected sentence in a long page is not diluted.
import type { SignalStrength } from '../unicode';

/** What `modelWeightsFile` checks a weights file against: the format this code reads. */
export const MODEL_FORMAT = 'gatekit-injection-model/1';

/** The feature set, as recorded in the weights file (the trainer and the scorer read the same one). */
export interface ModelFeatureOptions {
  /** Weights table size is 2^hashBits. */
  readonly hashBits: number;
  /** Word bigrams (and character bigrams in scripts without spaces). */
  readonly bigrams: boolean;
  /** A word of more than this many characters also counts by its first this-many (0: off). */
  readonly prefixLength: number;
  /** Character n-grams of each word, from 3 up to this length, with word boundaries marked (0: off). */
  readonly charGrams: number;
  /** Tokens per window: a text this long or shorter is scored whole, a longer one by its best window. */
  readonly windowTokens: number;
}

/** The weights file as the trainer writes it (JSON). */
export interface ModelWeightsFile {
  readonly format: string;
  readonly features: ModelFeatureOptions;
  /** Weights are stored as signed 16-bit integers: weight = stored / scale. */
  readonly scale: number;
  readonly bias: number;
  /** Minimum probability for each strength of finding (weak < medium < strong). */
  readonly thresholds: Readonly<Record<SignalStrength, number>>;
  /**
   * For each sensitivity (by the weakest strength it reports), the probability below which, in every
   * window around them, the rules' word findings are dropped: the text is plainly benign there.
   */
  readonly vetoBelow: Readonly<Record<SignalStrength, number>>;
  /** A text of fewer tokens is never vetoed: a few words are too little for the model to call benign. */
  readonly vetoMinTokens: number;
  /** Little-endian Int16 weights, base64. */
  readonly weights: string;
  /** What it was trained on and how it was chosen: for people, not read by the scorer. */
  readonly provenance?: unknown;
}

/** A bad weights file: the detector refuses to start with it rather than fail in the middle of a scan. */
export class ModelWeightsError extends Error {
  constructor(message: string) {
    super(`injection model weights: ${message}`);
    this.name = 'ModelWeightsError';
  }
}

/** Limits a weights file must respect: 2^12 to 2^20 buckets (the shipped file uses 2^16; 2^20 would be 2 MiB). */
const MIN_HASH_BITS = 12;
const MAX_HASH_BITS = 20;
const MAX_WINDOW_TOKENS = 4096;
const MAX_PREFIX_LENGTH = 16;
const MAX_CHAR_GRAMS = 6;

/** Token features as the scorer and the trainer read them: hashes of one token, of it with the previous one, of its prefix. */
export interface TokenFeatures {
  /** Offsets of each token in the text read. */
  readonly starts: number[];
  readonly ends: number[];
  readonly unigram: number[];
  /** -1: no bigram (first token, or first after a sentence end). */
  readonly bigram: number[];
  /** The token's other features (prefix, character n-grams): grams[gramEnd[k-1] .. gramEnd[k]). */
  readonly grams: number[];
  readonly gramEnd: number[];
}

/** A word is cut to this many code units before it is hashed: bounded work per token whatever the input. */
const MAX_TOKEN_UNITS = 32;

// Character classes, computed once per BMP code point: 0 not yet known, 1 separator, 2 sentence end,
// 3 part of a word, 4 a word on its own (scripts written without spaces). Astral characters are
// read as word characters (CJK extensions are rare; emoji and others then glue to a word, harmless).
const SEPARATOR = 1;
const SENTENCE_END = 2;
const WORD = 3;
const SOLO = 4;
const CHAR_CLASS = new Uint8Array(0x10000);
const LOWER = new Uint16Array(0x10000);
const WORD_CHARACTER = /^[\p{L}\p{N}\p{M}]$/u;
const UNSPACED_SCRIPT = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]$/u;
const SENTENCE_ENDS = '.!?;\n\u3002\uff01\uff1f\uff1b\u061f\u0964';

function classOf(unit: number): number {
  const known = CHAR_CLASS[unit]!;
  if (known !== 0) return known;
  const c = String.fromCharCode(unit);
  let cls: number;
  if (unit >= 0xd800 && unit <= 0xdfff) cls = WORD;
  else if (UNSPACED_SCRIPT.test(c)) cls = SOLO;
  else if (WORD_CHARACTER.test(c)) cls = WORD;
  else if (SENTENCE_ENDS.includes(c)) cls = SENTENCE_END;
  else cls = SEPARATOR;
  const lower = c.toLowerCase();
  LOWER[unit] = lower.length === 1 ? lower.charCodeAt(0) : unit;
  CHAR_CLASS[unit] = cls;
  return cls;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** A 32-bit finaliser (murmur3's) so that bucket indexes use every bit of a hash. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Salts that keep the three kinds of feature apart in the one table.
const UNIGRAM_SALT = 0x9e3779b9;
const BIGRAM_SALT = 0x7f4a7c15;
const PREFIX_SALT = 0x2545f491;
const GRAM_SALT = 0x1b873593;
/** Marks a word's start and end in its character n-grams. */
const BOUNDARY = 0x20;

/**
 * Called for each token of a text, left to right: its span, its word's bucket, the bucket of it
 * with the previous word (-1: none) and its other buckets (prefix, character n-grams), which are
 * `grams[0 .. gramCount)` of a scratch array valid during the call only.
 */
export type TokenVisitor = (start: number, end: number, unigram: number, bigram: number, grams: Int32Array, gramCount: number) => void;

/** Most other buckets one token can have: a prefix and the character n-grams of 32 units plus two boundaries. */
const MAX_GRAMS_PER_TOKEN = 1 + (MAX_TOKEN_UNITS + 2) * MAX_CHAR_GRAMS;
/** Shared by every call: a visitor reads it during its own call only, and nothing in a visit tokenizes again. */
const GRAM_SCRATCH = new Int32Array(MAX_GRAMS_PER_TOKEN);

/**
 * Visits the tokens of `text` (already normalised) with their feature buckets: the one definition
 * of the features, for the trainer (`tokenFeatures`) and the scorer. Linear: each code unit is
 * classified once (a table lookup after its first sight) and at most `MAX_TOKEN_UNITS` of a word hashed.
 */
export function forEachToken(text: string, features: ModelFeatureOptions, visit: TokenVisitor): void {
  const mask = (1 << features.hashBits) - 1;
  const maxGram = features.charGrams;
  const gramOut = GRAM_SCRATCH;
  // The lower-cased units of the current word with a boundary mark on each side, for its n-grams.
  const units_: number[] = [];
  let previous = -1; // hash of the previous token, -1 after a sentence end
  const n = text.length;
  let i = 0;
  while (i < n) {
    const cls = classOf(text.charCodeAt(i));
    if (cls === SEPARATOR || cls === SENTENCE_END) {
      if (cls === SENTENCE_END) previous = -1;
      i++;
      continue;
    }
    const start = i;
    let h = FNV_OFFSET;
    let prefixHash = -1;
    let units = 0;
    const grams = maxGram >= 3;
    if (grams) {
      units_.length = 0;
      units_.push(BOUNDARY);
    }
    if (cls === SOLO) {
      const lower = LOWER[text.charCodeAt(i)]!;
      h = Math.imul(h ^ lower, FNV_PRIME);
      units = 1;
      i++;
    } else {
      while (i < n && classOf(text.charCodeAt(i)) === WORD) {
        if (units < MAX_TOKEN_UNITS) {
          const lower = LOWER[text.charCodeAt(i)]!;
          h = Math.imul(h ^ lower, FNV_PRIME);
          if (grams) units_.push(lower);
          units++;
          if (units === features.prefixLength) prefixHash = h;
        }
        i++;
      }
    }
    if (grams) units_.push(BOUNDARY);
    const word = h >>> 0;
    let gramCount = 0;
    if (prefixHash !== -1 && units > features.prefixLength) gramOut[gramCount++] = mix((prefixHash >>> 0) ^ PREFIX_SALT) & mask;
    // Character n-grams of words (not of single characters of unspaced scripts: their bigrams cover them).
    if (grams && units_.length > 3) {
      for (let from = 0; from + 3 <= units_.length; from++) {
        let g = FNV_OFFSET ^ GRAM_SALT;
        for (let len = 1; len <= maxGram && from + len <= units_.length; len++) {
          g = Math.imul(g ^ units_[from + len - 1]!, FNV_PRIME);
          if (len >= 3) gramOut[gramCount++] = mix((g >>> 0) ^ len) & mask;
        }
      }
    }
    visit(start, i, mix(word ^ UNIGRAM_SALT) & mask, features.bigrams && previous !== -1 ? mix(Math.imul(previous, 31) ^ word ^ BIGRAM_SALT) & mask : -1, gramOut, gramCount);
    previous = word;
  }
}

/** The tokens of `text` (already normalised) and their feature buckets, as arrays (the trainer's form). */
export function tokenFeatures(text: string, features: ModelFeatureOptions): TokenFeatures {
  const out: TokenFeatures = { starts: [], ends: [], unigram: [], bigram: [], grams: [], gramEnd: [] };
  forEachToken(text, features, (start, end, unigram, bigram, grams, gramCount) => {
    out.starts.push(start);
    out.ends.push(end);
    out.unigram.push(unigram);
    out.bigram.push(bigram);
    for (let g = 0; g < gramCount; g++) out.grams.push(grams[g]!);
    out.gramEnd.push(out.grams.length);
  });
  return out;
}

/** The columns `eachWindow` fills; one set for the process, as a scan never scores two texts at once. */
interface WindowScratch {
  starts: Int32Array;
  ends: Int32Array;
  /** prefix[k]: the sum of the contributions of tokens 0..k-1. */
  prefix: Float64Array;
  leadingBigram: Float64Array;
}

let scratch: WindowScratch | undefined;
/** Columns kept between scans hold at most this many tokens (1.5 MiB); a longer text gets its own. */
const KEPT_SCRATCH_TOKENS = 1 << 16;

const newScratch = (size: number): WindowScratch => ({ starts: new Int32Array(size), ends: new Int32Array(size), prefix: new Float64Array(size + 1), leadingBigram: new Float64Array(size) });

function windowScratch(tokens: number): WindowScratch {
  if (tokens > KEPT_SCRATCH_TOKENS) return newScratch(tokens);
  if (scratch === undefined || scratch.starts.length < tokens) scratch = newScratch(Math.min(KEPT_SCRATCH_TOKENS, Math.max(tokens, 2 * (scratch?.starts.length ?? 512))));
  return scratch;
}

/** One stretch of text the model scores as an injection: the union of overlapping windows above the lowest threshold. */
export interface ModelHit {
  readonly start: number;
  readonly end: number;
  /** The best window's probability. */
  readonly probability: number;
  readonly strength: SignalStrength;
}

/** A stretch of text covered by overlapping windows, with the best window's log-odds. */
export interface Stretch {
  readonly start: number;
  readonly end: number;
  readonly best: number;
}

/** What one scan of a text by the model found. */
export interface ModelAssessment {
  readonly hits: ModelHit[];
  /** Where some window reaches the veto threshold (in order, disjoint): phrase and signal findings elsewhere are dropped. */
  readonly live: Stretch[];
}

/** Merges windows, given left to right, into disjoint stretches. */
class StretchBuilder {
  private readonly stretches: { start: number; end: number; best: number }[] = [];

  add(start: number, end: number, score: number): void {
    const last = this.stretches[this.stretches.length - 1];
    if (last !== undefined && start < last.end) {
      last.end = end;
      if (score > last.best) last.best = score;
    } else {
      this.stretches.push({ start, end, best: score });
    }
  }

  done(): Stretch[] {
    return this.stretches;
  }
}

const STRENGTHS_STRONGEST_FIRST: readonly SignalStrength[] = ['strong', 'medium', 'weak'];

/** A loaded, checked model. Immutable and shared by every scan. */
export class InjectionModel {
  private readonly weights: Float32Array;
  private readonly logitThresholds: readonly (readonly [SignalStrength, number])[];
  private readonly lowestLogit: number;
  private readonly vetoLogits: Readonly<Record<SignalStrength, number>>;

  constructor(
    readonly features: ModelFeatureOptions,
    private readonly bias: number,
    weights: Float32Array,
    readonly thresholds: Readonly<Record<SignalStrength, number>>,
    readonly vetoBelow: Readonly<Record<SignalStrength, number>>,
    readonly vetoMinTokens: number,
  ) {
    this.weights = weights;
    this.vetoLogits = { weak: logit(vetoBelow.weak), medium: logit(vetoBelow.medium), strong: logit(vetoBelow.strong) };
    this.logitThresholds = STRENGTHS_STRONGEST_FIRST.map((s) => [s, logit(thresholds[s])] as const);
    this.lowestLogit = logit(thresholds.weak);
  }

  /** The model's log-odds for a whole text read as one window (what training sees). */
  logitOf(text: string): number {
    const t = tokenFeatures(text, this.features);
    let sum = this.bias;
    for (let k = 0; k < t.unigram.length; k++) sum += this.contribution(t, k, k === 0);
    return sum;
  }

  private contribution(t: TokenFeatures, k: number, first: boolean): number {
    let c = this.weights[t.unigram[k]!]!;
    for (let g = k === 0 ? 0 : t.gramEnd[k - 1]!; g < t.gramEnd[k]!; g++) c += this.weights[t.grams[g]!]!;
    const b = t.bigram[k]!;
    if (!first && b !== -1) c += this.weights[b]!;
    return c;
  }

  /**
   * What the model makes of `text` (normalised): the stretches whose windows reach the weak
   * threshold, each with its strength, and the stretches whose windows reach the veto threshold of
   * a scan reporting from `weakest` up (outside them the rules' phrase and signal findings are
   * dropped). Windows slide one token at a time; their sums come from prefix sums, so the cost is
   * linear in the text whatever the window.
   */
  assess(text: string, weakest: SignalStrength): ModelAssessment {
    const vetoLogit = this.vetoLogits[weakest];
    const hits = new StretchBuilder();
    const live = new StretchBuilder();
    const tokens = this.eachWindow(text, (score, start, end) => {
      if (score >= vetoLogit) live.add(start, end, score);
      if (score >= this.lowestLogit) hits.add(start, end, score);
    });
    return {
      hits: hits.done().map((s) => ({ start: s.start, end: s.end, probability: sigmoid(s.best), strength: this.strengthOf(s.best) })),
      // A text of a few words (or none) gives the model too little to judge: it vetoes nothing.
      live: tokens >= Math.max(1, this.vetoMinTokens) ? live.done() : [{ start: 0, end: text.length, best: Infinity }],
    };
  }

  /** Calls `visit` with the log-odds and the span of every window, left to right; returns the number of tokens. */
  private eachWindow(text: string, visit: (score: number, start: number, end: number) => void): number {
    // Per token: its span, its contribution (bigram with the previous token included) and that
    // bigram's weight, which a window starting at the token leaves out, in typed arrays reused from
    // scan to scan (allocating them per short string cost more than the scoring) and grown to the
    // most tokens the text can hold, one per code unit.
    const { starts, ends, prefix, leadingBigram } = windowScratch(text.length);
    const w = this.weights;
    let count = 0;
    forEachToken(text, this.features, (start, end, unigram, bigram, grams, gramCount) => {
      let c = w[unigram]!;
      for (let g = 0; g < gramCount; g++) c += w[grams[g]!]!;
      const b = bigram === -1 ? 0 : w[bigram]!;
      c += b;
      starts[count] = start;
      ends[count] = end;
      leadingBigram[count] = b;
      prefix[count + 1] = prefix[count]! + c;
      count++;
    });
    if (count === 0) return 0;
    const window = Math.min(this.features.windowTokens, count);
    for (let first = 0; first + window <= count; first++) {
      const last = first + window - 1;
      // A window's first token has no bigram inside the window.
      visit(this.bias + prefix[last + 1]! - prefix[first]! - leadingBigram[first]!, starts[first]!, ends[last]!);
    }
    return count;
  }

  private strengthOf(score: number): SignalStrength {
    for (const [strength, threshold] of this.logitThresholds) if (score >= threshold) return strength;
    return 'weak';
  }
}

/** Maps normalised offsets back to the original text (../normalize.ts), or undefined when the text was read as written. */
type ToOriginal = { originalStart(offset: number): number; originalEnd(offset: number): number } | undefined;

const toOriginalSpan = <S extends { start: number; end: number }>(span: S, toOriginal: ToOriginal): S =>
  toOriginal === undefined ? span : { ...span, start: toOriginal.originalStart(span.start), end: toOriginal.originalEnd(span.end) };

/**
 * The hits that overlap none of `found` (spans in the original text, sorted by start), with their
 * offsets mapped to the original: where a rule found something, its narrower span is what gets
 * redacted. Linear in hits plus findings (hits are disjoint and in order).
 */
export function hitsBesides(hits: readonly ModelHit[], found: readonly { readonly start: number; readonly end: number }[], toOriginal: ToOriginal): ModelHit[] {
  const out: ModelHit[] = [];
  let k = 0;
  for (const hit of hits) {
    const { start, end } = toOriginalSpan(hit, toOriginal);
    // Findings ending before this hit end before every later one too.
    while (k < found.length && found[k]!.end <= start) k++;
    // found[k] ends inside or after the hit: it overlaps unless it starts after it.
    if (k < found.length && found[k]!.start < end) continue;
    out.push({ ...hit, start, end });
  }
  return out;
}

/**
 * Drops the findings from index `from` on (the phrase and signal rules' findings, in original
 * offsets) that overlap no live stretch: the model scores everything around them as plainly benign.
 * Each finding is looked up by binary search over the stretches.
 */
export function keepInLiveStretches<F extends { readonly start: number; readonly end: number }>(findings: F[], from: number, live: readonly Stretch[], toOriginal: ToOriginal): void {
  const spans = live.map((s) => toOriginalSpan(s, toOriginal));
  let kept = from;
  for (let i = from; i < findings.length; i++) {
    const f = findings[i]!;
    // The first stretch that ends after the finding starts: it overlaps unless it starts after the finding ends.
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (spans[mid]!.end <= f.start) lo = mid + 1;
      else hi = mid;
    }
    if (lo < spans.length && spans[lo]!.start < f.end) findings[kept++] = f;
  }
  findings.length = kept;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIntegerIn = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isProbability = (v: unknown): v is number => isFiniteNumber(v) && v > 0 && v < 1;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks a parsed weights file and builds the model, or throws `ModelWeightsError` naming what is
 * wrong: an unknown format, a table size out of bounds, weights of the wrong length, thresholds
 * that are not probabilities in order, a bias or scale that is not finite.
 */
export function modelFromWeightsFile(file: unknown): InjectionModel {
  if (!isRecord(file)) throw new ModelWeightsError('not a JSON object');
  if (file['format'] !== MODEL_FORMAT) throw new ModelWeightsError(`format is not ${MODEL_FORMAT}`);
  const f = file['features'];
  if (!isRecord(f)) throw new ModelWeightsError('features missing');
  if (!isIntegerIn(f['hashBits'], MIN_HASH_BITS, MAX_HASH_BITS)) throw new ModelWeightsError(`hashBits must be an integer from ${MIN_HASH_BITS} to ${MAX_HASH_BITS}`);
  if (typeof f['bigrams'] !== 'boolean') throw new ModelWeightsError('bigrams must be true or false');
  if (!isIntegerIn(f['prefixLength'], 0, MAX_PREFIX_LENGTH)) throw new ModelWeightsError(`prefixLength must be an integer from 0 to ${MAX_PREFIX_LENGTH}`);
  if (!isIntegerIn(f['charGrams'], 0, MAX_CHAR_GRAMS)) throw new ModelWeightsError(`charGrams must be an integer from 0 to ${MAX_CHAR_GRAMS}`);
  if (!isIntegerIn(f['windowTokens'], 1, MAX_WINDOW_TOKENS)) throw new ModelWeightsError(`windowTokens must be an integer from 1 to ${MAX_WINDOW_TOKENS}`);
  const features: ModelFeatureOptions = { hashBits: f['hashBits'], bigrams: f['bigrams'], prefixLength: f['prefixLength'], charGrams: f['charGrams'], windowTokens: f['windowTokens'] };
  const scale = file['scale'];
  const bias = file['bias'];
  if (!isFiniteNumber(scale) || scale <= 0) throw new ModelWeightsError('scale must be a positive number');
  if (!isFiniteNumber(bias)) throw new ModelWeightsError('bias must be a finite number');
  const t = file['thresholds'];
  if (!isRecord(t) || !isProbability(t['weak']) || !isProbability(t['medium']) || !isProbability(t['strong'])) {
    throw new ModelWeightsError('thresholds must hold weak, medium and strong probabilities between 0 and 1');
  }
  if (!(t['weak'] <= t['medium'] && t['medium'] <= t['strong'])) throw new ModelWeightsError('thresholds must rise from weak to medium to strong');
  const v = file['vetoBelow'];
  if (!isRecord(v) || !isProbability(v['weak']) || !isProbability(v['medium']) || !isProbability(v['strong'])) {
    throw new ModelWeightsError('vetoBelow must hold weak, medium and strong probabilities between 0 and 1');
  }
  // A more sensitive scan may not veto more than a less sensitive one: each sensitivity must flag at least what the one below does.
  if (!(v['weak'] <= v['medium'] && v['medium'] <= v['strong'])) throw new ModelWeightsError('vetoBelow must rise from weak to medium to strong');
  const vetoBelow = { weak: v['weak'], medium: v['medium'], strong: v['strong'] };
  const vetoMinTokens = file['vetoMinTokens'];
  if (!isIntegerIn(vetoMinTokens, 0, MAX_WINDOW_TOKENS)) throw new ModelWeightsError(`vetoMinTokens must be an integer from 0 to ${MAX_WINDOW_TOKENS}`);
  const encoded = file['weights'];
  const size = 1 << features.hashBits;
  // Checked before decoding: a huge string is refused by its length, not decoded first.
  if (typeof encoded !== 'string' || encoded.length !== Math.ceil((size * 2) / 3) * 4 || !BASE64.test(encoded)) {
    throw new ModelWeightsError(`weights must be the base64 of ${size} 16-bit integers`);
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== size * 2) throw new ModelWeightsError(`weights must be the base64 of ${size} 16-bit integers`);
  // q / scale is exact in 32 bits (q has 16 bits, scale is a power of two in the shipped file), so scores match training.
  const weights = new Float32Array(size);
  for (let k = 0; k < size; k++) weights[k] = bytes.readInt16LE(k * 2) / scale;
  return new InjectionModel(features, bias, weights, { weak: t['weak'], medium: t['medium'], strong: t['strong'] }, vetoBelow, vetoMinTokens);
}
