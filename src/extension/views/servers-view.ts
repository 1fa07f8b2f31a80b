// The Servers view: configuration problems first, then each upstream server with its health and its
// tools as the policy shows them (visible, renamed, hidden, blocked, pin changed).
import * as vscode from 'vscode';
import type { ServerState, ServerStatus, SignInStateParams, ToolInventoryEntry } from '../../shared/protocol';
import { namespacedName } from '../../shared/namespacing';
import type { LocatedConfigProblem } from '../effective-config';
import { literalMarkdown, oneLine } from './untrusted-text';

export const SERVERS_VIEW_ID = 'gatekit.servers';

export type ServersNode =
  | { kind: 'problem'; problem: LocatedConfigProblem }
  | { kind: 'notice'; text: string; icon: string; command?: string }
  | { kind: 'server'; name: string }
  | { kind: 'tool'; server: string; tool: ToolInventoryEntry };

/** What the view shows, supplied by the extension. */
export interface ServersSource {
  problems(): readonly LocatedConfigProblem[];
  notices(): readonly { text: string; icon: string; command?: string }[];
  /** Configured server names, in config order. */
  serverNames(): readonly string[];
  status(server: string): ServerStatus | undefined;
  tools(server: string): readonly ToolInventoryEntry[] | undefined;
  /** How many of the server's tool definitions wait for review (any gateway's report). */
  pendingChanges(server: string): number;
  /** How the server is started or reached, as written (secrets stay `${input:…}`), for the hover. */
  launch?(server: string): string | undefined;
  /** A remote server's OAuth sign-in state, when it signs in (src/extension/auth). */
  signIn?(server: string): SignInStateParams | undefined;
  /** A remote server's URL. */
  remoteUrl?(server: string): string | undefined;
}

/** How each sign-in state reads on the server line, and the suffix of its contextValue (menus: Sign in / Sign out). */
const SIGN_IN_LABELS: Record<SignInStateParams['state'], { text: string; context: string }> = {
  'signed-in': { text: 'signed in', context: 'signIn-ok' },
  'needs-sign-in': { text: 'needs sign-in', context: 'signIn-needed' },
  failed: { text: 'sign-in failed', context: 'signIn-failed' },
};

const STATE_ICONS: Record<ServerState, [string, string | undefined]> = {
  idle: ['circle-outline', undefined],
  starting: ['loading~spin', undefined],
  running: ['pass-filled', 'testing.iconPassed'],
  crashed: ['warning', 'editorWarning.foreground'],
  restarting: ['loading~spin', 'editorWarning.foreground'],
  failed: ['error', 'errorForeground'],
  stopped: ['circle-slash', 'disabledForeground'],
};

/** `1 problem` / `3 tools, 1 hidden, 1 changed`: tool counts for the server line. */
export function toolSummary(tools: readonly ToolInventoryEntry[]): string {
  const visible = tools.filter((t) => t.visibility === 'visible' || t.visibility === 'renamed').length;
  const hidden = tools.filter((t) => t.visibility === 'hidden').length;
  const blocked = tools.filter((t) => t.visibility === 'blocked').length;
  const changed = tools.filter((t) => t.pin === 'changed').length;
  const fresh = tools.filter((t) => t.pin === 'new').length;
  const parts = [`${visible} tool${visible === 1 ? '' : 's'}`];
  if (hidden) parts.push(`${hidden} hidden`);
  if (blocked) parts.push(`${blocked} blocked`);
  if (changed) parts.push(`${changed} changed`);
  if (fresh) parts.push(`${fresh} new`);
  const tokens = definitionTokens(tools);
  if (tokens > 0) parts.push(`~${formatTokens(tokens)} tokens`);
  return parts.join(', ');
}

/** A reported token count, if well-formed (it comes from another process). */
function tokensOf(tool: ToolInventoryEntry): number {
  return Number.isSafeInteger(tool.tokens) && (tool.tokens as number) >= 0 ? (tool.tokens as number) : 0;
}

/** What the definitions of the tools the model sees cost in every chat request. */
export function definitionTokens(tools: readonly ToolInventoryEntry[]): number {
  return tools.filter((t) => t.visibility === 'visible' || t.visibility === 'renamed').reduce((sum, t) => sum + tokensOf(t), 0);
}

