// The Gatekit commands (category "Gatekit" in package.json). Each returns what it did, so tests and
// other extensions can run them without UI; options arguments replace the prompts.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sandboxServer } from './sandbox-command';
import { inputIdsOf, type EffectiveConfig } from './effective-config';
import { inputSecretKey } from './settings';
import type { GatekitExtension } from './gatekit-extension';
import type { ImportOptions, ImportResult, RestoreOptions } from './mcp-import';
import { allowTool, hideAllTools, hideTool, showAllTools } from './tool-allowlist';
import { exchangeTitle, OPEN_ENTRY_COMMAND, TRAFFIC_VIEW_ID, type TrafficNode } from './views/traffic-view';
import { SERVERS_VIEW_ID } from './views/servers-view';
import { renderEntry, trafficEntryUri } from './views/traffic-document';
import { ToolReviewPanels, type ToolReview } from './views/tool-review-panel';
import type { GatewaySession } from './control-server';
import { renderDefinition } from '../shared/definition-text';
import type { ToolInventoryEntry } from '../shared/protocol';
import { isRecord } from '../shared/jsonrpc';
import { namespacedName } from '../shared/namespacing';

/** A Servers view node, or what tests and automation pass instead: `{server, tool}` names. */
type ToolTarget = { kind?: string; server?: string; name?: string; tool?: ToolInventoryEntry | string };

/** Options of `gatekit.approveToolChanges` (second argument). */
export interface ApproveOptions {
  /** False approves without the confirmation prompt; the diff still opens. */
  confirm?: boolean;
}

function isApproveOptions(value: unknown): value is ApproveOptions {
  return isRecord(value) && 'confirm' in value;
}

/** Quotes one shell word when needed (POSIX shells and PowerShell both accept double quotes here). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** Registers every command; all are disposed with the extension. */
export function registerCommands(extension: GatekitExtension): vscode.Disposable[] {
  // VS Code hands a command whatever its invoker passed (a menu's node, executeCommand's arguments)
  // unchecked; each handler declares what it expects and tolerates the rest.
  const register = <A extends unknown[]>(id: string, run: (...args: A) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, run as (...args: unknown[]) => unknown);
  const reviews = new ToolReviewPanels({
    approve: (server, tool, offered) => approveOne(extension, server, tool, offered),
    openJsonDiff: (server, tool) => openJsonDiff(extension, server, tool),
  });
  extension.reviews = reviews;
  return [
    reviews,
    register('gatekit.reviewToolChange', (target?: ToolTarget) => reviewToolChange(extension, reviews, target)),
    register('gatekit.showTraffic', () => vscode.commands.executeCommand(`${TRAFFIC_VIEW_ID}.focus`)),
    register('gatekit.showServers', () => vscode.commands.executeCommand(`${SERVERS_VIEW_ID}.focus`)),
    register('gatekit.clearTraffic', () => {
      extension.traffic.clear();
      extension.trafficView.refresh();
    }),
    register('gatekit.restartGateway', () => extension.restartGateways()),
    register('gatekit.restartServer', async (node?: { kind?: string; name?: string } | string) => {
      const name = typeof node === 'string' ? node : node?.name;
      await extension.controlServer.restartUpstreams(name === undefined ? undefined : [name]);
    }),
    register(OPEN_ENTRY_COMMAND, async (entryId: number) => {
      const entry = extension.traffic.entry(entryId);
      if (entry === undefined) return undefined;
      const document = await vscode.workspace.openTextDocument(trafficEntryUri(entryId, exchangeTitle(entry.event)));
      await vscode.window.showTextDocument(document, { preview: true, preserveFocus: true });
      return document;
    }),
    register('gatekit.openAuditLog', async (file?: string) => openAuditLog(extension, file)),
    register('gatekit.openSettings', (setting?: string) =>
      vscode.commands.executeCommand('workbench.action.openSettings', typeof setting === 'string' && setting.startsWith('gatekit.') ? setting : '@ext:gatekit.gatekit-vscode'),
    ),
    register('gatekit.validateConfiguration', async (options?: { quiet?: boolean }) => {
      const config = await extension.settings.refresh();
      if (!options?.quiet) showValidation(config);
      return config;
    }),
    register('gatekit.importMcpJson', (options?: ImportOptions) => importMcpJson(extension, options)),
    register('gatekit.restoreMcpJson', (options?: RestoreOptions) => restoreMcpJson(extension, options)),
    register('gatekit.copyGatewayCommand', (options?: unknown) =>
      copyGatewayCommand(extension, isRecord(options) && (options.secrets === 'omit' || options.secrets === 'include') ? { secrets: options.secrets } : {}),
    ),
    // From a view menu the second argument is VS Code's (selected nodes); only an options object counts.
    register('gatekit.approveToolChanges', (node?: ToolTarget, options?: unknown) => approveToolChanges(extension, node, isApproveOptions(options) ? options : {})),
    register('gatekit.hideTool', (target?: ToolTarget) => changeToolVisibility(extension, target, 'hide')),
    register('gatekit.allowTool', (target?: ToolTarget) => changeToolVisibility(extension, target, 'allow')),
    register('gatekit.hideServerTools', (target?: ToolTarget | string) => changeServerTools(extension, target, 'hide')),
    register('gatekit.showServerTools', (target?: ToolTarget | string) => changeServerTools(extension, target, 'show')),
    register('gatekit.copyTrafficEntry', (target?: TrafficNode | number) => copyTrafficEntry(extension, target)),
    register('gatekit.sandboxServer', (target?: { name?: unknown } | string) => {
      const name = typeof target === 'string' ? target : typeof target?.name === 'string' ? target.name : undefined;
      return name === undefined ? undefined : sandboxServer(name, (message) => void notify(extension, 'info', message));
    }),
  ];
}

