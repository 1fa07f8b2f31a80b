// The gateway's OAuth provider driven by the official SDK client transport against an in-process
// authorization server and a protected MCP server: sign-in (the test plays the browser), stored
// tokens, refresh, step-up, and the refusals (another issuer, a wrong `iss`, a forged redirect).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { GatewayOAuthProvider, type OAuthSettings } from '../../src/gateway/auth/provider';
import { OAuthTokenStore } from '../../src/gateway/auth/token-store';
import { TestAuthorizationServer, type AuthorizationServerOptions } from './oauth-authorization-server';
import { eventually, textOf } from './harness';

const SETTINGS: OAuthSettings = { openBrowser: false, signInTimeoutMs: 30000 };

interface Setup {
  as: TestAuthorizationServer;
  provider: GatewayOAuthProvider;
  store: OAuthTokenStore;
  logs: string[];
  authorized: () => number;
}

async function setUp(options: AuthorizationServerOptions = {}, dir = mkdtempSync(path.join(tmpdir(), 'gatekit-oauth-'))): Promise<Setup> {
  const as = await new TestAuthorizationServer(options).start();
  const store = new OAuthTokenStore(path.join(dir, 'gatekit'));
  const logs: string[] = [];
  let authorizations = 0;
  const provider = new GatewayOAuthProvider({ server: 'remote', serverUrl: as.url, settings: SETTINGS, store, log: (l) => logs.push(l), onAuthorized: () => authorizations++ });
  return { as, provider, store, logs, authorized: () => authorizations };
}

async function connect(setup: Setup): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(setup.as.url), { authProvider: setup.provider, fetch: setup.provider.observeChallenges(fetch) });
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(transport);
  return client;
}

/** Connecting fails with the sign-in error; returns the URL it names. */
async function signInUrl(setup: Setup): Promise<string> {
  const error = await connect(setup).then(
    () => assert.fail('connected without signing in'),
    (err: unknown) => err as Error,
  );
  const match = /^sign in: open (\S+)$/.exec(error.message);
  assert.ok(match, `sign-in error, got: ${error.message}`);
  return match[1]!;
}

/** What a browser does: open the page, follow the authorization server's redirect to the loopback listener. */
async function playBrowser(url: string, rewrite?: (callback: URL) => void): Promise<Response> {
  const page = await fetch(url, { redirect: 'manual' });
  assert.equal(page.status, 302, 'the authorization server redirects back');
  const callback = new URL(page.headers.get('location')!);
  rewrite?.(callback);
  return fetch(callback);
}

