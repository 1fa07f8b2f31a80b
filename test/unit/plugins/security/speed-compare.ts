// The speed cost of the detectors against another release, in one process so both see the same
// machine load: `npx tsx test/unit/plugins/security/speed-compare.ts <release tree> [runs]`, where
// the tree holds that release's `src` (for the release before issue #15:
// `git archive 9872cb5 src | tar -x -C /tmp/base`). Runs alternate between the two; prints CPU ms
// per MiB (best and median) and the cost in percent. Used for the speed figures in docs/detection.md.
import path from 'node:path';
import { CURRENT, speedLines, speedOnce, type Detectors, type SpeedClass } from './corpus-report';

function loadRelease(root: string): Detectors {
  const detect = path.resolve(root, 'src/plugins/security/detect');
  /* eslint-disable @typescript-eslint/no-require-imports -- another release's modules, found at run time */
  const secrets = require(path.join(detect, 'secrets')) as { detectSecrets: Detectors['detectSecrets']; SECRET_TYPES: readonly string[] };
  const pii = require(path.join(detect, 'pii')) as { detectPii: Detectors['detectPii']; PII_TYPES: readonly string[] };
  const injection = require(path.join(detect, 'injection')) as { InjectionDetector: new (o: { sensitivity: 'standard' }) => { scan: (t: string) => unknown[] } };
  const filter = require(path.resolve(root, 'src/plugins/security/basic_secrets_filter')) as {
    basicSecretsFilter: { configSchema: { parse: (v: unknown) => { secret_types: Record<string, { enabled: boolean }> } } };
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const defaults = filter.basicSecretsFilter.configSchema.parse({});
  return {
    detectSecrets: secrets.detectSecrets,
    detectPii: pii.detectPii,
    newInjectionDetector: () => new injection.InjectionDetector({ sensitivity: 'standard' }),
    secretTypes: new Set(secrets.SECRET_TYPES.filter((t) => defaults.secret_types[t]?.enabled)),
    piiTypes: new Set(pii.PII_TYPES),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (require.main === module) {
  const [root, runsArg] = process.argv.slice(2);
  if (root === undefined) throw new Error('usage: speed-compare.ts <release tree with src/> [runs]');
  const release = loadRelease(root);
  const runs = Number(runsArg ?? 9);
  const lines = speedLines();
  const times = { release: [] as Record<SpeedClass, number>[], current: [] as Record<SpeedClass, number>[] };
  // One warm-up pass each (compilation of rules, JIT), then alternate.
  speedOnce(lines, release);
  speedOnce(lines, CURRENT);
  for (let r = 0; r < runs; r++) {
    times.release.push(speedOnce(lines, release));
    times.current.push(speedOnce(lines, CURRENT));
  }
  for (const c of ['secrets', 'pii', 'injection'] as const) {
    const before = times.release.map((t) => t[c]);
    const after = times.current.map((t) => t[c]);
    const cost = (a: number, b: number): string => `${a >= b ? '+' : ''}${((100 * (a - b)) / b).toFixed(0)}%`;
    console.log(
      `${c}: ${Math.min(...before).toFixed(0)} / ${median(before).toFixed(0)} -> ${Math.min(...after).toFixed(0)} / ${median(after).toFixed(0)} ms per MiB (best / median of ${runs}), cost ${cost(Math.min(...after), Math.min(...before))} / ${cost(median(after), median(before))}`,
    );
  }
}
