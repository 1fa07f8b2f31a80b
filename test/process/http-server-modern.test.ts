// Clients of MCP 2026-07-28 (modern, sessionless) over the gateway's HTTP server: the official 2.x SDK
// client pinned to the modern revision and the 1.x legacy client on one gateway at the same time, in
// front of server-everything; then what an attacker sends as raw POSTs (headers that disagree with
// the body, forged and replayed requestState, `__proto__` and non-string envelopes, colliding ids and
// progress tokens of two clients, oversize bodies).
import assert from 'node:assert/strict';
import path from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { RawSession, realServer, textOf, writeConfig } from './harness';
import { connectHttpClient, rawRequest, startHttpGateway, type HttpGateway } from './http-server-harness';

const VERSION = '2026-07-28';
const envelope = (capabilities: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  ...extra,
});
const NAME_FIELD: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

interface Answer {
  status: number;
  contentType: string;
  /** Every JSON-RPC message of the body (one for JSON, each event for SSE). */
  messages: Record<string, unknown>[];
  /** The last message (the answer). */
  last: Record<string, unknown>;
}

/** One modern POST, with the headers a conforming client sends unless `headers` overrides them (null removes one). */
async function modernPost(gateway: HttpGateway, id: unknown, method: string, params: Record<string, unknown>, headers: Record<string, string | null> = {}, path?: string): Promise<Answer> {
  const field = NAME_FIELD[method];
  const base: Record<string, string | null> = { 'mcp-protocol-version': VERSION, 'mcp-method': method, ...(field && typeof params[field] === 'string' ? { 'mcp-name': params[field] as string } : {}) };
  const merged = { ...base, ...headers };
  const sent = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null));
  const response = await rawRequest(gateway, { headers: sent, body: JSON.stringify({ jsonrpc: '2.0', id, method, params }), ...(path ? { path } : {}) });
  const contentType = response.headers.get('content-type') ?? '';
  const messages = contentType.includes('text/event-stream')
    ? response.text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>)
    : response.text
      ? [JSON.parse(response.text) as Record<string, unknown>]
      : [];
  return { status: response.status, contentType, messages, last: messages[messages.length - 1] ?? {} };
}

const resultOf = (answer: Answer): Record<string, unknown> => answer.last.result as Record<string, unknown>;
const errorOf = (answer: Answer): { code: number; message: string; data?: Record<string, unknown> } => answer.last.error as { code: number; message: string; data?: Record<string, unknown> };

