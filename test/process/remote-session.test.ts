// Remote upstreams over their lifetime, through the built gateway: a server that forgets our session
// (404) gets a new one without the client noticing, a restarted server is reached again, and
// server_identity refuses a server that reports another name (remote and local alike).
import { strict as assert } from 'node:assert';
import { connectSdk, eventually, fixtureServer, realServer, textOf, writeConfig, type SdkSession, type UpstreamEntry } from './harness';
import { remote, startEverything, startSdkHttpServer, type RemoteServer, type SdkHttpServer } from './remote-servers';

describe('remote upstreams: sessions, restarts, server_identity', function () {
  this.timeout(60000);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function gateway(upstreams: UpstreamEntry[]): Promise<SdkSession> {
    const session = await connectSdk(writeConfig(upstreams));
    cleanups.push(() => session.close());
    return session;
  }

  async function sdkServer(options: Parameters<typeof startSdkHttpServer>[0] = {}): Promise<SdkHttpServer> {
    const server = await startSdkHttpServer(options);
    cleanups.push(() => server.close());
    return server;
  }

  it('renews a session the server forgot (404) and sends the call that found it again: the client sees only the answer', async () => {
    const server = await sdkServer();
    const session = await gateway([remote('far', server.url)]);
    assert.equal(textOf(await session.client.callTool({ name: 'far__echo', arguments: { message: 'one' } })), 'echo: one');
    const initializesBefore = server.requests.filter((r) => r.method === 'POST' && r.headers['mcp-session-id'] === undefined).length;
    server.forgetSessions();
    assert.equal(textOf(await session.client.callTool({ name: 'far__echo', arguments: { message: 'two' } })), 'echo: two');
    const initializesAfter = server.requests.filter((r) => r.method === 'POST' && r.headers['mcp-session-id'] === undefined).length;
    assert.equal(initializesAfter, initializesBefore + 1, 'one new handshake');
    assert.ok(session.stderr.some((line) => /opening a new session/.test(line)), session.stderr.join('\n'));
    assert.ok(!session.stderr.some((line) => /restarts used|exited: /.test(line)), 'not counted as a crash');
  });

  it('sends MCP-Protocol-Version and the session id on every request after the handshake', async () => {
    const server = await sdkServer();
    const session = await gateway([remote('far', server.url)]);
    await session.client.callTool({ name: 'far__echo', arguments: { message: 'x' } });
    // The era probe (server/discover, answered 400 by this legacy server) comes first: it names the
    // modern version in its headers, and the handshake after it names none.
    const posts = server.requests.filter((r) => r.method === 'POST');
    assert.equal(posts[0]!.headers['mcp-method'], 'server/discover');
    assert.equal(posts[0]!.headers['mcp-protocol-version'], '2026-07-28');
    assert.equal(posts[1]!.headers['mcp-protocol-version'], undefined, 'initialize carries no version header');
    assert.equal(posts[1]!.headers['mcp-method'], undefined, 'no modern header on legacy traffic');
    for (const later of posts.slice(2)) {
      assert.match(String(later.headers['mcp-protocol-version']), /^\d{4}-\d{2}-\d{2}$/);
      assert.match(String(later.headers['mcp-session-id']), /^[0-9a-f-]{36}$/);
    }
  });

  it('passes progress from the remote server to the client and the client\'s cancellation to the server', async () => {
    const server = await sdkServer();
    const session = await gateway([remote('far', server.url)]);
    const abort = new AbortController();
    const progress: number[] = [];
    const call = session.client.callTool({ name: 'far__slow', arguments: { message: 'long job', steps: 3 } }, undefined, {
      signal: abort.signal,
      onprogress: (p) => {
        progress.push(p.progress);
        if (progress.length === 3) abort.abort();
      },
    });
    await assert.rejects(call, /abort/i);
    assert.deepEqual(progress, [1, 2, 3]);
    await eventually(() => server.cancelled.includes('long job'), 10000, 'the cancellation at the server');
  });

  it('ends its session with DELETE when the gateway stops', async () => {
    const server = await sdkServer();
    const session = await gateway([remote('far', server.url)]);
    await session.client.listTools();
    await session.close();
    await eventually(() => server.requests.some((r) => r.method === 'DELETE'), 10000, 'a DELETE with the session id');
    assert.match(String(server.requests.find((r) => r.method === 'DELETE')!.headers['mcp-session-id']), /^[0-9a-f-]{36}$/);
  });

  for (const mode of ['streamableHttp', 'sse'] as const) {
    it(`reaches server-everything (${mode}) again after it restarted under the gateway`, async function () {
      this.timeout(90_000);
      const server: RemoteServer = await startEverything(mode);
      cleanups.push(() => server.stop());
      // Twelve reconnects with back-off (capped at 8 s apart) span about a minute: enough for a Node
      // server to come back even on a loaded machine, while the next attempt after it is up comes
      // within 8 s. Six (16 s) ran out once on CI under load.
      const session = await gateway([remote('everything', server.url, { max_restart_attempts: 12 })]);
      assert.match(textOf(await session.client.callTool({ name: 'everything__echo', arguments: { message: 'before' } })), /before/);
      await server.restart();
      // The gateway learns of the restart when its event stream breaks; until it has a new session a call may fail.
      let answer = '';
      await eventually(
        async () => {
          answer = await session.client.callTool({ name: 'everything__echo', arguments: { message: 'after' } }).then(textOf, (err: Error) => err.message);
          return /Echo: after/.test(answer);
        },
        60000,
        'an answer from the restarted server',
      );
      assert.match(answer, /Echo: after/);
    });
  }

  it('refuses a remote server that reports another name than server_identity; the others keep working', async () => {
    const server = await sdkServer({ name: 'impostor' });
    const session = await gateway([remote('bank', server.url, { server_identity: 'real-bank' }), { name: 'local', command: fixtureServer() }]);
    const { tools } = await session.client.listTools();
    assert.ok(!tools.some((t) => t.name.startsWith('bank__')), tools.map((t) => t.name).join(', '));
    await assert.rejects(session.client.callTool({ name: 'bank__echo', arguments: { message: 'x' } }), /server_identity/);
    assert.match(textOf(await session.client.callTool({ name: 'local__echo', arguments: { text: 'still here' } })), /still here/);
    assert.ok(session.stderr.some((line) => line.includes('"impostor"')), 'the reported name is logged, escaped');
  });

  it('accepts a server whose name matches server_identity, and checks local servers too', async () => {
    const server = await sdkServer({ name: 'real-bank' });
    const session = await gateway([
      remote('bank', server.url, { server_identity: 'real-bank' }),
      { name: 'everything', command: realServer('everything'), server_identity: 'not-everything' },
    ]);
    assert.equal(textOf(await session.client.callTool({ name: 'bank__echo', arguments: { message: 'ok' } })), 'echo: ok');
    await assert.rejects(session.client.callTool({ name: 'everything__echo', arguments: { message: 'x' } }), /server_identity/);
  });
});
