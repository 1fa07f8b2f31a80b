// Unit tests of NdjsonMessageReader: framing, tolerance, limits, dropped lines, stream end and errors.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { NdjsonMessageReader, REUSABLE_LINE_BYTES } from '../../../src/gateway/transport/ndjson';
import { recordingReader, waitFor } from './helpers';

describe('NdjsonMessageReader', () => {
  it('delivers every JSON value of a line, whatever its type, with the line text', () => {
    const r = recordingReader();
    r.source.push('{"jsonrpc":"2.0","id":1,"method":"ping"}\n[1,2]\n42\n"s"\nnull\ntrue\n');
    assert.deepEqual(r.values(), [{ jsonrpc: '2.0', id: 1, method: 'ping' }, [1, 2], 42, 's', null, true]);
    const first = r.events[0];
    assert.ok(first?.kind === 'value');
    assert.equal(first.line, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    assert.deepEqual(r.invalid(), []);
  });

  it('tolerates CRLF and skips blank and whitespace-only lines silently', () => {
    const r = recordingReader();
    r.source.push('{"a":1}\r\n\n   \n\t\r\n\r\n{"b":2}\r\n');
    assert.deepEqual(r.values(), [{ a: 1 }, { b: 2 }]);
    const first = r.events[0];
    assert.ok(first?.kind === 'value');
    assert.equal(first.line, '{"a":1}', 'the line text carries no terminator');
    assert.deepEqual(r.invalid(), []);
  });

  it('joins a line split across many chunks', () => {
    const r = recordingReader();
    const text = JSON.stringify({ method: 'tools/call', params: { text: 'x'.repeat(1000) } }) + '\n';
    for (let i = 0; i < text.length; i += 7) r.source.push(text.slice(i, i + 7));
    assert.deepEqual(r.values(), [JSON.parse(text)]);
  });

  it('decodes multi-byte characters split between chunks', () => {
    const r = recordingReader();
    const bytes = Buffer.from(JSON.stringify({ text: 'é€😀中' }) + '\n', 'utf8');
    // One byte per chunk cuts every multi-byte character.
    for (let i = 0; i < bytes.length; i++) r.source.push(bytes.subarray(i, i + 1));
    assert.deepEqual(r.values(), [{ text: 'é€😀中' }]);
  });

  it('reports a line that is not JSON, drops it, and keeps reading', () => {
    const r = recordingReader();
    r.source.push('Server started on port 3000\n{"ok":true}\n{"broken":\n');
    assert.deepEqual(r.values(), [{ ok: true }]);
    assert.deepEqual(r.invalid(), [
      { reason: 'not_json', bytes: 27, preview: 'Server started on port 3000' },
      { reason: 'not_json', bytes: 10, preview: '{"broken":' },
    ]);
  });

  it('limits the preview of a dropped line to 120 characters but reports its full size', () => {
    const r = recordingReader();
    r.source.push('é'.repeat(500) + '\n');
    const [invalid] = r.invalid();
    assert.equal(invalid?.reason, 'not_json');
    assert.equal(invalid?.bytes, 1000);
    assert.equal(invalid?.preview, 'é'.repeat(120));
  });

  it('accepts a line of exactly maxLineBytes, with or without CR, and reports one byte more as too_long', () => {
    const r = recordingReader({ maxLineBytes: 10 });
    r.source.push('"12345678"\n"12345678"\r\n"123456789"\n{"next":1}\n');
    assert.deepEqual(r.values(), ['12345678', '12345678', { next: 1 }]);
    assert.deepEqual(r.invalid(), [{ reason: 'too_long', bytes: 11, preview: '"123456789"' }]);
  });

  it('discards an over-long line arriving in pieces without buffering it, then recovers', () => {
    const r = recordingReader({ maxLineBytes: 100 });
    r.source.push('"' + 'a'.repeat(60));
    r.source.push('b'.repeat(60));
    r.source.push('c'.repeat(500));
    r.source.push('d"\n{"after":1}\n');
    assert.deepEqual(r.values(), [{ after: 1 }]);
    const [invalid] = r.invalid();
    assert.equal(invalid?.reason, 'too_long');
    assert.equal(invalid?.bytes, 623);
    assert.equal(invalid?.preview, '"' + 'a'.repeat(60) + 'b'.repeat(59));
  });

  it('parses an unterminated last line when the stream ends, then fires close once', () => {
    const r = recordingReader();
    r.source.push('{"a":1}\n{"last":');
    r.source.push('true}');
    r.source.end();
    assert.deepEqual(
      r.events.map((e) => e.kind),
      ['value', 'value', 'close'],
    );
    assert.deepEqual(r.values(), [{ a: 1 }, { last: true }]);
  });

  it('reports an over-long unterminated last line at stream end', () => {
    const r = recordingReader({ maxLineBytes: 4 });
    r.source.push('123456789');
    r.source.end();
    assert.deepEqual(r.invalid(), [{ reason: 'too_long', bytes: 9, preview: '123456789' }]);
  });

  it('fires onError on a stream error instead of throwing, and closes', () => {
    const r = recordingReader();
    assert.doesNotThrow(() => r.source.fail(new Error('EIO')));
    assert.deepEqual(
      r.events.map((e) => e.kind),
      ['error', 'close'],
    );
    const first = r.events[0];
    assert.ok(first?.kind === 'error');
    assert.equal(first.error.message, 'EIO');
  });

  it('turns a throwing consumer into onError and keeps framing intact', () => {
    const errors: Error[] = [];
    const seen: unknown[] = [];
    const source = new PassThrough();
    const reader = new NdjsonMessageReader(source);
    reader.onError((e) => errors.push(e));
    reader.listen((value) => {
      seen.push(value);
      if (seen.length === 1) throw new Error('consumer bug');
    });
    source.write('1\n2\n3\n');
    return waitFor(() => seen.length === 3).then(() => {
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.message, 'consumer bug');
    });
  });

  it('skips a byte-order mark at the start of the stream', () => {
    const r = recordingReader();
    r.source.push(Buffer.from([0xef, 0xbb, 0xbf]));
    r.source.push('{"a":1}\n');
    assert.deepEqual(r.values(), [{ a: 1 }]);
  });

  it('hands over a long line\'s own bytes with its text (split across chunks, after a byte-order mark, before a CR), a short line\'s text only', () => {
    const source = new PassThrough();
    const reader = new NdjsonMessageReader(source);
    const seen: [string, string | undefined][] = [];
    reader.listen((_value, line, bytes) => seen.push([line, bytes?.toString('utf8')]));
    const long = 'x'.repeat(REUSABLE_LINE_BYTES);
    source.write(Buffer.from([0xef, 0xbb, 0xbf]));
    source.write(`{"a":"${long}é€`);
    source.write('😀"}\r\n{"b":2}\n');
    assert.deepEqual(seen, [
      [`{"a":"${long}é€😀"}`, `{"a":"${long}é€😀"}`],
      ['{"b":2}', undefined],
    ]);
  });

  it('accepts string chunks from a stream with an encoding set', async () => {
    const source = new PassThrough();
    source.setEncoding('utf8');
    const reader = new NdjsonMessageReader(source);
    const values: unknown[] = [];
    reader.listen((v) => values.push(v));
    const closed = new Promise<void>((resolve) => reader.onClose(() => resolve()));
    source.write(Buffer.from('{"t":"é"}\n').subarray(0, 7));
    source.end(Buffer.from('{"t":"é"}\n').subarray(7));
    await closed;
    assert.deepEqual(values, [{ t: 'é' }]);
  });

  it('fires close once when a real stream is destroyed without ending', async () => {
    const source = new PassThrough();
    const reader = new NdjsonMessageReader(source);
    let closes = 0;
    reader.onClose(() => closes++);
    reader.listen(() => undefined);
    source.destroy();
    await waitFor(() => closes > 0, 5000, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closes, 1);
  });

  it('stops delivering once disposed, or once its listen disposable is disposed', () => {
    const r = recordingReader();
    r.source.push('1\n');
    r.reader.dispose();
    r.source.push('2\n');
    assert.deepEqual(r.values(), [1]);

    const source = new PassThrough();
    const reader = new NdjsonMessageReader(source);
    const values: unknown[] = [];
    const listening = reader.listen((v) => values.push(v));
    listening.dispose();
    assert.equal(source.listenerCount('data'), 0);
    assert.doesNotThrow(() => source.emit('error', new Error('late error')), 'errors after dispose stay handled');
  });

  it('refuses a second listen and an invalid limit', () => {
    const r = recordingReader();
    assert.throws(() => r.reader.listen(() => undefined), /only be called once/);
    assert.throws(() => new NdjsonMessageReader(new PassThrough(), { maxLineBytes: 0 }), RangeError);
  });

  it('reads a 20 MB message that arrives in 64 KiB chunks', async () => {
    const source = new PassThrough();
    const reader = new NdjsonMessageReader(source);
    const values: unknown[] = [];
    reader.listen((v) => values.push(v));
    const text = 'z'.repeat(20 * 1024 * 1024);
    const bytes = Buffer.from(JSON.stringify({ text }) + '\n');
    for (let i = 0; i < bytes.length; i += 65536) source.write(bytes.subarray(i, i + 65536));
    await waitFor(() => values.length === 1, 15_000, 'the big message');
    assert.equal((values[0] as { text: string }).text.length, text.length);
  });
});
