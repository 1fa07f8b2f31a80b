// The Servers and Traffic views, the status bar and their commands, fed by a gateway stand-in that
// connects over the real control link with the socket and token of the server definition.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ControlLink, type ControlLinkHost, type Disposable } from '../../src/gateway/control/link';
import type { ServerStatus as UpstreamStatus } from '../../src/gateway/gateway';
import type { TrafficEvent as ExchangeEvent } from '../../src/gateway/router';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ServersNode } from '../../src/extension/views/servers-view';
import type { TrafficNode } from '../../src/extension/views/traffic-view';
import type { ApproveToolChangesParams, ToolInventoryParams } from '../../src/shared/protocol';
import { gatekit, labelText, memoryServer, resetSettings, setUserSettings, stateEvents, waitFor } from './helpers';

class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): Disposable {
    this.set.add(listener);
    return { dispose: () => this.set.delete(listener) };
  }
  fire(value: T): void {
    for (const listener of [...this.set]) listener(value);
  }
}

/** Stands in for a Gateway: what a chat session's gateway reports. */
class GatewayStandIn implements ControlLinkHost {
  readonly traffic = new Listeners<ExchangeEvent>();
  readonly approvals: ApproveToolChangesParams[] = [];
  readonly status = new Listeners<UpstreamStatus>();
  onTraffic(listener: (event: ExchangeEvent) => void): Disposable {
    return this.traffic.add(listener);
  }
  onServerStatus(listener: (status: UpstreamStatus) => void): Disposable {
    return this.status.add(listener);
  }
  serverStatuses(): UpstreamStatus[] {
    return [{ name: 'memory', state: 'running' }];
  }
  toolInventories(): ToolInventoryParams[] {
    return [
      {
        server: 'memory',
        tools: [
          { name: 'read_graph', exposedName: 'memory__read_graph', visibility: 'visible', pin: 'pinned', description: 'Read the graph' },
          { name: 'create_entities', exposedName: 'memory__add', visibility: 'renamed', pin: 'pinned' },
          { name: 'delete_entities', visibility: 'hidden', pin: 'none' },
          { name: 'write_graph', exposedName: 'memory__write_graph', visibility: 'visible', pin: 'changed', reason: 'description changed since approval' },
        ],
      },
    ];
  }
  async approveToolChanges(params: ApproveToolChangesParams): Promise<{ approved: number }> {
    this.approvals.push(params);
    return { approved: params.tools?.length ?? 0 };
  }
}

let sequence = 0;
function exchange(decision: ExchangeEvent['decision'], overrides: Partial<ExchangeEvent> = {}): ExchangeEvent {
  const id = ++sequence;
  return {
    timestamp: Date.now(),
    direction: 'client_to_server',
    server: 'memory',
    method: 'tools/call',
    tool: 'read_graph',
    decision,
    reason: decision === 'allowed' ? '' : `[${decision}]`,
    durationMs: 3.5,
    request: { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read_graph', arguments: { n: id } } },
    response: { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `answer ${id}` }] } },
    ...overrides,
  };
}

