// Remote servers of both protocol eras through the built gateway: a server of MCP 2026-07-28 over
// Streamable HTTP (the official 2.x server SDK, legacy refused) beside server-everything over
// Streamable HTTP (legacy, sessions). The gateway probes each with server/discover, keeps the verdict,
// and serves both to one legacy client. Then what an attacker's server does to the probe and the rounds.
import { strict as assert } from 'node:assert';
import { connectSdk, eventually, textOf, writeConfig, type SdkSession, type UpstreamEntry } from './harness';
import { remote, startEverything, startModernHttp, type ModernHttpServer, type RemoteServer } from './remote-servers';

describe('remote upstreams of both protocol eras (HTTP era probe)', function () {
  this.timeout(60000);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function modern(hostile = ''): Promise<ModernHttpServer> {
    const server = await startModernHttp(hostile);
    cleanups.push(() => server.stop());
    return server;
  }

  async function everything(): Promise<RemoteServer> {
    const server = await startEverything('streamableHttp');
    cleanups.push(() => server.stop());
    return server;
  }

  async function gateway(upstreams: UpstreamEntry[], capabilities: Record<string, unknown> = {}): Promise<SdkSession> {
    const session = await connectSdk(writeConfig(upstreams, {}, { timeouts: { connection_timeout: 6, request_timeout: 20 } }), { capabilities });
    cleanups.push(() => session.close());
    return session;
  }

  it('serves a modern and a legacy HTTP server side by side: probe headers, no handshake with the modern one, the envelope on every request', async () => {
    const [modernServer, legacyServer] = await Promise.all([modern(), everything()]);
    const session = await gateway([remote('modern', modernServer.url), remote('legacy', legacyServer.url)]);
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('modern__echo') && names.includes('legacy__echo'), names.join(' '));
    const echoed = textOf(await session.client.callTool({ name: 'modern__echo', arguments: { text: 'über HTTP' } }));
    assert.match(echoed, /echo: über HTTP/);
    assert.match(echoed, /gatekit-tests/, 'the modern server learnt who the client is from the per-request envelope');
    assert.match(textOf(await session.client.callTool({ name: 'legacy__echo', arguments: { message: 'legacy' } })), /Echo: legacy/);
    await session.client.ping(); // answered by the gateway for the modern server (no ping in 2026-07-28)

    const posts = modernServer.requests.filter((r) => r.http === 'POST' && !r.closedEarly);
    assert.equal(posts[0]?.method, 'server/discover', 'the probe comes first');
    assert.ok(!posts.some((r) => r.method === 'initialize'), 'no legacy handshake with a modern server');
    for (const post of posts) {
      assert.equal(post.headers['mcp-protocol-version'], '2026-07-28', `${post.method}: version header`);
      assert.equal(post.headers['mcp-method'], post.method, `${post.method}: Mcp-Method matches the body`);
      assert.equal(post.headers['mcp-session-id'], undefined, 'the modern era has no session');
    }
    const call = posts.find((r) => r.method === 'tools/call');
    assert.equal(call?.headers['mcp-name'], 'echo', 'Mcp-Name carries the tool');
    assert.ok(!modernServer.requests.some((r) => r.http === 'GET'), 'no GET stream: list changes come by subscriptions/listen');
    assert.ok(posts.some((r) => r.method === 'subscriptions/listen'), 'list changes are listened for');
  });

  it('relays a modern HTTP server’s input_required as the elicitation and sampling requests a legacy client knows', async () => {
    const modernServer = await modern();
    const session = await gateway([remote('modern', modernServer.url)], { elicitation: {}, sampling: {} });
    const { ElicitRequestSchema, CreateMessageRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const asked: string[] = [];
    session.client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { name: 'Ada' } };
    });
    session.client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: 'from the model' }, model: 'm', stopReason: 'endTurn' }));
    assert.equal(textOf(await session.client.callTool({ name: 'modern__ask_name', arguments: {} })), 'hello Ada (state asked-for-name)');
    assert.deepEqual(asked, ['What is your name?']);
    assert.match(textOf(await session.client.callTool({ name: 'modern__sample', arguments: { prompt: 'p' } })), /from the model/);
  });

  it('cancels a call to a modern HTTP server by ending its request’s stream (no notifications/cancelled POST)', async () => {
    const modernServer = await modern();
    const session = await gateway([remote('modern', modernServer.url)]);
    const abort = new AbortController();
    const call = session.client.callTool({ name: 'modern__wait', arguments: {} }, undefined, { signal: abort.signal }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    await eventually(() => modernServer.requests.some((r) => r.method === 'tools/call' && !r.closedEarly), 20000, 'the call reaching the server');
    abort.abort('the user changed their mind');
    assert.match(await call, /changed their mind|abort/i);
    await eventually(() => modernServer.requests.some((r) => r.method === 'tools/call' && r.closedEarly === true), 20000, 'the call’s stream ended by the gateway');
    assert.ok(!modernServer.requests.some((r) => r.method === 'notifications/cancelled'), 'the modern era cancels by closing the stream');
    assert.match(textOf(await session.client.callTool({ name: 'modern__echo', arguments: { text: 'after' } })), /echo: after/);
  });

  it('attacker: a modern HTTP server that asks for input forever is stopped after ten rounds', async () => {
    const modernServer = await modern();
    const session = await gateway([remote('modern', modernServer.url)], { elicitation: {} });
    const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    let asked = 0;
    session.client.setRequestHandler(ElicitRequestSchema, async () => {
      asked++;
      return { action: 'accept', content: { ok: true } };
    });
    const forever = await session.client.callTool({ name: 'modern__ask_forever', arguments: {} }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    assert.match(forever, /more than 10 times/);
    assert.equal(asked, 10);
    assert.match(textOf(await session.client.callTool({ name: 'modern__echo', arguments: { text: 'still here' } })), /still here/, 'the server keeps serving');
  });

  it('attacker: a server that claims the modern era and then answers as a legacy one fails its calls in our words, and the other servers keep working', async () => {
    const [liar, legacyServer] = await Promise.all([modern('claims-modern'), everything()]);
    const session = await gateway([remote('liar', liar.url), remote('legacy', legacyServer.url)]);
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('legacy__echo'), names.join(' '));
    assert.ok(!names.some((n) => n.startsWith('liar__')), 'the liar lists nothing');
    const refused = await session.client.callTool({ name: 'liar__echo', arguments: { text: 'x' } }).then(
      (r) => JSON.stringify(r),
      (err: Error) => err.message,
    );
    assert.match(refused, /HTTP 400|Unknown tool|not found/i);
    assert.ok(!/No valid session ID/.test(session.stderr.join('\n')), 'the server’s text stays out of our log lines');
    assert.match(textOf(await session.client.callTool({ name: 'legacy__echo', arguments: { message: 'fine' } })), /Echo: fine/);
  });

  it('attacker: a server whose server/discover never answers is taken for a legacy one once the probe’s time is up, and the stream is closed', async () => {
    const [hanging, legacyServer] = await Promise.all([modern('hang-discover'), everything()]);
    const session = await gateway([remote('hanging', hanging.url), remote('legacy', legacyServer.url)]);
    assert.match(textOf(await session.client.callTool({ name: 'legacy__echo', arguments: { message: 'fine' } })), /Echo: fine/);
    // Probe abandoned → legacy handshake, which this modern-only server refuses: it is reported as failed.
    await eventually(() => hanging.requests.some((r) => r.method === 'initialize'), 20000, 'the legacy handshake after the probe');
    await eventually(() => hanging.requests.some((r) => r.method === 'server/discover' && r.closedEarly === true), 20000, 'the abandoned probe’s stream closed');
    assert.match(textOf(await session.client.callTool({ name: 'legacy__echo', arguments: { message: 'still' } })), /Echo: still/);
  });

  it('attacker: a server that refuses our Mcp-Method/Mcp-Name headers (-32020) gets its error to the client, and the gateway keeps serving', async () => {
    const refuser = await modern('header-mismatch');
    const legacyServer = await everything();
    const session = await gateway([remote('refuser', refuser.url), remote('legacy', legacyServer.url)]);
    const names = (await session.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('refuser__echo'), names.join(' '));
    const refused = await session.client.callTool({ name: 'refuser__echo', arguments: { text: 'x' } }).then(
      (r) => JSON.stringify(r),
      (err: Error) => err.message,
    );
    assert.match(refused, /-32020/);
    assert.match(refused, /does not match/);
    assert.match(textOf(await session.client.callTool({ name: 'legacy__echo', arguments: { message: 'fine' } })), /Echo: fine/);
  });
});
