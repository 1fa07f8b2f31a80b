// Measures the detectors on the issue #15 corpus (test/fixtures/corpus/tuning and heldout): recall
// per class and kind, benign texts flagged by kind, and scan speed per MiB. Used by
// heldout-corpus.test.ts and, run directly (`npx tsx test/unit/plugins/security/corpus-report.ts`),
// prints the tables of docs/detection.md.
import { loadCorpus, type Benign, type Labelled } from './corpus';
import { basicSecretsFilter } from '../../../../src/plugins/security/basic_secrets_filter';
import { detectPii, PII_TYPES, type PiiType } from '../../../../src/plugins/security/detect/pii';
import { detectSecrets, SECRET_TYPES, type SecretType } from '../../../../src/plugins/security/detect/secrets';
import { InjectionDetector, type Sensitivity } from '../../../../src/plugins/security/detect/injection';
import { cpuMs } from './cpu-time';
import { loadInjectionModel } from '../../../../src/plugins/security/detect/injection/model-loader';

/**
 * The first batch (`tuning`, `heldout`), the second, written in wave 4 before any rule change (`-b`),
 * and the third: a held-out batch written before the second pass's rule changes (`heldout-c`) and
 * the tuning twins that pass was made on (`tuning-c`); the fourth pass's tuning twins (`tuning-d`, ids
 * `<kind>-tdNN`), written for the kinds the three read held-out parts missed or flagged.
 */
export type Part = 'tuning' | 'heldout' | 'tuning-b' | 'heldout-b' | 'tuning-c' | 'heldout-c' | 'tuning-d' | 'heldout-d';
export const PARTS: readonly Part[] = ['tuning', 'heldout', 'tuning-b', 'heldout-b', 'tuning-c', 'heldout-c', 'tuning-d', 'heldout-d'];

interface InjectionSample {
  id: string;
  kind: string;
  where: 'definition' | 'content';
  text: string;
}

/** Hits and totals by kind, plus the ids missed (or flagged, for benign sets). */
export interface Tally {
  hit: number;
  total: number;
  byKind: Map<string, { hit: number; total: number }>;
  ids: string[];
}

function tally<T>(samples: readonly T[], kindOf: (s: T) => string, idOf: (s: T) => string, counts: (s: T) => boolean, listWhenCounted: boolean): Tally {
  const t: Tally = { hit: 0, total: 0, byKind: new Map(), ids: [] };
  for (const s of samples) {
    const row = t.byKind.get(kindOf(s)) ?? { hit: 0, total: 0 };
    const yes = counts(s);
    row.total++;
    t.total++;
    if (yes) {
      row.hit++;
      t.hit++;
    }
    if (yes === listWhenCounted) t.ids.push(idOf(s));
    t.byKind.set(kindOf(s), row);
  }
  return t;
}

const defaults = basicSecretsFilter.configSchema.parse({});
export const DEFAULT_SECRET_TYPES: ReadonlySet<SecretType> = new Set(SECRET_TYPES.filter((t) => defaults.secret_types[t].enabled));
const ALL_PII: ReadonlySet<PiiType> = new Set(PII_TYPES);

const overlaps = (f: { start: number; end: number }, start: number, end: number): boolean => f.start < end && f.end > start;

export interface PartReport {
  secrets: Tally;
  pii: Tally;
  injection: Record<Sensitivity, Tally>;
  /** Benign secrets/PII look-alikes flagged by either filter. */
  benign: Tally;
  injectionBenign: Record<Sensitivity, Tally>;
}

export function measurePart(part: Part): PartReport {
  const secrets = loadCorpus<Labelled>(`${part}/secrets.jsonl`);
  const pii = loadCorpus<Labelled>(`${part}/pii.jsonl`);
  const benign = loadCorpus<Benign>(`${part}/benign.jsonl`);
  const attacks = loadCorpus<InjectionSample>(`${part}/injection.jsonl`);
  const lookalikes = loadCorpus<InjectionSample>(`${part}/injection-benign.jsonl`);
  const valueSpan = (s: Labelled): [number, number] => {
    const start = s.text.indexOf(s.value);
    return [start, start + s.value.length];
  };
  const secretFound = (s: Labelled): boolean => {
    const [start, end] = valueSpan(s);
    return detectSecrets(s.text, DEFAULT_SECRET_TYPES).some((f) => overlaps(f, start, end));
  };
  const piiFound = (s: Labelled): boolean => {
    const [start, end] = valueSpan(s);
    return detectPii(s.text, ALL_PII).some((f) => f.type === s.type && overlaps(f, start, end));
  };
  const flaggedBenign = (s: Benign): boolean => detectSecrets(s.text, DEFAULT_SECRET_TYPES).length > 0 || detectPii(s.text, ALL_PII).length > 0;
  const bySensitivity = (samples: readonly InjectionSample[], listWhenCounted: boolean): Record<Sensitivity, Tally> => {
    const out = {} as Record<Sensitivity, Tally>;
    for (const sensitivity of ['relaxed', 'standard', 'strict'] as const) {
      const detector = new InjectionDetector({ sensitivity });
      out[sensitivity] = tally(samples, (s) => s.kind, (s) => s.id, (s) => detector.scan(s.text, { toolDefinition: s.where === 'definition' }).length > 0, listWhenCounted);
    }
    return out;
  };
  return {
    secrets: tally(secrets, (s) => s.type, (s) => s.id, secretFound, false),
    pii: tally(pii, (s) => s.id.replace(/-(?:[bcd]|td)?\d+$/, ''), (s) => s.id, piiFound, false),
    injection: bySensitivity(attacks, false),
    benign: tally(benign, (s) => s.category, (s) => s.id, flaggedBenign, true),
    injectionBenign: bySensitivity(lookalikes, true),
  };
}

