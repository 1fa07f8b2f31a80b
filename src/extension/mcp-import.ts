// "Import Servers from mcp.json" and "Restore mcp.json": moves stdio servers from VS Code's mcp.json
// into gatekit.upstreams (a server left in mcp.json would let the model bypass the gateway), asks for
// ${input:...} values once and keeps them in secret storage, and undoes it all on request.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { addServers, importCandidates, parseMcpJson, removeServers, type ImportCandidate, type McpJsonBackup } from './mcp-json';
import type { GatekitSettings } from './settings';
import type { SettingsUpstream } from './settings-schema';

/** Answers for automation and tests; any left out are asked interactively. */
export interface ImportOptions {
  /** The mcp.json to read. */
  file?: string;
  /** Keys of the servers to import (asked when undefined). */
  servers?: string[];
  /** Move them out of mcp.json (true) or leave them (false). */
  move?: boolean;
  /** Values for `${input:ID}`. */
  inputs?: Record<string, string>;
}

export interface ImportResult {
  file: string;
  /** Gatekit names written to gatekit.upstreams. */
  imported: string[];
  moved: boolean;
  skipped: { key: string; reason: string }[];
  target: 'workspace' | 'user';
}

export interface RestoreOptions {
  file?: string;
}

interface McpJsonLocation {
  file: string;
  target: 'workspace' | 'user';
  label: string;
}

