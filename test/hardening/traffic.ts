// Generators of hostile MCP traffic for the fuzz tests: client lines, upstream lines, and the answers
// the gateway owes for each client line (computed from the JSON-RPC rules, not from the gateway).
import fc from 'fast-check';
import { classifyMessage } from '../../src/shared/jsonrpc';

/** A credential the secrets filter (action block) must stop in both directions. */
export const SECRET = 'ghp_' + 'R7mKq2Vx9LpT4wZs8NcB3hJd6YfG1aUe5XoQ';
/** Personal data the PII filter (action redact) must remove in both directions. */
export const EMAIL = 'fuzz.victim@acme-corp.io';

/** Characters that break naive code: controls, lone surrogates, bidi and zero-width marks, astral symbols, separators. */
const hostileChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\u202e', '\u200b', '\u2028', '\u2029', '\ufeff', '\u0000', '😀', '\u{e0041}', '"', '\\') },
);

/** Text, sometimes carrying the secret or the e-mail address (with word boundaries around it). */
export const hostileText = fc
  .tuple(fc.array(hostileChar, { maxLength: 40 }).map((chars) => chars.join('')), fc.constantFrom('', '', '', SECRET, EMAIL))
  .map(([text, planted]) => (planted ? `${text} ${planted} ${text.slice(0, 5)}` : text));

/** Content for params/results: a text, or the text inside nested arrays and objects (odd keys included). */
export const hostileContent: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  hostileText.map((text) => ({ text })),
  fc
    .tuple(hostileText, hostileText, fc.constantFrom('__proto__', 'constructor', '', 'a.b', '\u0000', 'toString'))
    .map(([a, b, key]) => ({ data: [a, { [key]: b, n: [1.5e308, -0, null, true] }] })),
);

/** `{"a":[{"a":[… depth levels …]}]}` as text (building it as an object could overflow a stack). */
export function nestedText(depth: number, leaf = '"leaf"'): string {
  return '{"a":['.repeat(depth) + leaf + ']}'.repeat(depth);
}

/** Bytes that are not a JSON-RPC line: random bytes (no newline), invalid UTF-8, plain words. */
export const garbageLine: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 60 }).map((bytes) => Buffer.from(bytes.map((b) => (b === 0x0a ? 0x20 : b)))),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    Buffer.from('{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"\xed\xa0\x80 raw surrogate bytes"}}', 'latin1'),
    Buffer.from('{"jsonrpc":"2.0","id":1,"result":{}'),
    Buffer.from('not json at all'),
    Buffer.from('\u0000\u0001\u0002'),
    Buffer.from('}{'),
    Buffer.from('{"jsonrpc":"2.0","method":"x"}{"jsonrpc":"2.0","method":"y"}'),
  ),
);

/** What the client side of a scenario sends: a line, and the key of the id it must be answered under (if any). */
export interface ClientLine {
  readonly line: Buffer;
  /** A short label for reports. */
  readonly label: string;
}

/** Builds client lines; ids come from a counter so the expected answers can be counted exactly. */
export type ClientStep = (ids: IdSource) => ClientLine[];

/** A step that fast-check prints as `description` in a counterexample (instead of its source). */
function step(description: string, build: ClientStep): ClientStep {
  return Object.assign(build, { [fc.toStringMethod]: () => description });
}

const short = (value: unknown): string => (JSON.stringify(value) ?? String(value)).slice(0, 160);

/** Hands out fresh ids of both kinds (`7` and `"7"` are different ids) and remembers them for reuse. */
export class IdSource {
  private next = 1;
  readonly used: (number | string)[] = [];
  fresh(kind: 'number' | 'string'): number | string {
    const n = this.next++;
    const id = kind === 'number' ? n : String(n);
    this.used.push(id);
    return id;
  }
  /** An id already used in this scenario (a duplicate, possibly still in flight), or a fresh one. */
  reuse(pick: number): number | string {
    return this.used.length ? this.used[pick % this.used.length]! : this.fresh('number');
  }
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const idKind = fc.constantFrom<'number' | 'string'>('number', 'string');

function request(ids: IdSource, kind: 'number' | 'string', method: string, params?: Record<string, unknown>, label = method): ClientLine {
  const id = ids.fresh(kind);
  return { line: json(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }), label };
}