/** Shows a notification and keeps it in the extension's list (the log and the integration tests read it). */
function notify(extension: GatekitExtension, level: 'info' | 'warning', message: string, ...actions: string[]): Thenable<string | undefined> {
  extension.attention.notifications.push({ message, actions });
  extension.log.info(message);
  return level === 'info' ? vscode.window.showInformationMessage(message, ...actions) : vscode.window.showWarningMessage(message, ...actions);
}

/** Import, then say what happened, with Undo when servers were moved out of mcp.json. */
async function importMcpJson(extension: GatekitExtension, options: ImportOptions | undefined): Promise<ImportResult | undefined> {
  const result = await extension.importer.import(options ?? {});
  if (result === undefined || result.imported.length === 0) return result;
  const names = result.imported.join(', ');
  const message = `Gatekit now runs ${names} (${result.target} settings)${result.moved ? ` and took ${result.imported.length === 1 ? 'it' : 'them'} out of ${path.basename(result.file)}` : ''}.`;
  void notify(extension, 'info', message, ...(result.moved ? ['Undo'] : []), 'Show Servers').then((choice) => {
    if (choice === 'Undo') void vscode.commands.executeCommand('gatekit.restoreMcpJson', { file: result.file });
    if (choice === 'Show Servers') void vscode.commands.executeCommand('gatekit.showServers');
  });
  return result;
}

/**
 * Restore mcp.json: asked first when run by hand (options objects are automation), then says that
 * the servers bypass Gatekit again.
 */
async function restoreMcpJson(extension: GatekitExtension, options: RestoreOptions | undefined): Promise<string[] | undefined> {
  if (options === undefined) {
    const choice = await vscode.window.showWarningMessage(
      'Put the servers Gatekit imported back into mcp.json?',
      { modal: true, detail: 'VS Code then starts them directly: the model reaches them without Gatekit\'s filters, pinning and audit.' },
      'Restore',
    );
    if (choice !== 'Restore') return undefined;
  }
  const restored = await extension.importer.restore(options ?? {});
  if (restored?.length) {
    void notify(extension, 'warning', `${restored.join(', ')} ${restored.length === 1 ? 'is' : 'are'} back in mcp.json and bypass${restored.length === 1 ? 'es' : ''} Gatekit.`, 'Import Again').then((choice) => {
      if (choice) void vscode.commands.executeCommand('gatekit.importMcpJson');
    });
  }
  return restored;
}

