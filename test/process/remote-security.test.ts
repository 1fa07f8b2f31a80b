// What the gateway refuses on the way to a remote server, through the built gateway: redirects to
// another origin, certificates that do not verify or that change, plain http to another machine,
// hostile config values; and what it keeps to itself (header values never reach any output).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { connectSdk, fixtureServer, GATEWAY, textOf, writeConfig, type SdkSession, type UpstreamEntry } from './harness';
import { remote, selfSignedCertificate, startEverything, startSdkHttpServer, type SdkHttpServer } from './remote-servers';

describe('remote upstreams: redirects, TLS, insecure http, headers, hostile config', function () {
  this.timeout(60000);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function gateway(upstreams: UpstreamEntry[], env: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<SdkSession> {
    const session = await connectSdk(writeConfig(upstreams, extra), { env });
    cleanups.push(() => session.close());
    return session;
  }

  async function sdkServer(options: Parameters<typeof startSdkHttpServer>[0] = {}): Promise<SdkHttpServer> {
    const server = await startSdkHttpServer(options);
    cleanups.push(() => server.close());
    return server;
  }

  /** Runs the gateway on a config and returns what it printed (for configs it refuses to load). */
  function refusal(upstream: Record<string, unknown>): string {
    const config = writeConfig([upstream as unknown as UpstreamEntry]);
    const run = spawnSync(process.execPath, [GATEWAY, '--config', config], { input: '', encoding: 'utf8', timeout: 20000 });
    assert.notEqual(run.status, 0, `refused: ${run.stderr}`);
    return run.stderr;
  }

  it('refuses a redirect to another origin (never followed) while other servers keep working', async () => {
    const elsewhere = await sdkServer();
    const moved = await sdkServer({
      intercept: (_req, res) => {
        res.writeHead(307, { location: elsewhere.url }).end();
        return true;
      },
    });
    const session = await gateway([remote('moved', moved.url), { name: 'local', command: fixtureServer() }]);
    await assert.rejects(session.client.callTool({ name: 'moved__echo', arguments: { message: 'x' } }), /redirected to another origin \(http:\/\/127\.0\.0\.1:\d+\)/);
    assert.equal(elsewhere.requests.length, 0, 'the other origin was never contacted');
    assert.match(textOf(await session.client.callTool({ name: 'local__echo', arguments: { text: 'fine' } })), /fine/);
  });

  it('follows a redirect within the same origin', async () => {
    const server = await sdkServer({
      intercept: (req, res) => {
        if (!req.url?.startsWith('/old')) return false;
        res.writeHead(308, { location: '/mcp' }).end();
        return true;
      },
    });
    const session = await gateway([remote('far', server.url.replace('/mcp', '/old'))]);
    assert.equal(textOf(await session.client.callTool({ name: 'far__echo', arguments: { message: 'moved' } })), 'echo: moved');
  });

  it('refuses a certificate that does not verify, and accepts it with tls_verify: false', async () => {
    const server = await sdkServer({ tls: selfSignedCertificate() });
    const refused = await gateway([remote('selfsigned', server.url), { name: 'local', command: fixtureServer() }]);
    await assert.rejects(refused.client.callTool({ name: 'selfsigned__echo', arguments: { message: 'x' } }), /failed the TLS check \([A-Z_]+\)/);
    const accepted = await gateway([remote('selfsigned', server.url, { tls_verify: false })]);
    assert.equal(textOf(await accepted.client.callTool({ name: 'selfsigned__echo', arguments: { message: 'tls' } })), 'echo: tls');
  });

  it('refuses a certificate that changed under a running gateway (pinned on first contact)', async () => {
    const first = await startSdkHttpServer({ tls: selfSignedCertificate() });
    const session = await gateway([remote('pinned', first.url, { tls_verify: false, max_restart_attempts: 1 })]);
    assert.equal(textOf(await session.client.callTool({ name: 'pinned__echo', arguments: { message: 'one' } })), 'echo: one');
    await first.close();
    // Another server, another certificate, the same address: the pin refuses it.
    await sdkServer({ tls: selfSignedCertificate(), port: first.port });
    await assert.rejects(session.client.callTool({ name: 'pinned__echo', arguments: { message: 'two' } }), /certificate changed|could not be reached|is (failed|crashed|restarting)/);
    assert.ok(session.stderr.some((line) => /TLS certificate changed since the first connection/.test(line)), session.stderr.join('\n'));
  });

  it('sends configured headers with ${VAR} expanded, and never prints their values', async () => {
    const server = await sdkServer();
    const token = 'tok-SECRET-4b1d9e77';
    const session = await gateway(
      [remote('far', server.url, { headers: { Authorization: 'Bearer ${GK_REMOTE_TOKEN}', 'X-Api-Key': 'key-SECRET-90aa' } })],
      { GK_REMOTE_TOKEN: token },
      { logging: { level: 'DEBUG' } },
    );
    await session.client.callTool({ name: 'far__echo', arguments: { message: 'x' } });
    const posts = server.requests.filter((r) => r.method === 'POST');
    assert.ok(posts.length >= 2);
    for (const post of posts) {
      assert.equal(post.headers['authorization'], `Bearer ${token}`);
      assert.equal(post.headers['x-api-key'], 'key-SECRET-90aa');
    }
    await server.close();
    // A failure makes the gateway talk about the server: still no header value.
    await session.client.callTool({ name: 'far__echo', arguments: { message: 'y' } }).catch(() => undefined);
    const output = session.stderr.join('\n');
    assert.ok(!output.includes(token) && !output.includes('key-SECRET'), output);
  });

  it('refuses plain http:// to another machine unless allow_insecure_http is set', () => {
    const stderr = refusal({ name: 'far', transport: 'http', url: 'http://example.com/mcp' });
    assert.match(stderr, /proxy\.upstreams\[0\]\.url.*plain http:\/\/ to example\.com/s);
    assert.match(stderr, /allow_insecure_http: true/);
  });

  it('names the field and line for hostile values: url: 42, javascript:, credentials in the URL, CR/LF in headers, stdio keys on a remote server', () => {
    assert.match(refusal({ name: 'far', transport: 'http', url: 42 }), /proxy\.upstreams\[0\]\.url.*line \d+/s);
    assert.match(refusal({ name: 'far', transport: 'http', url: 'javascript:alert(1)' }), /url must start with https:\/\//);
    assert.match(refusal({ name: 'far', transport: 'http', url: 'file:///etc/passwd' }), /url must start with https:\/\//);
    assert.match(refusal({ name: 'far', transport: 'http', url: 'https://user:pw@example.com/mcp' }), /must not contain a user name or password/);
    assert.match(refusal({ name: 'far', transport: 'http', url: 'https://example.com/mcp', headers: { 'X-A': 'ok\r\nX-Injected: 1' } }), /upstreams\[0\]\.headers\.X-A.*line breaks/s);
    assert.match(refusal({ name: 'far', transport: 'http', url: 'https://example.com/mcp', headers: { 'Mcp-Session-Id': 'forged' } }), /set by the transport/);
    assert.match(refusal({ name: 'far', transport: 'http', url: 'https://example.com/mcp', command: ['node'] }), /upstreams\[0\]\.command.*for local \(stdio\) servers/s);
    assert.match(refusal({ name: 'far', url: 'https://example.com/mcp', command: ['node'] }), /upstreams\[0\]\.url.*set transport: http/s);
    assert.match(refusal({ name: 'far', transport: 'http' }), /Missing required key 'url'/);
  });

  it('refuses a header whose ${VAR} expands to a line break', () => {
    const config = writeConfig([remote('far', 'https://example.com/mcp', { headers: { 'X-Token': '${GK_EVIL}' } })]);
    const run = spawnSync(process.execPath, [GATEWAY, '--config', config], { input: '', encoding: 'utf8', timeout: 20000, env: { ...process.env, GK_EVIL: 'a\r\nX-Injected: 1' } });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /Header 'X-Token' expands to a value with a line break/);
  });

  it('a remote server that is down does not stop the gateway: the others answer, it reports why', async () => {
    const down = await startEverything('streamableHttp');
    await down.stop();
    const session = await gateway([remote('down', down.url, { max_restart_attempts: 0 }), { name: 'local', command: fixtureServer() }]);
    await assert.rejects(session.client.callTool({ name: 'down__echo', arguments: { message: 'x' } }), /could not be reached \(ECONNREFUSED\)/);
    assert.match(textOf(await session.client.callTool({ name: 'local__echo', arguments: { text: 'up' } })), /up/);
  });
});
