// Trains the statistical injection model and writes its weights file
// (src/plugins/security/detect/injection/model-weights.json): `npx tsx scripts/train-injection-model.ts`.
// `--search` also prints the cross-validated grid the constants below were chosen from.
//
// Data: the project's injection corpora and the issue #15 tuning parts (never a held-out part: those
// are the model's test sets), the texts written for the model (test/fixtures/corpus/model-train), and
// as more benign text the secrets and personal-data corpora (none holds an injection). Hidden-Unicode
// and base64 attacks are left out: the model reads the normalised text, where invisible characters
// are gone and base64 is opaque, and the rules find both exactly.
//
// Deterministic: folds come from a seeded generator, training is full-batch (no sampling order),
// and weights are rounded to 16-bit integers, so the same data gives the same file byte for byte
// (test/unit/plugins/security/injection-model.test.ts checks it).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeForScan } from '../src/plugins/security/detect/normalize';
import { InjectionDetector, type Sensitivity } from '../src/plugins/security/detect/injection';
import { WEAKEST_REPORTED } from '../src/plugins/security/detect/injection/types';
import { MODEL_FORMAT, logit, sigmoid, tokenFeatures, type ModelFeatureOptions, type ModelWeightsFile } from '../src/plugins/security/detect/injection/model';
import type { SignalStrength } from '../src/plugins/security/detect/unicode';
import { loadCorpus } from '../test/unit/plugins/security/corpus';

export const WEIGHTS_PATH = join(__dirname, '../src/plugins/security/detect/injection/model-weights.json');

/** Chosen by `--search` (5-fold cross-validation on the training data only; see docs/detection.md). */
export const FEATURES: ModelFeatureOptions = { hashBits: 16, bigrams: true, prefixLength: 4, charGrams: 0, windowTokens: 48 };
export const L2 = 3e-6;
const ITERATIONS = 300;
const LEARNING_RATE = 0.05;
const FOLDS = 5;
const SEED = 15;
/** Weights are stored as round(weight × SCALE) in 16 bits, so |weight| ≤ 32767 / SCALE ≈ 8. */
const SCALE = 4096;
const MAX_WEIGHT = 32767 / SCALE;

/**
 * The share of benign injection look-alikes (out of fold) the detector — rules and model together —
 * may flag at each sensitivity, named by the weakest strength it reports: `strong` (relaxed) almost
 * none, `medium` (standard) one in a hundred (the target), `weak` (strict) one in twenty.
 */
export const LOOKALIKE_BUDGET: Readonly<Record<SignalStrength, number>> = { strong: 0.003, medium: 0.01, weak: 0.05 };
/**
 * The share of ordinary README pieces (one window each) it may flag: a fifth of the look-alikes'
 * budget, since a page of several windows is flagged when any one is, and most traffic is ordinary.
 */
export const ORDINARY_BUDGET: Readonly<Record<SignalStrength, number>> = { strong: 0.0006, medium: 0.002, weak: 0.01 };

/**
 * The rules' phrase and signal findings count only where the model's probability for some window
 * reaches a veto threshold; the model's own findings need its threshold. Both are chosen per
 * sensitivity from this grid (and the look-alikes' scores) by `chooseCombination`.
 */
const VETO_GRID = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.9999];
/**
 * A text of fewer tokens than this is not vetoed ("You are now DAN." gives the model too few words
 * to judge): chosen from this grid by the recall at `standard`.
 */
const VETO_MIN_TOKENS_GRID = [0, 8, 12, 16, 24];

/** Where a training text comes from: decides nothing in training, only how the figures are broken down. */
type Source = 'project' | 'tuning' | 'model-train' | 'secrets-pii' | 'ordinary';

export interface Sample {
  readonly id: string;
  readonly text: string;
  readonly definition: boolean;
  readonly injection: boolean;
  /** A benign text written to look like an injection (the false-positive figures count these). */
  readonly lookalike: boolean;
  readonly source: Source;
}

interface CorpusText {
  id: string;
  kind?: string;
  where?: string;
  text: string;
}

const EXCLUDED_KINDS: ReadonlySet<string> = new Set(['hidden_unicode', 'encoded', 'base64']);

