// Unit and property tests of the reused message texts (the `raw` of a received message): a response
// forwarded under another id is written from its original line with the id spliced in, and that text
// must parse to exactly the copy.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { NdjsonMessageWriter, type RawText, type Received } from '../../../src/gateway/transport/ndjson';
import { hasDuplicateKeys, rawTextOf, withReplacedId } from '../../../src/gateway/transport/raw-text';

type Response = { jsonrpc: '2.0'; id: string | number | null; result?: unknown; error?: unknown };

/** Parses `line` as a response and keeps the line as the response's text, as the upstream reader does. */
function read(line: string): Received<Response> {
  const message = JSON.parse(line) as Response;
  const raw = rawTextOf(Buffer.from(line));
  return raw === undefined ? { message } : { message, raw };
}

/** The text a received message would be written from, if any (decoded). */
function knownText(received: Received<unknown>): string | undefined {
  return received.raw && Buffer.concat(received.raw as RawText).toString('utf8');
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
    let withoutDuplicates = 0;
    fc.assert(
      fc.property(lineArb, idArb, (line, newId) => {
        const original = read(line);
        const duplicates = hasDuplicateKeys(Buffer.from(line));
        if (!duplicates) withoutDuplicates++;
        const copy = withReplacedId(original, newId);
        assert.deepEqual(copy.message, { ...JSON.parse(line), id: newId });
        const text = knownText(copy);
        if (text !== undefined) {
          spliced++;
          assert.ok(!duplicates, 'a line with a duplicate key is never reused');
          assert.deepEqual(JSON.parse(text), copy.message);
        }
      }),
      { numRuns: 3000 },
    );
    // Most generated lines without a duplicate member have the id first or last: the fast path must actually be taken.
    assert.ok(withoutDuplicates > 300, `only ${withoutDuplicates} lines without duplicates`);
    assert.ok(spliced > withoutDuplicates / 2, `only ${spliced} of ${withoutDuplicates} copies reused their text`);
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
    // A line holding a key twice is never reused at all (see the duplicate-key tests).
    assert.equal(knownText(copy), undefined);
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
    const forwarded = withReplacedId(message, 'client-1');
    await writer.write(forwarded.message, forwarded.raw);
    const changed: Response = { ...message.message, id: 8 };
    await writer.write(changed);
    assert.equal(chunks.join(''), '{ "jsonrpc" : "2.0", "id" : "client-1", "result" : { "a" : 1 } }\n{"jsonrpc":"2.0","id":8,"result":{"a":1}}\n');
  });
});

/** A JSON value whose objects are lists of members, so a key may occur twice (as JSON text allows). */
type Tree = string | number | null | { list: Tree[] } | { members: [string, Tree][] };

/** Keys from a small alphabet (so two members often share one), with characters JSON must or may escape. */
const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '"', '\\', '\n', '😀', '\u0000'), maxLength: 3 });
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)),
    fc.array(tie('tree'), { maxLength: 3 }).map((list) => ({ list })),
    fc.array(fc.tuple(keyArb, tie('tree')), { maxLength: 4 }).map((members) => ({ members })),
  ),
})).tree;

/** Writes a key in one of the ways JSON allows: plain where possible, or with some or all characters as \u escapes. */
function writeKey(key: string, style: number): string {
  if (style === 0) return JSON.stringify(key);
  let out = '"';
  for (const char of key) {
    const escapeIt = style === 2 || char === '"' || char === '\\' || char < ' ' || (style === 1 && char !== 'a');
    out += escapeIt ? [...char].map((c) => [...Array(c.length)].map((_, i) => '\\u' + c.charCodeAt(i).toString(16).padStart(4, '0')).join('')).join('') : char;
  }
  return out + '"';
}

function writeTree(tree: Tree, styles: () => number): { text: string; duplicate: boolean } {
  if (tree === null || typeof tree !== 'object') return { text: JSON.stringify(tree), duplicate: false };
  if ('list' in tree) {
    const parts = tree.list.map((t) => writeTree(t, styles));
    return { text: `[${parts.map((p) => p.text).join(',')}]`, duplicate: parts.some((p) => p.duplicate) };
  }
  const parts = tree.members.map(([key, value]) => ({ key, ...writeTree(value, styles) }));
  const keys = tree.members.map(([key]) => key);
  const duplicate = new Set(keys).size !== keys.length || parts.some((p) => p.duplicate);
  return { text: `{${parts.map((p) => ` ${writeKey(p.key, styles())} : ${p.text}`).join(',')}}`, duplicate };
}

describe('duplicate-key detection (which lines may be reused as they came)', () => {
  it('finds a key written twice in any object at any depth, however it is escaped ("res\\u0075lt" is "result"), and nothing else', () => {
    let duplicates = 0;
    fc.assert(
      fc.property(treeArb, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 20 }), (tree, styleList) => {
        let n = 0;
        const { text, duplicate } = writeTree({ members: [['result', tree]] }, () => styleList[n++ % styleList.length]!);
        JSON.parse(text); // the generator writes valid JSON
        if (duplicate) duplicates++;
        assert.equal(hasDuplicateKeys(Buffer.from(text)), duplicate, text);
      }),
      { numRuns: 5000 },
    );
    assert.ok(duplicates > 250, `only ${duplicates} cases with a duplicate`);
  });

  it('catches the duplicates a first-wins parser would read differently, beyond the pairwise limit too', () => {
    const many = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',');
    assert.equal(hasDuplicateKeys(Buffer.from(`{"jsonrpc":"2.0","id":1,"res\\u0075lt":{"x":1},"result":{"x":2}}`)), true);
    assert.equal(hasDuplicateKeys(Buffer.from(`{"a":{${many},"k39":1}}`)), true);
    assert.equal(hasDuplicateKeys(Buffer.from(`{"a":{${many},"k\\u0033\\u0039":1}}`)), true);
    assert.equal(hasDuplicateKeys(Buffer.from(`{"a":{${many}},"b":{${many}}}`)), false);
    // Invalid UTF-8 decodes to U+FFFD for both keys: JSON.parse sees one key twice.
    assert.equal(hasDuplicateKeys(Buffer.concat([Buffer.from('{"'), Buffer.from([0xff]), Buffer.from('":1,"'), Buffer.from([0xfe]), Buffer.from('":2}')])), true);
    assert.equal(hasDuplicateKeys(Buffer.from('{"a":"\\"b\\\\","b":["a","a"],"c":{"a":1}}')), false);
    // A line written as it came keeps only a line without duplicates.
    const raw = rawTextOf(Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"a":1,"a":2}}'));
    assert.equal(raw, undefined);
    assert.equal(knownText({ message: {}, ...(raw ? { raw } : {}) }), undefined);
  });
});