describe('HTTP server: clients of MCP 2026-07-28 (per-request, no session)', function () {
  this.timeout(60000);
  let gateway: HttpGateway;

  before(async () => {
    gateway = await startHttpGateway([{ name: 'everything', command: realServer('everything', 'stdio') }], { args: ['--max-message-mb', '0.05'] });
  });
  after(async () => {
    await gateway?.stop();
  });

  it('serves the official 2.x client pinned to 2026-07-28 and the 1.x legacy client on the same gateway at once, an elicitation round included', async () => {
    const modern = new ModernClient({ name: 'modern-http-test', version: '1' }, { versionNegotiation: { mode: { pin: VERSION } }, capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    modern.setRequestHandler('elicitation/create', async () => {
      asked.push('elicitation');
      return { action: 'accept', content: { name: 'Modern Ada', check: true, color: 'red' } };
    });
    await modern.connect(new ModernHttpTransport(gateway.url, { requestInit: { headers: { Authorization: `Bearer ${gateway.token}` } } }));
    const legacy = await connectHttpClient(gateway, {}, 'legacy-http-test');
    try {
      assert.equal(modern.getNegotiatedProtocolVersion?.(), VERSION);
      const [modernTools, legacyTools] = await Promise.all([modern.listTools(), legacy.listTools()]);
      assert.ok(modernTools.tools.some((t) => t.name === 'everything__echo'));
      assert.deepEqual(modernTools.tools.map((t) => t.name).sort(), legacyTools.tools.map((t) => t.name).sort(), 'both eras see the same tools');
      const calls = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 ? modern.callTool({ name: 'everything__echo', arguments: { message: `modern ${i}` } }) : legacy.callTool({ name: 'everything__echo', arguments: { message: `legacy ${i}` } }),
        ),
      );
      calls.forEach((result, i) => assert.match(textOf(result), new RegExp(`Echo: ${i % 2 ? 'modern' : 'legacy'} ${i}$`)));
      // The legacy server asks for input during the call; the modern client answers through an input_required round.
      const elicited = textOf(await modern.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} }));
      assert.deepEqual(asked, ['elicitation']);
      assert.match(elicited, /Modern Ada/);
    } finally {
      await modern.close();
      await legacy.close();
    }
  });

  it('answers server/discover and marks results for the modern era (resultType, ttlMs, cacheScope); no session is made', async () => {
    const discover = await modernPost(gateway, 1, 'server/discover', { _meta: envelope() });
    assert.equal(discover.status, 200);
    const result = resultOf(discover);
    assert.ok((result.supportedVersions as string[]).includes(VERSION));
    assert.equal(result.resultType, 'complete');
    const list = await modernPost(gateway, 2, 'tools/list', { _meta: envelope() });
    assert.equal(resultOf(list).resultType, 'complete');
    assert.equal(resultOf(list).ttlMs, 0, 'a legacy server gives no hint: not cacheable');
    assert.equal(resultOf(list).cacheScope, 'private');
    const raw = await rawRequest(gateway, { headers: { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/list' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: envelope() } }) });
    assert.equal(raw.headers.get('mcp-session-id'), null);
  });

  it('refuses headers that disagree with the body (400, -32020), a missing envelope (-32602), unknown versions (-32022) and removed methods (404)', async () => {
    const call = { name: 'everything__echo', arguments: { message: 'x' }, _meta: envelope() };
    const wrongMethod = await modernPost(gateway, 1, 'tools/call', call, { 'mcp-method': 'tools/list' });
    assert.equal(wrongMethod.status, 400);
    assert.equal(errorOf(wrongMethod).code, -32020);
    assert.equal(wrongMethod.last.id, 1);
    const noMethod = await modernPost(gateway, 2, 'tools/list', { _meta: envelope() }, { 'mcp-method': null });
    assert.equal(errorOf(noMethod).code, -32020);
    const caseMismatch = await modernPost(gateway, 3, 'tools/list', { _meta: envelope() }, { 'mcp-method': 'TOOLS/LIST' });
    assert.equal(errorOf(caseMismatch).code, -32020);
    // A router in front could send this call to a "safe" tool by the header while the body runs another.
    const wrongName = await modernPost(gateway, 4, 'tools/call', call, { 'mcp-name': 'everything__get-env' });
    assert.equal(wrongName.status, 400);
    assert.equal(errorOf(wrongName).code, -32020);
    const noName = await modernPost(gateway, 5, 'tools/call', call, { 'mcp-name': null });
    assert.equal(errorOf(noName).code, -32020);
    const encoded = await modernPost(gateway, 6, 'tools/call', call, { 'mcp-name': `  =?base64?${Buffer.from('everything__echo').toString('base64')}?=  ` });
    assert.equal(encoded.status, 200, 'a Base64 Mcp-Name, with whitespace around it, is the same name');
    const badBase64 = await modernPost(gateway, 7, 'tools/call', call, { 'mcp-name': '=?base64?ZXZlcn!!?=' });
    assert.equal(errorOf(badBase64).code, -32020);
    const noVersionHeader = await modernPost(gateway, 8, 'tools/list', { _meta: envelope() }, { 'mcp-protocol-version': null });
    assert.equal(errorOf(noVersionHeader).code, -32020);
    const otherVersionHeader = await modernPost(gateway, 9, 'tools/list', { _meta: envelope() }, { 'mcp-protocol-version': '2025-11-25' });
    assert.equal(errorOf(otherVersionHeader).code, -32020);
    const future = await modernPost(gateway, 10, 'tools/list', { _meta: { ...envelope(), 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } }, { 'mcp-protocol-version': '2099-01-01' });
    assert.equal(future.status, 400);
    assert.equal(errorOf(future).code, -32022);
    assert.deepEqual(errorOf(future).data?.supported, [VERSION]);
    const noCapabilities = await modernPost(gateway, 11, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION } });
    assert.equal(noCapabilities.status, 400);
    assert.equal(errorOf(noCapabilities).code, -32602);
    for (const removed of ['ping', 'logging/setLevel', 'initialize']) {
      const answer = await modernPost(gateway, 12, removed, { _meta: envelope(), level: 'debug' });
      assert.equal(answer.status, 404, removed);
      assert.equal(errorOf(answer).code, -32601, removed);
    }
    assert.match(textOf(resultOf(await modernPost(gateway, 13, 'tools/call', call))), /Echo: x/, 'still serving');
  });

  it('takes `__proto__` and non-string envelope fields as data, never as a prototype or a crash', async () => {
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"everything__echo","arguments":{"message":"proto"},"_meta":{"__proto__":{"polluted":true},"io.modelcontextprotocol/protocolVersion":"${VERSION}","io.modelcontextprotocol/clientCapabilities":{"__proto__":{"elicitation":{}}},"io.modelcontextprotocol/clientInfo":42,"io.modelcontextprotocol/logLevel":{"level":"debug"}}}}`;
    const answer = await rawRequest(gateway, { headers: { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'everything__echo' }, body });
    assert.equal(answer.status, 200);
    assert.match(answer.text, /Echo: proto/);
    const objectToken = await modernPost(gateway, 5, 'tools/list', { _meta: envelope({}, { progressToken: { x: 1 } }) });
    assert.equal(objectToken.status, 400, 'a server would drop the request and leave the POST hanging');
    assert.equal(errorOf(objectToken).code, -32602);
    const numericVersion = await rawRequest(gateway, {
      headers: { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': 20260728, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    assert.equal(numericVersion.status, 400);
    const arrayParams = await rawRequest(gateway, { headers: { 'mcp-protocol-version': VERSION, 'mcp-method': 'server/discover' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'server/discover', params: [1, 2] }) });
    assert.equal(arrayParams.status, 400);
    // The capability smuggled through __proto__ is no capability: the server's elicitation is refused, not shown.
    const smuggled = `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"everything__trigger-elicitation-request","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"${VERSION}","io.modelcontextprotocol/clientCapabilities":{"__proto__":{"elicitation":{}}}}}}`;
    const refused = await rawRequest(gateway, { headers: { 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'everything__trigger-elicitation-request' }, body: smuggled });
    assert.doesNotMatch(refused.text, /input_required/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('gives each of two concurrent clients using the same ids and progress tokens only its own answers and progress', async () => {
    const rounds = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        modernPost(gateway, 1, 'tools/call', { name: 'everything__echo', arguments: { message: `client ${i}` }, _meta: envelope() }),
      ),
    );
    rounds.forEach((answer, i) => {
      assert.equal(answer.last.id, 1);
      assert.match(textOf(resultOf(answer)), new RegExp(`Echo: client ${i}$`));
    });
    const progress = await Promise.all(
      [2, 3].map((duration) =>
        modernPost(gateway, 'same', 'tools/call', { name: 'everything__trigger-long-running-operation', arguments: { duration, steps: duration }, _meta: envelope({}, { progressToken: 'token' }) }),
      ),
    );
    progress.forEach((answer, i) => {
      const notes = answer.messages.filter((m) => m.method === 'notifications/progress');
      assert.equal(answer.contentType.split(';')[0], 'text/event-stream');
      assert.equal(notes.length, [2, 3][i], 'each stream carries its own steps, none of the other call');
      for (const note of notes) assert.equal((note.params as Record<string, unknown>).progressToken, 'token');
      assert.equal(answer.last.id, 'same');
      assert.match(textOf(resultOf(answer)), new RegExp(`Steps: ${[2, 3][i]}\\.`));
    });
  });

  it('refuses a forged, replayed or moved requestState; the genuine retry completes', async () => {
    const params = { name: 'everything__trigger-elicitation-request', arguments: {}, _meta: envelope({ elicitation: {} }) };
    const forged = await modernPost(gateway, 1, 'tools/call', { ...params, requestState: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', inputResponses: {} });
    assert.equal(errorOf(forged).code, -32602);
    const first = resultOf(await modernPost(gateway, 2, 'tools/call', params));
    assert.equal(first.resultType, 'input_required');
    const [key] = Object.keys(first.inputRequests as Record<string, unknown>);
    const state = first.requestState as string;
    const inputs = { [key!]: { action: 'accept', content: { name: 'Retry Bob', check: true, color: 'red' } } };
    const moved = await modernPost(gateway, 3, 'tools/call', { ...params, name: 'everything__echo', arguments: { message: 'm' }, requestState: state, inputResponses: inputs });
    assert.equal(errorOf(moved).code, -32602, 'a state bound to another call');
    const done = resultOf(await modernPost(gateway, 4, 'tools/call', { ...params, requestState: state, inputResponses: inputs }));
    assert.equal(done.resultType, 'complete');
    assert.match(textOf(done), /Retry Bob/);
    const replayed = await modernPost(gateway, 5, 'tools/call', { ...params, requestState: state, inputResponses: inputs });
    assert.equal(errorOf(replayed).code, -32602, 'a state is single-use');
  });

  it('holds subscriptions/listen open as a stream whose first message is the acknowledgement, under the client’s id', async () => {
    const controller = new AbortController();
    const response = await fetch(gateway.url, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'listen-1', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: envelope() } }),
    });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    const first = JSON.parse(/data: (.*)/.exec(text)![1]!) as { method: string; params: { _meta: Record<string, unknown> } };
    assert.equal(first.method, 'notifications/subscriptions/acknowledged');
    assert.equal(first.params._meta['io.modelcontextprotocol/subscriptionId'], 'listen-1');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    assert.match(textOf(resultOf(await modernPost(gateway, 1, 'tools/call', { name: 'everything__echo', arguments: { message: 'after listen' }, _meta: envelope() }))), /after listen/);
  });

  it('refuses an oversize modern body (413) and keeps serving', async () => {
    const big = await modernPost(gateway, 1, 'tools/call', { name: 'everything__echo', arguments: { message: 'x'.repeat(100_000) }, _meta: envelope() });
    assert.equal(big.status, 413);
    assert.match(textOf(resultOf(await modernPost(gateway, 2, 'tools/call', { name: 'everything__echo', arguments: { message: 'small' }, _meta: envelope() }))), /small/);
  });
});

