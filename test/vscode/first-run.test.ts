// First run (issue #16 item 11): the welcome text is plain text with links (VS Code renders no other
// Markdown there), a walkthrough leads from import to protections to traffic, and servers of the
// workspace's .vscode/mcp.json that bypass Gatekit are noticed, offered for import, and keep
// warning for as long as any is left there.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ImportResult } from '../../src/extension/mcp-import';
import { EXTENSION_ID, gatekit, resetSettings, waitFor, workspaceFolder } from './helpers';

describe('first run', () => {
  let extension: GatekitExtension;
  const manifest = (): { contributes: { viewsWelcome: { contents: string }[]; walkthroughs: { id: string; steps: { id: string; media: { markdown?: string } }[] }[] } } =>
    vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
  });

  after(async () => {
    if (extension) await resetSettings(extension);
  });

  it('writes the welcome text as VS Code renders it: links, no other Markdown', () => {
    for (const { contents } of manifest().contributes.viewsWelcome) {
      const withoutLinks = contents.replace(/\[[^\]]+\]\([^)]+\)/g, '');
      assert.doesNotMatch(withoutLinks, /\*\*|`|__|^#/m, contents);
    }
  });

  it('contributes a walkthrough from import to protections to traffic, which opens', async () => {
    const [walkthrough] = manifest().contributes.walkthroughs;
    assert.ok(walkthrough);
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['import', 'protect', 'traffic']);
    for (const step of walkthrough.steps) assert.ok(existsSync(path.join(extension.context.extensionPath, step.media.markdown!)), step.media.markdown);
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${walkthrough.id}`, false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('notices servers of .vscode/mcp.json that bypass Gatekit, and keeps warning while any is left', async () => {
    const mcpJson = path.join(workspaceFolder(), '.vscode', 'mcp.json');
    const found = await extension.bypass.scan();
    assert.deepEqual(found.map((f) => f.servers), [['Memory Server', 'remote']]);
    assert.ok(extension.bypass.offers.some((o) => /2 MCP servers in .*mcp\.json bypass Gatekit/.test(o)), `offered: ${extension.bypass.offers.join(' | ')}`);
    const notice = (): Extract<ReturnType<typeof extension.serversView.getChildren>[number], { kind: 'notice' }> | undefined =>
      extension.serversView.getChildren().find((n): n is Extract<typeof n, { kind: 'notice' }> => n.kind === 'notice' && /bypass/.test(n.text));
    // Nothing configured yet: the view stays empty, so VS Code shows the welcome with its Import button.
    assert.deepEqual(extension.serversView.getChildren(), []);

    const result = await vscode.commands.executeCommand<ImportResult>('gatekit.importMcpJson', { file: mcpJson, servers: ['Memory Server'], move: true, inputs: { 'memory-token': 'x' } });
    try {
      assert.deepEqual(result.imported, ['memory-server']);
      const said = extension.attention.notifications.find((n) => n.message.startsWith('Gatekit now runs memory-server'));
      assert.ok(said, 'the import says what it did');
      assert.deepEqual(said.actions, ['Undo', 'Show Servers']);
      // The file watcher sees the edit; the http server is still outside Gatekit.
      await waitFor('one server left bypassing', () => /^1 server in .*bypasses Gatekit/.test(notice()?.text ?? ''), [(l) => extension.bypass.onDidChange(l)]);
      assert.equal(extension.serversView.getTreeItem(notice()!).command?.command, 'gatekit.importMcpJson', 'a click imports');
    } finally {
      await vscode.commands.executeCommand('gatekit.restoreMcpJson', { file: mcpJson });
    }
    assert.ok(extension.attention.notifications.some((n) => /^Memory Server is back in mcp\.json and bypasses Gatekit/.test(n.message)), 'the restore says the server bypasses Gatekit now');
    await waitFor('both bypassing again', () => extension.bypass.bypassing[0]?.servers.length === 2, [(l) => extension.bypass.onDidChange(l)]);
  });
});
