// The Gatekit log filtered to one server (Show Log in a server's menu): the gateways tag every line
// about a server, and every line of its stderr, with `[name]`; the lines tagged with a configured
// server's name are kept (the last few hundred each) and shown as a read-only `gatekit-log:` document.
import * as vscode from 'vscode';
import { oneLine } from './views/untrusted-text';

export const SERVER_LOG_SCHEME = 'gatekit-log';

/** Lines kept per server. */
export const MAX_LINES_PER_SERVER = 500;

/** `[fixture]`: a server tag as the gateway writes it (server names are lowercase, never `__`). */
const SERVER_TAG = /\[([a-z](?:[a-z0-9-]|_(?!_))*)\]/g;

/** `gatekit-log:/fixture.log`. */
export function serverLogUri(server: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SERVER_LOG_SCHEME, path: `/${encodeURIComponent(server)}.log` });
}

export class ServerLogBook implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly lines = new Map<string, string[]>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;

  /** `known` names the configured servers: lines tagged with anything else are not kept (the tags come from servers' stderr). */
  constructor(private readonly known: () => readonly string[]) {}

  /** Keeps `message` for every configured server it is tagged with. */
  record(level: string, message: string): void {
    const tagged = new Set([...message.matchAll(SERVER_TAG)].map((m) => m[1]!));
    if (tagged.size === 0) return;
    const known = this.known();
    const line = `${new Date().toISOString()} [${level}] ${oneLine(message, 2000)}`;
    for (const server of tagged) {
      if (!known.includes(server)) continue;
      let kept = this.lines.get(server);
      if (kept === undefined) this.lines.set(server, (kept = []));
      kept.push(line);
      if (kept.length > MAX_LINES_PER_SERVER) kept.splice(0, kept.length - MAX_LINES_PER_SERVER);
      this.changeEmitter.fire(serverLogUri(server));
    }
  }

  /** The lines kept for a server, oldest first. */
  linesOf(server: string): readonly string[] {
    return this.lines.get(server) ?? [];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const match = /^\/([^/]+)\.log$/.exec(uri.path);
    let server = '';
    try {
      server = match ? decodeURIComponent(match[1]!) : '';
    } catch {
      // A malformed URI shows nothing.
    }
    const lines = this.linesOf(server);
    const header = `Gatekit log lines about server ${oneLine(server, 64)} (the last ${MAX_LINES_PER_SERVER} kept; everything is in the Gatekit output channel)`;
    return `${header}\n${lines.length === 0 ? '(nothing logged about this server since VS Code started)' : lines.join('\n')}\n`;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
