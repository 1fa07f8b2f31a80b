// The views' context actions against the real gateway: Hide Tool / Allow Tool (tool_manager settings,
// carried to the running views gateway by hot reload), the JSON diff the review of a changed tool opens, approving a changed tool
// definition, and Copy as JSON of an exchange.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatewaySession } from '../../src/extension/control-server';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import { allowTool, hideTool, isToolAllowed } from '../../src/extension/tool-allowlist';
import type { ServersNode } from '../../src/extension/views/servers-view';
import type { ToolReview } from '../../src/extension/views/tool-review-panel';
import { TOOL_DEFINITION_SCHEME } from '../../src/extension/views/tool-definition-document';
import { renderEntry } from '../../src/extension/views/traffic-document';
import type { TrafficNode } from '../../src/extension/views/traffic-view';
import type { ToolInventoryEntry } from '../../src/shared/protocol';
import { fixtureServer, gatekit, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor, configVersionOf } from './helpers';

describe('tool_manager allowlist edits (Hide Tool / Allow Tool)', () => {
  const known = ['echo', 'whoami', 'slow'];

  it('hides a tool of a server without an allowlist through the hidden list, not an allowlist of the others', () => {
    const auditing = { handler: 'call_trace' };
    assert.deepEqual(hideTool([auditing], 'slow'), [auditing, { handler: 'tool_manager', config: { hidden: ['slow'] } }]);
    assert.deepEqual(hideTool(undefined, 'echo'), [{ handler: 'tool_manager', config: { hidden: ['echo'] } }]);
  });

  it('takes every name of the tool out of an existing allowlist, keeping the rest of the entry', () => {
    const list = [{ handler: 'tool_manager', config: { priority: 10, tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'echo', display_name: 'shout' }, { tool: 'whoami' }] } }];
    assert.deepEqual(hideTool(list, 'echo'), [{ handler: 'tool_manager', config: { priority: 10, tools: [{ tool: 'whoami' }] } }]);
    assert.equal(hideTool(list, 'slow'), undefined, 'slow is hidden already');
    assert.equal(list[0]!.config.tools.length, 3, 'the input is not changed');
  });

  it('switches a disabled entry on (with the hidden list only) rather than adding a second one', () => {
    const list = [{ handler: 'tool_manager', config: { enabled: false, critical: false, tools: [{ tool: 'echo', display_name: 'say' }] } }];
    assert.deepEqual(hideTool(list, 'whoami'), [{ handler: 'tool_manager', config: { critical: false, hidden: ['whoami'] } }]);
    assert.equal(allowTool(list, 'whoami', known), undefined, 'a disabled allowlist hides nothing');
  });

  it('adds a tool back, and drops the allowlist once it would filter nothing', () => {
    const list = [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo' }] } }];
    const once = allowTool(list, 'whoami', known);
    assert.deepEqual(once, [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo' }, { tool: 'whoami' }] } }]);
    assert.ok(isToolAllowed(once, 'whoami') && !isToolAllowed(once, 'slow'));
    assert.deepEqual(allowTool(once, 'slow', known), [], 'every known tool allowed under its own name: no allowlist needed');
    assert.equal(allowTool(once, 'echo', known), undefined, 'echo is allowed already');
    assert.equal(allowTool([], 'echo', known), undefined, 'no allowlist, nothing hidden');
  });

  it('keeps a complete allowlist that still renames or redescribes', () => {
    const list = [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'whoami' }] } }];
    assert.deepEqual(allowTool(list, 'slow', known), [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'whoami' }, { tool: 'slow' }] } }]);
  });
});

