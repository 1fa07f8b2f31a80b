// Clients of MCP 2026-07-28 (no initialize, per-request _meta, input_required instead of server→client
// requests) through the built gateway in front of legacy servers: the official 2.x SDK client pinned to
// the modern revision, the 1.x legacy client against the same build, and raw lines for what an
// attacker would send.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { connectSdk, GATEWAY, RawSession, realServer, textOf, writeConfig, eventually } from './harness';

const VERSION = '2026-07-28';
const envelope = (capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});

const EMAIL = 'jane.doe@acme-corp.io';

function everythingConfig(extra: Record<string, unknown> = {}, proxyExtra: Record<string, unknown> = {}): string {
  return writeConfig([{ name: 'everything', command: realServer('everything', 'stdio') }], extra, proxyExtra);
}

async function modernClient(configPath: string): Promise<{ client: ModernClient; asked: string[]; close: () => Promise<void> }> {
  const client = new ModernClient({ name: 'modern-test', version: '1' }, { versionNegotiation: { mode: { pin: VERSION } }, capabilities: { elicitation: { form: {} }, sampling: {} } });
  const asked: string[] = [];
  client.setRequestHandler('elicitation/create', async () => {
    asked.push('elicitation');
    return { action: 'accept', content: { name: EMAIL, check: true, color: 'red' } };
  });
  client.setRequestHandler('sampling/createMessage', async () => {
    asked.push('sampling');
    return { role: 'assistant', content: { type: 'text', text: 'sampled text' }, model: 'test-model', stopReason: 'endTurn' };
  });
  const transport = new ModernStdioTransport({ command: process.execPath, args: [GATEWAY, '--config', configPath], stderr: 'pipe' });
  await client.connect(transport);
  return { client, asked, close: () => client.close() };
}

