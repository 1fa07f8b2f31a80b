// Large content is scanned in slices so other traffic runs in between: the findings must be exactly
// those of scanning the whole text in one piece, at every slice size, whatever straddles a cut.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { loadCorpus as load, type Benign, type Labelled } from './corpus';
import { basicPiiFilter, createPiiFilter } from '../../../../src/plugins/security/basic_pii_filter';
import { basicSecretsFilter, createSecretsFilter } from '../../../../src/plugins/security/basic_secrets_filter';
import { detectPii, PII_TYPES } from '../../../../src/plugins/security/detect/pii';
import { detectSecrets, SECRET_TYPES } from '../../../../src/plugins/security/detect/secrets';
import { CooperativePause, detectInSlices } from '../../../../src/plugins/security/detect/slices';
import { COOPERATIVE_SCAN_THRESHOLD, scanMessageContent, scanMessageContentCooperatively, type ContentScanOptions, type ContentScanResult, type TextFinding } from '../../../../src/plugins/security/detect/findings';
import type { MessageContext } from '../../../../src/plugins/types';
import type { JsonRpcResponse } from '../../../../src/shared/jsonrpc';

const allPii = new Set(PII_TYPES);
const allSecrets = new Set(SECRET_TYPES);

/** A text of every labelled and benign sample, joined by `separator`, repeated to at least `length`. */
function corpusText(separator: string, length: number): string {
  const samples = [...load<Labelled>('pii.jsonl'), ...load<Labelled>('secrets.jsonl'), ...load<Benign>('benign.jsonl')].map((s) => s.text);
  // A private key far longer than any margin, so a slice cut falls inside it.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  samples.push(privateKey.repeat(3));
  const parts: string[] = [];
  let total = 0;
  for (let round = 0; total < length; round++) {
    for (const s of samples) {
      parts.push(s);
      total += s.length + separator.length;
    }
    // Shifted each round, so the cuts fall on different samples.
    parts.push('x'.repeat(round * 37 + 1));
  }
  return parts.join(separator);
}

const show = (f: TextFinding): string => `${f.type}@${f.start}-${f.end}`;

describe('scanning large text in slices', () => {
  const detectors: [string, (text: string) => TextFinding[]][] = [
    ['PII', (text) => detectPii(text, allPii)],
    ['secrets', (text) => detectSecrets(text, allSecrets)],
  ];
  const texts: [string, string][] = [
    ['lines', corpusText('\n', 300_000)],
    ['one line, spaces', corpusText(' ', 300_000)],
    ['one line, no separator', corpusText('', 300_000)],
    ['phone numbers', Array.from({ length: 20_000 }, (_, i) => `+1 (415) 555-${String(1000 + (i % 9000))}`).join(', ')],
  ];

  for (const [detectorName, detect] of detectors) {
    for (const [textName, text] of texts) {
      if (detectorName === 'secrets' && textName === 'phone numbers') continue;
      it(`finds exactly what one piece finds: ${detectorName}, ${textName}`, async () => {
        const whole = detect(text).map(show);
        assert.ok(whole.length > 50, `only ${whole.length} findings to compare`);
        for (const [sliceLength, margin] of [
          [16 * 1024, 1024],
          [4000, 1024],
          [1500, 300],
        ] as const) {
          const sliced = (await detectInSlices(text, detect, new CooperativePause(), { sliceLength, margin })).map(show);
          assert.deepEqual(sliced, whole, `slices of ${sliceLength}, margin ${margin}`);
        }
      });
    }
  }

  it('a large message is scanned cooperatively to exactly the result of one piece: same redaction, same locations', async () => {
    const text = corpusText('\n', COOPERATIVE_SCAN_THRESHOLD * 3);
    const message: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }, { type: 'text', text: text.slice(1000) }], structuredContent: { note: text.slice(0, 5000) } } };
    for (const [name, detect] of detectors) {
      const options: ContentScanOptions<string> = { detect, redact: true, placeholder: (type) => `[${type}]` };
      const whole: ContentScanResult<JsonRpcResponse, string> = scanMessageContent(message, options);
      const cooperative: ContentScanResult<JsonRpcResponse, string> = await scanMessageContentCooperatively(message, options);
      assert.ok(whole.changed, name);
      assert.deepEqual(cooperative, whole, name);
    }
    // The filters take that path for large content and still decide at once for small content.
    const ctx = {} as MessageContext;
    for (const filter of [createPiiFilter(basicPiiFilter.configSchema.parse({})), createSecretsFilter(basicSecretsFilter.configSchema.parse({}))]) {
      const pending = filter.onResponse!(message, ctx);
      assert.ok(pending instanceof Promise, 'large content is scanned cooperatively');
      assert.equal((await pending)?.allowed, true);
      const small = filter.onResponse!({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: text.slice(0, 2000) }] } }, ctx);
      assert.ok(!(small instanceof Promise), 'small content is decided at once');
    }
  });
});
