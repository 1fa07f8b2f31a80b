// Issue #17 in VS Code: the Servers view tells which servers run sandboxed and offers to sandbox one,
// and shows what each tool's definition costs in tokens, warning when a server's definitions alone
// pass gatekit.toolTokenWarning.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ServersNode } from '../../src/extension/views/servers-view';
import { gatekit, memoryServer, resetSettings, setUserSettings, stateEvents, waitFor } from './helpers';

describe('sandboxed servers and tool-definition tokens in the Servers view', function () {
  this.timeout(60_000);
  let extension: GatekitExtension;

  function serverItem(name: string): vscode.TreeItem | undefined {
    const node = extension.serversView.getChildren().find((n) => n.kind === 'server' && n.name === name);
    return node && extension.serversView.getTreeItem(node);
  }

  function toolItems(server: string): vscode.TreeItem[] {
    const node: ServersNode = { kind: 'server', name: server };
    return extension.serversView.getChildren(node).map((n) => extension.serversView.getTreeItem(n));
  }

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
  });

  after(async () => {
    await resetSettings(extension);
  });

  it('shows each visible tool’s token cost and warns when a server’s definitions pass the threshold', async () => {
    await setUserSettings(extension, { upstreams: [memoryServer(extension)] });
    const item = await waitFor('memory running with its tools and their token counts', () => {
      const candidate = serverItem('memory');
      return candidate && /^running · \d+ tools, ~[\d.]+k? tokens$/.test(String(candidate.description)) ? candidate : undefined;
    }, stateEvents(extension), 30_000);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled', 'under the default threshold: no warning');
    const tools = toolItems('memory');
    assert.ok(tools.length > 3);
    assert.ok(tools.every((t) => /~[\d.]+k? tokens/.test(String(t.description))), 'every visible tool says what it costs');

    await setUserSettings(extension, { toolTokenWarning: 50 });
    const warned = await waitFor('the warning past 50 tokens', () => {
      const candidate = serverItem('memory');
      return candidate && (candidate.iconPath as vscode.ThemeIcon).id === 'warning' ? candidate : undefined;
    }, stateEvents(extension), 10_000);
    assert.match((warned.tooltip as vscode.MarkdownString).value, /gatekit\.toolTokenWarning/);
    await setUserSettings(extension, { toolTokenWarning: 0 });
    assert.equal((serverItem('memory')!.iconPath as vscode.ThemeIcon).id, 'pass-filled', '0 turns the warning off');
  });

  it('sandboxes a server from its menu: the setting gains sandbox.enabled and the view says sandboxed', async () => {
    await setUserSettings(extension, { upstreams: [memoryServer(extension)] });
    const before = await waitFor('memory listed', () => serverItem('memory'), stateEvents(extension), 30_000);
    assert.doesNotMatch(String(before.contextValue), /sandboxed/);
    assert.doesNotMatch(String(before.description), /sandboxed/);

    const outcome = await vscode.commands.executeCommand<{ changed: string }>('gatekit.sandboxServer', { kind: 'server', name: 'memory' });
    assert.equal(outcome.changed, 'settings');
    const upstreams = vscode.workspace.getConfiguration('gatekit').inspect<Record<string, unknown>[]>('upstreams')?.globalValue ?? [];
    assert.deepEqual(upstreams[0]!.sandbox, { enabled: true, paths: [], network: true });
    assert.ok(extension.attention.notifications.some((n) => /memory now runs sandboxed/.test(n.message)));

    await extension.settings.refresh();
    // Sandboxed whether or not this machine has an engine: without one the server fails closed, and says so.
    const after = await waitFor('memory marked sandboxed', () => {
      const candidate = serverItem('memory');
      return candidate && /sandboxed/.test(String(candidate.description)) ? candidate : undefined;
    }, stateEvents(extension), 30_000);
    assert.match(String(after.contextValue), /\.sandboxed$/, 'the menu no longer offers to sandbox it');
    assert.match((after.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /operating system sandbox/);

    const unknown = await vscode.commands.executeCommand<{ changed: string }>('gatekit.sandboxServer', 'no-such-server');
    assert.equal(unknown.changed, 'unknown');
  });
});
