// The one lifecycle owner in the extension host: configuration, control server, MCP server provider,
// the views' own gateway, views, status bar. Everything it creates is disposed through it.
import * as vscode from 'vscode';
import { ApprovalPrompt } from './approval-prompt';
import { AttentionCenter } from './attention';
import { BypassWatch } from './bypass-watch';
import { OAuthVault } from './auth/oauth-vault';
import { SignInController } from './auth/sign-in-controller';
import { ControlServer, type GatewaySession } from './control-server';
import type { EffectiveConfig } from './effective-config';
import { HostGateway } from './host-gateway';
import { GatekitServerProvider, gatewayEnvironment, MCP_PROVIDER_ID } from './mcp-provider';
import { McpJsonImporter } from './mcp-import';
import { GatekitSettings } from './settings';
import { TrafficStore } from './traffic-store';
import { ServersTreeProvider, SERVERS_VIEW_ID, type ServersNode } from './views/servers-view';
import { ToolDefinitionProvider, TOOL_DEFINITION_SCHEME } from './views/tool-definition-document';
import { TrafficDocumentProvider, TRAFFIC_SCHEME } from './views/traffic-document';
import type { ToolReviewPanels } from './views/tool-review-panel';
import { TrafficTreeProvider, TRAFFIC_VIEW_ID, type TrafficNode } from './views/traffic-view';
import { ToolDetailsProvider, TOOL_DETAILS_SCHEME } from './views/tool-details';
import { ServerLogBook, SERVER_LOG_SCHEME } from './server-log';
import { ConfigDiagnostics } from './config-diagnostics';
import { describeLaunch } from './config-locations';
import { renderDefinition } from '../shared/definition-text';
import { namespacedName } from '../shared/namespacing';
import type { ServerStatus, ToolInventoryEntry } from '../shared/protocol';

/** VS Code sends at most this many tools with one chat request; more are left out. */
export const VSCODE_TOOL_LIMIT = 128;

/** Largest request/response body per traffic event the gateways send (characters of JSON). */
const MAX_BODY_CHARS = 256 * 1024;

export class GatekitExtension implements vscode.Disposable {
  readonly traffic: TrafficStore;
  readonly trafficView: TrafficTreeProvider;
  readonly serversView: ServersTreeProvider;
  /** The documents of the diff shown before approving a changed tool definition. */
  readonly toolDefinitions = new ToolDefinitionProvider();
  readonly provider: GatekitServerProvider;
  readonly hostGateway: HostGateway;
  readonly importer: McpJsonImporter;
  /** Servers of mcp.json files that VS Code runs directly, past Gatekit. */
  readonly bypass: BypassWatch;
  readonly statusBar: vscode.StatusBarItem;
  /** Tool changes waiting for review: notification, badge, Problems entries. */
  readonly attention: AttentionCenter;
  /** Answers the call_approval plugin's questions (a quick pick per tool call). */
  readonly approvals: ApprovalPrompt;
  /** Sign-in of remote servers (OAuth): states, notification, Sign in / Sign out. */
  readonly signIns: SignInController;
  /** Open reviews of changed tool definitions; the approve action is set by the commands. */
  reviews: ToolReviewPanels | undefined;
  trafficTree: vscode.TreeView<TrafficNode> | undefined;
  serversTree: vscode.TreeView<ServersNode> | undefined;
  /** The configuration gateways run: the last valid one (an invalid edit does not stop the tools). */
  lastGood: EffectiveConfig | undefined;
  /** The read-only details documents of tools (a click on a tool). */
  readonly toolDetails = new ToolDetailsProvider((server) => this.toolsOf(server));
  /** Configuration problems in the Problems panel, on their file and line, with quick fixes. */
  readonly configDiagnostics: ConfigDiagnostics;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** Config version each session runs, as far as we know (sessionId → version). */
  private readonly sessionVersions = new Map<string, string>();
  /** The last queued configuration push per session (sessionId → settles when it is done). */
  private readonly pushQueues = new Map<string, Promise<void>>();
  private lastNotifiedProblems = '';
  /** The tool budget was exceeded at the last update (announced once per crossing). */
  private overBudget = false;

  /** Something the views show changed (configuration, sessions, status, inventories, traffic). */
  readonly onDidChangeState = this.stateEmitter.event;

