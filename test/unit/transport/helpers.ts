// Shared helpers of the transport tests: a synchronous fake stream and a reader that records what it saw.

import { EventEmitter } from 'node:events';
import { NdjsonMessageReader, type InvalidLine, type NdjsonReaderOptions } from '../../../src/gateway/transport/ndjson';

/** A stream whose 'data' events are fired synchronously by the test, so properties run fast. */
export class FakeReadable extends EventEmitter {
  push(chunk: Buffer | string): void {
    this.emit('data', chunk);
  }
  end(): void {
    this.emit('end');
    this.emit('close');
  }
  fail(error: Error): void {
    this.emit('error', error);
    this.emit('close');
  }
  asStream(): NodeJS.ReadableStream {
    return this as unknown as NodeJS.ReadableStream;
  }
}

/** One thing the reader reported, in stream order. */
export type ReaderEvent =
  | { kind: 'value'; value: unknown; line: string }
  | { kind: 'invalid'; invalid: InvalidLine }
  | { kind: 'error'; error: Error }
  | { kind: 'close' };

/** A reader over a {@link FakeReadable} that records every event in order. */
export function recordingReader(options?: NdjsonReaderOptions): {
  source: FakeReadable;
  reader: NdjsonMessageReader;
  events: ReaderEvent[];
  values: () => unknown[];
  invalid: () => InvalidLine[];
} {
  const source = new FakeReadable();
  const reader = new NdjsonMessageReader(source.asStream(), options);
  const events: ReaderEvent[] = [];
  reader.onInvalidLine((invalid) => events.push({ kind: 'invalid', invalid }));
  reader.onError((error) => events.push({ kind: 'error', error }));
  reader.onClose(() => events.push({ kind: 'close' }));
  reader.listen((value, line) => events.push({ kind: 'value', value, line }));
  return {
    source,
    reader,
    events,
    values: () => events.flatMap((e) => (e.kind === 'value' ? [e.value] : [])),
    invalid: () => events.flatMap((e) => (e.kind === 'invalid' ? [e.invalid] : [])),
  };
}

/** Cuts `bytes` at the given offsets (any order, duplicates allowed), so chunks may end inside a character. */
export function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    if (cut > start) {
      chunks.push(bytes.subarray(start, cut));
      start = cut;
    }
  }
  if (start < bytes.length) chunks.push(bytes.subarray(start));
  return chunks;
}

/** Resolves when `predicate` holds, polling on each turn of the event loop; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
