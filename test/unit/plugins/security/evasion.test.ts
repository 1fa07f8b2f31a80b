// Formatting that hides a secret or personal data from a pattern but not from a reader: every
// labelled sample of the corpora, rewritten with each evasion, must still be found by the filter
// and redacted over its whole original span; benign text must stay unflagged; blobs are scanned.
import assert from 'node:assert/strict';
import { loadCorpus as load, type Benign, type Labelled } from './corpus';
import { basicPiiFilter, createPiiFilter, piiPlaceholder } from '../../../../src/plugins/security/basic_pii_filter';
import { basicSecretsFilter, createSecretsFilter, SECRET_PLACEHOLDER } from '../../../../src/plugins/security/basic_secrets_filter';
import { normalizeForScan } from '../../../../src/plugins/security/detect/normalize';
import { detectPii, PII_TYPES, type PiiType } from '../../../../src/plugins/security/detect/pii';
import { detectSecrets, SECRET_TYPES } from '../../../../src/plugins/security/detect/secrets';
import type { InterceptorPlugin, MessageContext } from '../../../../src/plugins/types';
import type { JsonRpcResponse } from '../../../../src/shared/jsonrpc';

const ctx = {} as MessageContext;

/** The text of a tool result after the filter, or `blocked`. */
function filtered(filter: InterceptorPlugin, text: string): string | undefined {
  const response: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } };
  const decision = filter.onResponse!(response, ctx) as { allowed: boolean; modified?: JsonRpcResponse } | undefined;
  if (decision === undefined) return undefined;
  if (!decision.allowed) return 'blocked';
  const modified = decision.modified as { result: { content: { text: string }[] } } | undefined;
  return modified?.result.content[0]!.text;
}

/**
 * Whether `redacted` is `text` with spans replaced by `placeholder`, one of them covering all of
 * [start, end): the text kept between placeholders must not touch that range.
 */
function coversSpan(text: string, redacted: string, placeholder: string, start: number, end: number): boolean {
  const kept = redacted.split(placeholder);
  if (kept.length < 2 || !text.startsWith(kept[0]!) || !text.endsWith(kept[kept.length - 1]!)) return false;
  const ranges: [number, number][] = [[0, kept[0]!.length]];
  let from = kept[0]!.length;
  for (const segment of kept.slice(1, -1)) {
    const at = text.indexOf(segment, from + 1);
    if (at < 0) return false;
    ranges.push([at, at + segment.length]);
    from = at + segment.length;
  }
  ranges.push([text.length - kept[kept.length - 1]!.length, text.length]);
  return ranges.every(([a, b]) => b <= start || a >= end || a === b);
}

const FULL_WIDTH_OFFSET = 0xff01 - 0x21;
const CYRILLIC: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', y: 'у', A: 'А', B: 'В', E: 'Е', K: 'К', M: 'М', H: 'Н', O: 'О', P: 'Р', C: 'С', T: 'Т', X: 'Х' };

/** Evasions of a value (as it appears in the text); `undefined` when one does not apply to it. */
const EVASIONS: Record<string, (value: string) => string | undefined> = {
  'zero-width space': (v) => `${v.slice(0, 4)}\u200b${v.slice(4)}`,
  'soft hyphens': (v) => `${v.slice(0, 3)}\u00ad${v.slice(3, 7)}\u00ad${v.slice(7)}`,
  'word joiner and bidi isolate': (v) => `${v.slice(0, 2)}\u2060${v.slice(2, 6)}\u2066\u2069${v.slice(6)}`,
  'full-width letters and digits': (v) => v.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + FULL_WIDTH_OFFSET)),
  'Cyrillic look-alikes': (v) => (/[aeopcxyABEKMHOPCTX]/.test(v) ? v.replace(/[aeopcxyABEKMHOPCTX]/g, (c) => CYRILLIC[c]!) : undefined),
  '\\u escapes (JSON text)': (v) => v.replace(/[A-Za-z0-9@]/g, (c, i: number) => (i % 3 === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)),
  'no-break spaces': (v) => (v.includes(' ') ? v.replace(/ /g, '\u00a0') : undefined),
  'narrow and figure spaces': (v) => (v.includes(' ') ? v.replace(/ /g, (_c, i: number) => (i % 2 ? '\u202f' : '\u2007')) : undefined),
};

interface Case {
  readonly label: string;
  readonly filter: InterceptorPlugin;
  readonly samples: Labelled[];
  readonly plainHit: (s: Labelled) => boolean;
  readonly placeholder: (type: string) => string;
}