function showValidation(config: EffectiveConfig): void {
  if (config.state === 'ready') {
    void vscode.window.showInformationMessage(`Gatekit configuration valid: ${config.serverNames.length} server${config.serverNames.length === 1 ? '' : 's'} (${config.serverNames.join(', ')}).`);
  } else if (config.state === 'empty') {
    void vscode.window.showInformationMessage('Gatekit has no MCP servers configured yet.', 'Import Servers from mcp.json').then((choice) => {
      if (choice) void vscode.commands.executeCommand('gatekit.importMcpJson');
    });
  } else {
    const lines = config.problems.map((p) => `${p.origin === 'file' ? `${p.file ?? ''}${p.line ? `:${p.line}` : ''} ` : ''}${p.path}: ${p.message}`);
    void vscode.window.showErrorMessage(`Gatekit configuration invalid: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ''}`, { detail: lines.join('\n') }, 'Show Problems').then((choice) => {
      if (choice) void vscode.commands.executeCommand('gatekit.showProblems');
    });
  }
}

async function openAuditLog(extension: GatekitExtension, file: string | undefined): Promise<vscode.TextDocument | undefined> {
  const logs = extension.lastGood?.auditLogs ?? [];
  let chosen = file;
  if (chosen === undefined) {
    if (logs.length === 0) {
      const choice = await vscode.window.showInformationMessage(
        'No audit log is configured. Add an auditing plugin (audit_jsonl, audit_csv or audit_human_readable) to gatekit.plugins.',
        'Open Settings',
      );
      if (choice) await vscode.commands.executeCommand('gatekit.openSettings', 'gatekit.plugins');
      return undefined;
    }
    chosen = logs.length === 1 ? logs[0] : (await vscode.window.showQuickPick(logs, { title: 'Open which audit log?' }));
    if (chosen === undefined) return undefined;
  }
  if (!existsSync(chosen)) {
    void vscode.window.showInformationMessage(`${chosen} has not been written yet: it appears with the first exchange.`);
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(chosen));
  await vscode.window.showTextDocument(document, { preview: false });
  return document;
}

/** Options of `gatekit.copyGatewayCommand`: what to do with `${input:…}` secrets (otherwise it asks). */
export interface CopyCommandOptions {
  secrets?: 'omit' | 'include';
}

