// OAuth sign-in of the built gateway when the VS Code extension started it: the test is the
// extension host (the real ControlServer on a private socket, its OAuthVault over an in-memory
// SecretStorage), the remote upstream sits behind the in-process authorization server. The gateway
// keeps its tokens in the "SecretStorage" (never the token file), reports its sign-in state with the
// link instead of opening a browser, and signs out when asked. No token reaches stderr, the
// extension's log (traced with bodies), traffic events, the client or the environment.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlServer, type GatewaySession } from '../../src/extension/control-server';
import { OAuthVault, type SecretStore } from '../../src/extension/auth/oauth-vault';
import type { SignInStateParams } from '../../src/shared/protocol';
import { connectSdk, eventually, realServer, textOf, writeConfig, type SdkSession } from './harness';
import { TestAuthorizationServer } from './oauth-authorization-server';

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

describe('process: OAuth sign-in under the VS Code extension (control link)', function () {
  this.timeout(60000);
  let as: TestAuthorizationServer;
  let control: ControlServer;
  let session: SdkSession;
  let configHome: string;
  let browserMarker: string;
  const secrets = new MemorySecrets();
  const extensionLog: string[] = [];
  const traffic: string[] = [];
  const states: SignInStateParams[] = [];
  let gatewaySession: GatewaySession | undefined;

  before(async () => {
    as = await new TestAuthorizationServer({ issInRedirect: 'right', advertiseIss: true }).start();
    const temp = mkdtempSync(path.join(tmpdir(), 'gatekit-vscode-oauth-'));
    configHome = path.join(temp, 'xdg');
    // A browser opener that leaves a mark: the gateway must not start one under the extension.
    const bin = path.join(temp, 'bin');
    browserMarker = path.join(temp, 'browser-opened');
    mkdirSync(bin);
    for (const opener of ['xdg-open', 'open']) {
      writeFileSync(path.join(bin, opener), `#!/bin/sh\necho "$@" > '${browserMarker}'\n`);
      chmodSync(path.join(bin, opener), 0o755);
    }
    control = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 100_000, log: (_l, m) => extensionLog.push(m), socketParentDir: temp, oauthVault: new OAuthVault(secrets, (m) => extensionLog.push(m)) });
    control.setTrace('verbose');
    control.onDidConnect((s) => (gatewaySession = s));
    control.onTraffic(({ params }) => traffic.push(JSON.stringify(params)));
    control.onSignInState(({ params }) => states.push(params));
    const config = writeConfig([
      { name: 'local', command: realServer('everything') },
      { name: 'remote', transport: 'http', url: as.url, oauth: {} } as never,
    ]);
    session = await connectSdk(config, {
      env: { XDG_CONFIG_HOME: configHome, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, GATEKIT_CONTROL_SOCKET: control.socketPath, GATEKIT_CONTROL_TOKEN: control.token },
    });
  });

  after(async () => {
    await session?.close();
    control?.dispose();
    await as?.stop();
  });

  const latest = (): SignInStateParams | undefined => states.filter((s) => s.server === 'remote').at(-1);

  it('reports "needs sign-in" with the link over the control link and opens no browser itself', async () => {
    await eventually(() => latest()?.state === 'needs-sign-in', 20000, 'needs-sign-in over the link');
    const state = latest()!;
    assert.equal(state.serverUrl, as.url);
    assert.ok(state.authorizationUrl?.startsWith(`${as.origin}/authorize?`));
    assert.equal(state.issuer?.replace(/\/$/, ''), as.issuer);
    assert.equal(gatewaySession?.signIns.get('remote')?.state, 'needs-sign-in');
    assert.ok(!existsSync(browserMarker), 'no browser was started by the gateway');
    const error = await session.client.callTool({ name: 'remote__whoami', arguments: {} }).then(
      (r) => JSON.stringify(r),
      (err: unknown) => (err as Error).message,
    );
    assert.match(error, /sign in: open http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
  });

  it('after the user signs in (the editor opened the link), stores the tokens in SecretStorage only and connects', async () => {
    const page = await fetch(latest()!.authorizationUrl!, { redirect: 'manual' });
    assert.equal(page.status, 302);
    assert.equal((await fetch(page.headers.get('location')!)).status, 200);
    await eventually(() => latest()?.state === 'signed-in', 20000, 'signed-in over the link');
    await eventually(async () => (await session.client.listTools()).tools.some((t) => t.name === 'remote__whoami'), 20000, 'the remote tools');
    assert.match(textOf(await session.client.callTool({ name: 'remote__whoami', arguments: {} })), /signed in with scope mcp:read/);
    const stored = [...secrets.values.values()].join('\n');
    assert.ok(as.issuedSecrets.some((t) => stored.includes(t)), 'SecretStorage holds the tokens');
    assert.ok(!existsSync(path.join(configHome, 'gatekit', 'oauth-tokens.json')), 'no token file was written');
  });

  it('refreshes an expired token through the store on the link', async () => {
    as.expireAccessTokens();
    assert.match(textOf(await session.client.callTool({ name: 'remote__whoami', arguments: {} })), /signed in/);
    assert.ok(as.count('token refresh_token') >= 1);
    const stored = [...secrets.values.values()].join('\n');
    assert.ok(as.issuedSecrets.at(-1) && stored.includes(as.issuedSecrets.at(-1)!), 'the refreshed token is stored');
  });

  it('signs out when the extension asks: the grant leaves SecretStorage and the server asks for sign-in again', async () => {
    const before = states.length;
    const results = await control.signOut('remote');
    assert.deepEqual(results.map((r) => r.result), [{ signedOut: true }]);
    const stored = [...secrets.values.values()].join('\n');
    for (const token of as.issuedSecrets) assert.ok(!stored.includes(token), 'no token is left after sign out');
    await eventually(() => states.slice(before).some((s) => s.server === 'remote' && s.state === 'needs-sign-in'), 20000, 'needs-sign-in after sign out');
    const error = await session.client.callTool({ name: 'remote__whoami', arguments: {} }).then(
      (r) => JSON.stringify(r),
      (err: unknown) => (err as Error).message,
    );
    assert.match(error, /sign in: open/);
    assert.match(textOf(await session.client.callTool({ name: 'local__echo', arguments: { message: 'still here' } })), /still here/);
  });

  it("uses a VS Code account's token the extension hands over (memory only), and asks for sign-in again when the server refuses one", async () => {
    // A token the authorization server still accepts stands in for the VS Code account's.
    const accountToken = as.issuedSecrets.at(-2)!;
    const before = states.length;
    assert.deepEqual((await control.useSessionToken('remote', accountToken)).map((r) => r.result), [{ used: true }]);
    await eventually(async () => (await session.client.listTools()).tools.some((t) => t.name === 'remote__whoami'), 20000, 'the remote tools with the account token');
    assert.match(textOf(await session.client.callTool({ name: 'remote__whoami', arguments: {} })), /signed in/);
    assert.ok(![...secrets.values.values()].join('\n').includes(accountToken), 'the account token is not stored');
    assert.ok(states.slice(before).some((s) => s.state === 'signed-in'));
    const refused = states.length;
    assert.deepEqual((await control.useSessionToken('remote', 'not-a-token-of-this-server')).map((r) => r.result), [{ used: true }]);
    await eventually(() => states.slice(refused).some((s) => s.state === 'needs-sign-in'), 20000, 'needs-sign-in after a refused account token');
  });

  it('never shows a token in stderr, the extension log, traffic events or the client', async () => {
    assert.ok(extensionLog.some((l) => l.includes('gatekit/oauth/')), 'the extension traced the OAuth messages (without bodies)');
    assert.ok(traffic.length > 0, 'traffic reached the extension');
    const outputs = { stderr: session.stderr.join('\n'), extensionLog: extensionLog.join('\n'), traffic: traffic.join('\n'), states: JSON.stringify(states), client: JSON.stringify(await session.client.listTools()) };
    for (const secret of as.issuedSecrets) {
      for (const [where, text] of Object.entries(outputs)) assert.ok(!text.includes(secret), `a token in ${where}`);
    }
  });
});

