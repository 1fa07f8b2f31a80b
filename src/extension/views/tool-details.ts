// A tool's details as a read-only JSONC document (`gatekit-tool:` URIs), opened by clicking a tool in
// the Servers view: how the policy shows it, its pin state and token cost as comments, then its
// definition — description, annotations, input schema — with every hidden character written as a
// JSON `\uXXXX` escape, so the text stays valid JSON and a bidi override or zero-width character
// is visible rather than acting on what the user reads.
import * as vscode from 'vscode';
import { countHidden } from '../../shared/definition-diff';
import { namespacedName } from '../../shared/namespacing';
import type { ToolInventoryEntry } from '../../shared/protocol';
import { oneLine } from './untrusted-text';

export const TOOL_DETAILS_SCHEME = 'gatekit-tool';

/** `gatekit-tool:/fixture/echo.jsonc`. */
export function toolDetailsUri(server: string, tool: string): vscode.Uri {
  return vscode.Uri.from({ scheme: TOOL_DETAILS_SCHEME, path: `/${encodeURIComponent(server)}/${encodeURIComponent(tool)}.jsonc` });
}

/** The server and tool a details URI names, or undefined for another URI. */
function parseToolDetailsUri(uri: vscode.Uri): { server: string; tool: string } | undefined {
  const match = /^\/([^/]+)\/([^/]+)\.jsonc$/.exec(uri.path);
  if (match === null) return undefined;
  try {
    return { server: decodeURIComponent(match[1]!), tool: decodeURIComponent(match[2]!) };
  } catch {
    return undefined;
  }
}

/** Definition keys in the order a reader wants them; the rest follow as the server sent them. */
const KEY_ORDER = ['name', 'title', 'description', 'annotations', 'inputSchema', 'outputSchema'];

function ordered(definition: Record<string, unknown>): Record<string, unknown> {
  // No prototype: a key named `__proto__` from a server stays a visible key.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of KEY_ORDER) if (Object.hasOwn(definition, key)) copy[key] = definition[key];
  for (const key of Object.keys(definition)) if (!Object.hasOwn(copy, key)) copy[key] = definition[key];
  return copy;
}

/** Characters JSON.stringify leaves as they are that a reader must see: written as `\uXXXX` (valid JSON). */
const INVISIBLE_IN_JSON = /[\p{Cf}\p{Co}\p{Zl}\p{Zp}\u007F-\u009F\u00A0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000]|\p{Variation_Selector}/gu;

function jsonEscape(character: string): string {
  let out = '';
  for (let i = 0; i < character.length; i++) out += `\\u${character.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
  return out;
}

const PIN_TEXT: Record<string, string> = {
  pinned: 'pinned: the approved definition',
  new: 'new: never approved, calls are refused until you review it',
  changed: 'changed since you approved it: calls are refused until you review it',
  none: 'not pinned (no tool_pinning on this server)',
};

const VISIBILITY_TEXT: Record<string, string> = {
  visible: 'visible to the model',
  renamed: 'visible to the model under another name',
  hidden: 'hidden by policy: not listed, calls refused',
  blocked: 'blocked: removed from the list by a security plugin or the router',
};

/** The document text of one tool (pure apart from the label helper). */
export function renderToolDetails(server: string, tool: ToolInventoryEntry): string {
  const comments: string[] = [`Tool ${oneLine(tool.name, 128)} of server ${oneLine(server, 64)} (read-only)`];
  if (typeof tool.exposedName === 'string') comments.push(`Shown to the model as: ${oneLine(tool.exposedName, 200)}`);
  else comments.push(`Would be called: ${oneLine(namespacedName(server, tool.name), 200)}`);
  comments.push(`Visibility: ${VISIBILITY_TEXT[tool.visibility] ?? oneLine(String(tool.visibility), 40)}`);
  if (typeof tool.reason === 'string' && tool.reason !== '') comments.push(`Why: ${oneLine(tool.reason, 300)}`);
  comments.push(`Pin: ${PIN_TEXT[tool.pin] ?? oneLine(String(tool.pin), 40)}`);
  const tokens = Number.isSafeInteger(tool.tokens) && (tool.tokens as number) >= 0 ? (tool.tokens as number) : undefined;
  comments.push(
    tokens !== undefined
      ? `Token cost: ~${tokens} tokens (cl100k_base) in every chat request`
      : tool.visibility === 'visible' || tool.visibility === 'renamed'
        ? 'Token cost: not counted'
        : 'Token cost: none (the model is not sent it)',
  );
  const definition = tool.definition ?? tool.currentDefinition;
  let body: string;
  if (definition !== null && typeof definition === 'object' && !Array.isArray(definition)) {
    const json = JSON.stringify(ordered(definition), null, 2);
    const hidden = countHidden(json);
    if (hidden > 0) comments.push(`Hidden characters: ${hidden}, written as \\uXXXX escapes below`);
    body = json.replace(INVISIBLE_IN_JSON, jsonEscape);
  } else {
    body = JSON.stringify({ description: typeof tool.description === 'string' ? tool.description : undefined }, null, 2).replace(INVISIBLE_IN_JSON, jsonEscape);
    comments.push('The gateway did not send the whole definition (over 64 KiB, past 1 MiB for the server, or an older gateway): only the description is shown.');
  }
  return `${comments.map((line) => `// ${line}`).join('\n')}\n${body}\n`;
}

/** Serves the details documents from the tools the Servers view shows; open documents follow changes. */
export class ToolDetailsProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  /** What each served document showed, so only changed ones are told to re-read. */
  private readonly served = new Map<string, string>();

  constructor(private readonly toolsOf: (server: string) => readonly ToolInventoryEntry[] | undefined) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const text = this.render(uri);
    this.served.set(uri.toString(), text);
    return text;
  }

  /** Re-renders the documents still open and fires for those whose text changed. */
  refresh(): void {
    const open = new Set(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === TOOL_DETAILS_SCHEME).map((d) => d.uri.toString()));
    for (const [key, text] of this.served) {
      if (!open.has(key)) {
        this.served.delete(key);
        continue;
      }
      const uri = vscode.Uri.parse(key);
      if (this.render(uri) !== text) this.changeEmitter.fire(uri);
    }
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }

  private render(uri: vscode.Uri): string {
    const named = parseToolDetailsUri(uri);
    const tool = named && this.toolsOf(named.server)?.find((t) => t.name === named.tool);
    if (named === undefined || tool === undefined) return '// This tool is no longer reported by any gateway.\n{}\n';
    return renderToolDetails(named.server, tool);
  }
}