/** The detectors a speed measurement runs: this tree's, or another release's (speed-compare.ts). */
export interface Detectors {
  detectSecrets: (text: string, types: ReadonlySet<never>) => unknown[];
  detectPii: (text: string, types: ReadonlySet<never>) => unknown[];
  newInjectionDetector: () => { scan: (text: string) => unknown[] };
  secretTypes: ReadonlySet<string>;
  piiTypes: ReadonlySet<string>;
}

export const CURRENT: Detectors = {
  detectSecrets: detectSecrets as Detectors['detectSecrets'],
  detectPii: detectPii as Detectors['detectPii'],
  // As shipped: the statistical model is on by default.
  newInjectionDetector: () => new InjectionDetector({ sensitivity: 'standard', model: loadInjectionModel() }),
  secretTypes: DEFAULT_SECRET_TYPES,
  piiTypes: ALL_PII,
};

export type SpeedClass = 'secrets' | 'pii' | 'injection';

/** The project corpora's texts (not the issue #15 parts, which grow), repeated to 1 MiB: the lines a speed run scans. */
export function speedLines(): string[] {
  const texts = ['secrets.jsonl', 'pii.jsonl', 'benign.jsonl', 'injection.jsonl', 'injection-benign.jsonl'].flatMap((f) => loadCorpus<{ text: string }>(f).map((s) => s.text));
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 1 << 20; i++) {
    const t = texts[i % texts.length]!;
    lines.push(t);
    size += t.length + 1;
  }
  return lines;
}

/** CPU milliseconds one pass of each detector over `lines` takes (scanned line by line, as strings of a message are). */
export function speedOnce(lines: readonly string[], d: Detectors): Record<SpeedClass, number> {
  const detector = d.newInjectionDetector();
  const secretTypes = d.secretTypes as ReadonlySet<never>;
  const piiTypes = d.piiTypes as ReadonlySet<never>;
  return {
    secrets: cpuMs(() => lines.forEach((l) => d.detectSecrets(l, secretTypes))).ms,
    pii: cpuMs(() => lines.forEach((l) => d.detectPii(l, piiTypes))).ms,
    injection: cpuMs(() => lines.forEach((l) => detector.scan(l))).ms,
  };
}

/** Milliseconds of CPU per MiB for each detector over the existing corpora's texts repeated to 1 MiB (best of `runs`). */
export function speedPerMiB(runs = 3): Record<SpeedClass, number> {
  const lines = speedLines();
  const all = Array.from({ length: runs }, () => speedOnce(lines, CURRENT));
  return { secrets: Math.min(...all.map((r) => r.secrets)), pii: Math.min(...all.map((r) => r.pii)), injection: Math.min(...all.map((r) => r.injection)) };
}

const pct = (t: { hit: number; total: number }): string => `${((100 * t.hit) / t.total).toFixed(1)}% (${t.hit}/${t.total})`;

export function formatReport(part: Part, r: PartReport): string {
  const lines = [`### ${part}`, '', '| class | result | by kind |', '|---|---|---|'];
  const kinds = (t: Tally): string => [...t.byKind].map(([k, v]) => `${k} ${v.hit}/${v.total}`).join(', ');
  lines.push(`| secrets recall | ${pct(r.secrets)} | ${kinds(r.secrets)} |`);
  lines.push(`| personal data recall | ${pct(r.pii)} | ${kinds(r.pii)} |`);
  for (const s of ['relaxed', 'standard', 'strict'] as const) lines.push(`| injection recall (${s}) | ${pct(r.injection[s])} | ${s === 'standard' ? kinds(r.injection[s]) : ''} |`);
  lines.push(`| benign secrets/PII look-alikes flagged | ${pct(r.benign)} | ${kinds(r.benign)} |`);
  for (const s of ['relaxed', 'standard', 'strict'] as const) lines.push(`| benign injection look-alikes flagged (${s}) | ${pct(r.injectionBenign[s])} | ${s === 'standard' ? kinds(r.injectionBenign[s]) : ''} |`);
  lines.push('', `missed: ${[...r.secrets.ids, ...r.pii.ids, ...r.injection.standard.ids].join(', ') || 'none'}`);
  lines.push(`flagged: ${[...r.benign.ids, ...r.injectionBenign.standard.ids].join(', ') || 'none'}`);
  return lines.join('\n');
}

if (require.main === module) {
  for (const part of PARTS) console.log(formatReport(part, measurePart(part)) + '\n');
  const speed = speedPerMiB();
  console.log(`CPU ms per MiB: secrets ${speed.secrets.toFixed(1)}, pii ${speed.pii.toFixed(1)}, injection ${speed.injection.toFixed(1)}`);
}
