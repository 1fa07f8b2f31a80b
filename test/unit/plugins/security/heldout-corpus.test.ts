// The issue #15 corpus: texts written for the kinds the filters missed on third-party data, split
// before any tuning into a tuning part and a held-out part (every second sample of each kind; the
// held-out part was committed first). Prints both parts' figures (docs/detection.md) and holds the
// held-out part to what it measured when the work was done, so a change that loses ground on text
// nobody tuned on fails here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { formatReport, measurePart, PARTS, type Part, type PartReport } from './corpus-report';

const rate = (t: { hit: number; total: number }): number => t.hit / t.total;

describe('issue #15 corpus (tuning and held-out parts)', function () {
  this.timeout(60_000);
  const reports = new Map<string, PartReport>();
  before(() => {
    for (const part of PARTS) reports.set(part, measurePart(part));
  });

  it('prints both parts', () => {
    for (const [part, report] of reports) console.log(formatReport(part as Part, report).replace(/^/gm, '      '));
  });

  // The first three held-out parts were read by the fourth pass (their misses studied, twins written in
  // tuning-d): no longer clean measures, held at what that pass measured so nothing is lost.
  it('holds the held-out part to its measured figures', () => {
    const r = reports.get('heldout')!;
    assert.ok(rate(r.secrets) >= 1, `secrets ${rate(r.secrets)}`);
    assert.ok(rate(r.pii) >= 0.95, `personal data ${rate(r.pii)}`);
    assert.ok(rate(r.injection.standard) >= 1, `injection ${rate(r.injection.standard)}`);
    assert.ok(rate(r.injectionBenign.standard) <= 0, `injection look-alikes flagged ${rate(r.injectionBenign.standard)}`);
    assert.ok(rate(r.benign) <= 0, `secrets/PII look-alikes flagged ${rate(r.benign)}`);
  });

  it('finds everything in the tuning part and flags no secrets/PII look-alike there', () => {
    const r = reports.get('tuning')!;
    assert.deepEqual(r.secrets.ids, []);
    assert.deepEqual(r.pii.ids, []);
    assert.deepEqual(r.benign.ids, []);
    assert.ok(rate(r.injection.standard) >= 0.95, `injection ${rate(r.injection.standard)}`);
  });

  // The second batch (wave 4), measured once after the rule changes made on tuning-b: these are
  // those figures, as floors and ceilings.
  it('holds the second held-out part (heldout-b) to its measured figures', () => {
    const r = reports.get('heldout-b')!;
    assert.ok(rate(r.secrets) >= 1, `secrets ${rate(r.secrets)}`);
    assert.ok(rate(r.pii) >= 1, `personal data ${rate(r.pii)}`);
    assert.ok(rate(r.injection.standard) >= 1, `injection ${rate(r.injection.standard)}`);
    assert.ok(r.injectionBenign.standard.hit <= 1, `injection look-alikes flagged ${r.injectionBenign.standard.ids.join(', ')}`);
    assert.ok(rate(r.benign) <= 0, `secrets/PII look-alikes flagged ${rate(r.benign)}`);
  });

  it('finds everything in the second tuning part (tuning-b) and flags no look-alike there', () => {
    const r = reports.get('tuning-b')!;
    assert.deepEqual([...r.secrets.ids, ...r.pii.ids, ...r.injection.standard.ids], []);
    assert.deepEqual([...r.benign.ids, ...r.injectionBenign.standard.ids], []);
  });

  // The third batch (second detection pass): heldout-c written and measured before any rule change
  // (secrets 93.3%, personal data 100%, injection 63.3%, look-alikes flagged 12.5% and 7.1%), rules
  // changed on tuning-c only, measured again at the end: these are those figures.
  it('holds the third held-out part (heldout-c) to its measured figures', () => {
    const r = reports.get('heldout-c')!;
    assert.ok(rate(r.secrets) >= 1, `secrets ${rate(r.secrets)}`);
    assert.ok(rate(r.pii) >= 1, `personal data ${rate(r.pii)}`);
    assert.ok(rate(r.injection.standard) >= 1, `injection ${rate(r.injection.standard)}`);
    assert.ok(r.injectionBenign.standard.hit <= 2, `injection look-alikes flagged ${r.injectionBenign.standard.ids.join(', ')}`);
    // A private address (`IP 192.168.100.200, port 8443`) is reported as ip_address by design.
    assert.ok(r.benign.hit <= 1, `secrets/PII look-alikes flagged ${r.benign.ids.join(', ')}`);
  });

  it('finds everything in the third tuning part (tuning-c) and flags no look-alike there', () => {
    const r = reports.get('tuning-c')!;
    assert.deepEqual([...r.secrets.ids, ...r.pii.ids, ...r.injection.standard.ids], []);
    assert.deepEqual([...r.benign.ids, ...r.injectionBenign.standard.ids], []);
  });

  // The fourth pass (tuning-d): twins of the kinds the three read held-out parts missed or flagged,
  // in sixteen languages, and two rounds of texts first measured as checks on unseen phrasing.
  it('finds everything in the fourth tuning part (tuning-d) and flags no look-alike there', () => {
    const r = reports.get('tuning-d')!;
    assert.deepEqual([...r.secrets.ids, ...r.pii.ids, ...r.injection.standard.ids], []);
    assert.deepEqual([...r.benign.ids, ...r.injectionBenign.standard.ids], []);
  });

  // The fourth held-out part, written by two writers who never saw the detectors or the other parts,
  // committed before this pass's rule changes and measured once at its end (the rules alone here;
  // with the statistical model, as shipped, see injection-model.test.ts). Before the pass the rules
  // found 28.1% of its injections.
  it('holds the clean fourth held-out part (heldout-d) to its measured figures', () => {
    const r = reports.get('heldout-d')!;
    assert.equal(rate(r.secrets), 1, `secrets ${r.secrets.ids.join(", ")}`);
    assert.equal(rate(r.pii), 1, `personal data ${r.pii.ids.join(", ")}`);
    assert.ok(rate(r.injection.standard) >= 0.4, `injection ${rate(r.injection.standard)}`);
    assert.ok(r.injectionBenign.standard.hit <= 10, `injection look-alikes flagged ${r.injectionBenign.standard.ids.join(", ")}`);
    assert.ok(r.benign.hit <= 6, `secrets/PII look-alikes flagged ${r.benign.ids.join(", ")}`);
  });

  it('trades recall for precision predictably: each sensitivity finds and flags at least what the one below does', () => {
    for (const [part, r] of reports) {
      assert.ok(r.injection.relaxed.hit <= r.injection.standard.hit && r.injection.standard.hit <= r.injection.strict.hit, `${part} recall`);
      assert.ok(r.injectionBenign.relaxed.hit <= r.injectionBenign.standard.hit && r.injectionBenign.standard.hit <= r.injectionBenign.strict.hit, `${part} flagged`);
    }
  });

  it('uses token rules generated from the installed secretlint preset, unchanged by hand', () => {
    const script = path.join(__dirname, '../../../../scripts/gen-secret-rules.mjs');
    // Exits 1 when the generated file differs from what the preset gives.
    execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' });
  });
});
