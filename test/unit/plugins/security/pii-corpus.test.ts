// Measures the PII detectors on the labelled corpus: prints recall per type and overall and the
// share of benign look-alikes flagged, and holds them to recall >= 95% and <= 2% flagged.
import assert from 'node:assert/strict';
import { loadCorpus as load, type Benign, type Labelled } from './corpus';
import { basicPiiFilter } from '../../../../src/plugins/security/basic_pii_filter';
import { detectPii, PII_TYPES, type PiiType } from '../../../../src/plugins/security/detect/pii';


describe('PII corpus', () => {
  const samples = load<Labelled>('pii.jsonl');
  const benign = load<Benign>('benign.jsonl');
  // The filter's default configuration.
  const defaults = basicPiiFilter.configSchema.parse({});
  const enabled = new Set<PiiType>(PII_TYPES.filter((t) => defaults.pii_types[t].enabled));

  it('is labelled consistently', () => {
    assert.ok(samples.length >= 150, `only ${samples.length} PII samples`);
    for (const s of samples) {
      assert.ok((PII_TYPES as readonly string[]).includes(s.type), `${s.id}: unknown type ${s.type}`);
      assert.ok(s.text.includes(s.value), `${s.id}: value not in text`);
    }
  });

  it('finds >= 95% of labelled PII with its type', () => {
    const perType = new Map<string, { total: number; found: number }>();
    const missed: string[] = [];
    for (const s of samples) {
      const start = s.text.indexOf(s.value);
      const end = start + s.value.length;
      const hit = detectPii(s.text, enabled).some((f) => f.type === s.type && f.start < end && f.end > start);
      const entry = perType.get(s.type) ?? { total: 0, found: 0 };
      entry.total++;
      if (hit) entry.found++;
      else missed.push(s.id);
      perType.set(s.type, entry);
    }
    let total = 0;
    let found = 0;
    console.log('      PII recall by type:');
    for (const [type, { total: n, found: k }] of perType) {
      console.log(`        ${type.padEnd(12)} ${String(k).padStart(3)}/${String(n).padEnd(3)} ${((100 * k) / n).toFixed(1)}%`);
      total += n;
      found += k;
    }
    const recall = found / total;
    console.log(`        overall      ${found}/${total} ${(100 * recall).toFixed(1)}%${missed.length ? `  missed: ${missed.join(', ')}` : ''}`);
    assert.ok(recall >= 0.95, `PII recall ${(100 * recall).toFixed(1)}% < 95%`);
  });

  it('flags <= 2% of benign look-alikes', () => {
    const flagged = benign.filter((b) => detectPii(b.text, enabled).length > 0);
    const rate = flagged.length / benign.length;
    console.log(`      PII false positives: ${flagged.length}/${benign.length} benign samples (${(100 * rate).toFixed(1)}%)${flagged.length ? ': ' + flagged.map((b) => b.id).join(', ') : ''}`);
    assert.ok(rate <= 0.02, `PII flagged ${(100 * rate).toFixed(1)}% of benign samples`);
  });
});
