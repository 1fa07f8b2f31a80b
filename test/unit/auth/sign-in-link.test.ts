// The token-store seam under VS Code: a gateway's ExtensionSignIn store over the real control link
// (ControlLink ↔ ControlServer on a private socket) into the extension's OAuthVault, over an
// in-memory SecretStorage. What an attacker would send is refused with our words, never a token.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlServer, type GatewaySession } from '../../../src/extension/control-server';
import { OAuthVault, MAX_RECORD_CHARS, type SecretStore } from '../../../src/extension/auth/oauth-vault';
import { ControlLink, type ControlLinkHost, type Disposable } from '../../../src/gateway/control/link';
import { ExtensionSignIn, extensionSignIn } from '../../../src/gateway/control/sign-in-link';
import { OAuthTokenStore, type TokenStore } from '../../../src/gateway/auth/token-store';
import type { SignInStateParams } from '../../../src/shared/protocol';

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}

const none: Disposable = { dispose: () => undefined };
const idleGateway: ControlLinkHost = { onTraffic: () => none, onServerStatus: () => none, serverStatuses: () => [] };

const ISSUER = 'https://as.example';
const SERVER = 'https://mcp.example/mcp';
const grant = { access_token: 'at-SECRET-1', token_type: 'Bearer', refresh_token: 'rt-SECRET-1' };