describe('HTTP server: caching hints of lists merged across servers (SEP-2549)', function () {
  this.timeout(60000);
  const MODERN_SERVER = path.resolve(__dirname, '..', 'fixtures', 'servers', 'modern-server.mjs');
  const modernUpstream = (name: string, hint: Record<string, unknown>) => ({ name, command: [process.execPath, MODERN_SERVER], env: { GATEKIT_FIXTURE_TOOLS_CACHE: JSON.stringify(hint) } });

  it('keeps a merged list no longer than the shortest upstream ttlMs, and private when any upstream is', async () => {
    const gateway = await startHttpGateway([modernUpstream('slow', { ttlMs: 60000, cacheScope: 'public' }), modernUpstream('fast', { ttlMs: 5000, cacheScope: 'public' }), modernUpstream('mine', { ttlMs: 90000, cacheScope: 'private' })]);
    try {
      const all = resultOf(await modernPost(gateway, 1, 'tools/list', { _meta: envelope() }));
      assert.ok((all.tools as { name: string }[]).some((t) => t.name === 'fast__echo'));
      assert.equal(all.ttlMs, 5000, 'the shortest of 60000, 5000 and 90000');
      assert.equal(all.cacheScope, 'private', 'one upstream answers for this user only');
      const one = resultOf(await modernPost(gateway, 2, 'tools/list', { _meta: envelope() }, {}, '/servers/slow/mcp'));
      assert.equal(one.ttlMs, 60000);
      assert.equal(one.cacheScope, 'public');
    } finally {
      await gateway.stop();
    }
  });
});

