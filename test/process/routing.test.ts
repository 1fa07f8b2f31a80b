// Routing, concurrency, cancellation, pagination and server→client relaying, against fixture servers.
import { strict as assert } from 'node:assert';
import { CreateMessageRequestSchema, ListRootsRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectSdk, fixtureServer, RawSession, realServer, textOf, writeConfig, type SdkSession } from './harness';

describe('routing through the gateway (fixture servers)', function () {
  this.timeout(60000);
  let session: SdkSession;

  before(async () => {
    const config = writeConfig([
      { name: 'alpha', command: fixtureServer('--name', 'alpha', '--tools', '5', '--page-size', '2', '--resources', '3'), env: { GATEKIT_FIXTURE_VALUE: 'from-config' } },
      { name: 'beta', command: fixtureServer('--name', 'beta', '--noise', '--stderr-chatter') },
    ]);
    session = await connectSdk(config, { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
    session.client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'from the client' } }));
    session.client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { ok: true } }));
    session.client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
  });

  after(async () => {
    await session?.close();
  });

  it('passes the client protocol version and capabilities into each upstream handshake', async () => {
    const seen = JSON.parse(textOf(await session.client.callTool({ name: 'alpha__whoami', arguments: {} })));
    assert.equal(seen.initialize.protocolVersion, '2025-11-25');
    assert.deepEqual(Object.keys(seen.initialize.capabilities).sort(), ['elicitation', 'roots', 'sampling']);
    assert.equal(seen.initialize.clientInfo.name, 'gatekit-tests');
    assert.equal(seen.fixtureValue, 'from-config', 'the upstream env from the config reached the server');
  });

  it('follows upstream pagination and merges every page', async () => {
    const { tools, nextCursor } = await session.client.listTools();
    assert.equal(nextCursor, undefined);
    const alpha = tools.filter((t) => t.name.startsWith('alpha__')).map((t) => t.name);
    for (let i = 0; i < 5; i++) assert.ok(alpha.includes(`alpha__tool_${i}`), `alpha__tool_${i} in ${alpha.join(',')}`);
    assert.ok(tools.some((t) => t.name === 'beta__echo'));
    const { resources } = await session.client.listResources();
    assert.equal(resources.filter((r) => r.uri.startsWith('fixture://alpha/')).length, 3);
  });

  it('keeps serving when an upstream prints non-JSON on stdout', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(textOf(await session.client.callTool({ name: 'beta__echo', arguments: { text: `n${i}` } })), `n${i}`);
    }
  });

  it('passes upstream stderr to its own stderr with the server name', async () => {
    assert.ok(session.stderr.some((l) => l.includes('[beta]')), session.stderr.join('\n'));
  });

  it('runs requests concurrently: a fast call is not held behind a slow one', async () => {
    const order: string[] = [];
    const slow = session.client.callTool({ name: 'alpha__slow', arguments: { ms: 1500 } }).then(() => order.push('slow'));
    const fast = session.client.callTool({ name: 'alpha__echo', arguments: { text: 'quick' } }).then(() => order.push('fast'));
    const other = session.client.callTool({ name: 'beta__echo', arguments: { text: 'quick' } }).then(() => order.push('other'));
    await Promise.all([slow, fast, other]);
    assert.equal(order[2], 'slow', `order was ${order.join(',')}`);
  });

  it('forwards notifications/cancelled to the owning upstream under its own id, at once', async () => {
    const controller = new AbortController();
    const call = session.client.callTool({ name: 'alpha__slow', arguments: { ms: 20000 } }, undefined, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort('user gave up');
    await assert.rejects(call);
    let cancelled: unknown[] = [];
    for (let i = 0; i < 100 && cancelled.length === 0; i++) {
      cancelled = JSON.parse(textOf(await session.client.callTool({ name: 'alpha__cancelled_requests', arguments: {} })));
      if (cancelled.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(cancelled.length, 1, 'the upstream saw exactly one cancellation');
    assert.equal(typeof cancelled[0], 'number', 'under the upstream id the gateway gave it');
  });

  it('passes progress notifications through with the client progress token', async () => {
    const progress: number[] = [];
    await session.client.callTool({ name: 'alpha__progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    assert.deepEqual(progress, [1, 2, 3]);
  });

  it('relays sampling, elicitation, roots and ping requests from a server to the client', async () => {
    assert.match(textOf(await session.client.callTool({ name: 'alpha__sample', arguments: {} })), /from the client/);
    assert.match(textOf(await session.client.callTool({ name: 'beta__elicit', arguments: {} })), /accept/);
    assert.match(textOf(await session.client.callTool({ name: 'alpha__roots', arguments: {} })), /file:\/\/\/work/);
    assert.doesNotMatch(textOf(await session.client.callTool({ name: 'alpha__ping_client', arguments: {} })), /error/i);
  });

  it('sends roots/list_changed from the client to every upstream', async () => {
    await session.client.sendRootsListChanged();
    for (const server of ['alpha', 'beta']) {
      let count = 0;
      for (let i = 0; i < 100 && count === 0; i++) {
        count = JSON.parse(textOf(await session.client.callTool({ name: `${server}__whoami`, arguments: {} }))).rootsListChangedCount;
        if (!count) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(count, 1, server);
    }
  });

  it('passes list_changed notifications down and the new list shows the change', async () => {
    let changed = 0;
    session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    await session.client.callTool({ name: 'beta__change_tools', arguments: {} });
    for (let i = 0; i < 100 && changed === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(changed >= 1);
    const { tools } = await session.client.listTools();
    assert.ok(tools.some((t) => t.name === 'beta__extra_tool'));
  });

  it('routes resources by URI, by template and in the Gatekit server__uri form', async () => {
    const read = await session.client.readResource({ uri: 'fixture://alpha/item/1' });
    assert.equal(read.contents[0]?.uri, 'fixture://alpha/item/1');
    const byTemplate = await session.client.readResource({ uri: 'fixture://alpha/item/99' });
    assert.equal(byTemplate.contents[0]?.uri, 'fixture://alpha/item/99');
    const prefixed = await session.client.readResource({ uri: 'alpha__fixture://alpha/item/2' });
    assert.equal(prefixed.contents[0]?.uri, 'fixture://alpha/item/2');
  });

  it('carries a 16 MiB result intact', async () => {
    const bytes = 16 * 1024 * 1024;
    const result = await session.client.callTool({ name: 'beta__big', arguments: { bytes } }, undefined, { timeout: 60000 });
    assert.equal(textOf(result).length, bytes);
  });

  it('delivers a flood of 10,000 notifications and keeps answering', async () => {
    let received = 0;
    session.client.setNotificationHandler(LoggingMessageNotificationSchema, () => void received++);
    await session.client.callTool({ name: 'alpha__flood', arguments: { count: 10000 } }, undefined, { timeout: 60000 });
    assert.equal(textOf(await session.client.callTool({ name: 'beta__echo', arguments: { text: 'still here' } })), 'still here');
    for (let i = 0; i < 200 && received < 10000; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received, 10000);
  });

  it('rewrites upstream error messages that name the bare tool to the namespaced name', async () => {
    const result = await session.client.callTool({ name: 'alpha__no_such_tool', arguments: {} }).catch((e: Error) => e);
    assert.match(String((result as Error).message ?? JSON.stringify(result)), /alpha__no_such_tool/);
  });
});

describe('protocol edges over raw NDJSON', function () {
  this.timeout(30000);

  it('negotiates older protocol versions and passes them upstream', async () => {
    const raw = new RawSession(writeConfig([{ name: 'alpha', command: fixtureServer('--name', 'alpha') }]));
    const init = await raw.initialize('2024-11-05');
    assert.equal((init.result as { protocolVersion: string }).protocolVersion, '2024-11-05');
    const who = await raw.request(2, 'tools/call', { name: 'alpha__whoami', arguments: {} });
    const seen = JSON.parse(textOf(who.result));
    assert.equal(seen.initialize.protocolVersion, '2024-11-05');
    assert.equal((await raw.end()).code, 0);
  });

  it('answers Gatekit errors for missing, un-namespaced and unknown-server tool names, and unroutable URIs', async () => {
    const raw = new RawSession(
      writeConfig([
        { name: 'alpha', command: fixtureServer('--name', 'alpha', '--resources', '1') },
        { name: 'beta', command: fixtureServer('--name', 'beta', '--resources', '1') },
      ]),
    );
    await raw.initialize();
    const missing = await raw.request(1, 'tools/call', { arguments: {} });
    assert.deepEqual(missing.error, { code: -32602, message: "Tool call missing required 'name' parameter" });
    const bare = await raw.request(2, 'tools/call', { name: 'echo' });
    assert.equal((bare.error as { message: string }).message, "Tool 'echo' is not properly namespaced. All tool calls must use 'server__tool' format (e.g., 'filesystem__read_file')");
    const unknown = await raw.request(3, 'tools/call', { name: 'nope__echo' });
    assert.deepEqual(unknown.error, { code: -32602, message: "Unknown server 'nope' in request" });
    const splitFirst = await raw.request(4, 'tools/call', { name: 'alpha__echo', arguments: { text: 'a__b' } });
    assert.equal(textOf(splitFirst.result), 'a__b');
    const unroutable = await raw.request(5, 'resources/read', { uri: 'nowhere://x' });
    assert.equal((unroutable.error as { code: number }).code, -32602);
    await raw.end();
  });

  it('leaves out tools whose namespaced name would break the MCP name rules, and says so in _meta', async () => {
    const longName = 'l'.repeat(58); // 58 + '__' + 'echo' = 64 fits; 58 + '__' + 'whoami' = 66 does not
    const raw = new RawSession(writeConfig([{ name: longName, command: fixtureServer('--name', 'long') }]));
    await raw.initialize();
    const list = (await raw.request(1, 'tools/list')).result as { tools: { name: string }[]; _meta: Record<string, { error: string }[]> };
    const names = list.tools.map((t) => t.name);
    assert.ok(names.includes(`${longName}__echo`));
    assert.ok(!names.some((n) => n.endsWith('__whoami')));
    for (const name of names) assert.match(name, /^[a-zA-Z0-9_-]{1,64}$/);
    assert.ok(list._meta['gatekit/unavailableServers']!.some((m) => m.error.includes('whoami')));
    await raw.end();
  });

  it('refuses a progress token that is not a string or a number at once (a real server would drop the whole request)', async () => {
    const raw = new RawSession(writeConfig([{ name: 'everything', command: realServer('everything') }]));
    await raw.initialize();
    for (const [id, token] of [[1, { a: 1 }], [2, null], [3, [7]], [4, true]] as const) {
      const refused = await raw.request(id, 'tools/call', { name: 'everything__echo', arguments: { message: 'hi' }, _meta: { progressToken: token } });
      assert.deepEqual(refused.error, { code: -32602, message: "Field 'params._meta.progressToken' must be a string or a number" }, JSON.stringify(token));
    }
    // Valid tokens still pass, and the session keeps serving.
    const ok = await raw.request(5, 'tools/call', { name: 'everything__echo', arguments: { message: 'hi' }, _meta: { progressToken: 'p-1' } });
    assert.match(textOf(ok.result), /hi/);
    await raw.end();
  });

  it('keeps ids of both types apart: 1 and "1" in flight at once each get their own answer', async () => {
    const raw = new RawSession(writeConfig([{ name: 'alpha', command: fixtureServer('--name', 'alpha') }]));
    await raw.initialize();
    raw.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'alpha__slow', arguments: { ms: 300 } } });
    raw.send({ jsonrpc: '2.0', id: '1', method: 'tools/call', params: { name: 'alpha__echo', arguments: { text: 'string id' } } });
    const [numeric, text] = await Promise.all([raw.response(1), raw.response('1')]);
    assert.ok(numeric.result);
    assert.equal(textOf(text.result), 'string id');
    await raw.end();
    assert.equal(raw.messages.filter((m) => m.id === 1).length, 1);
    assert.equal(raw.messages.filter((m) => m.id === '1').length, 1);
  });
});

describe('routing to a server whose name ends in an underscore', function () {
  this.timeout(60000);
  let session: SdkSession;

  before(async () => {
    // `fs_`'s tools are `fs___name`: the first `__` would split them as server `fs`, tool `_name`.
    const config = writeConfig([
      { name: 'fs', command: fixtureServer('--name', 'fs'), env: { GATEKIT_FIXTURE_VALUE: 'fs' } },
      { name: 'fs_', command: fixtureServer('--name', 'fs_'), env: { GATEKIT_FIXTURE_VALUE: 'fs_' } },
    ]);
    session = await connectSdk(config);
  });

  after(async () => {
    await session?.close();
  });

  it('lists both servers tools and routes each call to the server it was listed for', async () => {
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('fs__whoami') && names.includes('fs___whoami'), names.join(','));
    assert.equal(JSON.parse(textOf(await session.client.callTool({ name: 'fs___whoami', arguments: {} }))).fixtureValue, 'fs_');
    assert.equal(JSON.parse(textOf(await session.client.callTool({ name: 'fs__whoami', arguments: {} }))).fixtureValue, 'fs');
  });
});

describe('a tool name that would reach another server', function () {
  this.timeout(60000);
  let session: SdkSession;

  before(async () => {
    // `fs` lists `_whoami`: namespaced, `fs___whoami`, which is `fs_`'s own `whoami`.
    const config = writeConfig([
      { name: 'fs', command: fixtureServer('--name', 'fs', '--named-tool', '_whoami'), env: { GATEKIT_FIXTURE_VALUE: 'fs' } },
      { name: 'fs_', command: fixtureServer('--name', 'fs_'), env: { GATEKIT_FIXTURE_VALUE: 'fs_' } },
    ]);
    session = await connectSdk(config);
  });

  after(async () => {
    await session?.close();
  });

  it('is left out of the list and reported, and the name keeps reaching the other server', async () => {
    const listed = await session.client.listTools();
    assert.equal(listed.tools.filter((t) => t.name === 'fs___whoami').length, 1, 'one tool of that name');
    const unavailable = (listed._meta?.['gatekit/unavailableServers'] ?? []) as { server: string; error: string }[];
    assert.ok(unavailable.some((u) => u.server === 'fs' && /would reach another server/.test(u.error)), JSON.stringify(unavailable));
    assert.equal(JSON.parse(textOf(await session.client.callTool({ name: 'fs___whoami', arguments: {} }))).fixtureValue, 'fs_');
  });
});