async function eventually(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('sign-in over the control link (token store seam)', () => {
  let temp: string;
  let server: ControlServer;
  let secrets: MemorySecrets;
  const logs: string[] = [];
  const links: ControlLink[] = [];

  async function gateway(startedByExtension = true): Promise<{ signIn: ExtensionSignIn; link: ControlLink; session: GatewaySession }> {
    const signIn = new ExtensionSignIn();
    const link = new ControlLink(idleGateway, {
      socket: server.socketPath,
      token: server.token,
      discoveryDirs: [],
      identity: { sessionId: `s-${links.length}`, pid: process.pid, mode: 'stdio', version: 'test', startedByExtension, cwd: temp, startedAt: Date.now() },
      log: (m) => logs.push(m),
      retryDelayMs: 20,
    });
    links.push(link);
    const connected = new Promise<GatewaySession>((resolve) => server.onDidConnect(resolve));
    // Attached before the link is up: the first read waits for it.
    signIn.attach(link);
    link.start();
    return { signIn, link, session: await connected };
  }

  beforeEach(async () => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-signin-'));
    secrets = new MemorySecrets();
    logs.length = 0;
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: (_l, m) => logs.push(m), socketParentDir: temp, oauthVault: new OAuthVault(secrets, (m) => logs.push(m)) });
    // Message tracing with bodies on: the OAuth messages must still never reach the log.
    server.setTrace('verbose');
  });

  afterEach(async () => {
    for (const link of links.splice(0)) await link.dispose();
    server.dispose();
    rmSync(temp, { recursive: true, force: true });
  });

  it('is used only when the extension started the gateway (socket and token in the environment)', () => {
    assert.ok(extensionSignIn({ GATEKIT_CONTROL_SOCKET: '/s', GATEKIT_CONTROL_TOKEN: 't' }) instanceof ExtensionSignIn);
    assert.equal(extensionSignIn({ GATEKIT_CONTROL_SOCKET: '/s' }), undefined);
    assert.equal(extensionSignIn({ GATEKIT_CONTROL_SOCKET: '/s', GATEKIT_CONTROL_TOKEN: 't', GATEKIT_CONTROL: 'off' }), undefined);
  });

  it('keeps an issuer record in SecretStorage and reads it back, lists it, and never logs a token', async () => {
    const { signIn } = await gateway();
    await signIn.update(ISSUER, (r) => (r.grants[SERVER] = grant));
    assert.deepEqual((await signIn.read(ISSUER)).grants[SERVER], grant);
    assert.deepEqual((await signIn.all()).map(([issuer]) => issuer), [ISSUER]);
    const stored = [...secrets.values.values()].join('\n');
    assert.ok(stored.includes('at-SECRET-1'), 'the secret holds the tokens');
    assert.ok(logs.some((l) => l.includes('gatekit/oauth/write')), 'the trace saw the message');
    assert.ok(!logs.join('\n').includes('SECRET'), 'no token in the extension log, traced or not');
  });

  it('answers a read for issuer B with nothing when only A is stored, and never hands out a planted record of A under B', async () => {
    const { signIn } = await gateway();
    await signIn.update(ISSUER, (r) => (r.grants[SERVER] = grant));
    const other = 'https://other.example';
    assert.deepEqual(Object.keys((await signIn.read(other)).grants), []);
    // A keychain entry for B that holds A's record (damaged or planted) is not B's.
    secrets.values.set(`gatekit.oauth.v1:${other}`, secrets.values.get(`gatekit.oauth.v1:${ISSUER}`)!);
    const fresh = await gateway();
    assert.deepEqual(Object.keys((await fresh.signIn.read(other)).grants), []);
    assert.ok(logs.some((l) => l.includes('not a record of that issuer')));
  });

  it('refuses issuers that are not issuer URLs (__proto__, paths, control characters, queries) with a clear error', async () => {
    const { signIn } = await gateway();
    for (const issuer of ['__proto__', '../../etc/passwd', 'https://as.example/\nx', 'https://as.example/?a=1', 'file:///etc/passwd', 'x'.repeat(5000)]) {
      await assert.rejects(
        Promise.resolve(signIn.update(issuer, (r) => (r.grants[SERVER] = grant))),
        (err: Error) => /issuer .*refused/.test(err.message) && !err.message.includes('SECRET'),
        `issuer ${issuer.slice(0, 30)}`,
      );
    }
    assert.equal(secrets.values.size, 0, 'nothing was stored');
  });

  it('keeps __proto__ keys inside a record as plain keys', async () => {
    const { signIn } = await gateway();
    await signIn.update(ISSUER, (r) => Object.defineProperty(r.grants, '__proto__', { value: grant, enumerable: true, configurable: true, writable: true }));
    const fresh = await gateway();
    const record = await fresh.signIn.read(ISSUER);
    assert.equal(Object.getPrototypeOf(record.grants), null);
    assert.deepEqual(Object.keys(record.grants), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).access_token, undefined, 'no prototype was polluted');
  });

  it('refuses a huge record without storing it, naming the limit and not the token', async () => {
    const { signIn } = await gateway();
    const huge = { ...grant, access_token: `at-SECRET-${'x'.repeat(MAX_RECORD_CHARS)}` };
    await assert.rejects(Promise.resolve(signIn.update(ISSUER, (r) => (r.grants[SERVER] = huge))), (err: Error) => /larger than/.test(err.message) && !err.message.includes('SECRET'));
    assert.equal(secrets.values.size, 0);
  });

  it('tells the other gateways when one changes a record, so they stop using what they read', async () => {
    const a = await gateway();
    const b = await gateway();
    await a.signIn.update(ISSUER, (r) => (r.grants[SERVER] = grant));
    assert.ok((await b.signIn.read(ISSUER)).grants[SERVER]);
    await a.signIn.update(ISSUER, (r) => delete r.grants[SERVER]);
    await eventually(async () => (await b.signIn.read(ISSUER)).grants[SERVER] === undefined, 'b sees the sign-out');
  });

  it('reports sign-in states to the extension and routes Sign out to the server it names', async () => {
    const { signIn, session } = await gateway();
    const signedOut: string[] = [];
    signIn.register('remote', { signOut: async () => void signedOut.push('remote'), useSessionToken: () => undefined, recordChanged: () => undefined });
    const state: SignInStateParams = { server: 'remote', serverUrl: SERVER, state: 'needs-sign-in', authorizationUrl: 'https://as.example/authorize?x=1' };
    const seen = new Promise<SignInStateParams>((resolve) => server.onSignInState(({ params }) => resolve(params)));
    signIn.report(state);
    assert.deepEqual(await seen, state);
    assert.deepEqual(session.signIns.get('remote'), state);
    // A hostile state (unknown value, non-string url) is dropped by the extension.
    signIn.report({ server: 'remote', serverUrl: 42, state: 'owned' } as never);
    const results = await server.signOut('remote');
    assert.deepEqual(results.map((r) => r.result), [{ signedOut: true }]);
    assert.deepEqual(signedOut, ['remote']);
    assert.deepEqual((await server.signOut('unknown')).map((r) => r.result), [{ signedOut: false }]);
    assert.equal(session.signIns.get('remote')?.state, 'needs-sign-in');
  });

  it('refuses a session token that is not a bearer token (whitespace, huge) and passes a good one, only to gateways it started', async () => {
    const { signIn } = await gateway();
    const used: string[] = [];
    signIn.register('remote', { signOut: async () => undefined, useSessionToken: (t) => void used.push(t), recordChanged: () => undefined });
    // Another client's gateway that found this window through the discovery files.
    const external = await gateway(false);
    external.signIn.register('remote', { signOut: async () => undefined, useSessionToken: (t) => void used.push(`external ${t}`), recordChanged: () => undefined });
    for (const bad of ['', 'a b', 'x'.repeat(20000), 'tok\r\nX-Evil: 1']) assert.deepEqual((await server.useSessionToken('remote', bad)).map((r) => r.result), [{ used: false }]);
    assert.deepEqual((await server.useSessionToken('remote', 'gho_SECRET')).map((r) => r.result), [{ used: true }]);
    assert.deepEqual(used, ['gho_SECRET']);
    assert.ok(!logs.join('\n').includes('gho_SECRET'), 'the token is not traced');
  });

  it('fails a read clearly when the extension never answers, rather than hanging', async function () {
    this.timeout(20000);
    const signIn = new ExtensionSignIn();
    const link = new ControlLink(idleGateway, { socket: path.join(temp, 'nobody.sock'), token: 'x', discoveryDirs: [], identity: { sessionId: 'z', pid: 1, mode: 'stdio', version: 't', startedByExtension: true, cwd: temp, startedAt: 0 }, log: () => undefined, retryDelayMs: 50 });
    links.push(link);
    signIn.attach(link);
    link.start();
    await assert.rejects(Promise.resolve(signIn.read(ISSUER)), /did not answer/);
  });

  it('the file store satisfies the same seam', async () => {
    const store: TokenStore = new OAuthTokenStore(path.join(temp, 'gatekit'));
    await store.update(ISSUER, (r) => (r.grants[SERVER] = grant));
    assert.deepEqual((await store.read(ISSUER)).grants[SERVER], grant);
  });
});