describe('process: two gateways of one VS Code window waiting for the same sign-in', function () {
  this.timeout(60000);
  let as: TestAuthorizationServer;
  let control: ControlServer;
  const sessions: SdkSession[] = [];
  const states: { pid: number; params: SignInStateParams }[] = [];

  before(async () => {
    as = await new TestAuthorizationServer({ issInRedirect: 'right', advertiseIss: true }).start();
    const temp = mkdtempSync(path.join(tmpdir(), 'gatekit-vscode-oauth2-'));
    control = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp, oauthVault: new OAuthVault(new MemorySecrets()) });
    control.onSignInState(({ session, params }) => states.push({ pid: session.identity.pid, params }));
    const config = writeConfig([{ name: 'remote', transport: 'http', url: as.url, oauth: { open_browser: false } } as never]);
    const env = { XDG_CONFIG_HOME: path.join(temp, 'xdg'), GATEKIT_CONTROL_SOCKET: control.socketPath, GATEKIT_CONTROL_TOKEN: control.token };
    sessions.push(await connectSdk(config, { env }));
    sessions.push(await connectSdk(config, { env }));
  });

  after(async () => {
    for (const session of sessions) await session.close();
    control?.dispose();
    await as?.stop();
  });

  it('connects both once the user completes the link of one of them', async () => {
    await eventually(() => new Set(states.filter((s) => s.params.state === 'needs-sign-in').map((s) => s.pid)).size === 2, 20000, 'both gateways ask for sign-in');
    const first = states.find((s) => s.params.state === 'needs-sign-in')!;
    const page = await fetch(first.params.authorizationUrl!, { redirect: 'manual' });
    assert.equal((await fetch(page.headers.get('location')!)).status, 200);
    for (const session of sessions) {
      await eventually(async () => (await session.client.listTools()).tools.some((t) => t.name === 'remote__whoami'), 20000, 'the remote tools in each gateway');
    }
    const pids = new Set(states.filter((s) => s.params.state === 'signed-in').map((s) => s.pid));
    assert.equal(pids.size, 2, 'both report signed in');
    assert.ok(!states.some((s) => s.params.state === 'failed'), 'the abandoned link is no failure');
    assert.equal(as.count('token authorization_code'), 1, 'one sign-in, one code exchange');
  });
});