/** Lines a hostile upstream writes (each becomes one stdout line of the `emit` tool). */
export const upstreamLine: fc.Arbitrary<{ line: Buffer; answersCall: boolean }> = fc.oneof(
  hostileContent.map((params) => ({ line: json({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', ...params } }), answersCall: false })),
  // An early answer to the `emit` call itself (the real answer that follows is then a duplicate).
  hostileContent.map((result) => ({ line: Buffer.from(`{"jsonrpc":"2.0","id":$ID,"result":${JSON.stringify(result)}}`), answersCall: true })),
  // Answers to nothing, under ids of both kinds, huge and odd.
  fc
    .tuple(fc.constantFrom<unknown>(999999, '999999', 2 ** 53 + 5, -1, 0, 'x'.repeat(5000), 1.5, null), hostileContent)
    .map(([id, result]) => ({ line: json({ jsonrpc: '2.0', id, result }), answersCall: false })),
  fc.constant({ line: json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }), answersCall: false }),
  // Requests to the client: relayed under a gateway id, answered by the test client.
  fc
    .tuple(fc.constantFrom('sampling/createMessage', 'roots/list', 'elicitation/create', 'ping', 'x/unknown'), fc.constantFrom<unknown>(1, 1, '1', 77, 'dup'), hostileContent)
    .map(([method, id, params]) => ({ line: json({ jsonrpc: '2.0', id, method, params }), answersCall: false })),
  garbageLine.map((line) => ({ line, answersCall: false })),
  fc
    .constantFrom<unknown>(42, 'str', null, true, [], {}, [{ jsonrpc: '2.0', method: 'notifications/message', params: { data: SECRET } }], { jsonrpc: '1.0', method: 'x' }, { jsonrpc: '2.0', method: 5 }, { jsonrpc: '2.0', id: {}, result: {} }, { jsonrpc: '2.0', id: 3, result: 'not an object' })
    .map((value) => ({ line: json(value), answersCall: false })),
  fc.constantFrom(10, 600, 6000, 60000).map((depth) => ({
    line: Buffer.from(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":${nestedText(depth)}}}`),
    answersCall: false,
  })),
  fc.constantFrom(10, 600, 6000).map((depth) => ({ line: Buffer.from(`{"jsonrpc":"2.0","id":$ID,"result":{"deep":${nestedText(depth)}}}`), answersCall: true })),
);

/** One step of the client: valid requests, hostile requests, invalid lines, notifications. */
export const clientStep: fc.Arbitrary<ClientStep> = fc.oneof(
  fc.tuple(idKind, fc.constantFrom('ping', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'no/such/method', 'initialize')).map(
    ([kind, method]) => step(`${kind} ${method}`, (ids) => [request(ids, kind, method)]),
  ),
  fc.tuple(idKind, fc.constantFrom('h__echo', 'g__echo'), hostileText).map(([kind, name, text]) => step(`call ${name} ${short(text)}`, (ids) => [request(ids, kind, 'tools/call', { name, arguments: { text } }, `call ${name}`)])),
  fc.tuple(idKind, fc.constantFrom('h', 'g'), fc.array(upstreamLine, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([kind, server, lines, skipAnswer]) => {
    const early = lines.some((l) => l.answersCall);
    const args = { lines: lines.map((l) => l.line.toString('hex')), answer: !(early && skipAnswer) };
    const shown = lines.map((l) => l.line.subarray(0, 120).toString('latin1'));
    return step(`${server}__emit answer=${args.answer} ${short(shown)}`, (ids) => [request(ids, kind, 'tools/call', { name: `${server}__emit`, arguments: args }, `emit ${lines.length}`)]);
  }),
  fc.tuple(idKind, fc.constantFrom('nope__echo', 'echo', '', '__', 'h__', '__echo')).map(([kind, name]) => step(`call ${short(name)}`, (ids) => [request(ids, kind, 'tools/call', { name, arguments: {} }, 'misrouted call')])),
  fc.tuple(idKind, hostileContent).map(([kind, ref]) => step(`completion ${short(ref)}`, (ids) => [request(ids, kind, 'completion/complete', { ref, argument: { name: 'x', value: '' } }, 'completion')])),
  fc.tuple(idKind, fc.constantFrom(10, 600, 6000, 60000)).map(([kind, depth]) =>
    step(`call h__echo nested ${depth} deep`, (ids) => {
      const id = ids.fresh(kind);
      return [{ line: Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":"h__echo","arguments":{"text":"deep","more":${nestedText(depth)}}}}`), label: `deep ${depth}` }];
    }),
  ),
  // The same id again, possibly while the first is still in flight.
  fc.tuple(fc.nat(), hostileText).map(([pick, text]) => step(`duplicate id #${pick} ${short(text)}`, (ids) => [{ line: json({ jsonrpc: '2.0', id: ids.reuse(pick), method: 'tools/call', params: { name: 'h__echo', arguments: { text } } }), label: 'duplicate id' }])),
  garbageLine.map((line) => step(`garbage ${short(line.toString('latin1'))}`, () => [{ line, label: 'garbage' }])),
  fc
    .constantFrom<unknown>(
      [{ jsonrpc: '2.0', id: 'batched', method: 'ping' }],
      [],
      { jsonrpc: '1.0', id: 'v1', method: 'ping' },
      { jsonrpc: '2.0', id: 'm', method: 42 },
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: { x: 1 }, method: 'ping' },
      { jsonrpc: '2.0', id: true, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'ping' },
      { jsonrpc: '2.0', id: 1e300, method: 'ping' },
      { jsonrpc: '2.0', id: 'p', method: 'tools/call', params: [1, 2] },
      { jsonrpc: '2.0', id: 'q', method: 'tools/call', params: 'text' },
      { jsonrpc: '2.0', id: 'x'.repeat(10000), method: 'ping' },
      { jsonrpc: '2.0', method: '' },
      {},
      null,
      42,
      'just a string',
      { jsonrpc: '2.0' },
      { jsonrpc: '2.0', id: 'r' },
      // Responses to nothing, malformed responses (under ids the client may be using itself).
      { jsonrpc: '2.0', id: 424242, result: {} },
      { jsonrpc: '2.0', id: 1, result: 'not an object' },
      { jsonrpc: '2.0', id: '1', error: 'not an object' },
      { jsonrpc: '2.0', id: null, error: { code: 1, message: 'x' } },
      { jsonrpc: '2.0', id: 2, result: {}, error: { code: 1, message: 'both' } },
    )
    .map((value) => step(`invalid ${short(value)}`, () => [{ line: json(value), label: 'invalid message' }])),
  fc.constantFrom('\r', '', '   ', '\ufeff{"jsonrpc":"2.0","method":"notifications/x"}').map((text) => step(`blank or BOM ${short(text)}`, () => [{ line: Buffer.from(text), label: 'blank or BOM' }])),
  fc
    .tuple(fc.constantFrom('notifications/cancelled', 'notifications/roots/list_changed', 'notifications/progress', 'notifications/unknown', 'notifications/initialized'), hostileContent)
    .map(([method, params]) => step(`${method} ${short(params)}`, () => [{ line: json({ jsonrpc: '2.0', method, params: method === 'notifications/cancelled' ? { requestId: 'never-sent', ...params } : params }), label: method }])),
);

/**
 * The answers the gateway owes for one client line, keyed by the JSON of the id ("null" for errors
 * without an id): a request gets one answer; an invalid message one error, unless it is shaped like
 * a response (answering it could collide with the client's own ids); notifications and responses none.
 */
export function owedAnswers(line: Buffer): string[] {
  const text = line.toString('utf8');
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return ['null'];
  }
  const classified = classifyMessage(value);
  if (classified.kind === 'request') return [JSON.stringify(classified.message.id)];
  if (classified.kind !== 'invalid') return [];
  const record = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (record && !('method' in record) && ('result' in record || 'error' in record)) return [];
  return [JSON.stringify(classified.id)];
}