describe('log messages for a modern client follow its _meta logLevel, on stdio and HTTP', function () {
  this.timeout(60000);
  const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'servers', 'conformance-upstream.mjs');
  const upstream = { name: 'fixture', command: [process.execPath, FIXTURE] };
  const call = (extra: Record<string, unknown>, name = 'test_tool_with_logging') => ({ name, arguments: {}, _meta: envelope({}, extra) });
  const logsOf = (messages: Record<string, unknown>[]) => messages.filter((m) => m.method === 'notifications/message').map((m) => (m.params as { data: string }).data);
  const LOGS = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];

  it('HTTP: the request that asks for info gets the server’s info messages on its own stream; one asking for warnings, or nothing, gets none', async () => {
    const gateway = await startHttpGateway([upstream]);
    try {
      const endpoint = '/servers/fixture/mcp';
      const info = await modernPost(gateway, 1, 'tools/call', call({ 'io.modelcontextprotocol/logLevel': 'info' }), {}, endpoint);
      assert.deepEqual(logsOf(info.messages), LOGS);
      assert.match(textOf(resultOf(info)), /executed successfully/);
      const warning = await modernPost(gateway, 2, 'tools/call', call({ 'io.modelcontextprotocol/logLevel': 'warning' }), {}, endpoint);
      assert.deepEqual(logsOf(warning.messages), []);
      const none = await modernPost(gateway, 3, 'tools/call', call({}), {}, endpoint);
      assert.deepEqual(logsOf(none.messages), []);
      assert.equal(none.contentType, 'application/json');
    } finally {
      await gateway.stop();
    }
  });

  it('stdio: the same rule for a modern client on stdin/stdout', async () => {
    const raw = new RawSession(writeConfig([upstream]));
    try {
      raw.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: call({ 'io.modelcontextprotocol/logLevel': 'debug' }, 'fixture__test_tool_with_logging') });
      await raw.response(1);
      raw.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: call({}, 'fixture__test_tool_with_logging') });
      await raw.response(2);
      assert.deepEqual(logsOf(raw.messages), LOGS, 'the three of the first call, none of the second');
    } finally {
      await raw.end();
    }
  });
});

