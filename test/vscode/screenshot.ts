// Not a test: the module scripts/test-vscode.sh runs with SCREENSHOT=... to photograph the Gatekit
// views with live traffic (docs/images). It makes real tool calls through the gateway, tells the
// driver it is ready, and finishes once the driver has taken the picture.
import { existsSync, watch } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import { configVersionOf, fixtureServer, gatekit, memoryServer, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor } from './helpers';

function waitForFile(file: string, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (existsSync(file)) return resolve();
    const watcher = watch(path.dirname(file), () => {
      if (!existsSync(file)) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${file} did not appear within ${ms} ms`));
    }, ms);
  });
}

/** Entry point called by VS Code (extensionTestsPath). */
export async function run(): Promise<void> {
  const runDir = process.env.GATEKIT_TEST_RUN_DIR;
  if (!runDir) throw new Error('GATEKIT_TEST_RUN_DIR is not set');
  const extension = await gatekit();
  await resetSettings(extension);
  await setUserSettings(extension, {
    upstreams: [memoryServer(extension, 'memory')],
    plugins: {
      security: {
        _global: [
          { handler: 'basic_secrets_filter', config: { action: 'redact' } },
          { handler: 'basic_pii_filter', config: { action: 'block' } },
        ],
      },
    },
  });
  const { client } = await startLikeVsCode(extension.provider.definition()!);
  try {
    await client.listTools();
    await client.callTool({ name: 'memory__create_entities', arguments: { entities: [{ name: 'release-plan', entityType: 'doc', observations: ['deploy key AKIAZ3MHQW7XKT2LPQ5R'] }] } });
    await client.callTool({ name: 'memory__add_observations', arguments: { observations: [{ entityName: 'release-plan', contents: ['ask jane.doe@acme-corp.io'] }] } }).catch(() => undefined);
    await client.callTool({ name: 'memory__search_nodes', arguments: { query: 'release' } });
    await client.callTool({ name: 'memory__read_graph', arguments: {} });
    await waitFor('the calls in the Traffic view', () => extension.traffic.sessions().some((s) => s.entries.filter((e) => e.event.method === 'tools/call').length >= 4), stateEvents(extension));
    await waitFor('memory running in the Servers view', () => extension.statusSession()?.servers.some((s) => s.name === 'memory' && s.state === 'running'), stateEvents(extension), 30_000);
    // Show what the secrets filter did to the first call: the request as it reached the server.
    const redacted = extension.traffic.sessions().flatMap((s) => s.entries).find((e) => e.event.decision === 'redacted');
    if (redacted) await vscode.commands.executeCommand('gatekit.openTrafficEntry', redacted.id);
    await vscode.commands.executeCommand('gatekit.showTraffic');
    const serverNode = extension.serversView.getChildren().find((n) => n.kind === 'server');
    if (serverNode) await extension.serversTree?.reveal(serverNode, { expand: true, focus: false, select: false });
    console.log('[gatekit-screenshot] ready');
    await waitForFile(path.join(runDir, 'screenshot-taken'), 90_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The filtered traffic: what Gatekit changed, list calls hidden.
    await vscode.commands.executeCommand('gatekit.filterTraffic', { decisions: ['redacted', 'blocked'] });
    await shot(runDir, 'gatekit-traffic-filtered');
    await vscode.commands.executeCommand('gatekit.clearTrafficFilter');
  } finally {
    await client.close();
    await resetSettings(extension);
  }
  await changedToolScenes(extension, runDir);
  await policyEditorScene(extension, runDir);
  await approvalScene(extension, runDir);
}

/** The policy editor on a server with a renamed and a hidden tool, a filter for every server and one of its own. */
async function policyEditorScene(extension: GatekitExtension, runDir: string): Promise<void> {
  await setUserSettings(extension, {
    upstreams: [memoryServer(extension, 'memory')],
    plugins: {
      security: {
        _global: [{ handler: 'basic_pii_filter', config: { action: 'redact' } }],
        memory: [{ handler: 'basic_secrets_filter', config: { action: 'block' } }],
      },
    },
  });
  try {
    await waitFor('the memory tools', () => (extension.toolsOf('memory')?.length ?? 0) > 0, stateEvents(extension), 30_000);
    const known = extension.toolsOf('memory')!.map((t) => t.name);
    await extension.settings.writePluginLists([
      { section: 'middleware', scope: 'memory', list: [{ handler: 'tool_manager', config: { tools: known.filter((t) => t !== 'delete_entities').map((tool) => (tool === 'read_graph' ? { tool, display_name: 'graph' } : { tool })) } }] },
    ]);
    await waitFor('the rename reported', () => extension.toolsOf('memory')?.some((t) => t.name === 'read_graph' && t.visibility === 'renamed'), stateEvents(extension), 30_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    await vscode.commands.executeCommand('gatekit.editPolicy');
    await shot(runDir, 'policy-editor');
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await resetSettings(extension);
  }
}

/** Asks the driver for a picture of the workbench as it is, and waits until it is taken. */
async function shot(runDir: string, name: string): Promise<void> {
  console.log(`[gatekit-screenshot] shot ${name}`);
  await waitForFile(path.join(runDir, `screenshot-taken-${name}`), 60_000);
}

/** A tool definition changes under a chat session: the alert, then its review. */
async function changedToolScenes(extension: GatekitExtension, runDir: string): Promise<void> {
  const pinDir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-shot-pins-'));
  await setUserSettings(extension, {
    upstreams: [fixtureServer(extension, 'fixture', '--mutate-description', '--description', 'Echoes the given text back.\u200B')],
    plugins: { security: { _global: [{ handler: 'tool_pinning', config: { lockfile: path.join(pinDir, 'pins.json') } }] } },
  });
  const definition = extension.provider.definition()!;
  const { client } = await startLikeVsCode(definition);
  try {
    await waitFor('the chat gateway', () => extension.sessions().some((s) => s.identity.configVersion === configVersionOf(definition) && s.identity.mode === 'stdio'), stateEvents(extension));
    await client.listTools();
    await client.callTool({ name: 'fixture__change_tools', arguments: {} });
    await client.listTools();
    await waitFor('echo waiting for review', () => extension.attention.find('fixture', 'echo'), stateEvents(extension), 30_000);
    await vscode.commands.executeCommand('gatekit.showServers');
    const server = extension.serversView.getChildren().find((n) => n.kind === 'server');
    if (server) await extension.serversTree?.reveal(server, { expand: true, focus: false, select: false });
    await shot(runDir, 'gatekit-alert');
    await vscode.commands.executeCommand('gatekit.reviewToolChange', { server: 'fixture', tool: 'echo' });
    await shot(runDir, 'gatekit-review');
  } finally {
    await client.close();
    await resetSettings(extension);
    rmSync(pinDir, { recursive: true, force: true });
  }
}

/** A call the call_approval policy holds: the prompt, with its arguments (one hiding an RTL override). */
async function approvalScene(extension: GatekitExtension, runDir: string): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await setUserSettings(extension, {
    upstreams: [fixtureServer(extension, 'files', '--named-tool', 'delete_file')],
    plugins: { middleware: { _global: [{ handler: 'call_approval', config: { rules: [{ tools: ['delete_*'] }] } }] } },
  });
  const definition = extension.provider.definition()!;
  const { client } = await startLikeVsCode(definition);
  try {
    await waitFor('the chat gateway', () => extension.sessions().some((s) => s.identity.configVersion === configVersionOf(definition) && s.identity.mode === 'stdio'), stateEvents(extension));
    await client.listTools();
    const calling = client.callTool({ name: 'files__delete_file', arguments: { path: '/home/dev/project/invoice\u202Efdp.exe', recursive: true } }).catch(() => undefined);
    await waitFor('the approval prompt', () => extension.approvals.shown, [(l) => extension.approvals.onDidChange(l)], 30_000);
    await shot(runDir, 'approval-prompt');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await calling;
  } finally {
    await client.close();
    await resetSettings(extension);
  }
}