/**
 * Ordinary text nobody here wrote: the README files of the installed npm packages (pinned by
 * package-lock.json, read where `npm ci` put them, never copied into the repository). Instructions to
 * people, code and shell commands are what tool output mostly is; the look-alikes alone let the model
 * take any imperative for an attack (trained without these, it flagged 17% of README pieces). Packages
 * are split in two by a hash of their name: `half` 0 trains, 1 measures (injection-model-report.ts).
 */
export function ordinaryReadmes(half: 0 | 1): { name: string; text: string }[] {
  const root = join(__dirname, '../node_modules');
  const names: string[] = [];
  for (const entry of readdirSync(root).sort()) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const inner of readdirSync(join(root, entry)).sort()) names.push(`${entry}/${inner}`);
    else names.push(entry);
  }
  const out: { name: string; text: string }[] = [];
  for (const name of names) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
    if (((hash >>> 0) & 1) !== half) continue;
    let files: string[];
    try {
      files = readdirSync(join(root, name));
    } catch {
      continue; // a file, not a package folder
    }
    const readme = files.filter((f) => /^readme\.md$/i.test(f)).sort()[0];
    if (readme !== undefined) out.push({ name, text: readFileSync(join(root, name, readme), 'utf8') });
  }
  return out;
}

/** Cuts a text into pieces of about `size` characters at line ends (the model is trained on window-sized texts). */
export function piecesOf(text: string, size: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (current.length > 0 && current.length + line.length > size) {
      pieces.push(current);
      current = '';
    }
    current += (current.length > 0 ? '\n' : '') + line.slice(0, size);
  }
  if (current.trim().length > 0) pieces.push(current);
  return pieces.filter((p) => p.trim().length > 0);
}

/** About one 48-token window of English prose. */
const ORDINARY_PIECE = 320;

/** The training texts. Never a held-out part. */
export function trainingSamples(): Sample[] {
  const samples: Sample[] = [];
  const add = (file: string, injection: boolean, lookalike: boolean, source: Source): void => {
    for (const s of loadCorpus<CorpusText>(file)) {
      if (s.kind !== undefined && EXCLUDED_KINDS.has(s.kind)) continue;
      samples.push({ id: `${file}:${s.id}`, text: s.text, definition: s.where === 'definition', injection, lookalike, source });
    }
  };
  add('injection.jsonl', true, false, 'project');
  add('injection-benign.jsonl', false, true, 'project');
  for (const part of ['tuning', 'tuning-b', 'tuning-c', 'tuning-d']) {
    add(`${part}/injection.jsonl`, true, false, 'tuning');
    add(`${part}/injection-benign.jsonl`, false, true, 'tuning');
    add(`${part}/benign.jsonl`, false, false, 'secrets-pii');
  }
  add('model-train/injection.jsonl', true, false, 'model-train');
  add('model-train/injection-benign.jsonl', false, true, 'model-train');
  // Written by two writers who never saw the detectors or the held-out parts (300 injections, 400
  // benign look-alikes, half in 24 languages other than English).
  add('model-train/extra-attacks.jsonl', true, false, 'model-train');
  add('model-train/extra-benign.jsonl', false, true, 'model-train');
  // Six more writers, one domain each (w1 workplace documents, w2 software development, w3 the open
  // web, w4 17 European languages, w5 15 Asian and Middle Eastern languages, w6 tool descriptions and
  // tool output), attacks and look-alikes in the same surroundings, neither having seen the detectors.
  for (const writer of ['w1', 'w2', 'w3', 'w4', 'w5', 'w6']) {
    add(`model-train/${writer}-attacks.jsonl`, true, false, 'model-train');
    add(`model-train/${writer}-benign.jsonl`, false, true, 'model-train');
  }
  for (const file of ['benign.jsonl', 'secrets.jsonl', 'pii.jsonl']) add(file, false, false, 'secrets-pii');
  for (const { name, text } of ordinaryReadmes(0)) {
    piecesOf(text, ORDINARY_PIECE).forEach((piece, k) => samples.push({ id: `readme:${name}:${k}`, text: piece, definition: false, injection: false, lookalike: false, source: 'ordinary' }));
  }
  return samples;
}

/** A sample's features as the scorer reads a text no longer than one window: bucket → count. */
type Sparse = { readonly index: Int32Array; readonly count: Float64Array };

