// Signing in to a remote server in the real VS Code host: a remote upstream behind the in-process
// authorization server of the OAuth process tests (test/process/oauth-authorization-server.ts).
// The views gateway reports that it needs sign-in; the Servers view shows the URL, the state and
// the Sign in action; Sign in opens the page with vscode.env.openExternal; the test plays the
// browser; the tokens land in SecretStorage; Sign out deletes them and the server needs sign-in again.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ServersNode } from '../../src/extension/views/servers-view';
import { TestAuthorizationServer } from '../process/oauth-authorization-server';
import { gatekit, resetSettings, setUserSettings, stateEvents, waitFor } from './helpers';

const SERVER = 'signin-remote';

describe('sign-in of a remote server (OAuth) in the Servers view', function () {
  this.timeout(120_000);
  let extension: GatekitExtension;
  let as: TestAuthorizationServer;
  const opened: string[] = [];
  let restoreOpenExternal: (() => void) | undefined;

  const serverItem = (): vscode.TreeItem | undefined => {
    const node = extension.serversView.getChildren().find((n): n is Extract<ServersNode, { kind: 'server' }> => n.kind === 'server' && n.name === SERVER);
    return node ? extension.serversView.getTreeItem(node) : undefined;
  };
  // The hover renders server text literally: every punctuation mark is escaped in its markdown.
  const tooltipText = (item: vscode.TreeItem): string => (typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '')).replace(/\\(.)/g, '$1');
  const events = (): ReturnType<typeof stateEvents> => [...stateEvents(extension), (l) => extension.controlServer.onSignInState(l)];

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    as = await new TestAuthorizationServer({ issInRedirect: 'right', advertiseIss: true }).start();
    // The browser of this test: what the extension asks VS Code to open is recorded, not opened
    // (vscode.env may be patched while tests run).
    const env = vscode.env as { openExternal: typeof vscode.env.openExternal };
    const original = env.openExternal;
    env.openExternal = async (target: vscode.Uri | string) => {
      opened.push(typeof target === 'string' ? target : target.toString());
      return true;
    };
    restoreOpenExternal = () => (env.openExternal = original);
    await setUserSettings(extension, { upstreams: [{ name: SERVER, type: 'http', url: as.url, oauth: {} }] });
  });

  after(async () => {
    restoreOpenExternal?.();
    if (extension) await resetSettings(extension);
    await as?.stop();
  });

  it('shows the URL, "needs sign-in" and the Sign in action once the gateway asks for it', async () => {
    const item = await waitFor('needs sign-in on the server', () => {
      const candidate = serverItem();
      return candidate && String(candidate.description).includes('needs sign-in') ? candidate : undefined;
    }, events(), 60_000);
    assert.match(String(item.contextValue), /signIn-needed/);
    assert.ok(String(item.description).includes(new URL(as.url).host), `the host on the line: ${String(item.description)}`);
    assert.ok(tooltipText(item).includes(as.url), 'the URL in the tooltip');
    assert.equal(extension.signIns.stateOf(SERVER)?.state, 'needs-sign-in');
  });

  it('opens the sign-in page with openExternal on Sign in, and shows "signed in" after the browser came back', async () => {
    const link = extension.signIns.stateOf(SERVER)?.authorizationUrl ?? '';
    assert.ok(link.startsWith(`${as.origin}/authorize?`), link);
    await vscode.commands.executeCommand('gatekit.signIn', SERVER);
    assert.deepEqual(opened, [link]);
    // The browser: the authorization server redirects to the gateway's loopback listener.
    const page = await fetch(link, { redirect: 'manual' });
    assert.equal(page.status, 302);
    assert.equal((await fetch(page.headers.get('location')!)).status, 200);
    const item = await waitFor('signed in and running', () => {
      const candidate = serverItem();
      return candidate && /signed in/.test(String(candidate.description)) && /running/.test(String(candidate.description)) ? candidate : undefined;
    }, events(), 60_000);
    assert.match(String(item.contextValue), /signIn-ok/);
    const vault = extension.controlServer.oauthVault!;
    const issuers = await vault.list();
    const record = await vault.read(issuers.find((i) => i.replace(/\/$/, '') === as.issuer));
    assert.ok(record && Object.keys(record.grants).includes(as.url), 'the tokens are in SecretStorage');
  });

  it('signs out: the tokens leave SecretStorage and the server needs sign-in again', async () => {
    await vscode.commands.executeCommand('gatekit.signOut', SERVER);
    await waitFor('needs sign-in after Sign out', () => /needs sign-in/.test(String(serverItem()?.description)), events(), 60_000);
    const vault = extension.controlServer.oauthVault!;
    for (const issuer of await vault.list()) {
      const record = await vault.read(issuer);
      assert.ok(!record || !Object.keys(record.grants).includes(as.url), 'no grant left for the server');
    }
    const stored = JSON.stringify(await Promise.all((await vault.list()).map((i) => vault.read(i))));
    for (const secret of as.issuedSecrets) assert.ok(!stored.includes(secret), 'no token left');
  });
});
