// Shared helpers of the integration tests that run inside VS Code: activation, settings, waiting for
// a condition on events with a deadline (never a fixed sleep).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { GatekitApi } from '../../src/extension/main';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';

export const EXTENSION_ID = 'gatekit.gatekit-vscode';

/** Activates the extension under test and returns what `activate` returned. */
export async function gatekitApi(): Promise<GatekitApi> {
  const extension = vscode.extensions.getExtension<GatekitApi | undefined>(EXTENSION_ID);
  if (extension === undefined) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  const api = await extension.activate();
  if (api === undefined) throw new Error('Gatekit failed to activate (see the Gatekit output channel)');
  return api;
}

/** Activates the extension under test and returns its lifecycle owner. */
export async function gatekit(): Promise<GatekitExtension> {
  return (await gatekitApi()).extension;
}

type Subscribable = (listener: () => void) => { dispose(): void };

/** A tree item's label as text (a TreeItemLabel's own label). */
export function labelText(item: vscode.TreeItem): string {
  return typeof item.label === 'object' ? item.label.label : String(item.label);
}

/**
 * Resolves once `condition()` returns a value other than undefined/false, checking now and after
 * each firing of `events`; rejects after `ms` with `what` in the message.
 */
export function waitFor<T>(what: string, condition: () => T | undefined | false, events: readonly Subscribable[], ms = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const subscriptions: { dispose(): void }[] = [];
    const finish = (error?: Error, value?: T): void => {
      clearTimeout(timer);
      for (const s of subscriptions) s.dispose();
      if (error) reject(error);
      else resolve(value as T);
    };
    const check = (): boolean => {
      try {
        const value = condition();
        if (value !== undefined && value !== false) {
          finish(undefined, value);
          return true;
        }
      } catch (error) {
        finish(error as Error);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    if (check()) return;
    for (const event of events) subscriptions.push(event(() => void check()));
  });
}

/** Every event after which the extension's visible state may have changed. */
export function stateEvents(extension: GatekitExtension): Subscribable[] {
  return [
    (l) => extension.onDidChangeState(l),
    (l) => extension.settings.onDidChange(l),
    (l) => extension.traffic.onDidChange(l),
    (l) => extension.trafficView.onDidChangeTreeData(l),
  ];
}

/** Writes gatekit.* user settings and waits until the extension has read them. */
export async function setUserSettings(extension: GatekitExtension, values: Record<string, unknown>): Promise<void> {
  const config = vscode.workspace.getConfiguration('gatekit');
  for (const [key, value] of Object.entries(values)) await config.update(key, value, vscode.ConfigurationTarget.Global);
  await extension.settings.refresh();
}

/** Removes every gatekit.* value the tests may have written (user and workspace). */
export async function resetSettings(extension: GatekitExtension): Promise<void> {
  const config = vscode.workspace.getConfiguration('gatekit');
  for (const key of ['upstreams', 'plugins', 'configFile', 'traffic.maxEntries', 'trace', 'toolTokenWarning']) {
    await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    if (vscode.workspace.workspaceFolders?.length) await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
  }
  await extension.settings.refresh();
}

/** The real MCP memory server from the project's node_modules, run on the extension host's Node. */
export function memoryServer(extension: GatekitExtension, name = 'memory'): Record<string, unknown> {
  return {
    name,
    command: process.execPath,
    args: [path.join(extension.context.extensionPath, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js')],
    env: { ELECTRON_RUN_AS_NODE: '1', MEMORY_FILE_PATH: path.join(extension.context.globalStorageUri.fsPath, `memory-${name}.jsonl`) },
  };
}

/** The first open workspace folder (the test script always opens one). */
export function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined) throw new Error('the tests need an open workspace folder');
  return folder.uri.fsPath;
}

/** Connects the MCP SDK client to a server definition the way VS Code spawns stdio servers. */
export async function startLikeVsCode(definition: vscode.McpStdioServerDefinition): Promise<{ client: Client; stderr: () => string }> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...definition.env })) if (typeof value === 'string' || typeof value === 'number') env[key] = String(value);
  const transport = new StdioClientTransport({
    command: definition.command,
    args: definition.args,
    env,
    ...(definition.cwd ? { cwd: definition.cwd.fsPath } : {}),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'gatekit-vscode-tests', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${(error as Error).message}; gateway stderr: ${stderr}`, { cause: error });
  }
  return { client, stderr: () => stderr };
}

/** The project's configurable fixture MCP server (test/fixtures/servers), run on the extension host's Node. */
export function fixtureServer(extension: GatekitExtension, name = 'fixture', ...flags: string[]): Record<string, unknown> {
  return {
    name,
    command: process.execPath,
    args: [path.join(extension.context.extensionPath, 'test', 'fixtures', 'servers', 'fixture-server.mjs'), '--name', name, ...flags],
    env: { ELECTRON_RUN_AS_NODE: '1' },
  };
}

/** The configuration version a definition starts the gateway with (its `version` is the launch version). */
export function configVersionOf(definition: vscode.McpStdioServerDefinition): string {
  return String(definition.env.GATEKIT_CONFIG_VERSION);
}

/**
 * Starts the server definition VS Code would run with the settings as they are (as its MCP client
 * does, like a chat) and waits until that gateway is on the control link.
 */
export async function startChatGateway(extension: GatekitExtension): Promise<{ client: Client; stderr: () => string }> {
  assert.equal(extension.settings.effective.state, 'ready', JSON.stringify(extension.settings.effective.problems));
  const definition = extension.provider.definition();
  assert.ok(definition);
  const chat = await startLikeVsCode(definition);
  await waitFor('the chat gateway on the control link', () => extension.sessions().find((s) => s.identity.mode === 'stdio' && s.identity.configVersion === configVersionOf(definition)), stateEvents(extension));
  return chat;
}