function featurize(text: string, features: ModelFeatureOptions): Sparse {
  const read = normalizeForScan(text)?.text ?? text;
  const t = tokenFeatures(read, features);
  const counts = new Map<number, number>();
  const bump = (k: number): void => {
    if (k !== -1) counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  for (let k = 0; k < t.unigram.length; k++) {
    bump(t.unigram[k]!);
    for (let g = k === 0 ? 0 : t.gramEnd[k - 1]!; g < t.gramEnd[k]!; g++) bump(t.grams[g]!);
    if (k > 0) bump(t.bigram[k]!);
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  return { index: Int32Array.from(keys), count: Float64Array.from(keys.map((k) => counts.get(k)!)) };
}

interface Trained {
  readonly weights: Float64Array;
  readonly bias: number;
}

/**
 * L2-regularised logistic regression, classes weighted to equal total weight, fitted by full-batch
 * Adam (deterministic: no sampling order). Weights are clipped to what 16 bits can store.
 */
function train(x: readonly Sparse[], y: readonly boolean[], size: number, l2: number): Trained {
  const positives = y.filter(Boolean).length;
  const negatives = y.length - positives;
  const classWeight = (label: boolean): number => (label ? 0.5 / positives : 0.5 / negatives);
  const w = new Float64Array(size);
  const m = new Float64Array(size + 1);
  const v = new Float64Array(size + 1);
  const grad = new Float64Array(size + 1); // the last slot is the bias
  let bias = 0;
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let step = 1; step <= ITERATIONS; step++) {
    grad.fill(0);
    for (let i = 0; i < x.length; i++) {
      const s = x[i]!;
      let z = bias;
      for (let k = 0; k < s.index.length; k++) z += w[s.index[k]!]! * s.count[k]!;
      const g = (sigmoid(z) - (y[i] ? 1 : 0)) * classWeight(y[i]!);
      for (let k = 0; k < s.index.length; k++) grad[s.index[k]!]! += g * s.count[k]!;
      grad[size]! += g;
    }
    for (let k = 0; k < size; k++) grad[k]! += l2 * w[k]!;
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    for (let k = 0; k <= size; k++) {
      const g = grad[k]!;
      if (g === 0 && m[k] === 0) continue;
      m[k] = beta1 * m[k]! + (1 - beta1) * g;
      v[k] = beta2 * v[k]! + (1 - beta2) * g * g;
      const delta = (LEARNING_RATE * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + 1e-8);
      if (k === size) bias -= delta;
      else w[k] = Math.max(-MAX_WEIGHT, Math.min(MAX_WEIGHT, w[k]! - delta));
    }
  }
  return { weights: w, bias };
}

/** Rounds weights to the 16-bit integers the file stores (and the scorer reads back). */
function quantize(weights: Float64Array): Int16Array {
  const q = new Int16Array(weights.length);
  for (let k = 0; k < weights.length; k++) q[k] = Math.round(weights[k]! * SCALE);
  return q;
}

function score(model: Trained, s: Sparse): number {
  let z = model.bias;
  for (let k = 0; k < s.index.length; k++) z += model.weights[s.index[k]!]! * s.count[k]!;
  return z;
}

/** A seeded generator (mulberry32): the folds depend on SEED only. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fold of each sample: stratified by source and label, shuffled with the seed. */
function folds(samples: readonly Sample[]): number[] {
  const next = random(SEED);
  const fold = new Array<number>(samples.length).fill(0);
  const groups = new Map<string, number[]>();
  samples.forEach((s, i) => {
    const key = `${s.source}:${s.injection}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const members of groups.values()) {
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    members.forEach((sampleIndex, k) => (fold[sampleIndex] = k % FOLDS));
  }
  return fold;
}

/** Out-of-fold log-odds of every sample (each scored by a model that never saw it). */
export function crossValidatedScores(samples: readonly Sample[], features: ModelFeatureOptions, l2: number): Float64Array {
  const x = samples.map((s) => featurize(s.text, features));
  const fold = folds(samples);
  const out = new Float64Array(samples.length);
  for (let f = 0; f < FOLDS; f++) {
    const trainIdx = samples.map((_, i) => i).filter((i) => fold[i] !== f);
    const model = train(
      trainIdx.map((i) => x[i]!),
      trainIdx.map((i) => samples[i]!.injection),
      1 << features.hashBits,
      l2,
    );
    samples.forEach((_, i) => {
      if (fold[i] === f) out[i] = score(model, x[i]!);
    });
  }
  return out;
}

/** The lowest probability (4 decimals, rounded up) that at most `allowed` of these log-odds reach. */
function thresholdAbove(scores: readonly number[], allowed: number): number {
  const sorted = [...scores].sort((a, b) => b - a);
  // Strictly above the (allowed+1)-th highest score: at most `allowed` reach it.
  const p = sigmoid(sorted[allowed] ?? -Infinity);
  // Rounded up to 4 decimals so the file is stable and the bound still holds.
  return Math.min(0.9999, Math.ceil(p * 1e4 + 1e-9) / 1e4);
}

/** The lowest probability that flags at most `budget` of the look-alikes (out-of-fold scores): the model alone. */
function thresholdFor(samples: readonly Sample[], scores: Float64Array, budget: number): number {
  const lookalikes = samples.flatMap((s, i) => (s.lookalike ? [scores[i]!] : []));
  return thresholdAbove(lookalikes, Math.floor(budget * lookalikes.length));
}

/** One sensitivity's setting: the model's threshold and the veto below which rule findings are dropped. */
export interface Combination {
  readonly threshold: number;
  readonly veto: number;
}

/** What the combination reads of one text out of fold. */
interface Verdict {
  readonly rules: boolean;
  readonly logOdds: number;
  /** Too short for the model to veto. */
  readonly short: boolean;
}

/** Flags a text: the model reaches the threshold, or a rule fired and the model reaches the veto (or the text is too short to veto). */
const combined = (c: Combination, v: Verdict): boolean => v.logOdds >= logit(c.threshold) || (v.rules && (v.short || v.logOdds >= logit(c.veto)));

/**
 * The combination with the best out-of-fold recall whose look-alikes flagged stay within `budget`:
 * for each veto of the grid, the rule findings it keeps use part of the budget and the model's
 * threshold is set so its own hits use the rest. `ceiling` keeps the setting no higher than the
 * less sensitive one's (so each sensitivity flags at least what the one below does).
 */
function chooseCombination(samples: readonly Sample[], verdicts: readonly Verdict[], budget: number, ordinaryBudget: number, ceiling: Combination): { c: Combination; hits: number } | undefined {
  const negatives = [
    { members: samples.flatMap((s, i) => (s.lookalike ? [i] : [])), budget },
    { members: samples.flatMap((s, i) => (s.source === 'ordinary' ? [i] : [])), budget: ordinaryBudget },
  ].map((n) => ({ ...n, allowed: Math.floor(n.budget * n.members.length) }));
  const hitsOf = (c: Combination): number => samples.filter((s, i) => s.injection && combined(c, verdicts[i]!)).length;
  let best: { c: Combination; hits: number } | undefined;
  for (const veto of VETO_GRID.filter((v) => v <= ceiling.veto)) {
    // The rule findings this veto keeps spend part of each budget; the model's threshold gets the rest.
    const kept = (i: number): boolean => verdicts[i]!.rules && (verdicts[i]!.short || verdicts[i]!.logOdds >= logit(veto));
    if (negatives.some((n) => n.members.filter(kept).length > n.allowed)) continue;
    const threshold = Math.min(
      ceiling.threshold,
      // The stricter of the two: each kind of benign text within its own budget.
      Math.max(...negatives.map((n) => thresholdAbove(n.members.filter((i) => !kept(i)).map((i) => verdicts[i]!.logOdds), n.allowed - n.members.filter(kept).length))),
    );
    const c = { threshold, veto };
    if (negatives.some((n) => n.members.filter((i) => combined(c, verdicts[i]!)).length > n.allowed)) continue;
    const hits = hitsOf(c);
    if (best === undefined || hits > best.hits) best = { c, hits };
  }
  // Undefined when even the highest veto keeps more look-alikes than the budget (short texts are never vetoed).
  return best;
}

/** The settings of every sensitivity for one minimum of tokens to veto, least sensitive first, each capped by the one before. */
function chooseSettings(samples: readonly Sample[], oof: Float64Array, rules: Record<Sensitivity, boolean[]>, tokens: readonly number[], vetoMinTokens: number): { chosen: Record<Sensitivity, Combination>; standardHits: number } | undefined {
  const chosen = {} as Record<Sensitivity, Combination>;
  let ceiling: Combination = { threshold: 0.9999, veto: 0.9999 };
  let standardHits = 0;
  for (const sensitivity of ['relaxed', 'standard', 'strict'] as const) {
    const verdicts = samples.map((_, i) => ({ rules: rules[sensitivity][i]!, logOdds: oof[i]!, short: tokens[i]! < vetoMinTokens }));
    const choice = chooseCombination(samples, verdicts, LOOKALIKE_BUDGET[WEAKEST_REPORTED[sensitivity]], ORDINARY_BUDGET[WEAKEST_REPORTED[sensitivity]], ceiling);
    if (choice === undefined) return undefined;
    const { c, hits } = choice;
    ceiling = chosen[sensitivity] = c;
    if (sensitivity === 'standard') standardHits = hits;
  }
  return { chosen, standardHits };
}

export interface Figures {
  recall: number;
  flagged: number;
  hit: number;
  positives: number;
  lookalikesFlagged: number;
  lookalikes: number;
}

/** Recall on injections and the share of look-alikes flagged for a verdict per sample. */
export function figures(samples: readonly Sample[], flagged: (i: number) => boolean, subset: (s: Sample) => boolean = () => true): Figures {
  let hit = 0;
  let positives = 0;
  let lookalikesFlagged = 0;
  let lookalikes = 0;
  samples.forEach((s, i) => {
    if (!subset(s)) return;
    if (s.injection) {
      positives++;
      if (flagged(i)) hit++;
    } else if (s.lookalike) {
      lookalikes++;
      if (flagged(i)) lookalikesFlagged++;
    }
  });
  return { recall: hit / positives, flagged: lookalikesFlagged / lookalikes, hit, positives, lookalikesFlagged, lookalikes };
}


/** Whether the rules flag each sample at each sensitivity. */
export function rulesVerdicts(samples: readonly Sample[]): Record<Sensitivity, boolean[]> {
  const out = {} as Record<Sensitivity, boolean[]>;
  for (const sensitivity of ['relaxed', 'standard', 'strict'] as const) {
    const detector = new InjectionDetector({ sensitivity });
    out[sensitivity] = samples.map((s) => detector.scan(s.text, { toolDefinition: s.definition }).length > 0);
  }
  return out;
}

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;
const describe = (f: Figures): string => `recall ${percent(f.recall)} (${f.hit}/${f.positives}), look-alikes flagged ${percent(f.flagged)} (${f.lookalikesFlagged}/${f.lookalikes})`;

/** Trains on every training text with the chosen settings; returns the weights file's text and a cross-validation report. */
export function buildWeightsFile(): { json: string; report: string[] } {
  const samples = trainingSamples();
  const oof = crossValidatedScores(samples, FEATURES, L2);
  const rules = rulesVerdicts(samples);
  const tokens = samples.map((s) => tokenFeatures(normalizeForScan(s.text)?.text ?? s.text, FEATURES).unigram.length);
  let best: { vetoMinTokens: number; chosen: Record<Sensitivity, Combination>; standardHits: number } | undefined;
  for (const vetoMinTokens of VETO_MIN_TOKENS_GRID) {
    const settings = chooseSettings(samples, oof, rules, tokens, vetoMinTokens);
    if (settings !== undefined && (best === undefined || settings.standardHits > best.standardHits)) best = { vetoMinTokens, ...settings };
  }
  // 0 tokens with a veto of 0.9999 (the model alone) always fits every budget.
  const { vetoMinTokens, chosen } = best!;
  const verdict = (sensitivity: Sensitivity, i: number): Verdict => ({ rules: rules[sensitivity][i]!, logOdds: oof[i]!, short: tokens[i]! < vetoMinTokens });
  const thresholds = {} as Record<SignalStrength, number>;
  const vetoBelow = {} as Record<SignalStrength, number>;
  for (const sensitivity of ['relaxed', 'standard', 'strict'] as const) {
    thresholds[WEAKEST_REPORTED[sensitivity]] = chosen[sensitivity].threshold;
    vetoBelow[WEAKEST_REPORTED[sensitivity]] = chosen[sensitivity].veto;
  }
  const report: string[] = [`training texts: ${samples.filter((s) => s.injection).length} injections, ${samples.filter((s) => s.lookalike).length} look-alikes, ${samples.filter((s) => !s.injection && !s.lookalike).length} other benign`];
  report.push(`thresholds (probability): weak ${thresholds.weak}, medium ${thresholds.medium}, strong ${thresholds.strong}; vetoes: weak ${vetoBelow.weak}, medium ${vetoBelow.medium}, strong ${vetoBelow.strong}, for texts of ${vetoMinTokens} tokens or more`);
  for (const [name, subset] of [['all training texts', () => true], ['model-train only (never tuned on by the rules)', (s: Sample) => s.source === 'model-train']] as const) {
    report.push(`${FOLDS}-fold cross-validation, ${name}:`);
    for (const sensitivity of ['relaxed', 'standard', 'strict'] as const) {
      const cut = logit(thresholds[WEAKEST_REPORTED[sensitivity]]);
      const model = (i: number): boolean => oof[i]! >= cut;
      report.push(`  ${sensitivity}: rules ${describe(figures(samples, (i) => rules[sensitivity][i]!, subset))}`);
      report.push(`  ${sensitivity}: model ${describe(figures(samples, model, subset))}`);
      report.push(`  ${sensitivity}: rules or model ${describe(figures(samples, (i) => rules[sensitivity][i]! || model(i), subset))}`);
      // Whole texts stand for windows, and structural rule findings count as vetoable here (the detector keeps them): a lower bound.
      report.push(`  ${sensitivity}: shipped (rules above the veto, or model) ${describe(figures(samples, (i) => combined(chosen[sensitivity], verdict(sensitivity, i)), subset))}`);
      if (name === 'all training texts') {
        const ordinary = samples.flatMap((s, i) => (s.source === 'ordinary' ? [i] : []));
        const flagged = (pick: (i: number) => boolean): string => `${ordinary.filter(pick).length}/${ordinary.length}`;
        report.push(`  ${sensitivity}: README pieces flagged: rules ${flagged((i) => rules[sensitivity][i]!)}, shipped ${flagged((i) => combined(chosen[sensitivity], verdict(sensitivity, i)))}`);
      }
    }
  }
  const final = train(
    samples.map((s) => featurize(s.text, FEATURES)),
    samples.map((s) => s.injection),
    1 << FEATURES.hashBits,
    L2,
  );
  const q = quantize(final.weights);
  const file: ModelWeightsFile = {
    format: MODEL_FORMAT,
    features: FEATURES,
    scale: SCALE,
    bias: Math.round(final.bias * 1e6) / 1e6,
    thresholds,
    vetoBelow,
    vetoMinTokens,
    weights: Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString('base64'),
    provenance: {
      builtBy: 'scripts/train-injection-model.ts',
      injections: samples.filter((s) => s.injection).length,
      benign: samples.filter((s) => !s.injection).length,
      l2: L2,
      iterations: ITERATIONS,
      folds: FOLDS,
      seed: SEED,
      lookalikeBudget: LOOKALIKE_BUDGET,
    },
  };
  return { json: JSON.stringify(file, null, 1) + '\n', report };
}

/**
 * The grid `--search` prints: each feature set and regularisation, out of fold, with the recall at
 * each strength's look-alike budget and their mean, the figure the constants above maximise.
 */
function search(): void {
  const samples = trainingSamples();
  for (const [bigrams, prefixLength, charGrams] of [[true, 0, 0], [true, 4, 0], [true, 5, 0], [false, 4, 0], [true, 4, 4]] as const) {
    for (const l2 of [3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3]) {
      const features: ModelFeatureOptions = { ...FEATURES, bigrams, prefixLength, charGrams };
      const oof = crossValidatedScores(samples, features, l2);
      const recalls = (['weak', 'medium', 'strong'] as const).map((s) => {
        const cut = logit(thresholdFor(samples, oof, LOOKALIKE_BUDGET[s]));
        return figures(samples, (i) => oof[i]! >= cut).recall;
      });
      const mean = recalls.reduce((a, b) => a + b, 0) / recalls.length;
      console.log(`bigrams ${bigrams} prefix ${prefixLength} charGrams ${charGrams} l2 ${l2}: recall weak/medium/strong ${recalls.map(percent).join(' / ')}, mean ${percent(mean)}`);
    }
  }
}

if (require.main === module) {
  if (process.argv.includes('--search')) search();
  const { json, report } = buildWeightsFile();
  writeFileSync(WEIGHTS_PATH, json);
  console.log(report.join('\n'));
  console.log(`wrote ${WEIGHTS_PATH} (${json.length} bytes)`);
}
