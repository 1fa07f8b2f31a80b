// What an attacker on the network (or a web page in the user's browser) tries against the gateway's
// HTTP endpoint: no token, a wrong token, a rebinding Host, a foreign Origin, oversize and broken
// bodies, sessions that are not theirs; and the TLS and token set-up around it.
import { strict as assert } from 'node:assert';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { fixtureServer, GATEWAY, realServer, textOf } from './harness';
import { connectHttpClient, INITIALIZE, rawRequest, startHttpGateway, TEST_TOKEN, type HttpGateway } from './http-server-harness';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/** One request over node:http, where every header (Host too) is ours to set. */
function nodeRequest(url: URL, options: { headers: Record<string, string>; body?: string; ca?: Buffer }): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: 'POST', headers: options.headers, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Runs the gateway on a config until it exits (start-up failures). */
function runToExit(config: object, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-http-bad-'));
  const file = path.join(dir, 'gatekit.yaml');
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [GATEWAY, '--config', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

const FIXTURE = [{ name: 'fixture', command: fixtureServer() }];

describe('gateway HTTP server: what it refuses', function () {
  this.timeout(60000);
  let gateway: HttpGateway;

  before(async () => {
    gateway = await startHttpGateway(FIXTURE, { http: { allowed_origins: ['https://app.example.com'] }, args: ['--max-message-mb', '0.01'] });
  });

  after(async () => {
    assert.equal(await gateway?.stop(), 0);
  });

  it('answers 401 and nothing else without the token, with a wrong one, or with another scheme', async () => {
    const attempts: (string | null)[] = [null, 'wrong', TEST_TOKEN.slice(0, -1), `${TEST_TOKEN}x`, TEST_TOKEN.toUpperCase()];
    for (const token of attempts) {
      for (const [method, where] of [['POST', '/mcp'], ['GET', '/mcp'], ['DELETE', '/mcp'], ['POST', '/nowhere']] as const) {
        const answer = await rawRequest(gateway, { method, path: where, token, ...(method === 'POST' ? { body: INITIALIZE } : {}) });
        assert.equal(answer.status, 401, `${method} ${where} with ${token}`);
        assert.equal(answer.text, '');
        assert.equal(answer.headers.get('mcp-session-id'), null);
      }
    }
    const basic = await rawRequest(gateway, { token: null, headers: { authorization: `Basic ${Buffer.from(`x:${TEST_TOKEN}`).toString('base64')}` }, body: INITIALIZE });
    assert.equal(basic.status, 401);
    // No session was made by any of them: the gateway log shows none served.
    assert.ok(!gateway.stderr.some((line) => /initialize/i.test(line)), gateway.stderr.join('\n'));
  });

  it('refuses a rebinding Host and a foreign Origin with 403, accepts the configured and loopback origins', async () => {
    const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    for (const host of ['evil.example', `evil.example:${gateway.url.port}`, '127.0.0.1.evil.example', 'localhost@evil.example', '127.0.0.1:1:2']) {
      const answer = await nodeRequest(gateway.url, { headers: { ...headers, host }, body: INITIALIZE });
      assert.equal(answer.status, 403, `Host: ${host}`);
      assert.equal(answer.headers['mcp-session-id'], undefined);
    }
    for (const origin of ['https://evil.example', 'null', 'https://app.example.com.evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:80', 'file://localhost', 'http://user@localhost']) {
      const answer = await rawRequest(gateway, { headers: { origin }, body: INITIALIZE });
      assert.equal(answer.status, 403, `Origin: ${origin}`);
    }
    const allowed = await rawRequest(gateway, { headers: { origin: 'https://app.example.com' }, body: INITIALIZE });
    assert.equal(allowed.status, 200, allowed.text);
    // Served on loopback, a loopback page is a local one (the spec's "valid localhost Origin"); the token still guards it.
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1', 'https://[::1]:8443']) {
      const answer = await rawRequest(gateway, { headers: { origin }, body: INITIALIZE });
      assert.equal(answer.status, 200, `Origin: ${origin}`);
    }
    const local = await nodeRequest(gateway.url, { headers: { ...headers, host: `localhost:${gateway.url.port}` }, body: INITIALIZE });
    assert.equal(local.status, 200);
  });

  it('refuses an oversize body (413), broken JSON (-32700), batches, unknown and missing sessions, foreign protocol versions', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(20000) } });
    assert.equal((await rawRequest(gateway, { body: big })).status, 413);
    const broken = await rawRequest(gateway, { body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    assert.equal(broken.status, 400);
    assert.equal(JSON.parse(broken.text).error.code, -32700);
    const batch = await rawRequest(gateway, { body: `[${INITIALIZE}]` });
    assert.equal(batch.status, 400);
    assert.equal(JSON.parse(batch.text).error.code, -32600);
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.equal((await rawRequest(gateway, { body: list })).status, 400);
    assert.equal((await rawRequest(gateway, { body: list, headers: { 'mcp-session-id': 'not-a-session' } })).status, 404);
    assert.equal((await rawRequest(gateway, { body: list, headers: { 'content-type': 'text/plain' } })).status, 415);
    const init = await rawRequest(gateway, { body: INITIALIZE });
    const session = init.headers.get('mcp-session-id')!;
    assert.ok(session);
    const foreign = await rawRequest(gateway, { body: list, headers: { 'mcp-session-id': session, 'mcp-protocol-version': '1999-01-01' } });
    assert.equal(foreign.status, 400);
    const ok = await rawRequest(gateway, { body: list, headers: { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } });
    assert.equal(ok.status, 200, ok.text);
    assert.ok(JSON.parse(ok.text).result.tools.length > 0);
  });

  it('refuses a second request with the id of one still running, and keeps serving the first', async () => {
    const init = await rawRequest(gateway, { body: INITIALIZE });
    const headers = { 'mcp-session-id': init.headers.get('mcp-session-id')! };
    const slow = rawRequest(gateway, { headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'fixture__slow', arguments: { ms: 1500 } } }) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const twin = await rawRequest(gateway, { headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }) });
    assert.match(twin.text, /already in use/);
    const first = await slow;
    assert.equal(first.status, 200);
    assert.ok(!/already in use/.test(first.text), first.text);
  });
});