describe('clients of MCP 2026-07-28 (modern era) through the gateway', function () {
  this.timeout(60000);

  it('negotiates 2026-07-28, lists with the cache fields and calls tools', async () => {
    const { client, close } = await modernClient(everythingConfig());
    try {
      assert.equal(client.getNegotiatedProtocolVersion?.(), VERSION);
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'everything__echo'));
      const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'modern hello' } });
      assert.match(textOf(result), /Echo: modern hello/);
    } finally {
      await close();
    }
  });

  it('turns a legacy server’s elicitation and sampling into input_required rounds, screened by the same plugins as a legacy client’s answers', async () => {
    const audit = 'audit.jsonl';
    const config = everythingConfig({
      plugins: {
        security: { _global: [{ handler: 'basic_pii_filter', config: { action: 'redact', pii_types: { email: { enabled: true } } } }] },
        auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: audit } }] },
      },
    });
    const modern = await modernClient(config);
    let modernText: string;
    try {
      modernText = textOf(await modern.client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} }));
      const sampled = textOf(await modern.client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } }));
      assert.deepEqual(modern.asked, ['elicitation', 'sampling']);
      assert.match(sampled, /sampled text/);
    } finally {
      await modern.close();
    }
    assert.match(modernText, /Agreed to terms: true/);
    assert.ok(!modernText.includes(EMAIL), 'the e-mail the client typed never comes back unredacted');
    // The client's answer itself was screened on its way to the server (the relay's exchange), not only the tool's result.
    const records = readFileSync(path.join(path.dirname(config), audit), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const relayed = records.filter((r) => r.method === 'elicitation/create');
    assert.ok(relayed.some((r) => JSON.stringify(r).includes('basic_pii_filter')), `the elicitation answer went through basic_pii_filter: ${JSON.stringify(relayed).slice(0, 800)}`);

    // A legacy client against the same configuration gets the same text.
    const legacy = await connectSdk(config, { capabilities: { elicitation: {} } });
    try {
      const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
      legacy.client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: EMAIL, check: true, color: 'red' } }));
      const legacyText = textOf(await legacy.client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} }));
      assert.equal(legacyText, modernText);
    } finally {
      await legacy.close();
    }
  });

  describe('raw modern requests (what an attacker sends)', () => {
    let raw: RawSession;
    afterEach(async () => {
      raw.kill();
      await raw.exited;
    });

    it('answers server/discover first, without any handshake', async () => {
      raw = new RawSession(everythingConfig());
      const answer = await raw.request(1, 'server/discover', { _meta: envelope() });
      const result = answer.result as Record<string, unknown>;
      assert.equal(result.resultType, 'complete');
      assert.deepEqual((result.supportedVersions as string[]).slice(0, 2), [VERSION, '2025-11-25']);
      assert.ok((result.capabilities as Record<string, unknown>).tools);
      assert.equal(((result._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo'] as Record<string, unknown>).name, 'gatekit');
    });

    it('refuses an unknown modern version with -32022 and the versions it supports, and a request without a version', async () => {
      raw = new RawSession(everythingConfig());
      const unsupported = await raw.request(1, 'tools/list', { _meta: { ...envelope(), 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } });
      assert.deepEqual(unsupported.error, { code: -32022, message: 'Unsupported protocol version', data: { supported: [VERSION], requested: '2099-01-01' } });
      await raw.request(2, 'tools/list', { _meta: envelope() });
      const missing = await raw.request(3, 'tools/list', {});
      assert.equal((missing.error as Record<string, unknown>).code, -32600);
      assert.match(String((missing.error as Record<string, unknown>).message), /protocolVersion/);
      const initialize = await raw.request(4, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } });
      assert.equal((initialize.error as Record<string, unknown>).code, -32600);
    });

    it('keeps ids apart: a client may reuse an id once answered, and two requests with one id are refused', async () => {
      raw = new RawSession(everythingConfig());
      // Each answer to id 7 is a new message: wait for one not seen before.
      const nextAnswerTo7 = (what: string, kind: 'result' | 'error' = 'result') => {
        const seen = new Set(raw.messages);
        return raw.waitFor((m) => m.id === 7 && !seen.has(m) && kind in m, 15000, what);
      };
      const long = nextAnswerTo7('the long call');
      raw.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 1 }, _meta: envelope() } });
      const clash = nextAnswerTo7('the refusal', 'error');
      raw.send({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: envelope() } });
      assert.equal(((await clash).error as Record<string, unknown>).code, -32600);
      assert.match(JSON.stringify((await long).result), /Long running operation completed/i);
      const again = nextAnswerTo7('the reused id');
      raw.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'reused' }, _meta: envelope() } });
      assert.match(JSON.stringify((await again).result), /Echo: reused/);
    });

    it('refuses forged, replayed and moved requestState, and inputResponses without one', async () => {
      raw = new RawSession(everythingConfig());
      const params = { name: 'everything__trigger-elicitation-request', arguments: {}, _meta: envelope({ elicitation: {} }) };
      const first = await raw.request(1, 'tools/call', params);
      const round = first.result as Record<string, unknown>;
      assert.equal(round.resultType, 'input_required');
      const [key] = Object.keys(round.inputRequests as Record<string, unknown>);
      const state = round.requestState as string;
      const inputs = { [key!]: { action: 'accept', content: { name: 'n', check: true, color: 'red' } } };

      const forged = await raw.request(2, 'tools/call', { ...params, requestState: 'A'.repeat(32), inputResponses: inputs });
      assert.equal((forged.error as Record<string, unknown>).code, -32602);
      const moved = await raw.request(3, 'tools/call', { ...params, arguments: { other: 1 }, requestState: state, inputResponses: inputs });
      assert.equal((moved.error as Record<string, unknown>).code, -32602, 'a state bound to other arguments');
      const bare = await raw.request(4, 'tools/call', { ...params, inputResponses: inputs });
      assert.equal((bare.error as Record<string, unknown>).code, -32602);
      const proto = await raw.request(5, 'tools/call', { ...params, requestState: '__proto__', inputResponses: inputs });
      assert.equal((proto.error as Record<string, unknown>).code, -32602);

      const done = await raw.request(6, 'tools/call', { ...params, requestState: state, inputResponses: inputs });
      assert.match(JSON.stringify(done.result), /Agreed to terms: true/);
      const replay = await raw.request(8, 'tools/call', { ...params, requestState: state, inputResponses: inputs });
      assert.equal((replay.error as Record<string, unknown>).code, -32602, 'a state is used once');
    });

    it('refuses input the client did not declare a capability for, and input asked while two calls run', async () => {
      raw = new RawSession(everythingConfig());
      const noCapability = await raw.request(1, 'tools/call', { name: 'everything__trigger-elicitation-request', arguments: {}, _meta: envelope({}) });
      assert.notEqual((noCapability.result as Record<string, unknown>).resultType, 'input_required');
      assert.match(JSON.stringify(noCapability.result), /error|declin|cancel|not/i);

      raw.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'everything__trigger-long-running-operation', arguments: { duration: 3, steps: 1 }, _meta: envelope({ elicitation: {} }) } });
      const ambiguous = await raw.request(3, 'tools/call', { name: 'everything__trigger-elicitation-request', arguments: {}, _meta: envelope({ elicitation: {} }) });
      assert.notEqual((ambiguous.result as Record<string, unknown>).resultType, 'input_required', 'no guess between two running calls');
      await raw.response(2);
    });

    it('ends a round the client never comes back to, and the late retry is refused', async () => {
      raw = new RawSession(everythingConfig({}, { timeouts: { connection_timeout: 30, request_timeout: 1 } }));
      const params = { name: 'everything__trigger-elicitation-request', arguments: {}, _meta: envelope({ elicitation: {} }) };
      const round = (await raw.request(1, 'tools/call', params)).result as Record<string, unknown>;
      assert.equal(round.resultType, 'input_required');
      await eventually(() => raw.stderr.some((line) => /did not answer the input/.test(line)), 10000, 'the round to expire');
      const late = await raw.request(2, 'tools/call', { ...params, requestState: round.requestState, inputResponses: {} });
      assert.equal((late.error as Record<string, unknown>).code, -32602);
      const still = await raw.request(3, 'tools/call', { name: 'everything__echo', arguments: { message: 'still here' }, _meta: envelope() });
      assert.match(JSON.stringify(still.result), /still here/);
    });

    it('delivers resource updates only on a subscriptions/listen stream, stamped with its id, and stops when it is cancelled', async () => {
      raw = new RawSession(everythingConfig());
      const uri = 'demo://resource/static/document/architecture.md';
      raw.send({ jsonrpc: '2.0', id: 'listen-1', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true, resourceSubscriptions: [uri, 42] }, _meta: envelope() } });
      const refused = await raw.response('listen-1');
      assert.equal((refused.error as Record<string, unknown>).code, -32602, 'a URI that is not a string');
      raw.send({ jsonrpc: '2.0', id: 'listen-2', method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true, resourceSubscriptions: [uri] }, _meta: envelope() } });
      const ack = await raw.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged', 15000, 'the acknowledgement');
      const ackParams = ack.params as Record<string, unknown>;
      assert.equal((ackParams._meta as Record<string, unknown>)['io.modelcontextprotocol/subscriptionId'], 'listen-2');
      assert.deepEqual((ackParams.notifications as Record<string, unknown>).resourceSubscriptions, [uri]);
      await raw.request(1, 'tools/call', { name: 'everything__toggle-subscriber-updates', arguments: {}, _meta: envelope() });
      const update = await raw.waitFor((m) => m.method === 'notifications/resources/updated', 20000, 'a resource update');
      assert.equal(((update.params as Record<string, unknown>)._meta as Record<string, unknown>)['io.modelcontextprotocol/subscriptionId'], 'listen-2');
      assert.equal((update.params as Record<string, unknown>).uri, uri);
      raw.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'listen-2' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const count = raw.messages.filter((m) => m.method === 'notifications/resources/updated').length;
      await new Promise((resolve) => setTimeout(resolve, 6000));
      assert.equal(raw.messages.filter((m) => m.method === 'notifications/resources/updated').length, count, 'no update after the listen ended');
      assert.ok(!raw.messages.some((m) => m.id === 'listen-2' && 'result' in m), 'a cancelled listen gets no answer');
    });
  });
});

