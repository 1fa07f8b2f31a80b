// Every tool the model sees is in the Servers view, and the tool budget (issue #16 items 4 and 12),
// against the real gateway and the real fixture server: a tool only a chat's server process offers
// is listed; past VS Code's 128 tools per request the view warns, and one click hides a server's
// tools (shown as hidden, not gone) and undoes it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ServersNode } from '../../src/extension/views/servers-view';
import { fixtureServer, gatekit, labelText, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor } from './helpers';

describe('the Servers view shows every tool the model gets, against the tool budget', () => {
  let extension: GatekitExtension;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
  });

  after(async () => {
    if (extension) await resetSettings(extension);
  });

  function toolLabels(server: string): string[] {
    return extension.serversView.getChildren({ kind: 'server', name: server }).map((n) => labelText(extension.serversView.getTreeItem(n)));
  }

  function toolNodes(server: string): Extract<ServersNode, { kind: 'tool' }>[] {
    return extension.serversView.getChildren({ kind: 'server', name: server }).filter((n): n is Extract<ServersNode, { kind: 'tool' }> => n.kind === 'tool');
  }

  describe('with a chat session whose server offers a tool the views gateway never saw', () => {
    let chat: { client: Client; stderr: () => string };

    before(async () => {
      await setUserSettings(extension, { upstreams: [fixtureServer(extension)] });
      const definition = extension.provider.definition();
      assert.ok(definition);
      chat = await startLikeVsCode(definition);
    });

    after(async () => {
      await chat?.client.close();
      await vscode.commands.executeCommand('gatekit.clearTraffic');
    });

    it('lists it, as the model sees it', async () => {
      await waitFor('fixture tools in the view', () => toolLabels('fixture').includes('echo'), stateEvents(extension), 30_000);
      assert.ok(!toolLabels('fixture').includes('extra_tool'));
      // change_tools adds extra_tool in the chat's server process only.
      await chat.client.callTool({ name: 'fixture__change_tools', arguments: {} });
      const seen = (await chat.client.listTools()).tools.map((t) => t.name);
      assert.ok(seen.includes('fixture__extra_tool'), 'the model gets it');
      await waitFor('extra_tool in the Servers view', () => toolLabels('fixture').includes('extra_tool'), stateEvents(extension), 30_000);
      for (const name of seen.filter((n) => n.startsWith('fixture__'))) assert.ok(toolLabels('fixture').includes(name.slice('fixture__'.length)), `${name} is in the view`);
    });
  });

  describe('past 128 tools', function () {
    // Three configuration changes, each applied by hot reload to a server of 148 tools.
    this.timeout(120_000);

    before(async () => {
      // 18 tools of its own and 130 more.
      await setUserSettings(extension, { upstreams: [fixtureServer(extension, 'fixture', '--tools', '130')] });
    });

    it('shows the count against the budget, warns, and hides a server\'s tools in one click, then undoes it', async () => {
      const over = await waitFor('the tool count in the view', () => {
        const budget = extension.toolBudget();
        return budget.exposed > 128 ? budget : undefined;
      }, stateEvents(extension), 30_000);
      assert.equal(over.limit, 128);
      assert.equal(extension.serversTree?.description, `${over.exposed}/128 tools`);
      const notice = extension.serversView.getChildren().find((n) => n.kind === 'notice' && /over VS Code's 128/.test(n.text));
      assert.ok(notice, 'a warning in the view');
      assert.ok(extension.attention.notifications.some((n) => /more than the 128 VS Code sends/.test(n.message) && n.actions.includes('Show Servers')), 'a warning notification');

      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideServerTools', { kind: 'server', name: 'fixture' }), true);
      const plugins = vscode.workspace.getConfiguration('gatekit').inspect<Record<string, Record<string, unknown[]>>>('plugins')?.globalValue;
      assert.deepEqual(plugins?.middleware?.fixture, [{ handler: 'tool_manager', config: { tools: [] } }]);
      await waitFor('every fixture tool hidden', () => {
        const nodes = toolNodes('fixture');
        return nodes.length > 130 && nodes.every((n) => n.tool.visibility === 'hidden');
      }, stateEvents(extension), 30_000);
      assert.equal(extension.toolBudget().exposed, 0);
      assert.ok(!extension.serversView.getChildren().some((n) => n.kind === 'notice' && /over VS Code's/.test(n.text)), 'the warning is gone');
      const hidden = extension.serversView.getTreeItem(toolNodes('fixture')[0]!);
      assert.equal((hidden.iconPath as vscode.ThemeIcon).id, 'eye-closed', 'hidden tools stay in the view, shown as hidden');

      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.showServerTools', 'fixture'), true);
      await waitFor('the tools back', () => extension.toolBudget().exposed > 128, stateEvents(extension), 30_000);
      assert.equal(vscode.workspace.getConfiguration('gatekit').inspect<Record<string, Record<string, unknown[]>>>('plugins')?.globalValue?.middleware?.fixture, undefined, 'the empty allowlist is gone');
    });

    it('refuses a server that is not configured', async () => {
      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideServerTools', '__proto__'), false);
      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideServerTools', { kind: 'server', name: 42 }), false);
    });
  });
});
