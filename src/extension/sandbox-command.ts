// "Sandbox This Server" (issue #17): turns on `sandbox.enabled` for a server defined in the
// `gatekit.upstreams` setting, at the level (workspace or user) that defines it, keeping its paths
// and network choice. A server from a gatekit.yaml is the file's to change: the user is told where.
import * as vscode from 'vscode';
import { isRecord } from '../shared/jsonrpc';
import type { SettingsUpstream } from './settings-schema';

export interface SandboxOutcome {
  readonly server: string;
  /** `settings`: the setting was changed; `file`: the server comes from a config file (nothing changed); `unknown`: no such server. */
  readonly changed: 'settings' | 'file' | 'unknown';
}

export async function sandboxServer(server: string, notify: (message: string) => void): Promise<SandboxOutcome> {
  const inspected = vscode.workspace.getConfiguration('gatekit').inspect<SettingsUpstream[]>('upstreams');
  for (const [value, target] of [
    [inspected?.workspaceValue, vscode.ConfigurationTarget.Workspace],
    [inspected?.globalValue, vscode.ConfigurationTarget.Global],
  ] as const) {
    if (!Array.isArray(value)) continue;
    const index = value.findIndex((entry) => isRecord(entry) && entry.name === server);
    if (index < 0) continue;
    const entry = value[index] as SettingsUpstream & { sandbox?: unknown };
    if ('url' in entry && entry.url !== undefined) {
      notify(`${server} is a remote server: there is no process of its own on this machine to sandbox.`);
      return { server, changed: 'unknown' };
    }
    const before: Record<string, unknown> = isRecord(entry.sandbox) ? entry.sandbox : {};
    const sandbox = { ...before, enabled: true, paths: Array.isArray(before.paths) ? before.paths : [], network: typeof before.network === 'boolean' ? before.network : true };
    const updated = value.map((item, i) => (i === index ? { ...entry, sandbox } : item));
    await vscode.workspace.getConfiguration('gatekit').update('upstreams', updated, target);
    notify(
      `${server} now runs sandboxed: your home folder is hidden from it except the paths you list under sandbox.paths, credential folders never visible. Add the folders it needs to gatekit.upstreams (sandbox.paths).`,
    );
    return { server, changed: 'settings' };
  }
  const configFile = vscode.workspace.getConfiguration('gatekit').get<string>('configFile');
  if (configFile) {
    notify(`${server} is defined in ${configFile}: add "sandbox: {enabled: true, paths: [...]}" to its entry there.`);
    return { server, changed: 'file' };
  }
  notify(`No server named ${server} in the gatekit.upstreams setting.`);
  return { server, changed: 'unknown' };
}
