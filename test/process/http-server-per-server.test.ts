// One upstream presented as itself: /servers/<name>/mcp over HTTP and `--server NAME` over stdio show
// its tools under their own names, with the plugins of that server applied.
import { strict as assert } from 'node:assert';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectSdk, fixtureServer, realServer, textOf, writeConfig } from './harness';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, INITIALIZE, rawRequest, startHttpGateway, type HttpGateway } from './http-server-harness';

// Only `echo` and `get-sum` of everything are allowed; the fixture is untouched.
const PLUGINS = { plugins: { middleware: { everything: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo' }, { tool: 'get-sum', display_name: 'add' }] } }] } } };
const UPSTREAMS = [
  { name: 'everything', command: realServer('everything') },
  { name: 'fixture', command: fixtureServer() },
];

describe('per-server endpoint /servers/<name>/mcp', function () {
  this.timeout(60000);
  let gateway: HttpGateway;
  const clients: Client[] = [];

  before(async () => {
    gateway = await startHttpGateway(UPSTREAMS, { extra: PLUGINS });
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gateway?.stop();
  });

  async function connect(pathname: string): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL(pathname, gateway.url), { requestInit: { headers: { Authorization: `Bearer ${gateway.token}` } } });
    const client = new Client({ name: 'per-server', version: '1' });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  it('lists and calls one server under its own names, through its plugins', async () => {
    const everything = await connect('/servers/everything/mcp');
    const names = (await everything.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['add', 'echo']);
    assert.match(textOf(await everything.callTool({ name: 'add', arguments: { a: 1, b: 2 } })), /3/);
    const hidden = await everything.callTool({ name: 'get-env', arguments: {} }).catch((err: unknown) => ({ isError: true, content: [{ type: 'text', text: String(err) }] }));
    assert.ok(hidden.isError, JSON.stringify(hidden));
    // The namespaced form is not this endpoint's: it names no tool of the server.
    const namespaced = await everything.callTool({ name: 'everything__echo', arguments: { message: 'x' } }).catch((err: unknown) => ({ isError: true, content: [{ type: 'text', text: String(err) }] }));
    assert.ok(namespaced.isError, JSON.stringify(namespaced));
  });

  it('keeps each endpoint to its own server and its own sessions', async () => {
    const fixture = await connect('/servers/fixture/mcp');
    const names = (await fixture.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('echo') && names.includes('whoami') && !names.includes('add'), names.join(', '));
    const all = await connect('/mcp');
    const allNames = (await all.listTools()).tools.map((t) => t.name);
    assert.ok(allNames.includes('everything__add') && allNames.includes('fixture__whoami'), allNames.join(', '));
    // A session id made on /mcp means nothing on a per-server endpoint.
    const sessionId = (all.transport as unknown as { sessionId: string }).sessionId;
    const crossed = await rawRequest(gateway, { path: '/servers/fixture/mcp', headers: { 'mcp-session-id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }) });
    assert.equal(crossed.status, 404);
    for (const where of ['/servers/nope/mcp', '/servers/__proto__/mcp', '/servers/constructor/mcp', '/servers/everything/mcp/', '/servers//mcp', '/servers/Everything/mcp']) {
      assert.equal((await rawRequest(gateway, { path: where, body: INITIALIZE })).status, 404, where);
    }
  });
});

describe('--server NAME over stdio', function () {
  this.timeout(60000);

  it('presents that one upstream under its own names, plugins applied', async () => {
    const config = writeConfig(UPSTREAMS, PLUGINS);
    const session = await connectSdk(config, { extraArgs: ['--server', 'everything'] });
    try {
      const names = (await session.client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ['add', 'echo']);
      assert.match(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'plain name' } })), /plain name/);
    } finally {
      await session.close();
    }
  });

  it('refuses a name that is no upstream, listing the servers', async () => {
    const config = writeConfig(UPSTREAMS);
    await assert.rejects(connectSdk(config, { extraArgs: ['--server', 'nope'] }), /names no enabled upstream.*'everything', 'fixture'/s);
  });
});

describe('resource subscriptions shared by several HTTP clients', function () {
  this.timeout(60000);

  it('updates reach the subscribed clients only, and one unsubscribing keeps the other subscribed', async () => {
    const gateway = await startHttpGateway([{ name: 'fixture', command: fixtureServer('--resources', '2') }]);
    try {
      const clients = await Promise.all(['a', 'b', 'c'].map((name) => connectHttpClient(gateway, {}, name)));
      const updates: Record<string, string[]> = { a: [], b: [], c: [] };
      clients.forEach((c, i) => c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates['abc'[i]!]!.push(n.params.uri)));
      const [a, b, c] = clients as [Client, Client, Client];
      const uri = (await a.listResources()).resources[0]!.uri;
      await a.subscribeResource({ uri });
      await b.subscribeResource({ uri });
      // The update is sent by the server while c's call runs: it still goes to a and b alone.
      assert.match(textOf(await c.callTool({ name: 'fixture__touch_resource', arguments: { uri } })), /updated/);
      await a.unsubscribeResource({ uri });
      assert.match(textOf(await c.callTool({ name: 'fixture__touch_resource', arguments: { uri } })), /updated/, 'b is still subscribed upstream');
      // Notifications come on each client's GET stream: wait for b's second, by then a's and c's are in too.
      while (updates.b!.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(updates, { a: [uri], b: [uri, uri], c: [] });
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await gateway.stop();
    }
  });
});
