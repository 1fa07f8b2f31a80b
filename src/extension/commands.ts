// The Gatekit commands (category "Gatekit" in package.json). Each returns what it did, so tests and
// other extensions can run them without UI; options arguments replace the prompts.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EffectiveConfig } from './effective-config';
import type { GatekitExtension } from './gatekit-extension';
import type { ImportOptions, RestoreOptions } from './mcp-import';
import { exchangeTitle, OPEN_ENTRY_COMMAND, TRAFFIC_VIEW_ID } from './views/traffic-view';
import { SERVERS_VIEW_ID } from './views/servers-view';
import { trafficEntryUri } from './views/traffic-document';
import type { ToolInventoryEntry } from '../shared/protocol';

/** Quotes one shell word when needed (POSIX shells and PowerShell both accept double quotes here). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** Registers every command; all are disposed with the extension. */
export function registerCommands(extension: GatekitExtension): vscode.Disposable[] {
  const register = (id: string, run: (...args: any[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, run);
  return [
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
    register('gatekit.importMcpJson', (options?: ImportOptions) => extension.importer.import(options ?? {})),
    register('gatekit.restoreMcpJson', (options?: RestoreOptions) => extension.importer.restore(options ?? {})),
    register('gatekit.copyGatewayCommand', () => copyGatewayCommand(extension)),
    register('gatekit.approveToolChanges', (node?: { kind?: string; server?: string; name?: string; tool?: ToolInventoryEntry }) => approveToolChanges(extension, node)),
  ];
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
      if (choice) void vscode.commands.executeCommand('gatekit.showServers');
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

/**
 * Copies a command line that runs this gateway for another MCP client (Claude Code, Cline, ...).
 * With settings only, the configuration is exported to a file first (settings do not exist
 * outside VS Code). Returns the command line.
 */
async function copyGatewayCommand(extension: GatekitExtension): Promise<string | undefined> {
  const config = extension.lastGood;
  if (config === undefined) {
    void vscode.window.showWarningMessage('Gatekit has no valid configuration to run yet.');
    return undefined;
  }
  let configFile = config.configFile;
  const fromSettingsOnly = configFile === undefined;
  if (configFile === undefined || config.config === undefined) {
    configFile = path.join(extension.context.globalStorageUri.fsPath, 'exported-gatekit.json');
    await mkdir(path.dirname(configFile), { recursive: true, mode: 0o700 });
    // Mode 0600: resolved ${input:...} secrets may be part of it.
    await writeFile(configFile, `${JSON.stringify(config.config, null, 2)}\n`, { mode: 0o600 });
  }
  const command = ['node', extension.gatewayScript, '--config', configFile].map(shellWord).join(' ');
  await vscode.env.clipboard.writeText(command);
  void vscode.window.showInformationMessage(
    fromSettingsOnly ? `Copied. Your settings were exported to ${configFile} for it (secrets included, readable only by you).` : 'Copied the gateway command line.',
  );
  return command;
}

async function approveToolChanges(extension: GatekitExtension, node: { kind?: string; server?: string; name?: string; tool?: ToolInventoryEntry } | undefined): Promise<number> {
  let server: string | undefined;
  let tools: string[] | undefined;
  if (node?.kind === 'tool' && node.server && node.tool) {
    server = node.server;
    tools = [node.tool.name];
  } else if (node?.kind === 'server' && node.name) {
    server = node.name;
  } else if (node?.server) {
    server = node.server;
  } else {
    const pending: { server: string; tool: ToolInventoryEntry }[] = [];
    const seen = new Set<string>();
    for (const session of extension.sessions()) {
      for (const [name, inventory] of session.inventories) {
        for (const tool of inventory) {
          if ((tool.pin === 'changed' || tool.pin === 'new') && !seen.has(`${name}\0${tool.name}`)) {
            seen.add(`${name}\0${tool.name}`);
            pending.push({ server: name, tool });
          }
        }
      }
    }
    if (pending.length === 0) {
      void vscode.window.showInformationMessage('No tool definitions are waiting for approval.');
      return 0;
    }
    const picked = await vscode.window.showQuickPick(
      pending.map((p) => ({ label: `${p.server}__${p.tool.name}`, description: p.tool.pin === 'new' ? 'new' : 'changed', detail: p.tool.reason ?? p.tool.description, picked: true, pending: p })),
      { title: 'Approve these tool definitions?', canPickMany: true },
    );
    if (picked === undefined || picked.length === 0) return 0;
    let approved = 0;
    const byServer = new Map<string, string[]>();
    for (const p of picked) byServer.set(p.pending.server, [...(byServer.get(p.pending.server) ?? []), p.pending.tool.name]);
    for (const [name, list] of byServer) approved += await sendApproval(extension, name, list);
    return approved;
  }
  return sendApproval(extension, server, tools);
}

async function sendApproval(extension: GatekitExtension, server: string | undefined, tools: string[] | undefined): Promise<number> {
  const results = await extension.controlServer.approveToolChanges({ ...(server ? { server } : {}), ...(tools ? { tools } : {}) });
  let approved = 0;
  for (const r of results) {
    if (r.error) extension.log.warn(`approve tool changes (gateway ${r.session.identity.pid}): ${r.error}`);
    approved = Math.max(approved, r.result?.approved ?? 0);
  }
  extension.log.info(`approved ${approved} tool definition(s)${server ? ` of ${server}` : ''}`);
  return approved;
}