describe('gateway HTTP server: a server request no single client can be asked', function () {
  this.timeout(60000);

  it('is refused with an error while two clients have requests running on that server', async () => {
    const gateway = await startHttpGateway([{ name: 'everything', command: realServer('everything') }]);
    try {
      const [busy, asking] = [await connectHttpClient(gateway, { sampling: {} }), await connectHttpClient(gateway, { sampling: {} })];
      let sampled = 0;
      for (const c of [busy, asking]) c.setRequestHandler(CreateMessageRequestSchema, async () => (sampled++, { model: 't', role: 'assistant', content: { type: 'text', text: 'x' } }));
      const running = busy.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 3, steps: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const refused = await asking.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
      assert.match(JSON.stringify(refused), /cannot tell which one/);
      assert.equal(sampled, 0);
      await running;
      const alone = await asking.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
      assert.ok(!/cannot tell/.test(textOf(alone)));
      assert.equal(sampled, 1);
      await Promise.all([busy.close(), asking.close()]);
    } finally {
      await gateway.stop();
    }
  });
});

describe('gateway HTTP server: TLS and tokens', function () {
  this.timeout(60000);

  it('serves HTTPS with a self-signed certificate (and nothing over plain HTTP)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-tls-'));
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const gateway = await startHttpGateway(FIXTURE, { http: { tls: { cert_file: cert, key_file: key } } });
    try {
      assert.equal(gateway.url.protocol, 'https:');
      const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const answer = await nodeRequest(gateway.url, { headers, body: INITIALIZE, ca: readFileSync(cert) });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(JSON.parse(answer.text).result.serverInfo.name, 'gatekit');
      await assert.rejects(nodeRequest(new URL(gateway.url.href.replace('https:', 'http:')), { headers, body: INITIALIZE }));
      await assert.rejects(nodeRequest(gateway.url, { headers, body: INITIALIZE }), /self-signed|certificate/);
    } finally {
      await gateway.stop();
    }
  });

  it('generates a token on first start, owner-only, prints it once, and reuses it', async () => {
    const configHome = mkdtempSync(path.join(tmpdir(), 'gatekit-xdg-'));
    const options = { http: { token_env: undefined }, env: { XDG_CONFIG_HOME: configHome } };
    const first = await startHttpGateway(FIXTURE, options);
    const tokenFile = path.join(configHome, 'gatekit', 'http-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    await first.stop();
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.ok(token.length >= 32);
    assert.ok(first.stderr.some((line) => line.includes(token)), 'printed once');
    const second = await startHttpGateway(FIXTURE, options);
    try {
      assert.ok(!second.stderr.some((line) => line.includes(token)), 'not printed again');
      const ok = await rawRequest({ ...second, token }, { body: INITIALIZE });
      assert.equal(ok.status, 200);
    } finally {
      await second.stop();
    }
    chmodSync(tokenFile, 0o644);
    const exposed = await runToExit({ proxy: { transport: 'http', http: { port: 0 }, upstreams: FIXTURE } }, { XDG_CONFIG_HOME: configHome });
    assert.equal(exposed.code, 1);
    assert.match(exposed.stderr, /can be read by others/);
  });

  it('refuses to start on a bad http section, naming the field', async () => {
    const wide = await runToExit({ proxy: { transport: 'http', http: { host: '0.0.0.0', port: 0, token_env: 'T' }, upstreams: FIXTURE } }, { T: TEST_TOKEN });
    assert.equal(wide.code, 1);
    assert.match(wide.stderr, /proxy\.http\.host '0\.0\.0\.0' is reachable from other machines/);
    const unset = await runToExit({ proxy: { transport: 'http', http: { port: 0, token_env: 'GATEKIT_NOT_SET_ANYWHERE' }, upstreams: FIXTURE } });
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /proxy\.http\.token_env: the environment variable GATEKIT_NOT_SET_ANYWHERE is not set/);
    const short = await runToExit({ proxy: { transport: 'http', http: { port: 0, token_env: 'T' }, upstreams: FIXTURE } }, { T: 'short' });
    assert.match(short.stderr, /at least 32 characters/);
  });
});

describe('gateway HTTP server: a client opening sessions without end', function () {
  this.timeout(120000);

  it('refuses sessions beyond the limit with 503 and takes new ones once others end', async () => {
    const gateway = await startHttpGateway(FIXTURE);
    try {
      const sessions: string[] = [];
      let refused: Awaited<ReturnType<typeof rawRequest>> | undefined;
      for (let i = 0; i < 300 && !refused; i++) {
        const answer = await rawRequest(gateway, { body: INITIALIZE });
        if (answer.status === 200) sessions.push(answer.headers.get('mcp-session-id')!);
        else refused = answer;
      }
      assert.equal(sessions.length, 256);
      assert.equal(refused?.status, 503);
      assert.equal(new Set(sessions).size, 256, 'session ids are unique');
      const ended = await rawRequest(gateway, { method: 'DELETE', headers: { 'mcp-session-id': sessions[0]! } });
      assert.equal(ended.status, 200);
      assert.equal((await rawRequest(gateway, { body: INITIALIZE })).status, 200);
    } finally {
      await gateway.stop();
    }
  });
});
