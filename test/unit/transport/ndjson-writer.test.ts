// Unit tests of NdjsonMessageWriter: framing, coalescing, order under backpressure, errors, end.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import type { Message } from 'vscode-jsonrpc/node';
import { NdjsonMessageReader, NdjsonMessageWriter } from '../../../src/gateway/transport/ndjson';
import { waitFor } from './helpers';

/** A Writable that records each `_write`/`_writev` call, completing each after `delayTurns` event-loop turns. */
class RecordingWritable extends Writable {
  readonly calls: string[] = [];
  /** True if someone wrote while the stream had asked to wait for 'drain'. */
  wroteDuringBackpressure = false;

  constructor(
    highWaterMark: number,
    private readonly delayTurns = 0,
  ) {
    super({ highWaterMark, decodeStrings: false });
  }

  override write(chunk: unknown, ...rest: unknown[]): boolean {
    if (this.writableNeedDrain) this.wroteDuringBackpressure = true;
    return (super.write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.calls.push(chunk.toString());
    let turns = this.delayTurns;
    const later = (): void => {
      if (turns-- <= 0) callback();
      else setImmediate(later);
    };
    later();
  }

  text(): string {
    return this.calls.join('');
  }
}

const request = (id: number, text = ''): Message => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { text } }) as Message;