describe('evasion of the PII and secrets filters by formatting', () => {
  const allPii = new Set<PiiType>(PII_TYPES);
  const cases: Case[] = [
    {
      label: 'PII',
      filter: createPiiFilter(basicPiiFilter.configSchema.parse({})),
      samples: load<Labelled>('pii.jsonl'),
      plainHit: (s) => detectPii(s.text, allPii).some((f) => f.type === s.type),
      placeholder: (type) => piiPlaceholder(type as PiiType),
    },
    {
      label: 'secrets',
      filter: createSecretsFilter(basicSecretsFilter.configSchema.parse({})),
      samples: load<Labelled>('secrets.jsonl'),
      plainHit: (s) => detectSecrets(s.text, new Set(SECRET_TYPES)).some((f) => f.type === s.type),
      placeholder: () => SECRET_PLACEHOLDER,
    },
  ];

  for (const { label, filter, samples, plainHit, placeholder } of cases) {
    it(`finds every ${label} sample under each evasion and redacts its whole original span`, () => {
      const failures: string[] = [];
      let tried = 0;
      for (const [name, evade] of Object.entries(EVASIONS)) {
        let applied = 0;
        for (const sample of samples) {
          if (!plainHit(sample)) continue; // a miss of the plain detector is the corpus test's business
          const evaded = evade(sample.value);
          if (evaded === undefined || evaded === sample.value) continue;
          const text = sample.text.replace(sample.value, evaded);
          const start = sample.text.indexOf(sample.value);
          const end = start + evaded.length;
          const out = filtered(filter, text);
          applied++;
          if (typeof out !== 'string' || !coversSpan(text, out, placeholder(sample.type), start, end)) failures.push(`${name}: ${sample.id} → ${JSON.stringify(out)?.slice(0, 160)}`);
        }
        tried += applied;
        console.log(`      ${label}, ${name}: ${applied} samples`);
      }
      assert.ok(tried > samples.length, `only ${tried} evaded samples`);
      assert.deepEqual(failures, [], `${failures.length} of ${tried} evaded samples passed or were redacted only in part`);
    });
  }

  it('flags none of the benign look-alikes, nor their full-width or escaped forms', () => {
    const benign = load<Benign>('benign.jsonl');
    const flagged: string[] = [];
    for (const { label, filter } of cases) {
      for (const b of benign) {
        for (const [form, text] of [
          ['plain', b.text],
          ['full-width', EVASIONS['full-width letters and digits']!(b.text)!],
          ['JSON-escaped', JSON.stringify(b.text).slice(1, -1)],
        ] as const) {
          if (filtered(filter, text) !== undefined) flagged.push(`${label} ${form} ${b.id}`);
        }
      }
    }
    assert.deepEqual(flagged, []);
  });

  it('finds payment cards grouped with dots, no-break and narrow spaces', () => {
    const filter = createPiiFilter(basicPiiFilter.configSchema.parse({}));
    for (const card of ['4111.1111.1111.1111', '4111\u00a01111\u00a01111\u00a01111', '5500\u202f0000\u202f0000\u20070004', '4111\u200b1111\u200b1111\u200b1111']) {
      const text = `card on file: ${card}, thanks`;
      assert.equal(filtered(filter, text), `card on file: ${piiPlaceholder('credit_card')}, thanks`, JSON.stringify(card));
    }
  });

  it('maps normalised offsets back to whole original characters and escapes', () => {
    const text = 'a\u200bＢ\\u0043\\ud83d\\ude00d';
    const normalized = normalizeForScan(text)!;
    assert.equal(normalized.text, 'aBC\u{1f600}d');
    // 'B' came from the full-width letter at 2; 'C' from the six-character escape at 3.
    assert.deepEqual([normalized.originalStart(1), normalized.originalEnd(2)], [2, 3]);
    assert.deepEqual([normalized.originalStart(2), normalized.originalEnd(3)], [3, 9]);
    // The emoji (two units) came from the twelve-character escaped pair; 'd' follows it.
    assert.deepEqual([normalized.originalStart(3), normalized.originalEnd(5)], [9, 21]);
    assert.deepEqual([normalized.originalStart(5), normalized.originalEnd(6)], [21, 22]);
    // A finding over 'aB' spans the zero-width space between them.
    assert.deepEqual([normalized.originalStart(0), normalized.originalEnd(2)], [0, 3]);
    assert.equal(normalizeForScan('plain ASCII, no backslash'), undefined);
    assert.equal(normalizeForScan('a backslash \\d that escapes nothing'), undefined);
  });

  it('scans resource blobs by default: a secret or an e-mail in a base64 blob blocks, an image passes', () => {
    const secrets = createSecretsFilter(basicSecretsFilter.configSchema.parse({}));
    const pii = createPiiFilter(basicPiiFilter.configSchema.parse({}));
    const samples = load<Labelled>('secrets.jsonl');
    const key = samples.find((s) => s.type === 'github_tokens')!.value;
    const read = (bytes: Buffer): JsonRpcResponse => ({ jsonrpc: '2.0', id: 7, result: { contents: [{ uri: 'file:///x', mimeType: 'application/octet-stream', blob: bytes.toString('base64') }] } });
    const secretDecision = secrets.onResponse!(read(Buffer.from(`GITHUB_TOKEN=${key}\n`)), ctx) as { allowed: boolean; reason: string } | undefined;
    assert.equal(secretDecision?.allowed, false);
    assert.match(secretDecision!.reason, /base64-encoded content \(github_tokens\) in result\.contents\[0\]\.blob/);
    const piiDecision = pii.onResponse!(read(Buffer.from('contact: jane.doe@acme-corp.io')), ctx) as { allowed: boolean } | undefined;
    assert.equal(piiDecision?.allowed, false);
    // A PNG header and binary bytes do not decode to text: nothing to scan, nothing found.
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff))]);
    assert.equal(secrets.onResponse!(read(png), ctx), undefined);
    assert.equal(pii.onResponse!(read(png), ctx), undefined);
  });
});
