// Read-only JSON documents of tool definitions (`gatekit-tool-definition:` URIs), the two sides of the
// diff shown before approving a changed tool: the approved (pinned) definition and the one offered now.
import * as vscode from 'vscode';
import { renderDefinition } from '../../shared/definition-text';

export const TOOL_DEFINITION_SCHEME = 'gatekit-tool-definition';

/** Which definition a document holds. */
export type DefinitionSide = 'approved' | 'offered';

/** `gatekit-tool-definition:/memory/read_graph/approved.json`. */
export function toolDefinitionUri(server: string, tool: string, side: DefinitionSide): vscode.Uri {
  return vscode.Uri.from({ scheme: TOOL_DEFINITION_SCHEME, path: `/${encodeURIComponent(server)}/${encodeURIComponent(tool)}/${side}.json` });
}

/**
 * Serves the definitions last put here (one pair per tool); a document still open when a newer
 * definition arrives is told to re-read.
 */
export class ToolDefinitionProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;

  /** Stores a definition and returns the URI of its document. */
  set(server: string, tool: string, side: DefinitionSide, definition: unknown): vscode.Uri {
    const uri = toolDefinitionUri(server, tool, side);
    const key = uri.toString();
    const text = renderDefinition(definition);
    const previous = this.texts.get(key);
    this.texts.set(key, text);
    if (previous !== undefined && previous !== text) this.changeEmitter.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? `${JSON.stringify({ error: 'This definition is no longer available: run Approve Tool Changes again.' }, null, 2)}\n`;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
