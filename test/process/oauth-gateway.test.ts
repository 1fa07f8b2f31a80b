// OAuth sign-in end to end through the built gateway: a remote upstream behind an in-process
// authorization server beside a local stdio server. The test plays the user's browser by opening
// the link the gateway prints. Until signed in, calls for the remote server fail with that link and
// the local server keeps working; after sign-in the remote server's tools appear without a restart.
// No token ever reaches stderr, the audit log, the client or the token file's neighbours.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectSdk, eventually, realServer, textOf, writeConfig, type SdkSession } from './harness';
import { TestAuthorizationServer } from './oauth-authorization-server';

describe('process: OAuth sign-in for a remote upstream', function () {
  this.timeout(60000);
  let as: TestAuthorizationServer;
  let session: SdkSession;
  let configHome: string;
  let auditFile: string;
  const clientSaw: string[] = [];

  before(async () => {
    as = await new TestAuthorizationServer({ issInRedirect: 'right', advertiseIss: true }).start();
    configHome = mkdtempSync(path.join(tmpdir(), 'gatekit-xdg-'));
    const config = writeConfig(
      [
        { name: 'local', command: realServer('everything') },
        { name: 'remote', transport: 'http', url: as.url, oauth: { open_browser: false } } as never,
      ],
      { plugins: { auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: 'audit.jsonl' } }] } } },
    );
    auditFile = path.join(path.dirname(config), 'audit.jsonl');
    session = await connectSdk(config, { env: { XDG_CONFIG_HOME: configHome } });
    session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void clientSaw.push('tools/list_changed'));
  });

  after(async () => {
    await session?.close();
    await as?.stop();
  });

  const signInLink = (): string | undefined => session.stderr.map((l) => /\[remote\] sign in: open (\S+)/.exec(l)?.[1]).find(Boolean);

  it('prints the sign-in link on stderr and answers calls for the remote server with it', async () => {
    await eventually(() => signInLink() !== undefined, 20000, 'the sign-in link on stderr');
    const link = signInLink()!;
    assert.ok(link.startsWith(`${as.origin}/authorize?`));
    const error = await session.client.callTool({ name: 'remote__whoami', arguments: {} }).then(
      (r) => JSON.stringify(r),
      (err: unknown) => (err as Error).message,
    );
    assert.match(error, /sign in: open http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
  });

  it('keeps serving the other servers while the remote one waits for sign-in', async () => {
    const result = await session.client.callTool({ name: 'local__echo', arguments: { message: 'still here' } });
    assert.match(textOf(result), /still here/);
  });

  it('connects the remote server after sign-in without a gateway restart', async () => {
    const page = await fetch(signInLink()!, { redirect: 'manual' });
    assert.equal(page.status, 302);
    const landed = await fetch(page.headers.get('location')!);
    assert.equal(landed.status, 200);
    await eventually(async () => (await session.client.listTools()).tools.some((t) => t.name === 'remote__whoami'), 20000, 'the remote tools after sign-in');
    assert.match(textOf(await session.client.callTool({ name: 'remote__whoami', arguments: {} })), /signed in with scope mcp:read/);
  });

  it('refreshes an expired token transparently', async () => {
    as.expireAccessTokens();
    assert.match(textOf(await session.client.callTool({ name: 'remote__whoami', arguments: {} })), /signed in/);
    assert.ok(as.count('token refresh_token') >= 1);
  });

  it('keeps the tokens in an owner-only file under XDG_CONFIG_HOME/gatekit and never shows them anywhere else', async () => {
    const tokenFile = path.join(configHome, 'gatekit', 'oauth-tokens.json');
    if (process.platform !== 'win32') assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const stored = readFileSync(tokenFile, 'utf8');
    assert.ok(as.issuedSecrets.some((t) => stored.includes(t)), 'the token file holds the tokens');
    await eventually(() => readdirSync(path.dirname(auditFile)).includes('audit.jsonl'), 10000, 'the audit file');
    const outputs = { stderr: session.stderr.join('\n'), audit: readFileSync(auditFile, 'utf8'), client: JSON.stringify(await session.client.listTools()) };
    for (const secret of as.issuedSecrets) {
      for (const [where, text] of Object.entries(outputs)) assert.ok(!text.includes(secret), `a token in ${where}`);
    }
  });
});