function formatTokens(tokens: number): string {
  return tokens >= 10_000 ? `${Math.round(tokens / 1000)}k` : tokens >= 1000 ? `${(tokens / 1000).toFixed(1)}k` : String(tokens);
}

function problemLocation(problem: LocatedConfigProblem): string {
  if (problem.origin === 'file') return oneLine(`${problem.file ? vscode.workspace.asRelativePath(problem.file) : 'config file'}${problem.line ? `:${problem.line}` : ''}${problem.path ? ` ${problem.path}` : ''}`);
  return oneLine(problem.path);
}

export class ServersTreeProvider implements vscode.TreeDataProvider<ServersNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ServersNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Each server's last error (the detail of its last crash or failure), kept after it runs again, for the hover. */
  private readonly lastErrors = new Map<string, string>();

  constructor(private readonly source: ServersSource) {}

  refresh(): void {
    for (const name of this.source.serverNames()) {
      const status = this.source.status(name);
      if ((status?.state === 'crashed' || status?.state === 'failed') && typeof status.detail === 'string' && status.detail !== '') this.lastErrors.set(name, status.detail);
    }
    this.changeEmitter.fire(undefined);
  }

  /** The last error of a server, if it had one since the extension started. */
  lastError(server: string): string | undefined {
    return this.lastErrors.get(server);
  }

  getChildren(node?: ServersNode): ServersNode[] {
    if (node === undefined) {
      return [
        ...this.source.problems().map((problem): ServersNode => ({ kind: 'problem', problem })),
        ...this.source.notices().map((notice): ServersNode => ({ kind: 'notice', ...notice })),
        ...this.source.serverNames().map((name): ServersNode => ({ kind: 'server', name })),
      ];
    }
    if (node.kind !== 'server') return [];
    const tools = [...(this.source.tools(node.name) ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    return tools.map((tool) => ({ kind: 'tool', server: node.name, tool }));
  }

  getParent(node: ServersNode): ServersNode | undefined {
    return node.kind === 'tool' ? { kind: 'server', name: node.server } : undefined;
  }

  getTreeItem(node: ServersNode): vscode.TreeItem {
    switch (node.kind) {
      case 'problem': {
        const item = new vscode.TreeItem(problemLocation(node.problem));
        item.description = oneLine(node.problem.message);
        item.tooltip = new vscode.MarkdownString(literalMarkdown(`${node.problem.message}${node.problem.fixInstructions ? `\n\n${node.problem.fixInstructions}` : ''}`));
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'configProblem';
        // Opens the file or settings file at the line at fault, where the Problems entry and its quick fixes are.
        item.command = { command: 'gatekit.openConfigProblem', title: 'Open', arguments: [node.problem] };
        return item;
      }
      case 'notice': {
        const item = new vscode.TreeItem(oneLine(node.text));
        item.iconPath = new vscode.ThemeIcon(node.icon, node.icon === 'warning' ? new vscode.ThemeColor('editorWarning.foreground') : undefined);
        item.tooltip = node.text;
        item.contextValue = 'notice';
        if (node.command) item.command = { command: node.command, title: node.text };
        return item;
      }
      case 'server':
        return this.serverItem(node.name);
      case 'tool':
        return toolItem(node.server, node.tool);
    }
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }

  private serverItem(name: string): vscode.TreeItem {
    const status = this.source.status(name);
    const tools = this.source.tools(name);
    const item = new vscode.TreeItem(name, tools && tools.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `server:${name}`;
    const state = status?.state;
    const ambiguous = ambiguousResources(status);
    const pending = this.source.pendingChanges(name);
    const tokens = tools ? definitionTokens(tools) : 0;
    const tokenLimit = vscode.workspace.getConfiguration('gatekit').get<number>('toolTokenWarning', 5000);
    const costly = tokenLimit > 0 && tokens > tokenLimit;
    // A running server that shares resources with another, or has tool changes to review, is a
    // warning: those reads and calls are refused. So is one whose tool definitions alone cost more
    // than the configured share of every chat request.
    const signIn = this.source.signIn?.(name);
    const signInLabel = signIn ? SIGN_IN_LABELS[signIn.state] : undefined;
    const waitsForSignIn = signIn !== undefined && signIn.state !== 'signed-in' && state !== 'running';
    const [icon, color] = waitsForSignIn
      ? ['key', 'editorWarning.foreground']
      : state === 'running' && (ambiguous.length || pending || costly)
        ? ['warning', 'editorWarning.foreground']
        : state
          ? STATE_ICONS[state]
          : ['circle-outline', undefined];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const parts = [state ?? 'not started'];
    const url = this.source.remoteUrl?.(name) ?? signIn?.serverUrl;
    const remoteHost = url ? hostOf(url) : undefined;
    if (remoteHost) parts.push(remoteHost);
    if (signInLabel) parts.unshift(signInLabel.text);
    if (pending) parts.unshift(`${pending} to review`);
    if (tools) parts.push(toolSummary(tools));
    if (ambiguous.length) parts.push(`${ambiguous.length}${ambiguous.length >= MAX_LISTED_AMBIGUITIES ? '+' : ''} ambiguous resource${ambiguous.length === 1 ? '' : 's'}`);
    // The sign-in link is long and shown by the Sign in action: not repeated on the line.
    if (status?.detail && state !== 'running' && !waitsForSignIn) parts.push(oneLine(status.detail, 120));
    const sandboxed = status?.sandboxed === true;
    if (sandboxed) parts.push('sandboxed');
    item.description = parts.join(' · ');
    const signInText = signIn && signInLabel
      ? `OAuth: ${signInLabel.text}${signIn.issuer ? ` with ${signIn.issuer}` : ''}${signIn.detail ? ` (${signIn.detail})` : ''}${signIn.state !== 'signed-in' ? '. Use "Sign in" on this server.' : ''}`
      : undefined;
    item.tooltip = this.serverTooltip(name, status, tools, { ambiguous, pending, sandboxed, tokens, tokenLimit, costly, url, signInText });
    const changed = pending > 0 || (tools?.some((t) => t.pin === 'changed' || t.pin === 'new') ?? false);
    item.contextValue = `${changed ? 'server.pinChanged' : 'server'}${sandboxed ? '.sandboxed' : ''}${signInLabel ? `.${signInLabel.context}` : ''}`;
    return item;
  }

  /**
   * The server's hover: state, how it is started or reached, its tools, its last error, sandbox, and
   * the warnings of the line. Everything that is not ours renders literally (never trusted, no links).
   */
  private serverTooltip(name: string, status: ServerStatus | undefined, tools: readonly ToolInventoryEntry[] | undefined, facts: ServerFacts): vscode.MarkdownString {
    const lines: string[] = [`**${literalMarkdown(name, 100)}** — ${literalMarkdown(status?.state ?? 'not started')}`];
    const launch = this.source.launch?.(name);
    if (launch) lines.push(`Runs: ${literalMarkdown(launch, 1000)}`);
    else if (facts.url) lines.push(`Remote server: ${literalMarkdown(facts.url, 500)}`);
    if (facts.signInText) lines.push(literalMarkdown(facts.signInText, 1000));
    if (tools) {
      const shown = tools.filter((t) => t.visibility === 'visible' || t.visibility === 'renamed').length;
      const hidden = tools.filter((t) => t.visibility === 'hidden').length;
      const blocked = tools.filter((t) => t.visibility === 'blocked').length;
      lines.push(`Tools: ${shown} visible to the model, ${hidden} hidden by policy, ${blocked} blocked${facts.tokens > 0 ? ` · ~${formatTokens(facts.tokens)} tokens per chat request` : ''}`);
    }
    if (status?.detail && status.state !== 'running') lines.push(literalMarkdown(status.detail, 1000));
    const lastError = this.lastErrors.get(name);
    if (lastError && status?.state === 'running') lines.push(`Last error: ${literalMarkdown(lastError, 1000)}`);
    lines.push(facts.sandboxed ? 'Sandboxed: runs in the operating system sandbox (home hidden except its listed paths, credential folders never visible).' : 'Not sandboxed.');
    if (facts.ambiguous.length) {
      lines.push(literalMarkdown(`Another server offers these resources too, so reads of them are refused as ambiguous (read them as ${namespacedName(name, '<uri>')}):\n${facts.ambiguous.map((a) => `• ${a}`).join('\n')}`));
    }
    if (facts.pending) lines.push(`${facts.pending} tool definition${facts.pending === 1 ? '' : 's'} changed or new: calls are refused until you review and approve ${facts.pending === 1 ? 'it' : 'them'}.`);
    if (facts.costly) {
      lines.push(`Its tool definitions cost about ${formatTokens(facts.tokens)} tokens in every chat request (over gatekit.toolTokenWarning, ${formatTokens(facts.tokenLimit)}): hide the tools you do not need.`);
    }
    // Not trusted (the default): no command links even if something slipped through.
    return new vscode.MarkdownString(lines.join('\n\n'));
  }
}

/** Facts of the server line the hover repeats. */
interface ServerFacts {
  ambiguous: string[];
  pending: number;
  sandboxed: boolean;
  tokens: number;
  tokenLimit: number;
  costly: boolean;
  /** A remote server's URL. */
  url: string | undefined;
  /** A remote server's sign-in state in words, when it signs in. */
  signInText: string | undefined;
}

/** The gateway reports at most this many ambiguous resources per server. */
const MAX_LISTED_AMBIGUITIES = 20;

/** The status's ambiguous resources, if it carries a well-formed list (it comes from another process). */
function ambiguousResources(status: ServerStatus | undefined): string[] {
  const list: unknown = status?.ambiguousResources;
  return Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === 'string').slice(0, MAX_LISTED_AMBIGUITIES).map((entry) => entry.slice(0, 500)) : [];
}

/** The name a tool is shown under in its server's branch: the name the model sees, without the server prefix. */
export function toolLabel(server: string, tool: ToolInventoryEntry): string {
  const prefix = namespacedName(server, '');
  const shown = typeof tool.exposedName === 'string' && tool.exposedName.startsWith(prefix) ? tool.exposedName.slice(prefix.length) : tool.name;
  return oneLine(shown, 128);
}

function toolItem(server: string, tool: ToolInventoryEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(toolLabel(server, tool));
  item.id = `tool:${server}:${tool.name}`;
  const notes: string[] = [];
  let icon = 'tools';
  let color: string | undefined;
  switch (tool.visibility) {
    case 'renamed':
      icon = 'symbol-field';
      notes.push(`renamed from ${oneLine(tool.name, 128)}`);
      break;
    case 'hidden':
      icon = 'eye-closed';
      color = 'disabledForeground';
      notes.push('hidden');
      break;
    case 'blocked':
      icon = 'circle-slash';
      color = 'errorForeground';
      notes.push('blocked');
      break;
    default:
      break;
  }
  if (tool.pin === 'changed') {
    icon = 'warning';
    color = 'editorWarning.foreground';
    notes.push('definition changed: calls refused until approved');
  } else if (tool.pin === 'new') {
    icon = 'question';
    color = 'editorWarning.foreground';
    notes.push('new: not yet approved');
  } else if (tool.pin === 'pinned') {
    notes.push('pinned');
  }
  const tokens = tool.visibility === 'visible' || tool.visibility === 'renamed' ? tokensOf(tool) : 0;
  if (tokens > 0) notes.push(`~${formatTokens(tokens)} tokens`);
  item.description = notes.join(' · ');
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  const shownAs = typeof tool.exposedName === 'string' ? tool.exposedName : namespacedName(server, tool.name);
  const lines = [`**${literalMarkdown(shownAs, 200)}**`];
  if (typeof tool.description === 'string' && tool.description !== '') lines.push(literalMarkdown(tool.description));
  if (typeof tool.reason === 'string' && tool.reason !== '') lines.push(literalMarkdown(tool.reason, 500));
  // Not trusted (the default): a description cannot bring a command link.
  item.tooltip = new vscode.MarkdownString(lines.join('\n\n'));
  // `tool.<visibility>[.pinChanged]`: the menus offer Hide on visible and renamed tools, Allow on
  // hidden ones, Approve on changed or new definitions.
  const pending = tool.pin === 'changed' || tool.pin === 'new';
  item.contextValue = `tool.${tool.visibility}${pending ? '.pinChanged' : ''}`;
  // Clicking a changed tool opens its review; any other shows its definition.
  item.command = pending
    ? { command: 'gatekit.reviewToolChange', title: 'Review', arguments: [{ server, tool: tool.name }] }
    : { command: 'gatekit.showToolDetails', title: 'Show Tool Details', arguments: [{ server, tool: tool.name }] };
  return item;
}

/** The host of a remote server's URL, for its line (the whole URL is in the tooltip). */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