export class McpJsonImporter {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly settings: GatekitSettings,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The user profile's mcp.json (beside the extension's global storage folder). */
  userMcpJson(): string {
    return path.resolve(this.context.globalStorageUri.fsPath, '..', '..', 'mcp.json');
  }

  /** Every mcp.json that exists: each workspace folder's `.vscode/mcp.json`, then the user's. */
  locations(): McpJsonLocation[] {
    const found: McpJsonLocation[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const file = path.join(folder.uri.fsPath, '.vscode', 'mcp.json');
      if (existsSync(file)) found.push({ file, target: 'workspace', label: `${folder.name}: .vscode/mcp.json` });
    }
    const user = this.userMcpJson();
    if (existsSync(user)) found.push({ file: user, target: 'user', label: 'User mcp.json' });
    return found;
  }

  async import(options: ImportOptions = {}): Promise<ImportResult | undefined> {
    const location = await this.pickLocation(options.file);
    if (location === undefined) return undefined;
    const text = await readFile(location.file, 'utf8');
    const document = parseMcpJson(text);
    if (document.errors.length > 0) this.log.warn(`${location.file}: ${document.errors.join('; ')}`);

    const target = location.target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const existing = this.upstreamsAt(location.target);
    const candidates = importCandidates(document, new Set(existing.map((u) => u.name)));
    const skipped = candidates.filter((c) => c.upstream === undefined).map((c) => ({ key: c.key, reason: c.skipReason ?? 'cannot be imported' }));
    for (const s of skipped) this.log.info(`import: skipping '${s.key}': ${s.reason}`);
    const importable = candidates.filter((c): c is ImportCandidate & { upstream: SettingsUpstream } => c.upstream !== undefined);
    if (importable.length === 0) {
      void vscode.window.showInformationMessage(`No stdio servers to import in ${location.label}.`);
      return { file: location.file, imported: [], moved: false, skipped, target: location.target };
    }

    const chosen = await this.pickServers(importable, options.servers);
    if (chosen === undefined || chosen.length === 0) return undefined;
    for (const candidate of chosen) for (const warning of candidate.warnings) this.log.warn(`import ${candidate.key}: ${warning}`);

    if (!(await this.collectInputs(chosen, document.inputs, options.inputs))) return undefined;

    const names = new Set(chosen.map((c) => c.upstream.name));
    const upstreams = [...existing.filter((u) => !names.has(u.name)), ...chosen.map((c) => c.upstream)];
    await vscode.workspace.getConfiguration('gatekit').update('upstreams', upstreams, target);

    const move = options.move ?? (await this.askToMove(chosen.length, location.label));
    if (move) {
      await this.saveBackup(location, text, chosen);
      await writeFile(location.file, removeServers(text, chosen.map((c) => c.key)));
      this.log.info(`import: moved ${chosen.map((c) => c.key).join(', ')} from ${location.file} into gatekit.upstreams (backup kept)`);
    } else {
      this.log.warn(`import: ${chosen.map((c) => c.key).join(', ')} stay in ${location.file}; AI assistants can still reach them without Gatekit`);
    }
    await this.settings.refresh();
    return { file: location.file, imported: chosen.map((c) => c.upstream.name), moved: move, skipped, target: location.target };
  }

  /** Puts moved servers back into their mcp.json and removes them from gatekit.upstreams. */
  async restore(options: RestoreOptions = {}): Promise<string[] | undefined> {
    const backups = await this.backups();
    const relevant = options.file === undefined ? backups : backups.filter((b) => path.resolve(b.file) === path.resolve(options.file!));
    if (relevant.length === 0) {
      void vscode.window.showInformationMessage('Gatekit has not moved any servers out of an mcp.json.');
      return undefined;
    }
    let backup = relevant[0]!;
    if (relevant.length > 1) {
      const picked = await vscode.window.showQuickPick(
        relevant.map((b) => ({ label: b.file, description: Object.keys(b.moved).join(', '), backup: b })),
        { title: 'Restore which mcp.json?' },
      );
      if (picked === undefined) return undefined;
      backup = picked.backup;
    }
    const current = existsSync(backup.file) ? await readFile(backup.file, 'utf8') : '';
    const present = parseMcpJson(current).servers;
    const missing = Object.fromEntries(Object.entries(backup.moved).filter(([key]) => !(key in present)));
    await mkdir(path.dirname(backup.file), { recursive: true });
    await writeFile(backup.file, addServers(current, missing));

    const importedNames = new Set(Object.values(backup.importedNames));
    const remaining = this.upstreamsAt(backup.target).filter((u) => !importedNames.has(u.name));
    const target = backup.target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('gatekit').update('upstreams', remaining.length > 0 ? remaining : undefined, target);
    await rm(this.backupFile(backup.file), { force: true });
    this.log.info(`restore: put ${Object.keys(missing).join(', ') || 'nothing'} back into ${backup.file}`);
    await this.settings.refresh();
    return Object.keys(backup.moved);
  }

  private upstreamsAt(target: 'workspace' | 'user'): SettingsUpstream[] {
    const inspected = vscode.workspace.getConfiguration('gatekit').inspect<SettingsUpstream[]>('upstreams');
    const value = target === 'workspace' ? inspected?.workspaceValue : inspected?.globalValue;
    return Array.isArray(value) ? value : [];
  }

  private async pickLocation(file: string | undefined): Promise<McpJsonLocation | undefined> {
    if (file !== undefined) {
      const resolved = path.resolve(file);
      const known = this.locations().find((l) => path.resolve(l.file) === resolved);
      return known ?? { file: resolved, target: resolved === path.resolve(this.userMcpJson()) ? 'user' : 'workspace', label: resolved };
    }
    const locations = this.locations();
    if (locations.length === 0) {
      void vscode.window.showInformationMessage('No mcp.json found (looked in .vscode/mcp.json of each workspace folder and in the user profile).');
      return undefined;
    }
    if (locations.length === 1) return locations[0];
    const picked = await vscode.window.showQuickPick(
      locations.map((l) => ({ label: l.label, description: l.file, location: l })),
      { title: 'Import servers from which mcp.json?' },
    );
    return picked?.location;
  }

  private async pickServers(importable: (ImportCandidate & { upstream: SettingsUpstream })[], keys: string[] | undefined): Promise<(ImportCandidate & { upstream: SettingsUpstream })[] | undefined> {
    if (keys !== undefined) return importable.filter((c) => keys.includes(c.key));
    const picked = await vscode.window.showQuickPick(
      importable.map((c) => ({
        label: c.key,
        description: c.upstream.url ?? [c.upstream.command, ...(c.upstream.args ?? [])].join(' '),
        detail: c.name !== c.key ? `becomes '${c.name}'` : undefined,
        picked: true,
        candidate: c,
      })),
      { title: 'Servers to put behind Gatekit', canPickMany: true },
    );
    return picked?.map((p) => p.candidate);
  }

  private async collectInputs(chosen: readonly ImportCandidate[], inputs: readonly { id: string; description?: string; password?: boolean; default?: string }[], given: Record<string, string> | undefined): Promise<boolean> {
    const ids = [...new Set(chosen.flatMap((c) => c.inputIds))];
    for (const id of ids) {
      const known = await this.context.secrets.get(`gatekit.input.${id}`);
      if (known !== undefined && given?.[id] === undefined) continue;
      let value = given?.[id];
      if (value === undefined) {
        const input = inputs.find((i) => i.id === id);
        value = await vscode.window.showInputBox({
          title: `Value for \${input:${id}}`,
          prompt: input?.description ?? `Used by ${chosen.filter((c) => c.inputIds.includes(id)).map((c) => c.key).join(', ')}; kept in VS Code's secret storage`,
          password: input?.password ?? true,
          value: input?.default ?? '',
          ignoreFocusOut: true,
        });
      }
      if (value === undefined) return false;
      await this.settings.storeInput(id, value);
    }
    return true;
  }

  private async askToMove(count: number, label: string): Promise<boolean> {
    const move = 'Move (recommended)';
    const answer = await vscode.window.showWarningMessage(
      `Move ${count === 1 ? 'this server' : `these ${count} servers`} out of ${label}?`,
      {
        modal: true,
        detail:
          'A server that stays in mcp.json can still be used by AI assistants directly, bypassing Gatekit. Gatekit keeps a backup; "Gatekit: Restore mcp.json" puts them back.',
      },
      move,
      'Keep in mcp.json',
    );
    return answer === move;
  }

  private backupDir(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'mcp-json-backups');
  }

  private backupFile(mcpJson: string): string {
    return path.join(this.backupDir(), `${createHash('sha256').update(path.resolve(mcpJson)).digest('hex').slice(0, 16)}.json`);
  }

  private async saveBackup(location: McpJsonLocation, text: string, chosen: readonly (ImportCandidate & { upstream: SettingsUpstream })[]): Promise<void> {
    const file = this.backupFile(location.file);
    let backup: McpJsonBackup = { file: location.file, createdAt: Date.now(), originalText: text, moved: {}, importedNames: {}, target: location.target };
    try {
      backup = { ...(JSON.parse(await readFile(file, 'utf8')) as McpJsonBackup), target: location.target };
    } catch {
      // First import from this file.
    }
    const servers = parseMcpJson(text).servers;
    for (const candidate of chosen) {
      backup.moved[candidate.key] = servers[candidate.key];
      backup.importedNames[candidate.key] = candidate.upstream.name;
    }
    await mkdir(this.backupDir(), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify(backup, null, 2), { mode: 0o600 });
  }

  private async backups(): Promise<McpJsonBackup[]> {
    let names: string[];
    try {
      names = await readdir(this.backupDir());
    } catch {
      return [];
    }
    const backups: McpJsonBackup[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        backups.push(JSON.parse(await readFile(path.join(this.backupDir(), name), 'utf8')) as McpJsonBackup);
      } catch {
        this.log.warn(`unreadable backup ${name}`);
      }
    }
    return backups.sort((a, b) => b.createdAt - a.createdAt);
  }
}
