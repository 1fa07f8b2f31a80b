// Several official SDK clients at once over Streamable HTTP, in front of real npm servers shared by all:
// each client gets its own answers, progress and server requests, and nothing of another's.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { realServer, textOf } from './harness';
import { connectHttpClient, startHttpGateway, type HttpGateway } from './http-server-harness';

describe('gateway as a Streamable HTTP server for several clients', function () {
  this.timeout(90000);
  let gateway: HttpGateway;
  const clients: Client[] = [];

  before(async () => {
    gateway = await startHttpGateway([
      { name: 'everything', command: realServer('everything') },
      { name: 'memory', command: realServer('memory'), env: { MEMORY_FILE_PATH: path.join(mkdtempSync(path.join(tmpdir(), 'gatekit-mem-')), 'memory.jsonl') } },
    ]);
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    const code = await gateway?.stop();
    assert.equal(code, 0, gateway?.stderr.join('\n'));
  });

  async function client(capabilities: Record<string, unknown> = {}, name?: string): Promise<Client> {
    const c = await connectHttpClient(gateway, capabilities, name);
    clients.push(c);
    return c;
  }

  it('serves the SDK client: initialize, namespaced tools from both servers, calls', async () => {
    const c = await client();
    assert.equal(c.getServerVersion()?.name, 'gatekit');
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('everything__echo') && names.includes('memory__read_graph'), names.join(', '));
    assert.match(textOf(await c.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } })), /42/);
  });

  it('two clients whose request ids are the same each get only their own answers', async () => {
    // Both SDK clients number their requests from 0: every call below has a twin id in the other client.
    const [a, b] = [await client({}, 'a'), await client({}, 'b')];
    const calls = Array.from({ length: 20 }, (_, i) => [
      a.callTool({ name: 'everything__echo', arguments: { message: `a-${i}` } }).then((r) => ['a', i, textOf(r)] as const),
      b.callTool({ name: 'everything__echo', arguments: { message: `b-${i}` } }).then((r) => ['b', i, textOf(r)] as const),
    ]).flat();
    for (const [who, i, text] of await Promise.all(calls)) assert.match(text, new RegExp(`${who}-${i}\\b`), `${who} call ${i} got: ${text}`);
  });

  it('progress reaches the client that asked for it, under its own token', async () => {
    const [a, b] = [await client({}, 'pa'), await client({}, 'pb')];
    const seenA: unknown[] = [];
    const seenB: unknown[] = [];
    const options = (seen: unknown[]) => ({ onprogress: (p: unknown) => void seen.push(p), timeout: 30000 });
    await Promise.all([
      a.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } }, undefined, options(seenA)),
      b.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 2 } }, undefined, options(seenB)),
    ]);
    assert.equal(seenA.length, 3, JSON.stringify(seenA));
    assert.equal(seenB.length, 2, JSON.stringify(seenB));
  });

  it("a server's sampling and elicitation during one client's call reach that client only", async () => {
    const asked: string[] = [];
    const withHandlers = async (name: string): Promise<Client> => {
      const c = await client({ sampling: {}, elicitation: {} }, name);
      c.setRequestHandler(CreateMessageRequestSchema, async () => {
        asked.push(`${name}:sampling`);
        return { model: 'test', role: 'assistant', content: { type: 'text', text: `sampled by ${name}` } };
      });
      c.setRequestHandler(ElicitRequestSchema, async () => {
        asked.push(`${name}:elicitation`);
        return { action: 'accept', content: { color: `green-${name}`, number: 7, pets: 'cats' } };
      });
      return c;
    };
    const [caller, bystander] = [await withHandlers('caller'), await withHandlers('bystander')];
    const sampled = await caller.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
    assert.match(JSON.stringify(sampled), /sampled by caller/);
    const elicited = await caller.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    assert.match(JSON.stringify(elicited), /green-caller/);
    assert.deepEqual(asked, ['caller:sampling', 'caller:elicitation']);
    // The bystander is still served normally.
    assert.match(textOf(await bystander.callTool({ name: 'everything__echo', arguments: { message: 'still here' } })), /still here/);
  });

  it('load: 20 clients × 50 calls over loopback, every answer reaches the client that asked', async () => {
    const many = await Promise.all(Array.from({ length: 20 }, (_, n) => client({}, `load-${n}`)));
    const results = await Promise.all(
      many.map(async (c, n) => {
        const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => c.callTool({ name: 'everything__echo', arguments: { message: `c${n}-m${i}` } }).then(textOf)));
        return answers.map((text, i) => [n, i, text] as const);
      }),
    );
    let checked = 0;
    for (const [n, i, text] of results.flat()) {
      assert.match(text, new RegExp(`c${n}-m${i}$`), `client ${n} call ${i} got: ${text}`);
      checked++;
    }
    assert.equal(checked, 1000);
  });

  it('a session ended with DELETE is gone: its id gets 404, other sessions carry on', async () => {
    const [gone, stays] = [await client({}, 'gone'), await client({}, 'stays')];
    const transport = gone.transport as unknown as { sessionId?: string; terminateSession(): Promise<void> };
    const sessionId = transport.sessionId!;
    assert.ok(sessionId);
    await transport.terminateSession();
    const after = await fetch(gateway.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    assert.equal(after.status, 404);
    assert.match(textOf(await stays.callTool({ name: 'everything__echo', arguments: { message: 'ok' } })), /ok/);
  });

  it('serves old clients over the legacy HTTP+SSE transport (GET /sse, POST /messages), beside the new ones', async () => {
    const legacy = async (name: string): Promise<Client> => {
      const headers = { Authorization: `Bearer ${gateway.token}` };
      const transport = new SSEClientTransport(new URL('/sse', gateway.url), {
        requestInit: { headers },
        eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
      });
      const c = new SdkClient({ name, version: '1' });
      await c.connect(transport);
      clients.push(c);
      return c;
    };
    const [old1, old2, modern] = [await legacy('old1'), await legacy('old2'), await client({}, 'modern')];
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => [old1, old2, modern].map((c, n) => c.callTool({ name: 'everything__echo', arguments: { message: `l${n}-${i}` } }).then((r) => [n, i, textOf(r)] as const))).flat(),
    );
    for (const [n, i, text] of answers) assert.match(text, new RegExp(`l${n}-${i}$`));
    // A Streamable HTTP session id is no legacy session, and an unknown one is refused.
    const sessionId = (modern.transport as unknown as { sessionId: string }).sessionId;
    for (const id of [sessionId, 'nope']) {
      const answer = await fetch(new URL(`/messages?sessionId=${id}`, gateway.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      assert.equal(answer.status, 404, id);
    }
    const noToken = await fetch(new URL('/sse', gateway.url));
    assert.equal(noToken.status, 401);
  });
});