/** `MCP_INPUT_API_KEY` for `${input:api-key}`: the variable a standalone gateway reads instead. */
export function inputVariable(id: string): string {
  return `MCP_INPUT_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Replaces every occurrence of each secret value in the configuration's strings by `${VARIABLE}`. */
function withoutSecrets(value: unknown, secrets: readonly [string, string][]): unknown {
  if (typeof value === 'string') return secrets.reduce((text, [secret, variable]) => (secret ? text.split(secret).join(`\${${variable}}`) : text), value);
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, secrets));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, v] of Object.entries(value)) copy[key] = withoutSecrets(v, secrets);
  return copy;
}

/**
 * Copies a command line that runs this gateway for another MCP client (Claude Code, Cline, ...).
 * With settings only, the configuration is exported to a file first (settings do not exist
 * outside VS Code). A secret entered for `${input:…}` is never written without asking: by default
 * it becomes `${MCP_INPUT_…}`, which the gateway expands from its environment in `env` and `cwd`.
 * Returns the command line (undefined when cancelled).
 */
async function copyGatewayCommand(extension: GatekitExtension, options: CopyCommandOptions): Promise<string | undefined> {
  const config = extension.lastGood;
  if (config === undefined) {
    void vscode.window.showWarningMessage('Gatekit has no valid configuration to run yet.');
    return undefined;
  }
  let configFile = config.configFile;
  const fromSettingsOnly = configFile === undefined;
  let note = '';
  if (configFile === undefined || config.config === undefined) {
    const ids = inputIdsOf(vscode.workspace.getConfiguration('gatekit').get('upstreams'));
    const secrets: [string, string][] = [];
    for (const id of ids) {
      const value = await extension.context.secrets.get(inputSecretKey(id));
      // The configuration holds a value with '$' doubled (the gateway expands $VAR in env values).
      if (value) secrets.push([value.replace(/\$/g, '$$$$'), inputVariable(id)], [value, inputVariable(id)]);
    }
    let include = options.secrets === 'include';
    if (secrets.length > 0 && options.secrets === undefined) {
      const omit = `Use \${${secrets[0]![1]}}${ids.length > 1 ? ' etc.' : ''} instead`;
      const choice = await vscode.window.showWarningMessage(
        `Your servers use ${ids.map((id) => `\${input:${id}}`).join(', ')}. Exporting the configuration for the command line would write ${ids.length === 1 ? 'that secret' : 'those secrets'} to a file.`,
        omit,
        'Write the secrets (file readable only by you)',
      );
      if (choice === undefined) return undefined;
      include = choice !== omit;
    }
    const exported = include ? config.config : withoutSecrets(config.config, secrets);
    if (!include && secrets.length > 0) note = ` Set ${[...new Set(secrets.map(([, variable]) => variable))].join(', ')} in the environment of the client that runs it.`;
    configFile = path.join(extension.context.globalStorageUri.fsPath, 'exported-gatekit.json');
    await mkdir(path.dirname(configFile), { recursive: true, mode: 0o700 });
    // Mode 0600 either way: paths and other settings are the user's business too.
    await writeFile(configFile, `${JSON.stringify(exported, null, 2)}\n`, { mode: 0o600 });
    if (include && secrets.length > 0) note = ' It contains your secrets (readable only by you).';
  }
  const command = ['node', extension.gatewayScript, '--config', configFile].map(shellWord).join(' ');
  await vscode.env.clipboard.writeText(command);
  void vscode.window.showInformationMessage(fromSettingsOnly ? `Copied. Your settings were exported to ${configFile} for it.${note}` : 'Copied the gateway command line.');
  return command;
}

/**
 * Approve Tool Changes. Without `{confirm: false}` nothing is approved here: a tool (or the one
 * picked among the pending ones) opens its review, whose own button approves. `{confirm: false}`
 * (automation) approves the tool, the server's pending tools, or every pending one. Returns how many
 * were pinned anew.
 */
async function approveToolChanges(extension: GatekitExtension, node: ToolTarget | undefined, options: ApproveOptions): Promise<number> {
  const target = toolOf(node);
  const server = target?.server ?? (node?.kind === 'server' ? node.name : node?.server);
  if (options.confirm !== false) {
    await reviewToolChange(extension, extension.reviews, target ?? (server ? { server } : undefined));
    return 0;
  }
  const changes = extension.attention.changes.filter((c) => (server === undefined || c.server === server) && (target === undefined || c.tool.name === target.tool));
  let approved = 0;
  for (const change of changes) approved += await approveOne(extension, change.server, change.tool.name, change.tool.currentDefinition);
  return approved;
}

/**
 * Opens the review of a pending tool change: the named tool, or one picked among the pending
 * changes (of one server when named). Resolves with the open review.
 */
async function reviewToolChange(extension: GatekitExtension, reviews: ToolReviewPanels | undefined, target: ToolTarget | undefined): Promise<ToolReview | undefined> {
  if (reviews === undefined) return undefined;
  const named = toolOf(target);
  if (named) {
    const change = extension.attention.find(named.server, named.tool);
    if (change === undefined) {
      void vscode.window.showInformationMessage(`${namespacedName(named.server, named.tool)} has no definition change waiting for review.`);
      return undefined;
    }
    return reviews.show(change.server, change.tool);
  }
  const server = target?.kind === 'server' ? target.name : target?.server;
  const changes = extension.attention.changes.filter((c) => server === undefined || c.server === server);
  if (changes.length === 0) {
    void vscode.window.showInformationMessage('No tool definitions are waiting for review.');
    return undefined;
  }
  const picked =
    changes.length === 1
      ? changes[0]
      : (
          await vscode.window.showQuickPick(
            changes.map((c) => ({ label: namespacedName(c.server, c.tool.name), description: c.tool.pin === 'new' ? 'new' : 'changed', detail: c.tool.reason ?? c.tool.description, change: c })),
            { title: 'Review which tool definition?' },
          )
        )?.change;
  return picked ? reviews.show(picked.server, picked.tool) : undefined;
}

/** Approves one reviewed definition and shows the tool pinned at once. */
async function approveOne(extension: GatekitExtension, server: string, tool: string, offered: Record<string, unknown> | undefined): Promise<number> {
  const approved = await sendApproval(extension, server, [tool], offered);
  if (approved > 0) extension.markApproved(server, tool, offered);
  return approved;
}

/** The approved and the offered definition side by side as JSON (a new tool: the offered one). */
async function openJsonDiff(extension: GatekitExtension, server: string, tool: ToolInventoryEntry): Promise<void> {
  const label = namespacedName(server, tool.name);
  const definitions = extension.toolDefinitions;
  if (tool.pin === 'changed' && tool.pinnedDefinition && tool.currentDefinition) {
    const approved = definitions.set(server, tool.name, 'approved', tool.pinnedDefinition);
    const offered = definitions.set(server, tool.name, 'offered', tool.currentDefinition);
    await vscode.commands.executeCommand('vscode.diff', approved, offered, `${label}: approved ↔ offered now`, { preview: true });
  } else if (tool.currentDefinition) {
    const offered = definitions.set(server, tool.name, 'offered', tool.currentDefinition);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(offered), { preview: true });
  }
}

/**
 * True when the session reports a changed or new definition among `tools` of `server` (all its
 * tools when absent), and, when `offered` is given, offers exactly that definition.
 */
function reportsPending(session: GatewaySession, server: string, tools: readonly string[] | undefined, offered: Record<string, unknown> | undefined): boolean {
  const shown = offered === undefined ? undefined : renderDefinition(offered);
  return (session.inventories.get(server) ?? []).some(
    (t) =>
      (t.pin === 'changed' || t.pin === 'new') &&
      (tools === undefined || tools.includes(t.name)) &&
      (shown === undefined || (t.currentDefinition !== undefined && renderDefinition(t.currentDefinition) === shown)),
  );
}

/**
 * Sends the approval to the gateways that report the pending definitions (every gateway when no
 * server is named). Gateways pin what their lockfile holds as pending, and two processes of a
 * server can offer different definitions: one that offers another definition than the one
 * reviewed must not be the one to approve.
 */
async function sendApproval(extension: GatekitExtension, server: string | undefined, tools: string[] | undefined, offered?: Record<string, unknown>): Promise<number> {
  const filter = server === undefined ? undefined : (session: GatewaySession) => reportsPending(session, server, tools, offered);
  const results = await extension.controlServer.approveToolChanges({ ...(server ? { server } : {}), ...(tools ? { tools } : {}) }, filter);
  if (results.length === 0) extension.log.warn(`approve tool changes: no gateway reports ${tools?.join(', ') ?? 'changed tools'}${server ? ` of ${server}` : ''} as changed any more`);
  let approved = 0;
  for (const r of results) {
    if (r.error) extension.log.warn(`approve tool changes (gateway ${r.session.identity.pid}): ${r.error}`);
    approved = Math.max(approved, r.result?.approved ?? 0);
  }
  extension.log.info(`approved ${approved} tool definition(s)${server ? ` of ${server}` : ''}`);
  return approved;
}

/** The server and upstream tool name a tool command is about. */
function toolOf(target: ToolTarget | undefined): { server: string; tool: string } | undefined {
  if (target === undefined || typeof target.server !== 'string') return undefined;
  const tool = typeof target.tool === 'string' ? target.tool : target.tool?.name;
  return tool === undefined ? undefined : { server: target.server, tool };
}

/**
 * Hide Tool / Allow Tool: takes the tool out of, or puts it back into, its server's `tool_manager`
 * allowlist in `gatekit.plugins`; hot reload carries the change to running gateways. Resolves true
 * when the settings were written.
 */
async function changeToolVisibility(extension: GatekitExtension, target: ToolTarget | undefined, change: 'hide' | 'allow'): Promise<boolean> {
  const picked = toolOf(target);
  if (picked === undefined) {
    void vscode.window.showInformationMessage(`Choose the tool to ${change} in the Gatekit Servers view.`);
    return false;
  }
  const { server, tool } = picked;
  const config = extension.settings.effective;
  if (config.state !== 'ready' || config.config === undefined) {
    void vscode.window.showWarningMessage(`Gatekit cannot ${change} ${namespacedName(server, tool)} while the configuration is invalid: fix the problems in the Servers view first.`);
    return false;
  }
  const list = extension.settings.serverPlugins('middleware', server);
  const known = (extension.toolsOf(server) ?? []).map((t) => t.name);
  // An allow is checked against the tools the server offers (without them it could drop the
  // allowlist); a hide of a name the server does not offer would be a typo kept in the settings.
  if (!known.includes(tool)) {
    void vscode.window.showWarningMessage(`Gatekit does not know a tool ${tool} of ${server} (is the server running?).`);
    return false;
  }
  const next = change === 'hide' ? hideTool(list, tool) : allowTool(list, tool, known);
  if (next === undefined) {
    void vscode.window.showInformationMessage(change === 'hide' ? `${namespacedName(server, tool)} is hidden already.` : `No tool_manager entry of ${server} hides ${tool}.`);
    return false;
  }
  const level = await extension.settings.writeServerPlugins('middleware', server, next);
  extension.log.info(`${change === 'hide' ? 'hid' : 'allowed'} ${namespacedName(server, tool)}: gatekit.plugins.middleware.${server} in ${level === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user'} settings`);
  return true;
}

/**
 * Hide Server's Tools / Show Server's Tools (the tool budget's one click): an empty `tool_manager`
 * allowlist for the server, or dropping it again. Resolves true when the settings were written.
 */
async function changeServerTools(extension: GatekitExtension, target: ToolTarget | string | undefined, change: 'hide' | 'show'): Promise<boolean> {
  const server = typeof target === 'string' ? target : target?.kind === 'server' ? target.name : target?.server;
  const config = extension.settings.effective;
  if (typeof server !== 'string' || config.state !== 'ready' || !config.serverNames.includes(server)) {
    void vscode.window.showInformationMessage(`Choose a configured server in the Gatekit Servers view to ${change} its tools.`);
    return false;
  }
  const list = extension.settings.serverPlugins('middleware', server);
  const next = change === 'hide' ? hideAllTools(list) : showAllTools(list);
  if (next === undefined) {
    void vscode.window.showInformationMessage(change === 'hide' ? `Every tool of ${server} is hidden already.` : `No empty allowlist of ${server} to remove: allow its tools one by one.`);
    return false;
  }
  const level = await extension.settings.writeServerPlugins('middleware', server, next);
  const where = level === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user';
  extension.log.info(`${change === 'hide' ? 'hid' : 'showed'} every tool of ${server}: gatekit.plugins.middleware.${server} in ${where} settings`);
  const undo = change === 'hide' ? 'Undo' : undefined;
  void vscode.window
    .showInformationMessage(change === 'hide' ? `The model no longer gets the tools of ${server} (${where} settings).` : `The model gets the tools of ${server} again.`, ...(undo ? [undo] : []))
    .then((choice) => {
      if (choice === 'Undo') void vscode.commands.executeCommand('gatekit.showServerTools', server);
    });
  return true;
}

/** Copy as JSON: the exchange as its read-only document shows it. Resolves with the text copied. */
async function copyTrafficEntry(extension: GatekitExtension, target: TrafficNode | number | undefined): Promise<string | undefined> {
  const node = target ?? extension.trafficTree?.selection[0];
  const entryId = typeof node === 'number' ? node : node?.kind === 'entry' ? node.entryId : undefined;
  if (entryId === undefined) return undefined;
  const text = renderEntry(extension.traffic, entryId);
  if (text === undefined) {
    void vscode.window.showInformationMessage('This exchange is no longer in the Traffic view.');
    return undefined;
  }
  await vscode.env.clipboard.writeText(text);
  return text;
}
