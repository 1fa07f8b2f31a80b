// Measures the statistical injection model against the rules on the issue #15 held-out parts
// (`heldout`, `heldout-b`, `heldout-c`, `heldout-d`; never trained on or used for a choice by the model), at each
// sensitivity: rules alone, model alone, rules or model, and what the detector does with the model
// on: the rules' phrase and signal findings dropped where the model scores every window below its veto, or-ed with the model. Run directly (`npx tsx test/unit/plugins/security/injection-model-report.ts`)
// it prints the tables of docs/detection.md ("Statistical model"); injection-model.test.ts checks a few figures.
import { loadCorpus } from './corpus';
import { speedLines } from './corpus-report';
import { cpuMs } from './cpu-time';
import { InjectionDetector, type Sensitivity } from '../../../../src/plugins/security/detect/injection';
import { modelFromWeightsFile, type InjectionModel } from '../../../../src/plugins/security/detect/injection/model';
import { normalizeForScan } from '../../../../src/plugins/security/detect/normalize';
import { STRENGTH_RANK, MIN_RANK } from '../../../../src/plugins/security/detect/injection/types';
import weightsFile from '../../../../src/plugins/security/detect/injection/model-weights.json';

/** The model's test sets. Listed by name: no other folder is read. */
export const HELD_OUT_PARTS = ['heldout', 'heldout-b', 'heldout-c', 'heldout-d'] as const;
export const SENSITIVITIES: readonly Sensitivity[] = ['relaxed', 'standard', 'strict'];
export const COMBINATIONS = ['rules', 'model', 'rules or model', 'rules vetoed, or model'] as const;
export type Combination = (typeof COMBINATIONS)[number];

interface Sample {
  id: string;
  where: 'definition' | 'content';
  text: string;
}

export interface Count {
  hit: number;
  total: number;
}

/** Injections found and look-alikes flagged, by combination and sensitivity. */
export interface ModelPartReport {
  injections: Record<Combination, Record<Sensitivity, Count>>;
  lookalikes: Record<Combination, Record<Sensitivity, Count>>;
}

export const shippedModel = (): InjectionModel => modelFromWeightsFile(weightsFile);


export function measureModelPart(part: string, model: InjectionModel = shippedModel()): ModelPartReport {
  const verdicts = (samples: readonly Sample[]): Record<Combination, Record<Sensitivity, Count>> => {
    const out = Object.fromEntries(COMBINATIONS.map((c) => [c, Object.fromEntries(SENSITIVITIES.map((s) => [s, { hit: 0, total: 0 }]))])) as Record<Combination, Record<Sensitivity, Count>>;
    for (const sensitivity of SENSITIVITIES) {
      const rulesDetector = new InjectionDetector({ sensitivity });
      const combined = new InjectionDetector({ sensitivity, model });
      for (const s of samples) {
        const options = { toolDefinition: s.where === 'definition' };
        const rules = rulesDetector.scan(s.text, options).length > 0;
        const assessment = model.assess(normalizeForScan(s.text)?.text ?? s.text, 'weak');
        const modelHit = assessment.hits.some((h) => STRENGTH_RANK[h.strength] >= MIN_RANK[sensitivity]);
        const flags: Record<Combination, boolean> = {
          rules,
          model: modelHit,
          'rules or model': rules || modelHit,
          // What the detector does with the model on (a veto drops only phrase and signal findings).
          'rules vetoed, or model': combined.scan(s.text, options).length > 0,
        };
        for (const c of COMBINATIONS) {
          out[c][sensitivity].total++;
          if (flags[c]) out[c][sensitivity].hit++;
        }
      }
    }
    return out;
  };
  return {
    injections: verdicts(loadCorpus<Sample>(`${part}/injection.jsonl`)),
    lookalikes: verdicts(loadCorpus<Sample>(`${part}/injection-benign.jsonl`)),
  };
}

const pct = (c: Count): string => `${((100 * c.hit) / c.total).toFixed(1)}% (${c.hit}/${c.total})`;

export function formatModelReport(title: string, r: ModelPartReport): string {
  const lines = [`### ${title}`, '', '| | ' + SENSITIVITIES.map((s) => `recall, ${s}`).join(' | ') + ' | ' + SENSITIVITIES.map((s) => `look-alikes flagged, ${s}`).join(' | ') + ' |'];
  lines.push('|---|' + '---|'.repeat(SENSITIVITIES.length * 2));
  for (const c of COMBINATIONS) {
    lines.push(`| ${c} | ${SENSITIVITIES.map((s) => pct(r.injections[c][s])).join(' | ')} | ${SENSITIVITIES.map((s) => pct(r.lookalikes[c][s])).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The parts added up. */
export function sumReports(reports: readonly ModelPartReport[]): ModelPartReport {
  const sum = (pick: (r: ModelPartReport) => Record<Combination, Record<Sensitivity, Count>>): Record<Combination, Record<Sensitivity, Count>> =>
    Object.fromEntries(
      COMBINATIONS.map((c) => [
        c,
        Object.fromEntries(SENSITIVITIES.map((s) => [s, reports.reduce((acc, r) => ({ hit: acc.hit + pick(r)[c][s].hit, total: acc.total + pick(r)[c][s].total }), { hit: 0, total: 0 })])),
      ]),
    ) as Record<Combination, Record<Sensitivity, Count>>;
  return { injections: sum((r) => r.injections), lookalikes: sum((r) => r.lookalikes) };
}

/**
 * CPU ms per MiB over corpus-report's speed lines (scanned line by line, runs alternating): the
 * detector without the model, with it, and the model alone (its own pass over the normalised text).
 */
export function modelSpeed(runs: number, model: InjectionModel = shippedModel()): Record<'rules' | 'rules and model' | 'model alone', number[]> {
  const lines = speedLines();
  const rules = new InjectionDetector({ sensitivity: 'standard' });
  const both = new InjectionDetector({ sensitivity: 'standard', model });
  const out = { rules: [] as number[], 'rules and model': [] as number[], 'model alone': [] as number[] };
  for (let i = 0; i < runs; i++) {
    out.rules.push(cpuMs(() => lines.forEach((l) => rules.scan(l))).ms);
    out['rules and model'].push(cpuMs(() => lines.forEach((l) => both.scan(l))).ms);
    out['model alone'].push(cpuMs(() => lines.forEach((l) => model.assess(normalizeForScan(l)?.text ?? l, 'medium'))).ms);
  }
  return out;
}

if (require.main === module && process.argv.includes('--speed')) {
  const runs = Number(process.argv[process.argv.indexOf('--speed') + 1] ?? 9) || 9;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, ms] of Object.entries(modelSpeed(runs))) console.log(`${name}: best ${Math.min(...ms).toFixed(1)}, median ${median(ms).toFixed(1)} CPU ms per MiB`);
} else if (require.main === module) {
  const model = shippedModel();
  const reports = HELD_OUT_PARTS.map((part) => measureModelPart(part, model));
  HELD_OUT_PARTS.forEach((part, i) => console.log(formatModelReport(part, reports[i]!) + '\n'));
  console.log(formatModelReport('all four held-out parts', sumReports(reports)));
}
