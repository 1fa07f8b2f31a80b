// Property tests of NdjsonMessageReader: any chunking, garbage interleaved, the exact line limit, bounded memory.

import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { Message } from 'vscode-jsonrpc/node';
import { NdjsonMessageReader, NdjsonMessageWriter } from '../../../src/gateway/transport/ndjson';
import { cutAt, recordingReader, waitFor } from './helpers';

/** What the JSON text of a value parses back to (-0 becomes 0, and so on). */
const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const jsonValue = fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 });
const terminator = fc.constantFrom('\n', '\r\n');
const cutOffsets = fc.array(fc.nat(), { maxLength: 40 });

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A line the reader must report as not JSON: no newline, not blank, not JSON even without a trailing CR. */
const garbageLine = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .filter((s) => !s.includes('\n') && s.trim() !== '' && !parses(s.replace(/\r$/, '')) && !s.startsWith('\ufeff'));

/** Runs a property and prints how many cases it ran (fast-check reports the seed when one fails). */
function checkProperty<T>(name: string, property: fc.IPropertyWithHooks<T> | fc.IProperty<T>, numRuns: number): void {
  const details = fc.check(property, { numRuns });
  if (details.failed) {
    throw new Error(fc.defaultReportMessage(details) ?? `property ${name} failed`);
  }
  console.log(`      ${name}: ${details.numRuns} cases`);
}

async function checkAsyncProperty<T>(name: string, property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  const details = await fc.check(property, { numRuns });
  if (details.failed) {
    throw new Error(fc.defaultReportMessage(details) ?? `property ${name} failed`);
  }
  console.log(`      ${name}: ${details.numRuns} cases`);
}