  private constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    readonly settings: GatekitSettings,
    readonly controlServer: ControlServer,
    /** Log lines about each server (Show Log), fed by the gateways' log callbacks. */
    readonly serverLogs: ServerLogBook,
  ) {
    this.disposables.push(this.stateEmitter);
    this.configDiagnostics = new ConfigDiagnostics(context);
    this.traffic = new TrafficStore(settings.trafficMaxEntries());
    this.trafficView = new TrafficTreeProvider(this.traffic, { withheldTools: (server) => this.withheldTools(server) });
    this.serversView = new ServersTreeProvider({
      problems: () => this.settings.effective.problems,
      notices: () => this.notices(),
      serverNames: () => (this.settings.effective.state === 'ready' ? this.settings.effective.serverNames : (this.lastGood?.serverNames ?? [])),
      status: (name) => this.serverStatus(name),
      tools: (name) => this.toolsOf(name),
      pendingChanges: (name) => this.attention.changesOf(name).length,
      launch: (name) => {
        const upstreams = vscode.workspace.getConfiguration('gatekit').inspect('upstreams');
        const fromSettings = vscode.workspace.isTrusted ? (upstreams?.workspaceValue ?? upstreams?.globalValue) : upstreams?.globalValue;
        const proxy = this.lastGood?.config?.proxy;
        return describeLaunch(name, fromSettings, typeof proxy === 'object' && proxy !== null ? (proxy as Record<string, unknown>).upstreams : undefined);
      },
      signIn: (name) => this.signIns.stateOf(name),
      remoteUrl: (name) => this.remoteUrlOf(name),
    });
    this.signIns = new SignInController({ controlServer, log, changed: () => this.changed(), serverNames: () => this.lastGood?.serverNames ?? [] });
    this.attention = new AttentionCenter({
      sessions: () => this.controlServer.sessions(),
      definitions: this.toolDefinitions,
      badgeTarget: () => this.serversTree as vscode.TreeView<unknown> | undefined,
      log,
    });
    this.provider = new GatekitServerProvider({
      gatewayScript: this.gatewayScript,
      config: () => this.lastGood,
      controlEnvironment: () => this.controlServer.gatewayEnvironment(),
    });
    this.hostGateway = new HostGateway({
      gatewayScript: this.gatewayScript,
      nodePath: process.execPath,
      environment: () => (this.lastGood ? gatewayEnvironment(this.lastGood, this.controlServer.gatewayEnvironment()) : {}),
      cwd: () => this.lastGood?.workingFolder,
      log: (level, message) => {
        serverLogs.record(level, message);
        this.log[level](message);
      },
    });
    this.approvals = new ApprovalPrompt(log);
    this.disposables.push(this.approvals, controlServer.onApprovalRequest((question, session, token) => this.approvals.ask(question, session, token)));
    this.importer = new McpJsonImporter(context, settings, log);
    this.bypass = new BypassWatch(this.importer, log);
    this.statusBar = vscode.window.createStatusBarItem('gatekit.status', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'Gatekit';
    this.statusBar.command = 'gatekit.showServers';
    this.disposables.push(this.signIns, this.bypass, this.traffic, this.trafficView, this.serversView, this.attention, this.toolDefinitions, this.provider, this.statusBar, settings, controlServer);
    this.disposables.push(this.toolDetails, serverLogs, this.configDiagnostics);
  }

  /** Absolute path of the bundled gateway. */
  get gatewayScript(): string {
    return this.context.asAbsolutePath('dist/gateway.js');
  }

  /** Starts everything; the caller registers the commands. */
  static async start(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<GatekitExtension> {
    const settings = await GatekitSettings.create(context);
    const serverLogs = new ServerLogBook(() => settings.effective.serverNames);
    const controlServer = await ControlServer.listen({
      extensionVersion: String((context.extension.packageJSON as { version?: string }).version ?? '0.0.0'),
      maxBodyChars: MAX_BODY_CHARS,
      log: (level, message) => {
        serverLogs.record(level, message);
        if (level === 'debug') log.info(message);
        else log[level](message);
      },
      oauthVault: new OAuthVault(context.secrets, (message) => log.warn(message)),
    });
    const extension = new GatekitExtension(context, log, settings, controlServer, serverLogs);
    extension.wire();
    return extension;
  }

  /** The URL of a remote server as configured (variables resolved), for the Servers view. */
  private remoteUrlOf(name: string): string | undefined {
    const upstreams = (this.lastGood?.config?.proxy as { upstreams?: unknown } | undefined)?.upstreams;
    const entry = Array.isArray(upstreams) ? (upstreams as unknown[]).find((u): u is { name: string; url: unknown } => typeof u === 'object' && u !== null && (u as { name?: unknown }).name === name) : undefined;
    return typeof entry?.url === 'string' ? entry.url : undefined;
  }

  /** Sessions of connected gateways. */
  sessions(): GatewaySession[] {
    return this.controlServer.sessions();
  }

  /** The session whose server status the views show: the views gateway, else the newest chat's. */
  statusSession(): GatewaySession | undefined {
    const sessions = this.controlServer.sessions();
    const hostPid = this.hostGateway.pid;
    return (
      sessions.find((s) => s.identity.mode === 'control-only' && s.identity.pid === hostPid) ??
      [...sessions].reverse().find((s) => s.identity.startedByExtension && s.servers.length > 0) ??
      [...sessions].reverse().find((s) => s.servers.length > 0)
    );
  }

  /** Restarts the views gateway and asks chat gateways to restart their servers. */
  async restartGateways(): Promise<void> {
    this.log.info('restarting gateways');
    const restart = this.lastGood ? this.hostGateway.restart() : this.hostGateway.stop();
    const results = await this.controlServer.restartUpstreams();
    for (const r of results) if (r.error) this.log.warn(`gateway ${r.session.identity.pid}: ${r.error}`);
    await restart;
  }

  /**
   * After an approval the gateways report the tool pinned again in a moment; the views show it
   * pinned now (the approving gateways' entries of exactly that definition), so nothing still says
   * "refused until approved".
   */
  markApproved(server: string, tool: string, offered: Record<string, unknown> | undefined): void {
    const shown = offered === undefined ? undefined : renderDefinition(offered);
    for (const session of this.controlServer.sessions()) {
      const inventory = session.inventories.get(server);
      if (inventory === undefined) continue;
      session.inventories.set(
        server,
        inventory.map((entry) =>
          entry.name === tool && (entry.pin === 'changed' || entry.pin === 'new') && (shown === undefined || (entry.currentDefinition !== undefined && renderDefinition(entry.currentDefinition) === shown))
            ? { name: entry.name, ...(entry.exposedName ? { exposedName: entry.exposedName } : {}), visibility: entry.visibility === 'blocked' && !entry.exposedName ? 'visible' : entry.visibility, pin: 'pinned', ...(entry.description ? { description: entry.description } : {}) }
            : entry,
        ),
      );
    }
    this.changed();
  }

  dispose(): void {
    void this.hostGateway.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }

  private wire(): void {
    const { context, controlServer, settings } = this;
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    try {
      controlServer.writeDiscoveryFile(vscode.Uri.joinPath(context.globalStorageUri, 'control').fsPath, folders);
    } catch (error) {
      this.log.warn(`cannot write the discovery file (gateways started outside VS Code will not find this window): ${(error as Error).message}`);
    }
    controlServer.setTrace(settings.trace());

    this.disposables.push(
      vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, this.provider),
      (this.trafficTree = vscode.window.createTreeView(TRAFFIC_VIEW_ID, { treeDataProvider: this.trafficView })),
      (this.serversTree = vscode.window.createTreeView(SERVERS_VIEW_ID, { treeDataProvider: this.serversView, showCollapseAll: true })),
      vscode.workspace.registerTextDocumentContentProvider(TRAFFIC_SCHEME, new TrafficDocumentProvider(this.traffic)),
      vscode.workspace.registerTextDocumentContentProvider(TOOL_DEFINITION_SCHEME, this.toolDefinitions),
      vscode.workspace.registerTextDocumentContentProvider(TOOL_DETAILS_SCHEME, this.toolDetails),
      vscode.workspace.registerTextDocumentContentProvider(SERVER_LOG_SCHEME, this.serverLogs),
      settings.onDidChange((config) => void this.configChanged(config)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gatekit.traffic.maxEntries')) this.traffic.setMaxEntries(settings.trafficMaxEntries());
        if (e.affectsConfiguration('gatekit.trace')) controlServer.setTrace(settings.trace());
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed()),
    );
    controlServer.onDidConnect((session) => {
      const { identity } = session;
      this.log.info(`gateway connected: pid ${identity.pid}, ${identity.mode}${identity.startedByExtension ? '' : `, external (cwd ${identity.cwd})`}`);
      if (identity.configVersion !== undefined) this.sessionVersions.set(identity.sessionId, identity.configVersion);
      if (identity.mode !== 'control-only') this.traffic.openSession(identity);
      void this.pushConfigTo(session);
      this.changed();
    });
    controlServer.onDidDisconnect((session) => {
      this.log.info(`gateway disconnected: pid ${session.identity.pid}`);
      this.sessionVersions.delete(session.identity.sessionId);
      this.traffic.closeSession(session.identity.sessionId);
      this.changed();
    });
    controlServer.onTraffic(({ session, params }) => this.traffic.add(session.identity.sessionId, params.events, params.dropped));
    const showFilter = (): void => {
      if (this.trafficTree) this.trafficTree.message = this.trafficView.message();
      void vscode.commands.executeCommand('setContext', 'gatekit.trafficFiltered', this.trafficView.filtering);
    };
    this.disposables.push(this.trafficView.onDidChangeTreeData(showFilter), this.trafficView.onDidChangeFilter(showFilter));
    controlServer.onServerStatus(() => this.changed());
    controlServer.onToolInventory(() => this.changed());
    this.hostGateway.onDidExit(() => this.changed());
    this.disposables.push(this.bypass.onDidChange(() => this.changed()));
    void this.bypass.scan();
    void this.configChanged(settings.effective);
  }

  private changed(): void {
    this.attention.update();
    this.updateToolBudget();
    this.serversView.refresh();
    this.toolDetails.refresh();
    this.updateStatusBar();
    this.stateEmitter.fire();
  }

  private async configChanged(config: EffectiveConfig): Promise<void> {
    this.configDiagnostics.update(config.problems);
    if (config.state === 'invalid') {
      for (const problem of config.problems) this.log.error(`configuration: ${problem.path}${problem.line ? ` (line ${problem.line})` : ''}: ${problem.message}`);
      this.notifyProblems(config);
    } else {
      this.lastNotifiedProblems = '';
    }
    const previous = this.lastGood;
    if (config.state === 'ready') this.lastGood = config;
    else if (config.state === 'empty') this.lastGood = undefined;
    if (this.lastGood?.version !== previous?.version) {
      const relaunch = this.provider.changed();
      this.log.info(
        this.lastGood
          ? `configuration ${this.lastGood.version}: ${this.lastGood.serverNames.join(', ')}${relaunch ? '' : ' (applied live: the server definition VS Code runs is unchanged)'}`
          : 'no MCP servers configured',
      );
      if (this.lastGood === undefined) {
        await this.hostGateway.stop();
      } else if (!this.hostGateway.running) {
        this.hostGateway.start();
      } else {
        // A process keeps its working folder: once the workspace is trusted the views gateway starts anew in it.
        if (previous?.workingFolder !== this.lastGood.workingFolder) await this.hostGateway.restart();
        await this.pushConfigToAll();
      }
    }
    this.changed();
  }

  /** Hot reload: every gateway this extension started gets the new configuration. */
  private async pushConfigToAll(): Promise<void> {
    await Promise.all(this.controlServer.sessions().map((session) => this.pushConfigTo(session)));
  }

  /**
   * Queues a push to one gateway. Pushes to a gateway run one after another, each sending the then
   * newest configuration: a gateway handles requests concurrently, so an older configuration that
   * is slow to apply (stopping a server) would otherwise land after a newer one.
   */
  private pushConfigTo(session: GatewaySession): Promise<void> {
    const { sessionId } = session.identity;
    const push = (this.pushQueues.get(sessionId) ?? Promise.resolve()).then(() => this.pushLatestConfigTo(session));
    const settled = push.catch((error: unknown) => this.log.error(`configuration push to gateway ${session.identity.pid} failed: ${String(error)}`));
    this.pushQueues.set(sessionId, settled);
    void settled.then(() => {
      if (this.pushQueues.get(sessionId) === settled) this.pushQueues.delete(sessionId);
    });
    return settled;
  }

  private async pushLatestConfigTo(session: GatewaySession): Promise<void> {
    const config = this.lastGood;
    const { identity } = session;
    // External gateways run their own config file; never replace it.
    if (config === undefined || !identity.startedByExtension) return;
    if (!this.controlServer.sessions().includes(session)) return;
    if (this.sessionVersions.get(identity.sessionId) === config.version) return;
    const [outcome] = await this.controlServer.applyConfig(
      { config: config.config, configBase: config.configBase, version: config.version, writableRoots: config.writableRoots },
      (s) => s === session,
    );
    if (outcome?.result?.applied) {
      this.sessionVersions.set(identity.sessionId, config.version);
      this.log.info(`gateway ${identity.pid} now runs configuration ${config.version}`);
      return;
    }
    const why = outcome?.error ?? outcome?.result?.problems.map((p) => `${p.path}: ${p.message}`).join('; ') ?? 'no answer';
    this.log.warn(`gateway ${identity.pid} did not take configuration ${config.version}: ${why}`);
    // Our own gateway is simply restarted with the new configuration.
    if (identity.mode === 'control-only' && identity.pid === this.hostGateway.pid) await this.hostGateway.restart();
  }

  private notifyProblems(config: EffectiveConfig): void {
    const key = JSON.stringify(config.problems);
    if (key === this.lastNotifiedProblems) return;
    this.lastNotifiedProblems = key;
    const first = config.problems[0];
    if (first === undefined) return;
    const more = config.problems.length > 1 ? ` (and ${config.problems.length - 1} more)` : '';
    const where = first.origin === 'file' ? `${first.file ?? 'config file'}${first.line ? `:${first.line}` : ''}` : first.path;
    void vscode.window.showWarningMessage(`Gatekit configuration: ${where}: ${first.message}${more}`, 'Show Problems', 'Open Settings').then((choice) => {
      if (choice === 'Show Problems') void vscode.commands.executeCommand('gatekit.showProblems');
      if (choice === 'Open Settings') void vscode.commands.executeCommand('gatekit.openSettings');
    });
  }

  private updateToolBudget(): void {
    const { exposed, limit, byServer } = this.toolBudget();
    if (this.serversTree) this.serversTree.description = exposed > 0 ? `${exposed}/${limit} tools` : undefined;
    const over = exposed > limit;
    if (over && !this.overBudget) {
      const largest = [...byServer].sort((a, b) => b.exposed - a.exposed)[0];
      const message = `Gatekit exposes ${exposed} tools, more than the ${limit} VS Code sends with a chat request: some are left out. Hide the tools of a server you do not need${largest ? ` (${largest.server} has ${largest.exposed})` : ''}.`;
      this.log.warn(message);
      this.attention.notifications.push({ message, actions: ['Show Servers'] });
      void vscode.window.showWarningMessage(message, 'Show Servers').then((choice) => {
        if (choice) void vscode.commands.executeCommand('gatekit.showServers');
      });
    }
    this.overBudget = over;
  }

  private notices(): { text: string; icon: string; command?: string }[] {
    const notices: { text: string; icon: string; command?: string }[] = [];
    // With nothing configured the view stays empty so VS Code shows the welcome (Import) instead.
    for (const { label, servers } of this.settings.effective.state === 'empty' ? [] : this.bypass.bypassing) {
      notices.push({ text: `${servers.length} server${servers.length === 1 ? '' : 's'} in ${label} bypass${servers.length === 1 ? 'es' : ''} Gatekit: import`, icon: 'warning', command: 'gatekit.importMcpJson' });
    }
    const budget = this.toolBudget();
    if (budget.exposed > budget.limit) notices.push({ text: `${budget.exposed} tools exposed, over VS Code's ${budget.limit} per request: hide a server's tools (right-click it)`, icon: 'warning' });
    if (this.settings.ignoringUntrustedWorkspaceValues) notices.push({ text: 'Workspace servers and plugins are ignored until you trust this workspace', icon: 'workspace-untrusted' });
    if (this.settings.effective.state === 'invalid' && this.lastGood) notices.push({ text: 'Gateways keep running the last valid configuration', icon: 'info' });
    return notices;
  }

  private serverStatus(name: string): ServerStatus | undefined {
    return this.statusSession()?.servers.find((s) => s.name === name);
  }

  /**
   * A server's tools as the Servers view shows them: the views gateway's inventory first, with any
   * gateway's pending change of a tool in its place (a chat's server process may offer a changed
   * definition the views gateway's process does not).
   */
  toolsOf(name: string): ToolInventoryEntry[] | undefined {
    const preferred = this.statusSession();
    // Every gateway's list counts: a chat's server process may offer tools the views gateway's does
    // not (tools that depend on the client's capabilities, tools added later), and the model sees those.
    const sessions = [...(preferred ? [preferred] : []), ...[...this.controlServer.sessions()].reverse().filter((s) => s !== preferred)];
    let merged: ToolInventoryEntry[] | undefined;
    const seen = new Set<string>();
    for (const session of sessions) {
      const inventory = session.inventories.get(name);
      if (inventory === undefined) continue;
      merged ??= [];
      for (const tool of inventory) {
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        merged.push(tool);
      }
    }
    if (merged === undefined) return undefined;
    const pending = this.attention.changesOf(name);
    if (pending.length === 0) return merged;
    const withPending = merged.map((tool) => pending.find((c) => c.tool.name === tool.name)?.tool ?? tool);
    for (const change of pending) if (!seen.has(change.tool.name)) withPending.push(change.tool);
    return withPending;
  }

  /** Tools the model gets through Gatekit (visible or renamed, every configured server) against VS Code's per-request limit. */
  toolBudget(): { exposed: number; limit: number; byServer: { server: string; exposed: number }[] } {
    const byServer = (this.lastGood?.serverNames ?? []).map((server) => ({
      server,
      exposed: (this.toolsOf(server) ?? []).filter((t) => (t.visibility === 'visible' || t.visibility === 'renamed') && t.pin !== 'changed' && t.pin !== 'new').length,
    }));
    return { exposed: byServer.reduce((sum, s) => sum + s.exposed, 0), limit: VSCODE_TOOL_LIMIT, byServer };
  }

  /** `server__tool (hidden)` for the tools of a server (every server when empty) the model does not get. */
  private withheldTools(server: string): string[] {
    const names = server ? [server] : (this.lastGood?.serverNames ?? []);
    return names.flatMap((name) =>
      (this.toolsOf(name) ?? []).filter((t) => t.visibility === 'hidden' || t.visibility === 'blocked').map((t) => `${namespacedName(name, t.name)} (${t.visibility}${t.reason ? `: ${t.reason.slice(0, 120)}` : ''})`),
    );
  }

  private updateStatusBar(): void {
    const config = this.settings.effective;
    const names = this.lastGood?.serverNames ?? [];
    const session = this.statusSession();
    const running = names.filter((n) => session?.servers.find((s) => s.name === n)?.state === 'running').length;
    const failed = names.filter((n) => ['failed', 'crashed'].includes(session?.servers.find((s) => s.name === n)?.state ?? '')).length;
    const item = this.statusBar;
    if (config.state === 'empty') {
      item.text = '$(shield) Gatekit';
      item.tooltip = 'Gatekit: no MCP servers configured';
      item.backgroundColor = undefined;
    } else if (config.state === 'invalid') {
      item.text = '$(warning) Gatekit';
      item.tooltip = `Gatekit: ${config.problems.length} configuration problem${config.problems.length === 1 ? '' : 's'}`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else if (this.attention.changes.length > 0) {
      const count = this.attention.changes.length;
      item.text = `$(warning) Gatekit ${running}/${names.length} · ${count} to review`;
      item.tooltip = `Gatekit: ${count} tool definition${count === 1 ? '' : 's'} changed or new, blocked until you review ${count === 1 ? 'it' : 'them'} (click to review)`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else {
      item.text = `$(shield) Gatekit ${running}/${names.length}`;
      item.tooltip = `Gatekit: ${running} of ${names.length} servers running${failed ? `, ${failed} failed` : ''}; ${this.controlServer.sessions().filter((s) => s.identity.mode !== 'control-only').length} chat session(s)`;
      item.backgroundColor = failed > 0 ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }
    item.command = config.state === 'ready' && this.attention.changes.length > 0 ? 'gatekit.reviewToolChange' : 'gatekit.showServers';
    item.show();
  }
}