describe('HTTP server: a server’s request for input, among modern calls on several servers', function () {
  this.timeout(60000);
  const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'servers', 'conformance-upstream.mjs');

  it('is attributed among the calls on the server that asks, so a long call on another server does not block it', async () => {
    const gateway = await startHttpGateway([
      { name: 'everything', command: realServer('everything', 'stdio') },
      { name: 'fixture', command: [process.execPath, FIXTURE] },
    ]);
    try {
      const long = modernPost(gateway, 1, 'tools/call', { name: 'everything__trigger-long-running-operation', arguments: { duration: 3, steps: 1 }, _meta: envelope({ elicitation: {} }) });
      // The long call is running (its server has it) before the other one starts.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const asked = resultOf(await modernPost(gateway, 2, 'tools/call', { name: 'fixture__test_input_required_result_elicitation', arguments: {}, _meta: envelope({ elicitation: {} }) }));
      assert.equal(asked.resultType, 'input_required', JSON.stringify(asked));
      assert.deepEqual(Object.keys(asked.inputRequests as Record<string, unknown>), ['user_name']);
      const done = resultOf(
        await modernPost(gateway, 3, 'tools/call', {
          name: 'fixture__test_input_required_result_elicitation',
          arguments: {},
          requestState: asked.requestState,
          inputResponses: { user_name: { action: 'accept', content: { name: 'Grace' } } },
          _meta: envelope({ elicitation: {} }),
        }),
      );
      assert.match(textOf(done), /Hello, Grace/);
      assert.match(textOf(resultOf(await long)), /Long running operation completed/);
    } finally {
      await gateway.stop();
    }
  });
});
