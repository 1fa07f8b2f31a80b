// Unit and property tests of the reused message texts: a response forwarded under another id is
// written from its original line with the id spliced in, and that text must parse to exactly the copy.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { knownText, NdjsonMessageWriter, rememberText, withReplacedId } from '../../../src/gateway/transport/ndjson';

type Response = { jsonrpc: '2.0'; id: string | number | null; result?: unknown; error?: unknown };

/** Parses `line` as a response and records it as the response's text, as the upstream reader does. */
function read(line: string): Response {
  const message = JSON.parse(line) as Response;
  rememberText(message, Buffer.from(line));
  return message;
}

const idArb = fc.oneof(fc.integer({ min: -1e9, max: 1e12 }), fc.string({ maxLength: 12 }));
const valueArb = fc.jsonValue({ maxDepth: 3 });

/** Serializes a response with its members in a random order, with random JSON whitespace, sometimes with an extra (or duplicate) member. */
const lineArb = fc
  .record({
    id: fc.integer({ min: 0, max: 1e9 }),
    result: valueArb,
    order: fc.constantFrom(['jsonrpc', 'id', 'result'], ['result', 'jsonrpc', 'id'], ['id', 'jsonrpc', 'result'], ['jsonrpc', 'result', 'id'], ['id', 'result', 'jsonrpc']),
    space: fc.constantFrom('', ' ', '\t', ' \r '),
    duplicateId: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: undefined }),
    nestedId: fc.boolean(),
  })
  .map(({ id, result, order, space, duplicateId, nestedId }) => {
    const value = { jsonrpc: '"2.0"', id: String(id), result: JSON.stringify(nestedId ? { id: 7, inner: result } : result) } as Record<string, string>;
    const members = order.map((key) => `${space}"${key}"${space}:${space}${value[key]}${space}`);
    if (duplicateId !== undefined) members.splice(1, 0, `"id":${duplicateId}`);
    return `${space}{${members.join(',')}}${space}`;
  });

describe('reused message texts (id splice)', () => {
  it('a copy under a new id has a text that parses to exactly the copy', () => {
    let spliced = 0;
    fc.assert(
      fc.property(lineArb, idArb, (line, newId) => {
        const original = read(line);
        const copy = withReplacedId(original, newId);
        assert.deepEqual(copy, { ...JSON.parse(line), id: newId });
        const text = knownText(copy);
        if (text !== undefined) {
          spliced++;
          assert.deepEqual(JSON.parse(text), copy);
        }
      }),
      { numRuns: 3000 },
    );
    // Most generated lines have the id first or last: the fast path must actually be taken.
    assert.ok(spliced > 1000, `only ${spliced} of 3000 copies reused their text`);
  });

  it('splices the id that opens or closes the line, and keeps the text of the rest byte for byte', () => {
    const big = 'x'.repeat(100_000);
    const first = read(`{"jsonrpc":"2.0","id":12,"result":{"content":[{"type":"text","text":"${big}"}]}}`);
    assert.equal(knownText(withReplacedId(first, 'abc')), `{"jsonrpc":"2.0","id":"abc","result":{"content":[{"type":"text","text":"${big}"}]}}`);
    const last = read(`{"result":{"text":"${big}"},"jsonrpc":"2.0","id":12}`);
    assert.equal(knownText(withReplacedId(last, 99)), `{"result":{"text":"${big}"},"jsonrpc":"2.0","id":99}`);
  });

  it('keeps multi-byte characters byte for byte, whichever end the id is at', () => {
    const text = 'é€😀 中文 ' + 'ß'.repeat(5000);
    const last = read(JSON.stringify({ result: { text }, jsonrpc: '2.0', id: 41 }));
    assert.equal(knownText(withReplacedId(last, 'ü-id')), JSON.stringify({ result: { text }, jsonrpc: '2.0', id: 'ü-id' }));
    const first = read(JSON.stringify({ jsonrpc: '2.0', id: 42, result: { text } }));
    assert.equal(knownText(withReplacedId(first, 7)), JSON.stringify({ jsonrpc: '2.0', id: 7, result: { text } }));
  });

  it('does not splice where the text holds another "id" member after an opening id, nor a different id', () => {
    // JSON.parse keeps the last duplicate: the opening id is not the one that counts.
    const duplicate = read('{"jsonrpc":"2.0","id":1,"result":{},"id":1}');
    const copy = withReplacedId(duplicate, 5);
    assert.equal(knownText(copy), '{"jsonrpc":"2.0","id":1,"result":{},"id":5}');
    const nested = read('{"jsonrpc":"2.0","id":3,"result":{"items":[{"id":3}]}}');
    assert.equal(knownText(withReplacedId(nested, 5)), undefined);
    assert.equal(knownText(withReplacedId(read('{"jsonrpc":"2.0","id":3,"result":{}}'), 3)), '{"jsonrpc":"2.0","id":3,"result":{}}');
  });

  it('the writer sends the known text of a message instead of serializing it', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const writer = new NdjsonMessageWriter(out);
    // Whitespace JSON.stringify would not write proves the text was reused.
    const message = read('{ "jsonrpc" : "2.0", "id" : 4, "result" : { "a" : 1 } }');
    await writer.write(withReplacedId(message, 'client-1'));
    const changed: Response = { ...message, id: 8 };
    await writer.write(changed);
    assert.equal(chunks.join(''), '{ "jsonrpc" : "2.0", "id" : "client-1", "result" : { "a" : 1 } }\n{"jsonrpc":"2.0","id":8,"result":{"a":1}}\n');
  });
});