describe('OAuth provider with the SDK transport and an in-process authorization server', function () {
  this.timeout(30000);
  const running: Setup[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) {
      s.provider.dispose();
      await s.as.stop();
    }
  });
  const make = async (options?: AuthorizationServerOptions, dir?: string): Promise<Setup> => {
    const s = await setUp(options, dir);
    running.push(s);
    return s;
  };

  it('signs in through the loopback redirect, stores the tokens owner-only, and reuses them on the next start', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-oauth-'));
    const s = await make({ issInRedirect: 'right', advertiseIss: true }, dir);
    const url = await signInUrl(s);
    assert.ok(url.startsWith(`${s.as.origin}/authorize?`));
    assert.match(url, /code_challenge_method=S256/);
    assert.ok(new URL(url).searchParams.get('resource') === s.as.url, 'resource indicator (RFC 8707)');
    assert.ok(s.logs.some((l) => l === `[remote] sign in: open ${url}`), 'URL printed');
    const page = await playBrowser(url);
    assert.equal(page.status, 200);
    await eventually(() => s.authorized() === 1, 10000, 'signed in');
    const client = await connect(s);
    assert.match(textOf(await client.callTool({ name: 'whoami', arguments: {} })), /signed in with scope mcp:read/);
    await client.close();

    const file = s.store.filePath;
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { issuers: Record<string, unknown> };
    assert.deepEqual(Object.keys(stored.issuers), [s.as.issuer], 'stored per issuer');
    assert.equal(fs.readdirSync(path.dirname(file)).length, 1, 'no temporary file left behind');

    // A new gateway run (a new provider over the same file) needs no sign-in.
    const registrations = s.as.count('register');
    const again = new GatewayOAuthProvider({ server: 'remote', serverUrl: s.as.url, settings: SETTINGS, store: new OAuthTokenStore(path.dirname(file)), log: () => undefined, onAuthorized: () => undefined });
    const second = await connect({ ...s, provider: again });
    assert.match(textOf(await second.callTool({ name: 'whoami', arguments: {} })), /signed in/);
    await second.close();
    assert.equal(s.as.count('register'), registrations, 'registration reused');
  });

  it('refreshes an expired access token without a new sign-in', async () => {
    const s = await make();
    await playBrowser(await signInUrl(s));
    await eventually(() => s.authorized() === 1, 10000, 'signed in');
    const client = await connect(s);
    s.as.expireAccessTokens();
    const answer = await client.callTool({ name: 'whoami', arguments: {} }).catch((e: unknown) => assert.fail(`${String(e)} ${s.as.log.join(',')}`));
    assert.match(textOf(answer), /signed in/);
    assert.equal(s.as.count('token refresh_token'), 1);
    assert.equal(s.as.count('authorize'), 1, 'no second authorization');
    await client.close();
  });

  it('steps up on insufficient_scope: authorizes again (not a refresh) with the union of scopes', async () => {
    const s = await make();
    await playBrowser(await signInUrl(s));
    await eventually(() => s.authorized() === 1, 10000, 'signed in');
    const client = await connect(s);
    const refused = await client.callTool({ name: 'admin', arguments: {} }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    assert.ok(refused, 'the call needing more scope fails until the user signs in again');
    const stepUp = /sign in: open (\S+)/.exec(refused.message)?.[1];
    assert.ok(stepUp, `a new sign-in link, got ${refused.message}`);
    assert.equal(s.as.count('token refresh_token'), 0, 'a refresh cannot grant a new scope');
    assert.deepEqual(new URL(stepUp).searchParams.get('scope')!.split(' ').sort(), ['mcp:admin', 'mcp:read']);
    await playBrowser(stepUp);
    await eventually(() => s.authorized() === 2, 10000, 'signed in again');
    const upgraded = await connect(s);
    assert.equal(textOf(await upgraded.callTool({ name: 'admin', arguments: {} })), 'admin done');
    await Promise.all([client.close(), upgraded.close()]);
  });

  it('gives up a step-up the server never accepts after two sign-ins for the same scope', async () => {
    const s = await make({ neverEnoughScope: true });
    await playBrowser(await signInUrl(s));
    await eventually(() => s.authorized() === 1, 10000, 'signed in');
    let last = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const client = await connect(s);
      last = await client.callTool({ name: 'admin', arguments: {} }).then(
        () => 'succeeded',
        (err: unknown) => (err as Error).message,
      );
      await client.close();
      const link = /sign in: open (\S+)/.exec(last)?.[1];
      if (!link) break;
      await playBrowser(link);
      await eventually(() => s.authorized() === attempt + 1, 10000, `step-up sign-in ${attempt}`);
    }
    assert.match(last, /still refuses for want of scope 'mcp:admin' after 2 sign-ins/);
    assert.equal(s.as.count('authorize'), 3, 'one sign-in and two step-ups, no more');
  });

  it('refuses metadata that names another issuer (RFC 8414 §3.3) before registering', async () => {
    const s = await make({ metadataIssuer: 'https://attacker.example' });
    const error = await connect(s).then(
      () => assert.fail('connected'),
      (err: unknown) => err as Error,
    );
    assert.match(error.message, /names another issuer/);
    assert.equal(s.as.count('register'), 0);
    assert.equal(s.as.count('authorize'), 0);
  });

  for (const [what, options] of [
    ['a wrong iss in the redirect', { issInRedirect: 'wrong' }],
    ['a missing iss the server announced', { issInRedirect: 'none', advertiseIss: true }],
  ] as const) {
    it(`refuses ${what} (RFC 9207) and exchanges no code`, async () => {
      const s = await make(options);
      await playBrowser(await signInUrl(s));
      await eventually(() => s.logs.some((l) => l.includes('sign-in failed')), 10000, 'sign-in failure logged');
      assert.match(s.logs.find((l) => l.includes('sign-in failed'))!, /iss/);
      assert.equal(s.as.count('token'), 0, 'the code was not exchanged');
      assert.equal(s.authorized(), 0);
    });
  }

  it('refuses a redirect with another state and keeps waiting for the real one', async () => {
    const s = await make();
    const url = await signInUrl(s);
    const page = await fetch(url, { redirect: 'manual' });
    const callback = new URL(page.headers.get('location')!);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged');
    forged.searchParams.set('code', 'attacker-code');
    assert.equal((await fetch(forged)).status, 400);
    assert.equal(s.as.count('token'), 0);
    assert.equal((await fetch(callback)).status, 200);
    await eventually(() => s.authorized() === 1, 10000, 'signed in with the real redirect');
    assert.equal((await fetch(callback).catch(() => undefined))?.status ?? 0, 0, 'one-shot: the listener is closed');
  });

  it('repeated connection attempts show the same link (the first one stays valid)', async () => {
    const s = await make();
    const first = await signInUrl(s);
    const second = await signInUrl(s);
    assert.equal(second, first);
    await playBrowser(second);
    await eventually(() => s.authorized() === 1, 10000, 'signed in');
  });

  it('never writes a token to its log lines', async () => {
    const s = await make({ issInRedirect: 'right' });
    await playBrowser(await signInUrl(s));
    await eventually(() => s.authorized() === 1, 10000, 'signed in');
    const client = await connect(s);
    s.as.expireAccessTokens();
    await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    assert.ok(s.as.issuedSecrets.length >= 4);
    for (const secret of s.as.issuedSecrets) assert.ok(!s.logs.join('\n').includes(secret), 'token in a log line');
  });
});