describe('views fed over the control link', function () {
  let extension: GatekitExtension;
  let gateway: GatewayStandIn;
  let link: ControlLink;
  let sessionId: string;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    await setUserSettings(extension, { upstreams: [memoryServer(extension)] });
    assert.equal(extension.settings.effective.state, 'ready', JSON.stringify(extension.settings.effective.problems));
    // Only the stand-in reports here: the views gateway would otherwise be the preferred source.
    await extension.hostGateway.stop();
    const definition = extension.provider.definition();
    assert.ok(definition);
    gateway = new GatewayStandIn();
    link = new ControlLink(gateway, {
      socket: String(definition.env.GATEKIT_CONTROL_SOCKET),
      token: String(definition.env.GATEKIT_CONTROL_TOKEN),
      discoveryDirs: [],
      identity: {
        sessionId: `stand-in-${Date.now()}`,
        pid: process.pid,
        mode: 'stdio',
        version: 'test',
        startedByExtension: true,
        cwd: process.cwd(),
        startedAt: Date.now(),
        configVersion: String(definition.env.GATEKIT_CONFIG_VERSION),
      },
      log: () => undefined,
    });
    sessionId = link.sessionId;
    const connected = new Promise<void>((resolve) => link.onDidChangeConnection((up) => up && resolve()));
    link.start();
    await connected;
    await waitFor('the stand-in session', () => extension.sessions().some((s) => s.identity.sessionId === sessionId && s.inventories.size > 0), stateEvents(extension));
  });

  after(async () => {
    await link?.dispose();
    if (extension) await resetSettings(extension);
  });

  function serverNode(): ServersNode {
    const node = extension.serversView.getChildren().find((n) => n.kind === 'server' && n.name === 'memory');
    assert.ok(node, 'memory is not in the Servers view');
    return node;
  }

  it('shows server health and what the policy does to each tool', async () => {
    const item = await waitFor('memory running', () => {
      const candidate = extension.serversView.getTreeItem(serverNode());
      return String(candidate.description).includes('running') ? candidate : undefined;
    }, stateEvents(extension));
    assert.equal(item.label, 'memory');
    // write_graph waits for review: that comes first, and the server is a warning.
    assert.equal(item.description, '1 to review · running · 3 tools, 1 hidden, 1 changed');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
    const tools = extension.serversView.getChildren(serverNode()).map((node) => extension.serversView.getTreeItem(node));
    const byLabel = new Map(tools.map((t) => [labelText(t), t]));
    // Labels are the names the model sees, without the server name the branch already shows.
    assert.deepEqual([...byLabel.keys()].sort(), ['add', 'delete_entities', 'read_graph', 'write_graph']);
    assert.match(String(byLabel.get('add')!.description), /renamed from create_entities/);
    assert.equal((byLabel.get('delete_entities')!.iconPath as vscode.ThemeIcon).id, 'eye-closed');
    // contextValue `tool.<visibility>[.pinChanged]` decides which menu items (Hide, Allow, Approve) show.
    assert.equal(byLabel.get('write_graph')!.contextValue, 'tool.visible.pinChanged');
    assert.equal(byLabel.get('delete_entities')!.contextValue, 'tool.hidden');
    assert.equal(byLabel.get('add')!.contextValue, 'tool.renamed');
    assert.equal(byLabel.get('read_graph')!.contextValue, 'tool.visible');
    assert.equal(extension.statusBar.text, '$(warning) Gatekit 1/1 · 1 to review');
  });

  it('warns on a server that offers resources another server offers too', async () => {
    const shared = ['demo://doc (also other)', 'tpl://{id} (also other)'];
    gateway.status.fire({ name: 'memory', state: 'running', ambiguousResources: shared });
    const item = await waitFor('the ambiguity warning', () => {
      const candidate = extension.serversView.getTreeItem(serverNode());
      return String(candidate.description).includes('ambiguous') ? candidate : undefined;
    }, stateEvents(extension));
    assert.equal(item.description, '1 to review · running · 3 tools, 1 hidden, 1 changed · 2 ambiguous resources');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
    // Server text is escaped to render literally: compare it with the escapes taken out.
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    for (const part of ['demo://doc', 'tpl://', 'refused as ambiguous']) assert.ok(tooltip.includes(part), `${part} in ${tooltip}`);
    gateway.status.fire({ name: 'memory', state: 'running' });
    await waitFor('the warning gone', () => !String(extension.serversView.getTreeItem(serverNode()).description).includes('ambiguous'), stateEvents(extension));
  });

  it('approves a changed tool definition through the gateway that reported it', async () => {
    const toolNode = extension.serversView.getChildren(serverNode()).find((n) => n.kind === 'tool' && n.tool.name === 'write_graph');
    // This stand-in sends no definitions, so there is no diff; `confirm: false` skips the modal prompt.
    const approved = await vscode.commands.executeCommand<number>('gatekit.approveToolChanges', toolNode, { confirm: false });
    assert.equal(approved, 1);
    assert.equal(extension.statusBar.text, '$(shield) Gatekit 1/1', 'nothing left to review');
    assert.deepEqual(gateway.approvals, [{ server: 'memory', tools: ['write_graph'] }]);
  });

  it('lists exchanges newest first under their session, with the decision and the plugin', async () => {
    gateway.traffic.fire(exchange('allowed'));
    gateway.traffic.fire(exchange('redacted', { plugin: 'basic_secrets_filter' }));
    gateway.traffic.fire(exchange('blocked', { plugin: 'basic_secrets_filter', request: undefined, response: { jsonrpc: '2.0', id: 99, error: { code: -32000, message: 'Request blocked: Basic Secrets Filter' } } }));
    const session = await waitFor('three exchanges', () => {
      const node = extension.trafficView.getChildren().find((n) => n.kind === 'session' && n.sessionId === sessionId);
      return node && extension.trafficView.getChildren(node).length === 3 ? node : undefined;
    }, stateEvents(extension));
    assert.equal(extension.trafficView.getTreeItem(session).label, 'VS Code chat session');
    const items = extension.trafficView.getChildren(session).map((n) => extension.trafficView.getTreeItem(n));
    assert.deepEqual(items.map((i) => (i.iconPath as vscode.ThemeIcon).id), ['circle-slash', 'shield', 'pass']);
    assert.equal(items[0]!.label, 'tools/call memory__read_graph');
    // The reason the gateway answered with, and the side that was stopped (no request reached the server).
    assert.match(String(items[0]!.description), /^request blocked by basic_secrets_filter: Request blocked: Basic Secrets Filter · 3\.5 ms$/);
    assert.equal(items[0]!.command?.command, 'gatekit.openTrafficEntry');
  });

  it('opens an exchange as read-only JSON with request and response', async () => {
    const session = extension.trafficView.getChildren().find((n) => n.kind === 'session' && n.sessionId === sessionId)!;
    const newestAllowed = extension.trafficView.getChildren(session).map((n) => n as Extract<TrafficNode, { kind: 'entry' }>).at(-1)!;
    const document = await vscode.commands.executeCommand<vscode.TextDocument>('gatekit.openTrafficEntry', newestAllowed.entryId);
    assert.equal(document.uri.scheme, 'gatekit-traffic');
    assert.equal(document.languageId, 'json');
    const shown = JSON.parse(document.getText());
    assert.equal(shown.decision, 'allowed');
    assert.equal(shown.request.params.name, 'read_graph');
    assert.match(shown.response.result.content[0].text, /^answer \d+$/);
    // Content providers give read-only documents.
    assert.notEqual(vscode.workspace.fs.isWritableFileSystem('gatekit-traffic'), true);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('keeps at most gatekit.traffic.maxEntries exchanges, dropping the oldest', async () => {
    await setUserSettings(extension, { 'traffic.maxEntries': 10 });
    await waitFor('the new bound', () => extension.traffic.size <= 10, stateEvents(extension));
    const last = exchange('allowed', { tool: 'last_one' });
    for (let i = 0; i < 14; i++) gateway.traffic.fire(exchange('allowed'));
    gateway.traffic.fire(last);
    const session = await waitFor('the last exchange', () => {
      const s = extension.traffic.session(sessionId);
      return s?.entries.at(-1)?.event.tool === 'last_one' ? s : undefined;
    }, stateEvents(extension));
    assert.equal(session.entries.length, 10);
    assert.equal(extension.traffic.size, 10);
    await setUserSettings(extension, { 'traffic.maxEntries': undefined });
  });

  it('clears the traffic but keeps the connected session', async () => {
    await vscode.commands.executeCommand('gatekit.clearTraffic');
    assert.equal(extension.traffic.size, 0);
    const sessions = extension.trafficView.getChildren();
    assert.ok(sessions.some((n) => n.kind === 'session' && n.sessionId === sessionId));
  });

  it('marks the session ended when its gateway goes away', async () => {
    gateway.traffic.fire(exchange('allowed'));
    await waitFor('an exchange', () => (extension.traffic.session(sessionId)?.entries.length ?? 0) > 0, stateEvents(extension));
    await link.dispose();
    const node = await waitFor('the session to end', () => {
      const s = extension.traffic.session(sessionId);
      return s && !s.connected ? extension.trafficView.getChildren().find((n) => n.kind === 'session' && n.sessionId === sessionId) : undefined;
    }, stateEvents(extension));
    assert.match(String(extension.trafficView.getTreeItem(node).description), /ended$/);
    assert.ok(!extension.sessions().some((s) => s.identity.sessionId === sessionId));
  });
});
