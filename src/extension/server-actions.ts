// The Servers view's actions on one server or tool beyond visibility and review: Show Tool Details
// (a click on a tool), Show Log, Open Config (the line defining the server), and the configuration
// problems (open one at its line, reveal them all in the Problems panel).
import * as vscode from 'vscode';
import type { GatekitExtension } from './gatekit-extension';
import { locateProblem } from './config-diagnostics';
import { openAt, serverDefinitionSpot } from './config-files';
import { splitSettingPath } from './config-locations';
import type { LocatedConfigProblem } from './effective-config';
import { serverLogUri } from './server-log';
import { toolDetailsUri } from './views/tool-details';
import { isRecord } from '../shared/jsonrpc';

/** A server, as a menu hands it (a Servers view node) or automation names it. */
function serverOf(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (!isRecord(target)) return undefined;
  if (target.kind === 'server' && typeof target.name === 'string') return target.name;
  return typeof target.server === 'string' ? target.server : undefined;
}

/** A server's tool, as a menu hands it (a tool node) or automation names it (`{server, tool}`). */
function toolOf(target: unknown): { server: string; tool: string } | undefined {
  if (!isRecord(target) || typeof target.server !== 'string') return undefined;
  const tool = typeof target.tool === 'string' ? target.tool : isRecord(target.tool) && typeof target.tool.name === 'string' ? target.tool.name : undefined;
  return tool === undefined ? undefined : { server: target.server, tool };
}

function isConfiguredServer(extension: GatekitExtension, server: string | undefined): server is string {
  const names = extension.settings.effective.state === 'ready' ? extension.settings.effective.serverNames : (extension.lastGood?.serverNames ?? []);
  return server !== undefined && names.includes(server);
}

/** Registers the actions; all are disposed with the extension. */
export function registerServerActions(extension: GatekitExtension): vscode.Disposable[] {
  const register = (id: string, run: (...args: unknown[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, run);
  return [
    register('gatekit.showToolDetails', (target) => showToolDetails(extension, target)),
    register('gatekit.showServerLog', (target) => showServerLog(extension, target)),
    register('gatekit.openServerConfig', (target) => openServerConfig(extension, target)),
    register('gatekit.openConfigProblem', (problem) => openConfigProblem(extension, problem)),
    register('gatekit.showProblems', () => showProblems(extension)),
  ];
}

/** Opens a tool's read-only details document. Resolves with it (undefined when no such tool is reported). */
async function showToolDetails(extension: GatekitExtension, target: unknown): Promise<vscode.TextDocument | undefined> {
  const named = toolOf(target);
  if (named === undefined || !(extension.toolsOf(named.server) ?? []).some((t) => t.name === named.tool)) {
    void vscode.window.showInformationMessage('Choose a tool in the Gatekit Servers view to see its definition.');
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(toolDetailsUri(named.server, named.tool));
  await vscode.window.showTextDocument(document, { preview: true });
  return document;
}

/** Shows the Gatekit log lines about one server as a read-only document. */
async function showServerLog(extension: GatekitExtension, target: unknown): Promise<vscode.TextDocument | undefined> {
  const server = serverOf(target);
  if (!isConfiguredServer(extension, server)) {
    extension.log.show(true);
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(serverLogUri(server));
  const editor = await vscode.window.showTextDocument(document, { preview: true });
  // The newest lines are at the end.
  const last = document.lineCount - 1;
  editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return document;
}

/** Opens the settings file or gatekit.yaml at the line defining the server. Resolves with the editor. */
async function openServerConfig(extension: GatekitExtension, target: unknown): Promise<vscode.TextEditor | undefined> {
  const server = serverOf(target);
  if (!isConfiguredServer(extension, server)) return undefined;
  const spot = serverDefinitionSpot(extension.context, extension.settings.effective.configFile ?? extension.lastGood?.configFile, server);
  if (spot === undefined) {
    await vscode.commands.executeCommand('gatekit.openSettings', 'gatekit.upstreams');
    return undefined;
  }
  return openAt(spot);
}

/** Opens a problem's file at its line (the settings UI when no file holds it). */
async function openConfigProblem(extension: GatekitExtension, problem: unknown): Promise<vscode.TextEditor | undefined> {
  if (!isRecord(problem) || typeof problem.path !== 'string' || (problem.origin !== 'file' && problem.origin !== 'setting')) return undefined;
  const spot = locateProblem(extension.context, problem as unknown as LocatedConfigProblem);
  if (spot === undefined) {
    await vscode.commands.executeCommand('gatekit.openSettings', splitSettingPath(problem.path)?.key);
    return undefined;
  }
  return openAt(spot);
}

/** Reveals the Problems panel, where the configuration problems are listed on their lines. */
async function showProblems(extension: GatekitExtension): Promise<void> {
  extension.configDiagnostics.update(extension.settings.effective.problems);
  await vscode.commands.executeCommand('workbench.actions.view.problems');
}