describe('NdjsonMessageReader properties', () => {
  it('delivers exactly the serialized values, in order, however the bytes are cut', () => {
    checkProperty(
      'values survive any chunking',
      fc.property(fc.array(fc.tuple(jsonValue, terminator), { maxLength: 20 }), cutOffsets, (lines, offsets) => {
        const bytes = Buffer.from(lines.map(([v, t]) => JSON.stringify(v) + t).join(''), 'utf8');
        const r = recordingReader();
        for (const chunk of cutAt(bytes, offsets)) r.source.push(chunk);
        assert.deepEqual(r.values(), lines.map(([v]) => roundTrip(v)));
        assert.deepEqual(r.invalid(), []);
      }),
      500,
    );
  });

  it('reports and drops garbage lines while the valid lines around them still come through, in order', () => {
    const line = fc.oneof(
      jsonValue.map((value) => ({ valid: true as const, value, text: JSON.stringify(value) })),
      garbageLine.map((text) => ({ valid: false as const, value: undefined, text })),
    );
    checkProperty(
      'garbage interleaved',
      fc.property(fc.array(fc.tuple(line, terminator), { maxLength: 20 }), cutOffsets, (lines, offsets) => {
        const bytes = Buffer.from(lines.map(([l, t]) => l.text + t).join(''), 'utf8');
        const r = recordingReader();
        for (const chunk of cutAt(bytes, offsets)) r.source.push(chunk);
        // Exactly one '\r' before the '\n' belongs to the terminator.
        const lineText = (text: string, end: string): string => (end === '\r\n' ? text : text.replace(/\r$/, ''));
        const expected = lines.map(([l, end]) =>
          l.valid
            ? { kind: 'value', value: roundTrip(l.value) }
            : { kind: 'not_json', bytes: Buffer.byteLength(lineText(l.text, end)) },
        );
        const actual = r.events.map((e) =>
          e.kind === 'value'
            ? { kind: 'value', value: e.value }
            : e.kind === 'invalid'
              ? { kind: e.invalid.reason, bytes: e.invalid.bytes }
              : { kind: e.kind },
        );
        assert.deepEqual(actual, expected);
      }),
      500,
    );
  });

  it('passes a line of exactly maxLineBytes and reports one byte more as too_long, then recovers', () => {
    checkProperty(
      'limit is exact',
      fc.property(
        jsonValue,
        fc.nat({ max: 64 }),
        fc.boolean(),
        terminator,
        cutOffsets,
        (value, slack, overLimit, end, offsets) => {
          const text = JSON.stringify(value);
          const limit = Buffer.byteLength(text) + slack;
          // JSON allows trailing whitespace, so padding gives a valid line of any exact length.
          const lineBytes = limit + (overLimit ? 1 : 0);
          const line = text + ' '.repeat(lineBytes - Buffer.byteLength(text));
          const bytes = Buffer.from(line + end + '{"next":true}\n', 'utf8');
          const r = recordingReader({ maxLineBytes: limit });
          for (const chunk of cutAt(bytes, offsets)) r.source.push(chunk);
          // The follow-up line is itself over a very small limit.
          const nextFits = Buffer.byteLength('{"next":true}') <= limit;
          const expectedValues = [...(overLimit ? [] : [roundTrip(value)]), ...(nextFits ? [{ next: true }] : [])];
          const expectedTooLong = [...(overLimit ? [lineBytes] : []), ...(nextFits ? [] : [13])];
          assert.deepEqual(r.values(), expectedValues);
          assert.deepEqual(
            r.invalid().map((i) => (i.reason === 'too_long' ? i.bytes : `${i.reason}`)),
            expectedTooLong,
          );
        },
      ),
      500,
    );
  });

  it('forwards each line unchanged through writeSerialized, and writes values that read back equal', async () => {
    await checkAsyncProperty(
      'reader -> writeSerialized -> reader, write -> reader',
      fc.asyncProperty(fc.array(fc.tuple(jsonValue, terminator), { maxLength: 15 }), cutOffsets, async (lines, offsets) => {
        const forwarded = new PassThrough();
        const forwarder = new NdjsonMessageWriter(forwarded);
        const downstream = new NdjsonMessageReader(forwarded);
        const received: unknown[] = [];
        downstream.listen((m) => received.push(m));
        // The relay forwards each line's text as it is, the way the gateway passes on unchanged messages.
        const writes: Promise<void>[] = [];
        const source = new PassThrough();
        const relay = new NdjsonMessageReader(source);
        relay.listen((_value, line) => writes.push(forwarder.writeSerialized(line)));
        const bytes = Buffer.from(lines.map(([v, t]) => JSON.stringify(v) + t).join(''), 'utf8');
        for (const chunk of cutAt(bytes, offsets)) source.write(chunk);
        const expected = lines.map(([v]) => roundTrip(v));
        await waitFor(() => writes.length === lines.length, 5000, 'the relay');
        await Promise.all(writes);
        // The same values written as objects must read back equal too.
        await Promise.all(lines.map(([v]) => forwarder.write(v as Message)));
        await waitFor(() => received.length === 2 * lines.length, 5000, 'the forwarded values');
        assert.deepEqual(received, [...expected, ...expected]);
      }),
      200,
    );
  });

  it('keeps memory bounded while skipping 100 MB without a newline', async () => {
    const totalBytes = 100 * 1024 * 1024;
    const chunkBytes = 1024 * 1024;
    // Collecting before each sample measures what the reader retains, not garbage the GC has not reached yet.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const usage = (): number => {
      collect();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = usage();
    let peak = before;
    let produced = 0;
    // Fresh chunks, generated on demand: a reader that kept them would show up in arrayBuffers.
    const source = new Readable({
      highWaterMark: chunkBytes,
      read() {
        if (produced % (8 * chunkBytes) === 0) peak = Math.max(peak, usage());
        if (produced >= totalBytes) {
          this.push('\n{"after":true}\n');
          this.push(null);
          return;
        }
        produced += chunkBytes;
        this.push(Buffer.alloc(chunkBytes, 0x61));
      },
    });
    const reader = new NdjsonMessageReader(source);
    const values: unknown[] = [];
    const invalid: { reason: string; bytes: number }[] = [];
    reader.onInvalidLine((i) => invalid.push(i));
    reader.listen((v) => values.push(v));
    await new Promise<void>((resolve) => reader.onClose(() => resolve()));
    const growthMb = (peak - before) / (1024 * 1024);
    console.log(`      100 MB without newline: peak growth ${growthMb.toFixed(1)} MB (limit 32 MiB per line)`);
    assert.deepEqual(invalid, [{ reason: 'too_long', bytes: totalBytes, preview: 'a'.repeat(120) }]);
    assert.deepEqual(values, [{ after: true }]);
    assert.ok(growthMb < 64, `memory grew by ${growthMb.toFixed(1)} MB`);
  });
});
