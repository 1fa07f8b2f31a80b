// The modern (2026-07-28) HTTP wire toward remote servers: the headers derived from the body, a 4xx
// read as an answer, SEP-2243 marks, and what a hostile server or schema can do to them. The fetch
// behind it is a stand-in that answers what no real server we can run answers (huge error bodies,
// hostile schemas); the real servers are driven in test/process/remote-eras.test.ts.
import { strict as assert } from 'node:assert';
import { ModernHttpWire, encodeHeaderValue } from '../../src/gateway/transport/http-modern';
import { paramHeaderValues, scanParamHeaders } from '../../src/gateway/transport/http-param-headers';

const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };

function modernBody(id: number, method: string, params: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: ENVELOPE } });
}

/** A wire over a stand-in fetch that records the headers it was given and answers `answer`. */
function wireAnswering(answer: () => Response): { wire: ModernHttpWire; seen: Headers[]; logged: string[] } {
  const seen: Headers[] = [];
  const logged: string[] = [];
  const wire = new ModernHttpWire(
    async (_url, init) => {
      seen.push(new Headers(init?.headers));
      return answer();
    },
    (line) => logged.push(line),
  );
  return { wire, seen, logged };
}

describe('modern HTTP wire (2026-07-28 toward remote servers)', () => {
  it('derives MCP-Protocol-Version, Mcp-Method and Mcp-Name from the body, Base64 for a name no header can carry', async () => {
    const { wire, seen } = wireAnswering(() => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }));
    await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(1, 'tools/call', { name: 'evil\r\nX-Injected: 1', arguments: {} }) });
    assert.equal(seen[0]!.get('mcp-protocol-version'), '2026-07-28');
    assert.equal(seen[0]!.get('mcp-method'), 'tools/call');
    assert.equal(seen[0]!.get('mcp-name'), `=?base64?${Buffer.from('evil\r\nX-Injected: 1').toString('base64')}?=`);
    assert.equal(seen[0]!.get('x-injected'), null);
  });

  it('leaves legacy traffic untouched (no envelope, no modern header)', async () => {
    const { wire, seen } = wireAnswering(() => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }));
    await wire.fetch('http://x/mcp', { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }) });
    assert.equal(seen[0]!.get('mcp-method'), null);
    assert.equal(seen[0]!.get('mcp-protocol-version'), null);
  });

  it('reads a 4xx with the server’s JSON-RPC error for this request as that answer, and any other 4xx as a refusal in our words', async () => {
    const modernError = { jsonrpc: '2.0', id: 7, error: { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'] } } };
    let answer = new Response(JSON.stringify(modernError), { status: 400, headers: { 'content-type': 'application/json' } });
    const { wire } = wireAnswering(() => answer);
    const first = await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(7, 'server/discover') });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), modernError);
    // A legacy server's refusal (id null, its own words): ours instead.
    answer = new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: <script>' } }), { status: 400 });
    const second = (await (await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(8, 'server/discover') })).json()) as { id: number; error: { message: string } };
    assert.equal(second.id, 8);
    assert.equal(second.error.message, 'The server refused the request with HTTP 400');
  });

  it('attacker: an error body for another id, a result dressed as an error, or a huge body are not taken as the answer', async () => {
    const bodies = [
      JSON.stringify({ jsonrpc: '2.0', id: 99, error: { code: -32601, message: 'for someone else' } }),
      JSON.stringify({ jsonrpc: '2.0', id: 5, error: { code: -32601, message: 'x' }, result: { tools: [] } }),
      JSON.stringify({ jsonrpc: '2.0', id: 5, error: { code: 'NaN', message: 'x' } }),
      JSON.stringify({ jsonrpc: '2.0', id: 5, error: { code: -32601, message: 'x'.repeat(200_000) } }),
    ];
    for (const body of bodies) {
      const { wire } = wireAnswering(() => new Response(body, { status: 404 }));
      const answer = (await (await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(5, 'tools/list') })).json()) as { error: { message: string } };
      assert.equal(answer.error.message, 'The server refused the request with HTTP 404', body.slice(0, 80));
    }
  });

  it('leaves 401 and 403 to the OAuth flow and 5xx to the transport', async () => {
    for (const status of [401, 403, 500, 503]) {
      const { wire } = wireAnswering(() => new Response('no', { status }));
      assert.equal((await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(1, 'tools/list') })).status, status);
    }
  });

  it('cancels a modern request by ending its stream, and knows nothing of other ids', async () => {
    let signal: AbortSignal | undefined;
    const wire = new ModernHttpWire(
      (_url, init) =>
        new Promise<Response>((_resolve, reject) => {
          signal = init?.signal ?? undefined;
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
      () => undefined,
    );
    const pending = wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(3, 'tools/call', { name: 'slow' }) });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(wire.cancel(4), false);
    assert.equal(wire.cancel('3'), false, 'a string id is another id');
    assert.equal(wire.cancel(3), true);
    assert.equal(signal?.aborted, true);
    assert.equal((await pending).status, 202, 'withdrawn: no failure of the connection');
  });

  it('leaves out listed tools whose x-mcp-header marks are invalid, and mirrors the marked arguments of the others', async () => {
    const { wire, seen, logged } = wireAnswering(() => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }));
    await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(1, 'tools/list') });
    const tools = [
      { name: 'good', inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, n: { type: 'integer', 'x-mcp-header': 'N' } } } },
      { name: 'nested_in_items', inputSchema: { type: 'object', properties: { list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } } } },
      { name: 'crlf', inputSchema: { type: 'object', properties: { v: { type: 'string', 'x-mcp-header': 'A\r\nB' } } } },
      { name: 'dup', inputSchema: { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'X' }, b: { type: 'string', 'x-mcp-header': 'x' } } } },
      { name: 'plain', inputSchema: { type: 'object' } },
    ];
    const screened = wire.received({ jsonrpc: '2.0', id: 1, result: { tools } });
    assert.deepEqual(
      screened.result.tools.map((t) => t.name),
      ['good', 'plain'],
    );
    assert.equal(logged.length, 3);
    await wire.fetch('http://x/mcp', { method: 'POST', body: modernBody(2, 'tools/call', { name: 'good', arguments: { region: ' ü ', n: 4 } }) });
    assert.equal(seen[1]!.get('mcp-param-region'), `=?base64?${Buffer.from(' ü ').toString('base64')}?=`);
    assert.equal(seen[1]!.get('mcp-param-n'), '4');
  });

  it('attacker: a schema nested beyond reason, or marks under __proto__, do not break the scan', () => {
    let deep: Record<string, unknown> = { type: 'string', 'x-mcp-header': 'Deep' };
    for (let i = 0; i < 10_000; i++) deep = { type: 'object', properties: { p: deep } };
    assert.ok('invalid' in scanParamHeaders(deep));
    const proto = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string","x-mcp-header":"P"}}}') as unknown;
    const scan = scanParamHeaders(proto);
    assert.ok('headers' in scan);
    assert.deepEqual(paramHeaderValues(scan.headers, JSON.parse('{"__proto__":"v"}'), encodeHeaderValue), [['Mcp-Param-P', 'v']]);
    assert.deepEqual(paramHeaderValues(scan.headers, {}, encodeHeaderValue), [], 'an inherited value is not an argument');
  });

  it('encodes a value as the spec says: plain safe ASCII as is, the rest (and look-alikes of the encoding) in Base64', () => {
    assert.equal(encodeHeaderValue('us-west1'), 'us-west1');
    assert.equal(encodeHeaderValue('a b'), 'a b');
    for (const unsafe of ['', ' lead', 'trail ', 'é', 'a\u0001', '=?base64?abc?=']) assert.match(encodeHeaderValue(unsafe), /^=\?base64\?[A-Za-z0-9+/=]*\?=$/, JSON.stringify(unsafe));
  });
});