describe('servers of MCP 2026-07-28 (modern era) behind the gateway', function () {
  this.timeout(60000);
  const MODERN_SERVER = path.join(__dirname, '..', 'fixtures', 'servers', 'modern-server.mjs');

  function modernUpstreamConfig(): string {
    return writeConfig([
      { name: 'modern', command: [process.execPath, MODERN_SERVER] },
      { name: 'everything', command: realServer('everything', 'stdio') },
    ]);
  }

  it('probes each server’s era: a modern-only server and a legacy one serve a legacy client side by side', async () => {
    const session = await connectSdk(modernUpstreamConfig());
    try {
      const tools = await session.client.listTools();
      const names = tools.tools.map((t) => t.name);
      assert.ok(names.includes('modern__echo') && names.includes('everything__echo'), names.join(' '));
      const echoed = textOf(await session.client.callTool({ name: 'modern__echo', arguments: { text: 'across eras' } }));
      assert.match(echoed, /echo: across eras/);
      assert.match(echoed, /gatekit-tests/, 'the modern server learnt who the client is from the per-request envelope');
      assert.match(textOf(await session.client.callTool({ name: 'everything__echo', arguments: { message: 'legacy' } })), /Echo: legacy/);
      await session.client.ping();
    } finally {
      await session.close();
    }
  });

  it('turns a modern server’s input_required into the elicitation and sampling requests a legacy client knows, and retries with its answers', async () => {
    const session = await connectSdk(modernUpstreamConfig(), { capabilities: { elicitation: {}, sampling: {} } });
    try {
      const { ElicitRequestSchema, CreateMessageRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
      const asked: string[] = [];
      session.client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(String(request.params.message));
        return { action: 'accept', content: { name: 'Ada' } };
      });
      session.client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: 'from the model' }, model: 'm', stopReason: 'endTurn' }));
      const greeted = textOf(await session.client.callTool({ name: 'modern__ask_name', arguments: {} }));
      assert.equal(greeted, 'hello Ada (state asked-for-name)', 'the retry carried the client’s answer and the server’s own requestState');
      assert.deepEqual(asked, ['What is your name?']);
      assert.match(textOf(await session.client.callTool({ name: 'modern__sample', arguments: { prompt: 'p' } })), /from the model/);
    } finally {
      await session.close();
    }
  });

  it('bounds a modern server that asks for input forever: ten rounds, then the call fails in our words', async () => {
    const session = await connectSdk(modernUpstreamConfig(), { capabilities: { elicitation: {} } });
    try {
      const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
      let asked = 0;
      session.client.setRequestHandler(ElicitRequestSchema, async () => {
        asked++;
        return { action: 'accept', content: { ok: true } };
      });
      const forever = await session.client.callTool({ name: 'modern__ask_forever', arguments: {} }).then(() => 'answered', (err: Error) => err.message);
      assert.match(forever, /more than 10 times/);
      assert.equal(asked, 10, 'ten rounds, then the call ends');
    } finally {
      await session.close();
    }
  });

  it('serves a modern client in front of a modern server (both sides translated)', async () => {
    const { client, asked, close } = await modernClient(modernUpstreamConfig());
    try {
      assert.match(textOf(await client.callTool({ name: 'modern__echo', arguments: { text: 'modern to modern' } })), /echo: modern to modern/);
      const greeted = textOf(await client.callTool({ name: 'modern__ask_name', arguments: {} }));
      assert.equal(greeted, `hello ${EMAIL} (state asked-for-name)`);
      assert.deepEqual(asked, ['elicitation']);
    } finally {
      await close();
    }
  });
});
