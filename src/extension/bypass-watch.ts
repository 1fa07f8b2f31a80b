// Servers that bypass Gatekit: entries of a workspace's `.vscode/mcp.json` or the user's mcp.json,
// which VS Code starts directly, so the model reaches them without any filter. Noticed at start and
// whenever such a file changes; offered for import once per set of servers, and shown in the Servers
// view for as long as they are there.
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { McpJsonImporter } from './mcp-import';
import { parseMcpJson } from './mcp-json';

/** Files larger than this are not read (an mcp.json is a few KB). */
const MAX_MCP_JSON_BYTES = 1024 * 1024;

export interface BypassingServers {
  /** The file's label (`folder: .vscode/mcp.json`, `User mcp.json`). */
  label: string;
  file: string;
  servers: string[];
}

export class BypassWatch implements vscode.Disposable {
  private found: BypassingServers[] = [];
  private announcedKey = '';
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** Offers shown (for the log and the integration tests). */
  readonly offers: string[] = [];
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly importer: McpJsonImporter,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/mcp.json');
    const rescan = (): void => void this.scan();
    this.disposables.push(watcher, watcher.onDidChange(rescan), watcher.onDidCreate(rescan), watcher.onDidDelete(rescan), vscode.workspace.onDidChangeWorkspaceFolders(rescan));
  }

  /** Servers outside Gatekit as of the last scan. */
  get bypassing(): readonly BypassingServers[] {
    return this.found;
  }

  /** Reads every mcp.json again; offers the import when the set of bypassing servers is new. */
  async scan(): Promise<readonly BypassingServers[]> {
    const found: BypassingServers[] = [];
    for (const location of this.importer.locations()) {
      try {
        const text = await readFile(location.file, 'utf8');
        if (text.length > MAX_MCP_JSON_BYTES) continue;
        const servers = Object.keys(parseMcpJson(text).servers).slice(0, 200);
        if (servers.length > 0) found.push({ label: location.label, file: location.file, servers });
      } catch (error) {
        this.log.debug(`cannot read ${location.file}: ${(error as Error).message}`);
      }
    }
    this.found = found;
    this.emitter.fire();
    const key = JSON.stringify(found);
    if (found.length > 0 && key !== this.announcedKey) {
      this.announcedKey = key;
      this.offer(found);
    } else if (found.length === 0) {
      this.announcedKey = '';
    }
    return found;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private offer(found: BypassingServers[]): void {
    const names = found.flatMap((f) => f.servers);
    const message = `${names.length} MCP server${names.length === 1 ? '' : 's'} in ${found.map((f) => f.label).join(' and ')} bypass${names.length === 1 ? 'es' : ''} Gatekit (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}): the model reaches ${names.length === 1 ? 'it' : 'them'} unfiltered.`;
    this.offers.push(message);
    this.log.warn(message);
    void vscode.window.showWarningMessage(message, 'Import into Gatekit', 'Not now').then((choice) => {
      if (choice === 'Import into Gatekit') void vscode.commands.executeCommand('gatekit.importMcpJson');
    });
  }
}
