// A changed tool definition against the real gateway and the real fixture server (issue #16 items 1
// and 2): it is announced (notification with Review / Keep blocked), counted in the Servers view's
// badge, turns its server and the status bar into warnings and appears in the Problems panel; its
// review shows the whole change with added text marked and invisible characters as escapes, keeps
// it blocked by default, and approving updates the views at once.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ServersNode } from '../../src/extension/views/servers-view';
import type { ToolReview } from '../../src/extension/views/tool-review-panel';
import { fixtureServer, gatekit, labelText, resetSettings, setUserSettings, startChatGateway, stateEvents, waitFor } from './helpers';

describe('a changed tool definition needs the user (alert, badge, Problems, review)', () => {
  let extension: GatekitExtension;
  let chat: { client: Client; stderr: () => string };
  let pinDir: string;
  // A zero-width space in the description: the review must show it.
  const description = 'Echoes the given\u200B text back.';

  before(async () => {
    extension = await gatekit();
    pinDir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-attention-pins-'));
    await resetSettings(extension);
    await setUserSettings(extension, {
      upstreams: [fixtureServer(extension, 'fixture', '--mutate-description', '--description', description)],
      plugins: { security: { _global: [{ handler: 'tool_pinning', config: { lockfile: path.join(pinDir, 'pins.json') } }] } },
    });
    chat = await startChatGateway(extension);
  });

  after(async () => {
    await chat?.client.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('gatekit.clearTraffic');
    if (extension) await resetSettings(extension);
    rmSync(pinDir, { recursive: true, force: true });
  });

  function badge(): vscode.ViewBadge | undefined {
    return extension.serversTree?.badge;
  }

  function serverItem(): vscode.TreeItem {
    return extension.serversView.getTreeItem({ kind: 'server', name: 'fixture' });
  }

  function echoNode(): Extract<ServersNode, { kind: 'tool' }> | undefined {
    return extension.serversView.getChildren({ kind: 'server', name: 'fixture' }).find((n): n is Extract<ServersNode, { kind: 'tool' }> => n.kind === 'tool' && n.tool.name === 'echo');
  }

  function gatekitDiagnostics(): [vscode.Uri, vscode.Diagnostic][] {
    return vscode.languages.getDiagnostics().flatMap(([uri, list]) => list.filter((d) => d.source === 'Gatekit').map((d): [vscode.Uri, vscode.Diagnostic] => [uri, d]));
  }

  it('announces the change, counts it in the badge, warns on the server and the status bar, and lists it in Problems', async () => {
    const before = (await chat.client.listTools()).tools.map((t) => t.name);
    assert.ok(before.includes('fixture__echo'), `first use pins echo; gateway stderr: ${chat.stderr()}`);
    assert.equal(badge(), undefined, 'nothing needs attention yet');
    assert.doesNotMatch(extension.statusBar.text, /review/);

    await chat.client.callTool({ name: 'fixture__change_tools', arguments: {} });
    await chat.client.listTools();
    await waitFor('echo waiting for review', () => extension.attention.find('fixture', 'echo'), stateEvents(extension), 30_000);

    const notification = extension.attention.notifications.find((n) => n.message.includes('fixture__echo'));
    assert.ok(notification, `a notification names the tool; shown: ${JSON.stringify(extension.attention.notifications)}`);
    assert.deepEqual(notification.actions, ['Review', 'Keep blocked']);
    assert.match(notification.message, /changed since you approved it/);

    assert.equal(badge()?.value, 1);
    assert.match(badge()?.tooltip ?? '', /1 tool definition to review/);

    const server = serverItem();
    assert.equal((server.iconPath as vscode.ThemeIcon).id, 'warning', 'the server is a warning, not a green check');
    assert.match(String(server.description), /^1 to review/);
    assert.equal(server.contextValue, 'server.pinChanged');

    assert.match(extension.statusBar.text, /\$\(warning\).*1 to review/);
    assert.equal((extension.statusBar.backgroundColor as vscode.ThemeColor | undefined)?.id, 'statusBarItem.warningBackground');
    assert.equal(extension.statusBar.command, 'gatekit.reviewToolChange');

    const node = echoNode();
    assert.ok(node, 'the changed tool is in the tree');
    const item = extension.serversView.getTreeItem(node);
    assert.equal(item.command?.command, 'gatekit.reviewToolChange', 'clicking the tool opens its review');

    const [entry] = gatekitDiagnostics();
    assert.ok(entry, 'a Problems entry');
    const [uri, diagnostic] = entry;
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(diagnostic.message, /fixture__echo: the definition changed/);
    // Shown, so the workbench holds the document the code-action request is about.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
    // The workbench cancels a code-action request when the editor it concerns changes under it (the
    // preview opening); asked again, it answers. Anything but a cancellation fails at once.
    let fixes: vscode.CodeAction[];
    for (let attempt = 1; ; attempt++) {
      try {
        fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
        break;
      } catch (error) {
        if (attempt >= 5 || !/Canceled/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    const fix = fixes.find((a) => a.title === 'Review fixture__echo');
    assert.ok(fix, `a quick fix opens the review; offered: ${fixes.map((a) => a.title).join(', ')}`);
    assert.equal(fix.command?.command, 'gatekit.reviewToolChange');
  });

  it('reviews without approving: the whole change marked, invisible characters escaped, Keep blocked the default', async () => {
    const node = echoNode();
    assert.ok(node);
    // Approve Tool Changes on a tool (as its menu runs it) only opens the review.
    assert.equal(await vscode.commands.executeCommand<number>('gatekit.approveToolChanges', node), 0);
    const review = extension.reviews?.get('fixture', 'echo');
    assert.ok(review, 'the review is open');
    assert.ok(review.panel.visible || review.panel.active, 'the review is shown');
    const html = review.panel.webview.html;
    assert.match(html, /<ins>[^<]*\(changed\)/, 'the added text is marked');
    assert.match(html, /<span class="hidden-char"[^>]*>\\u\{200B\}<\/span>/, 'the zero-width space is shown as an escape');
    assert.match(html, /white-space: pre-wrap/, 'long text wraps');
    const keep = html.indexOf('id="keep"');
    const approve = html.indexOf('id="approve"');
    assert.ok(keep > 0 && approve > keep, 'Keep blocked comes first');
    assert.match(html, /<button id="keep"[^>]*autofocus/, 'Keep blocked has the focus');
    assert.doesNotMatch(html, /<button id="approve"[^>]*autofocus/);

    await review.handleMessage({ type: 'keepBlocked' });
    assert.equal(review.outcome, 'keptBlocked');
    assert.equal(extension.reviews?.get('fixture', 'echo'), undefined, 'the review closed');
    assert.ok(extension.attention.find('fixture', 'echo'), 'still waiting for review');
    assert.ok(!(await chat.client.listTools()).tools.some((t) => t.name === 'fixture__echo'), 'still withheld from the model');
  });

  it('approving from the review updates the tree, the badge, the status bar and Problems at once', async () => {
    const review = await vscode.commands.executeCommand<ToolReview>('gatekit.reviewToolChange', { server: 'fixture', tool: 'echo' });
    assert.ok(review);
    await review.handleMessage({ type: 'approve' });
    assert.equal(review.outcome, 'approved');
    // No waiting: the views show the result of the approval right away.
    const node = echoNode();
    assert.ok(node);
    const item = extension.serversView.getTreeItem(node);
    assert.doesNotMatch(String(item.description), /refused/);
    assert.equal(item.contextValue, 'tool.visible');
    assert.equal(labelText(item), 'echo');
    assert.equal(badge(), undefined);
    assert.doesNotMatch(extension.statusBar.text, /review/);
    assert.deepEqual(gatekitDiagnostics(), []);
    assert.ok((await chat.client.listTools()).tools.some((t) => t.name === 'fixture__echo'), `approved: listed again; gateway stderr: ${chat.stderr()}`);
  });
});
