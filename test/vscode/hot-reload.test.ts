// Hot reload against the real gateway: settings changes reach the running views gateway and a gateway
// started from the provider's definition over the control link (gatekit/applyConfig), no restart.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { GatewaySession } from '../../src/extension/control-server';
import type { ServersNode } from '../../src/extension/views/servers-view';
import { fixtureServer, gatekit, memoryServer, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor, configVersionOf } from './helpers';

/** Hides every fixture tool but echo (shown as `say`) and whoami. */
const FIXTURE_ALLOWLIST = {
  middleware: { fixture: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'whoami' }] } }] },
};

describe('hot reload of the real gateway', function () {
  this.timeout(60_000);
  let extension: GatekitExtension;
  /** The views gateway's session when the suite started; every test checks it is still the one. */
  let views: GatewaySession;
  let viewsPid: number;
  let viewsExits = 0;
  /** Every server state the views gateway reported, per server, in order. */
  const statesSeen = new Map<string, string[]>();
  const subscriptions: vscode.Disposable[] = [];

  function viewsSession(): GatewaySession | undefined {
    const pid = extension.hostGateway.pid;
    return extension.sessions().find((s) => s.identity.mode === 'control-only' && s.identity.pid === pid);
  }

  function serverItem(name: string): vscode.TreeItem | undefined {
    const node = extension.serversView.getChildren().find((n) => n.kind === 'server' && n.name === name);
    return node && extension.serversView.getTreeItem(node);
  }

  function toolItems(server: string): Map<string, vscode.TreeItem> {
    const node: ServersNode = { kind: 'server', name: server };
    return new Map(extension.serversView.getChildren(node).map((n) => [n.kind === 'tool' ? n.tool.name : '', extension.serversView.getTreeItem(n)]));
  }

  /** The views gateway is the same process, over the same control connection, as at the start. */
  function assertSameViewsGateway(): void {
    assert.equal(extension.hostGateway.pid, viewsPid, 'the views gateway was restarted');
    assert.equal(viewsExits, 0, 'the views gateway exited');
    assert.equal(viewsSession(), views, 'the views gateway reconnected (a new session)');
  }

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    await setUserSettings(extension, { upstreams: [memoryServer(extension)] });
    assert.equal(extension.settings.effective.state, 'ready', JSON.stringify(extension.settings.effective.problems));
    views = await waitFor('the views gateway with memory running and its tools', () => {
      const session = viewsSession();
      return session?.servers.some((s) => s.name === 'memory' && s.state === 'running') && (session.inventories.get('memory')?.length ?? 0) > 0 ? session : undefined;
    }, stateEvents(extension), 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; sessions: ${JSON.stringify(extension.sessions().map((s) => ({ ...s.identity, servers: s.servers, inventories: [...s.inventories.keys()] })))}, views pid ${extension.hostGateway.pid}`);
    });
    viewsPid = views.identity.pid;
    subscriptions.push(
      extension.hostGateway.onDidExit(() => viewsExits++),
      extension.controlServer.onServerStatus((session) => {
        if (session !== views) return;
        for (const status of session.servers) {
          const seen = statesSeen.get(status.name) ?? [];
          if (seen.at(-1) !== status.state) seen.push(status.state);
          statesSeen.set(status.name, seen);
        }
      }),
    );
  });

  after(async () => {
    for (const subscription of subscriptions) subscription.dispose();
    if (extension) await resetSettings(extension);
  });

  it('adds a server to the running views gateway without restarting it, and shows its tools', async () => {
    await setUserSettings(extension, { upstreams: [memoryServer(extension), fixtureServer(extension)] });
    const item = await waitFor('fixture running with its tools', () => {
      const candidate = serverItem('fixture');
      return candidate && /^running · \d+ tools, ~[\d.]+k? tokens$/.test(String(candidate.description)) ? candidate : undefined;
    }, stateEvents(extension), 30_000);
    assertSameViewsGateway();
    const tools = toolItems('fixture');
    assert.ok(tools.has('echo') && tools.has('count_calls'), `fixture tools: ${[...tools.keys()].join(', ')}`);
    assert.equal(tools.get('echo')!.label, 'echo');
    assert.match(String(item.description), new RegExp(`^running · ${tools.size} tools, ~[\\d.]+k? tokens$`));
    assert.ok([...tools.values()].every((t) => (t.iconPath as vscode.ThemeIcon).id === 'tools'), 'no policy yet: every tool visible');
    // The server whose definition did not change kept running throughout.
    assert.deepEqual(statesSeen.get('memory') ?? ['running'], ['running']);
    assert.match(String(serverItem('memory')!.description), /^running · \d+ tools, ~[\d.]+k? tokens$/);
    assert.equal(extension.statusBar.text, '$(shield) Gatekit 2/2');
  });

  it('applies a tool_manager allowlist: the Servers view marks tools hidden and renamed, no restart', async () => {
    await setUserSettings(extension, { upstreams: [memoryServer(extension), fixtureServer(extension)], plugins: FIXTURE_ALLOWLIST });
    assert.equal(extension.settings.effective.state, 'ready', JSON.stringify(extension.settings.effective.problems));
    const tools = await waitFor('the allowlist in the fixture inventory', () => {
      const candidate = toolItems('fixture');
      return candidate.get('echo')?.label === 'say' ? candidate : undefined;
    }, stateEvents(extension), 30_000);
    assertSameViewsGateway();
    assert.match(String(tools.get('echo')!.description), /renamed from echo/);
    assert.equal((tools.get('echo')!.iconPath as vscode.ThemeIcon).id, 'symbol-field');
    assert.equal(tools.get('whoami')!.label, 'whoami');
    assert.equal((tools.get('whoami')!.iconPath as vscode.ThemeIcon).id, 'tools');
    const hidden = [...tools].filter(([, t]) => (t.iconPath as vscode.ThemeIcon).id === 'eye-closed').map(([name]) => name);
    assert.ok(hidden.includes('slow') && hidden.includes('count_calls'), `hidden: ${hidden.join(', ')}`);
    assert.equal(hidden.length, tools.size - 2, 'everything but echo and whoami is hidden');
    assert.match(String(serverItem('fixture')!.description), new RegExp(`^running · 2 tools, ${tools.size - 2} hidden, ~[\\d.]+k? tokens$`));
    // A policy change restarts no server: neither reported anything but running.
    assert.deepEqual(statesSeen.get('memory') ?? ['running'], ['running']);
    assert.ok(!(statesSeen.get('fixture') ?? []).some((s) => ['stopped', 'restarting', 'crashed'].includes(s)), `fixture states: ${statesSeen.get('fixture')?.join(' → ')}`);
  });

  /** Starts a gateway from the provider's definition, as VS Code does, counting its tools/list_changed notifications. */
  async function startChatGateway(): Promise<{ client: Client; stderr: () => string; session: GatewaySession; listChanged: () => number; onListChanged: (listener: () => void) => vscode.Disposable }> {
    const definition = extension.provider.definition();
    assert.ok(definition);
    const { client, stderr } = await startLikeVsCode(definition);
    let count = 0;
    const listeners = new Set<() => void>();
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      count++;
      for (const listener of [...listeners]) listener();
    });
    const onListChanged = (listener: () => void): vscode.Disposable => {
      listeners.add(listener);
      return new vscode.Disposable(() => listeners.delete(listener));
    };
    const session = await waitFor(
      'the chat gateway on the control link',
      () => extension.sessions().find((s) => s.identity.mode === 'stdio' && s.identity.startedByExtension && s.identity.configVersion === configVersionOf(definition)),
      stateEvents(extension),
    ).catch(async (error: Error) => {
      await client.close();
      throw error;
    });
    return { client, stderr, session, listChanged: () => count, onListChanged };
  }

  async function toolNames(client: Client): Promise<string[]> {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  }

  it('tells a gateway started from the provider\'s definition to refetch, and its tools/list follows the new config', async () => {
    const chat = await startChatGateway();
    try {
      const before = await toolNames(chat.client);
      assert.ok(before.includes('fixture__say') && before.includes('memory__read_graph'), `tools: ${before.join(', ')}; gateway stderr: ${chat.stderr()}`);
      assert.ok(!before.includes('fixture__slow'), 'the allowlist hides slow');

      // One settings write, so one reload: rename echo differently, show slow instead of whoami.
      await setUserSettings(extension, { plugins: { middleware: { fixture: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'shout' }, { tool: 'slow' }] } }] } } });
      await waitFor('notifications/tools/list_changed', () => chat.listChanged() > 0, [chat.onListChanged], 30_000);
      const after = await toolNames(chat.client);
      assert.deepEqual(after.filter((n) => n.startsWith('fixture__')), ['fixture__shout', 'fixture__slow'], `gateway stderr: ${chat.stderr()}`);
      assert.deepEqual(after.filter((n) => !n.startsWith('fixture__')), before.filter((n) => n.startsWith('memory__')), 'the memory server is untouched');
      const called = await chat.client.callTool({ name: 'fixture__shout', arguments: { text: 'hot' } });
      assert.match(JSON.stringify(called.content), /hot/);

      // The same process and control connection; the views gateway followed too.
      assert.ok(extension.sessions().includes(chat.session), 'the chat gateway reconnected or exited');
      assertSameViewsGateway();
      const viewsTools = await waitFor('the views gateway on the new config', () => {
        const tools = toolItems('fixture');
        return tools.get('echo')?.label === 'shout' ? tools : undefined;
      }, stateEvents(extension), 30_000);
      assert.equal((viewsTools.get('slow')!.iconPath as vscode.ThemeIcon).id, 'tools');
      assert.equal((viewsTools.get('whoami')!.iconPath as vscode.ThemeIcon).id, 'eye-closed');
    } finally {
      await chat.client.close();
    }
  });

  it('applies quick successive changes in order: a server the last change removes does not come back', async () => {
    // `lingering` ignores the end of its stdin, so removing it keeps a reload busy for a while.
    await setUserSettings(extension, { plugins: undefined, upstreams: [fixtureServer(extension), fixtureServer(extension, 'lingering', '--ignore-stdin-eof')] });
    const chat = await startChatGateway();
    try {
      assert.ok((await toolNames(chat.client)).includes('lingering__echo'));
      // Two changes in a row: the first (drops lingering, adds extra) is still stopping lingering when the second arrives.
      await setUserSettings(extension, { upstreams: [fixtureServer(extension), fixtureServer(extension, 'extra')] });
      await setUserSettings(extension, { upstreams: [fixtureServer(extension)] });
      // The count of list_changed notifications is no sure sign (the session may also get the config
      // it was defined with pushed at connect), so wait for the end state the last change asks for:
      // if an older change landed last, 'extra' would stay and this times out.
      const servers = async () => [...new Set((await toolNames(chat.client)).map((n) => n.slice(0, n.indexOf('__'))))];
      let last: string[] = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        await waitFor('a reload', () => chat.listChanged() > 0, [chat.onListChanged], 30_000);
        last = await servers();
        if (last.length === 1 && last[0] === 'fixture') break;
        await new Promise<void>((resolve) => {
          const seen = chat.listChanged();
          const sub = chat.onListChanged(() => {
            if (chat.listChanged() > seen) {
              sub.dispose();
              resolve();
            }
          });
          setTimeout(() => {
            sub.dispose();
            resolve();
          }, 2000);
        });
      }
      assert.deepEqual(last, ['fixture'], `gateway stderr: ${chat.stderr()}`);
      assertSameViewsGateway();
      const views = await waitFor('the views gateway running fixture only', () => {
        const session = viewsSession();
        const running = session?.servers.filter((s) => s.state === 'running').map((s) => s.name);
        // The views gateway gets the same two changes; wait for it to have applied the last one too.
        return running?.length === 1 && running[0] === 'fixture' ? running : undefined;
      }, stateEvents(extension), 30_000);
      assert.deepEqual(views, ['fixture']);
      // (The fixture workspace's mcp.json servers bypass Gatekit: that notice may come first.)
      assert.deepEqual(extension.serversView.getChildren().filter((n) => n.kind !== 'notice').map((n) => (n.kind === 'server' ? n.name : n.kind)), ['fixture']);
    } finally {
      await chat.client.close();
    }
  });
});