describe('context actions of the views, against the real gateway', function () {
  this.timeout(60_000);
  let extension: GatekitExtension;

  function viewsSession(): GatewaySession | undefined {
    const pid = extension.hostGateway.pid;
    return extension.sessions().find((s) => s.identity.mode === 'control-only' && s.identity.pid === pid);
  }

  function fixtureNode(): ServersNode {
    const node = extension.serversView.getChildren().find((n) => n.kind === 'server' && n.name === 'fixture');
    assert.ok(node, 'fixture is not in the Servers view');
    return node;
  }

  /** The Servers view's tool nodes of `fixture` with their items, by upstream tool name. */
  function fixtureTools(): Map<string, { node: ServersNode; item: vscode.TreeItem }> {
    return new Map(
      extension.serversView
        .getChildren(fixtureNode())
        .filter((n): n is Extract<ServersNode, { kind: 'tool' }> => n.kind === 'tool')
        .map((node) => [node.tool.name, { node, item: extension.serversView.getTreeItem(node) }]),
    );
  }

  /** Waits until the Servers view shows `tool` of fixture with the given contextValue. */
  function waitForTool(tool: string, contextValue: string): Promise<Map<string, { node: ServersNode; item: vscode.TreeItem }>> {
    return waitFor(`fixture's ${tool} as ${contextValue} in the Servers view`, () => {
      const tools = fixtureTools();
      return tools.get(tool)?.item.contextValue === contextValue ? tools : undefined;
    }, stateEvents(extension), 30_000);
  }

  function pluginsAt(): { user: unknown; workspace: unknown } {
    const inspected = vscode.workspace.getConfiguration('gatekit').inspect('plugins');
    return { user: inspected?.globalValue, workspace: inspected?.workspaceValue };
  }

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Later test files look for their own chat session's traffic.
    await vscode.commands.executeCommand('gatekit.clearTraffic');
    if (extension) await resetSettings(extension);
  });

  describe('Hide Tool and Allow Tool', () => {
    let views: GatewaySession;
    let exits = 0;
    let exitSubscription: vscode.Disposable | undefined;

    /** The change reached the views gateway by hot reload: same process, same control connection. */
    function assertSameViewsGateway(): void {
      assert.equal(exits, 0, 'the views gateway exited');
      assert.equal(viewsSession(), views, 'the views gateway was restarted or reconnected');
    }

    before(async () => {
      await setUserSettings(extension, { upstreams: [fixtureServer(extension)] });
      views = await waitFor('the views gateway with fixture running and its tools', () => {
        const session = viewsSession();
        return session?.servers.some((s) => s.name === 'fixture' && s.state === 'running') && (session.inventories.get('fixture')?.length ?? 0) > 0 ? session : undefined;
      }, stateEvents(extension), 30_000);
      exitSubscription = extension.hostGateway.onDidExit(() => exits++);
    });

    after(() => exitSubscription?.dispose());

    it('hides a visible tool through the tool_manager hidden list in the user settings, then allows it again', async () => {
      const before = await waitForTool('slow', 'tool.visible');
      const known = [...before.keys()];
      assert.ok(known.length > 3 && [...before.values()].every((t) => t.item.contextValue === 'tool.visible'), 'no policy yet');

      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideTool', before.get('slow')!.node), true);
      const written = pluginsAt();
      assert.equal(written.workspace, undefined, 'gatekit.plugins is not set in the workspace, so the user level gets it');
      assert.deepEqual(written.user, { middleware: { fixture: [{ handler: 'tool_manager', config: { hidden: ['slow'] } }] } }, 'one tool hidden, no allowlist of the others frozen');

      const hidden = await waitForTool('slow', 'tool.hidden');
      assert.equal((hidden.get('slow')!.item.iconPath as vscode.ThemeIcon).id, 'eye-closed');
      assert.ok([...hidden].filter(([name]) => name !== 'slow').every(([, t]) => t.item.contextValue === 'tool.visible'), 'the other tools stay visible');
      const server = extension.serversView.getTreeItem(fixtureNode());
      assert.match(String(server.description), new RegExp(`^running · ${known.length - 1} tools, 1 hidden, ~[\\d.]+k? tokens$`), 'the tools the model sees, and what their definitions cost');
      assertSameViewsGateway();

      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.allowTool', hidden.get('slow')!.node), true);
      assert.deepEqual(pluginsAt(), { user: undefined, workspace: undefined }, 'allowing every tool again leaves no allowlist behind');
      const allowed = await waitForTool('slow', 'tool.visible');
      assert.ok([...allowed.values()].every((t) => t.item.contextValue === 'tool.visible'));
      assert.match(String(extension.serversView.getTreeItem(fixtureNode()).description), new RegExp(`^running · ${known.length} tools, ~[\\d.]+k? tokens$`));
      assertSameViewsGateway();
    });

    it('edits gatekit.plugins where the workspace defines it, keeping display names and the user level', async () => {
      const config = vscode.workspace.getConfiguration('gatekit');
      const userPlugins = { security: { fixture: [{ handler: 'basic_secrets_filter' }] } };
      await config.update('plugins', userPlugins, vscode.ConfigurationTarget.Global);
      await config.update('plugins', { middleware: { fixture: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'whoami' }] } }] } }, vscode.ConfigurationTarget.Workspace);
      await extension.settings.refresh();
      assert.equal(extension.settings.effective.state, 'ready', JSON.stringify(extension.settings.effective.problems));
      const start = await waitForTool('slow', 'tool.hidden');
      assert.equal(start.get('echo')!.item.contextValue, 'tool.renamed');

      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.allowTool', start.get('slow')!.node), true);
      assert.deepEqual(pluginsAt(), {
        user: userPlugins,
        workspace: { middleware: { fixture: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'whoami' }, { tool: 'slow' }] } }] } },
      });
      const allowed = await waitForTool('slow', 'tool.visible');
      assert.equal(allowed.get('echo')!.item.label, 'say', 'the display name stays');

      // A renamed tool can be hidden too: every name it is shown under goes.
      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideTool', allowed.get('echo')!.node), true);
      assert.deepEqual(pluginsAt().workspace, { middleware: { fixture: [{ handler: 'tool_manager', config: { tools: [{ tool: 'whoami' }, { tool: 'slow' }] } }] } });
      const hidden = await waitForTool('echo', 'tool.hidden');
      assert.equal(hidden.get('echo')!.item.label, 'echo');
      assert.equal(hidden.get('slow')!.item.contextValue, 'tool.visible');
      assertSameViewsGateway();

      // The command refuses a tool the server does not offer instead of guessing an allowlist.
      assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideTool', { server: 'fixture', tool: 'no_such_tool' }), false);
    });
  });

  describe('with a chat session: approve after a diff, copy as JSON', () => {
    let chat: { client: Client; stderr: () => string };
    let session: GatewaySession;
    let pinDir: string;

    before(async () => {
      pinDir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-context-pins-'));
      await resetSettings(extension);
      await setUserSettings(extension, {
        upstreams: [fixtureServer(extension, 'fixture', '--mutate-description')],
        plugins: { security: { _global: [{ handler: 'tool_pinning', config: { lockfile: path.join(pinDir, 'pins.json') } }] } },
      });
      assert.equal(extension.settings.effective.state, 'ready', JSON.stringify(extension.settings.effective.problems));
      const definition = extension.provider.definition();
      assert.ok(definition);
      chat = await startLikeVsCode(definition);
      session = await waitFor(
        'the chat gateway on the control link',
        () => extension.sessions().find((s) => s.identity.mode === 'stdio' && s.identity.startedByExtension && s.identity.configVersion === configVersionOf(definition)),
        stateEvents(extension),
      );
    });

    after(async () => {
      await chat?.client.close();
      rmSync(pinDir, { recursive: true, force: true });
    });

    async function toolNames(): Promise<string[]> {
      return (await chat.client.listTools()).tools.map((t) => t.name);
    }

    it('shows the approved and the offered definition side by side, then approves', async () => {
      assert.ok((await toolNames()).includes('fixture__echo'), `first use pins echo; gateway stderr: ${chat.stderr()}`);
      await chat.client.callTool({ name: 'fixture__change_tools', arguments: {} });
      assert.ok(!(await toolNames()).includes('fixture__echo'), 'the changed definition is withheld');
      const echo = await waitFor('echo reported changed, with both definitions', () => {
        const entry = session.inventories.get('fixture')?.find((t) => t.name === 'echo');
        return entry?.pin === 'changed' && entry.pinnedDefinition && entry.currentDefinition ? entry : undefined;
      }, stateEvents(extension), 30_000);

      const node: ServersNode = { kind: 'tool', server: 'fixture', tool: echo };
      assert.equal(extension.serversView.getTreeItem(node).contextValue, 'tool.blocked.pinChanged');
      const review = await vscode.commands.executeCommand<ToolReview>('gatekit.reviewToolChange', node);
      assert.ok(review, 'the review opens');
      await review.handleMessage({ type: 'jsonDiff' });

      const diff = await waitFor('the diff editor of the two definitions', () => {
        const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.original.scheme === TOOL_DEFINITION_SCHEME);
        return tab ? { tab, input: tab.input as vscode.TabInputTextDiff } : undefined;
      }, [(l) => vscode.window.tabGroups.onDidChangeTabs(l)]);
      assert.match(diff.tab.label, /fixture__echo/);
      assert.equal(diff.input.modified.scheme, TOOL_DEFINITION_SCHEME);
      const [original, modified] = await Promise.all([vscode.workspace.openTextDocument(diff.input.original), vscode.workspace.openTextDocument(diff.input.modified)]);
      assert.equal(original.languageId, 'json');
      assert.deepEqual(JSON.parse(original.getText()), echo.pinnedDefinition);
      assert.deepEqual(JSON.parse(modified.getText()), echo.currentDefinition);
      assert.equal(JSON.parse(original.getText()).description, 'Echoes the given text back.');
      assert.equal(JSON.parse(modified.getText()).description, 'Echoes the given text back. (changed)');
      assert.notEqual(vscode.workspace.fs.isWritableFileSystem(TOOL_DEFINITION_SCHEME), true, 'read-only documents');
      assert.equal(await vscode.commands.executeCommand<number>('gatekit.approveToolChanges', node, { confirm: false }), 1);

      const afterApproval = await toolNames();
      assert.ok(afterApproval.includes('fixture__echo'), `approved: listed again; tools: ${afterApproval.join(', ')}; inventories: ${JSON.stringify(extension.sessions().map((s) => [s.identity.mode, s.inventories.get('fixture')?.find((t) => t.name === 'echo')]))}; gateway stderr: ${chat.stderr()}`);
      const listed = await waitFor('echo pinned again', () => {
        const entry: ToolInventoryEntry | undefined = session.inventories.get('fixture')?.find((t) => t.name === 'echo');
        return entry?.pin === 'pinned' ? entry : undefined;
      }, stateEvents(extension), 30_000);
      assert.equal(listed.pinnedDefinition, undefined);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('copies an exchange as the JSON its document shows', async () => {
      await chat.client.callTool({ name: 'fixture__echo', arguments: { text: 'copy me' } });
      const entry = await waitFor('the echo exchange in the Traffic view', () => {
        const node = extension.trafficView.getChildren().find((n) => n.kind === 'session' && n.sessionId === session.identity.sessionId);
        return node && extension.trafficView.getChildren(node).find((n): n is Extract<TrafficNode, { kind: 'entry' }> => {
          const event = n.kind === 'entry' ? extension.traffic.entry(n.entryId)?.event : undefined;
          return event?.tool === 'echo' && (event.request ?? '').includes('copy me');
        });
      }, stateEvents(extension));
      assert.equal(extension.trafficView.getTreeItem(entry).contextValue, 'trafficEntry.allowed');

      await vscode.env.clipboard.writeText('something else');
      const copied = await vscode.commands.executeCommand<string>('gatekit.copyTrafficEntry', entry);
      assert.equal(copied, renderEntry(extension.traffic, entry.entryId));
      const shown = JSON.parse(copied);
      assert.equal(shown.decision, 'allowed');
      assert.equal(shown.request.params.arguments.text, 'copy me');
      assert.match(JSON.stringify(shown.response), /copy me/);
      assert.equal(await vscode.env.clipboard.readText(), copied);
    });
  });
});