describe('NdjsonMessageWriter', () => {
  it('writes one JSON line per message, and joins the messages of a tick into one stream write', async () => {
    const sink = new RecordingWritable(1 << 20);
    const writer = new NdjsonMessageWriter(sink);
    await Promise.all([writer.write(request(1)), writer.write(request(2)), writer.writeSerialized('{"id":3}')]);
    assert.equal(
      sink.text(),
      JSON.stringify(request(1)) + '\n' + JSON.stringify(request(2)) + '\n' + '{"id":3}\n',
    );
    assert.equal(sink.calls.length, 1, 'three messages of one tick share one write');
    await writer.write(request(4));
    assert.equal(sink.calls.length, 2);
  });

  it('keeps order and waits for drain under backpressure', async () => {
    const sink = new RecordingWritable(64, 2);
    const writer = new NdjsonMessageWriter(sink);
    let drains = 0;
    sink.on('drain', () => drains++);
    const expected: string[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const message = request(i, 'x'.repeat((i * 37) % 200));
      expected.push(JSON.stringify(message));
      writes.push(writer.write(message));
      // Spread the writes over several turns so some arrive while the stream is full.
      if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await waitFor(() => sink.writableLength === 0, 10_000, 'the sink to drain');
    assert.deepEqual(sink.text().split('\n').slice(0, -1), expected);
    assert.equal(sink.wroteDuringBackpressure, false, 'no write while the stream asked to wait for drain');
    assert.ok(drains > 0, 'the stream did push back');
    assert.ok(sink.calls.length > 1);
  });

  it('resolves a write only once its message has been handed to the stream', async () => {
    const sink = new RecordingWritable(8, 3);
    const writer = new NdjsonMessageWriter(sink);
    const first = writer.write(request(1, 'a'.repeat(100)));
    await first;
    assert.ok(sink.writableNeedDrain, 'the first write filled the stream');
    let secondResolved = false;
    const second = writer.write(request(2)).then(() => (secondResolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(secondResolved, false, 'still queued in the writer while the stream is full');
    await second;
    assert.ok(sink.text().includes('"id":2'));
  });

  it('rejects a serialized text holding a newline, and a value JSON cannot represent', async () => {
    const sink = new RecordingWritable(1024);
    const writer = new NdjsonMessageWriter(sink);
    await assert.rejects(writer.writeSerialized('{"a":1}\n{"b":2}'), /newline/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await assert.rejects(writer.write(circular as Message), TypeError);
    await assert.rejects(writer.write({ n: 1n } as unknown as Message), TypeError);
    await writer.write(request(1));
    assert.equal(sink.text(), JSON.stringify(request(1)) + '\n', 'the writer still works afterwards');
  });

  it('writes a raw text given in pieces as one line, in order with serialized messages, and refuses one holding a newline', async () => {
    const sink = new RecordingWritable(1024);
    const writer = new NdjsonMessageWriter(sink);
    const outcome = (parts: Buffer[]): Promise<Error | undefined> => new Promise((resolve) => writer.sendText(parts, resolve));
    const refused = await outcome([Buffer.from('{"a":1}'), Buffer.from('\n{"b":2}')]);
    assert.ok(refused instanceof TypeError && /newline/.test(refused.message));
    writer.send(request(1));
    const sent = outcome([Buffer.from('{"jsonrpc":"2.0",'), Buffer.from('"id":2,"result":{"raw":true}}')]);
    writer.send(request(3));
    assert.equal(await sent, undefined);
    await writer.flushed();
    assert.equal(sink.text(), [JSON.stringify(request(1)), '{"jsonrpc":"2.0","id":2,"result":{"raw":true}}', JSON.stringify(request(3))].join('\n') + '\n');
  });

  it('rejects writes to a destroyed stream and fires onError, without an uncaught exception', async () => {
    const sink = new PassThrough();
    const writer = new NdjsonMessageWriter(sink);
    const errors: Error[] = [];
    writer.onError(([error]) => errors.push(error));
    sink.destroy();
    await assert.rejects(writer.write(request(1)));
    await assert.rejects(writer.writeSerialized('{}'));
    assert.equal(errors.length, 1);
  });

  it('rejects queued writes when the stream errors, and fires onError once', async () => {
    const sink = new RecordingWritable(4, 5);
    const writer = new NdjsonMessageWriter(sink);
    const errors: Error[] = [];
    writer.onError(([error]) => errors.push(error));
    await writer.write(request(1, 'fill the stream'));
    const queued = writer.write(request(2));
    sink.destroy(new Error('EPIPE (simulated)'));
    await assert.rejects(queued, /EPIPE/);
    assert.deepEqual(
      errors.map((e) => e.message),
      ['EPIPE (simulated)'],
    );
  });

  it('still swallows stream errors after dispose, and rejects what was queued', async () => {
    const sink = new RecordingWritable(4, 5);
    const writer = new NdjsonMessageWriter(sink);
    await writer.write(request(1, 'fill the stream'));
    const queued = writer.write(request(2));
    writer.dispose();
    await assert.rejects(queued, /disposed/);
    assert.doesNotThrow(() => sink.emit('error', new Error('late EPIPE')));
  });

  it('survives EPIPE from a child process that exited', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((resolve) => child.on('exit', resolve));
    const writer = new NdjsonMessageWriter(child.stdin);
    const errors: Error[] = [];
    writer.onError(([error]) => errors.push(error));
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) outcomes.push(writer.write(request(i, 'x'.repeat(10_000))).catch((e: unknown) => e));
    await Promise.all(outcomes);
    await waitFor(() => errors.length > 0, 10_000, 'the EPIPE error');
    await assert.rejects(writer.write(request(99)));
  });

  it('ends the stream after the pending writes, and rejects writes after end', async () => {
    const sink = new RecordingWritable(16, 1);
    const writer = new NdjsonMessageWriter(sink);
    const errors: Error[] = [];
    writer.onError(([error]) => errors.push(error));
    const pending = [writer.write(request(1, 'a'.repeat(100))), writer.write(request(2)), writer.write(request(3))];
    writer.end();
    await assert.rejects(writer.write(request(4)), /ended/);
    await Promise.all(pending);
    await new Promise((resolve) => sink.on('finish', resolve));
    assert.deepEqual(
      sink
        .text()
        .split('\n')
        .slice(0, -1)
        .map((l) => (JSON.parse(l) as { id: number }).id),
      [1, 2, 3],
    );
    assert.deepEqual(errors, [], 'a normal end is not an error');
  });

  it('round-trips through a reader, including a 16 MB message among small ones', async () => {
    const pipe = new PassThrough();
    const writer = new NdjsonMessageWriter(pipe);
    const reader = new NdjsonMessageReader(pipe);
    const received: Message[] = [];
    reader.listen((m) => received.push(m));
    const big = request(2, 'é'.repeat(8 * 1024 * 1024));
    await Promise.all([writer.write(request(1)), writer.write(big), writer.write(request(3))]);
    await waitFor(() => received.length === 3, 15_000, 'three messages');
    assert.deepEqual(
      received.map((m) => (m as unknown as { id: number }).id),
      [1, 2, 3],
    );
    assert.deepEqual(received[1], big);
  });
});
