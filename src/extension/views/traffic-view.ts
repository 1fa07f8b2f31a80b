// The Traffic view: exchanges newest first, grouped by gateway session, each with what Gatekit
// decided; selecting one opens its request and response as read-only JSON.
import * as vscode from 'vscode';
import type { TrafficDecision, TrafficEvent } from '../../shared/protocol';
import { namespacedName } from '../../shared/namespacing';
import type { TrafficEntry, TrafficSession, TrafficStore } from '../traffic-store';
import { describeFilter, explainChange, isFilterActive, matchesFilter, type TrafficFilter } from '../traffic-filter';

/** What the view needs beyond the traffic itself: the tools the policy withholds (for tools/list rows). */
export interface TrafficContext {
  /** `server__tool (hidden)` for each tool of `server` (every server when empty) the model does not get. */
  withheldTools(server: string): string[];
}

export const TRAFFIC_VIEW_ID = 'gatekit.traffic';
/** Command run when an exchange is selected. */
export const OPEN_ENTRY_COMMAND = 'gatekit.openTrafficEntry';
/** Refreshes are coalesced: a burst of traffic repaints the tree once. */
const REFRESH_DELAY_MS = 100;

export type TrafficNode = { kind: 'session'; sessionId: string } | { kind: 'entry'; entryId: number; sessionId: string };

const DECISION_ICONS: Record<TrafficDecision, [string, string]> = {
  allowed: ['pass', 'testing.iconPassed'],
  modified: ['edit', 'charts.blue'],
  redacted: ['shield', 'editorWarning.foreground'],
  blocked: ['circle-slash', 'errorForeground'],
  error: ['error', 'errorForeground'],
};

function time(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}

/** `memory__read_graph` for tool calls, else the method. */
export function exchangeTitle(event: TrafficEvent): string {
  if (event.tool !== undefined) return `${event.method} ${event.server ? namespacedName(event.server, event.tool) : event.tool}`;
  return event.method;
}

/** `response blocked by basic_pii_filter: PII detected (email) · 12 ms`: the decision in one short line. */
export function exchangeSummary(event: TrafficEvent): string {
  const parts: string[] = [];
  if (event.server && event.tool === undefined) parts.push(event.server);
  if (event.decision === 'allowed') {
    parts.push(event.direction.startsWith('notification') ? 'notification' : 'allowed');
  } else {
    const { side, reason } = explainChange(event);
    parts.push(`${side ? `${side} ` : ''}${event.decision}${event.plugin ? ` by ${event.plugin}` : ''}${reason ? `: ${reason}` : ''}`);
  }
  if (event.durationMs !== undefined) parts.push(`${event.durationMs < 10 ? event.durationMs.toFixed(1) : Math.round(event.durationMs)} ms`);
  return parts.join(' · ');
}

/** Who sent the side of the exchange where the change happened. */
function sideDirection(event: TrafficEvent, side: 'request' | 'response'): string {
  const clientAsks = event.direction === 'client_to_server' || event.direction === 'notification_to_server';
  return (side === 'request') === clientAsks ? 'client → server' : 'server → client';
}

function sessionLabel(session: TrafficSession): string {
  const identity = session.identity;
  if (identity.mode === 'control-only') return 'Gatekit views';
  return identity.startedByExtension ? 'VS Code chat session' : 'External MCP client';
}

/** Tree data of the Traffic view over the TrafficStore. */
export class TrafficTreeProvider implements vscode.TreeDataProvider<TrafficNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TrafficNode | undefined>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly sessionNodes = new Map<string, TrafficNode>();
  private readonly subscription: { dispose(): void };
  private filterState: TrafficFilter = {};
  private readonly filterEmitter = new vscode.EventEmitter<TrafficFilter>();

  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** The filter changed (the view's message and context keys follow it). */
  readonly onDidChangeFilter = this.filterEmitter.event;

  constructor(
    private readonly store: TrafficStore,
    private readonly context: TrafficContext = { withheldTools: () => [] },
  ) {
    this.subscription = store.onDidChange(() => this.scheduleRefresh());
  }

  get filter(): TrafficFilter {
    return this.filterState;
  }

  /** Replaces the filter and repaints at once. */
  setFilter(filter: TrafficFilter): void {
    this.filterState = { ...filter };
    this.filterEmitter.fire(this.filterState);
    this.refresh();
  }

  /** `Showing 3 of 40 exchanges (blocked · "secret")`, or undefined when nothing is filtered out. */
  message(): string | undefined {
    let total = 0;
    let shown = 0;
    for (const session of this.visibleSessions()) {
      total += session.entries.length;
      shown += session.entries.filter((e) => matchesFilter(e.event, this.filterState)).length;
    }
    if (total === shown) return undefined;
    const what = describeFilter(this.filterState);
    const lists = this.filterState.showListCalls ? '' : 'list calls hidden';
    return `Showing ${shown} of ${total} exchanges${what || lists ? ` (${[what, lists].filter(Boolean).join('; ')})` : ''}`;
  }

  /** True when an exchange passes the current filter. */
  shows(entry: TrafficEntry): boolean {
    return matchesFilter(entry.event, this.filterState);
  }

  /** True while a decision/server/tool/text filter is set (list calls aside). */
  get filtering(): boolean {
    return isFilterActive(this.filterState);
  }

  /** Sessions with traffic (or a connected chat session), newest first. */
  visibleSessions(): TrafficSession[] {
    return this.store.sessions().filter((s) => s.entries.length > 0 || (s.connected && s.identity.mode !== 'control-only'));
  }

  getChildren(node?: TrafficNode): TrafficNode[] {
    if (node === undefined) {
      return this.visibleSessions().map((session) => this.sessionNode(session.id));
    }
    if (node.kind === 'entry') return [];
    const session = this.store.session(node.sessionId);
    if (session === undefined) return [];
    const children: TrafficNode[] = [];
    for (let i = session.entries.length - 1; i >= 0; i--) {
      const entry = session.entries[i]!;
      if (!matchesFilter(entry.event, this.filterState)) continue;
      children.push({ kind: 'entry', entryId: entry.id, sessionId: session.id });
    }
    return children;
  }

  getParent(node: TrafficNode): TrafficNode | undefined {
    return node.kind === 'entry' ? this.sessionNode(node.sessionId) : undefined;
  }

  getTreeItem(node: TrafficNode): vscode.TreeItem {
    if (node.kind === 'session') {
      const session = this.store.session(node.sessionId);
      const item = new vscode.TreeItem(session ? sessionLabel(session) : node.sessionId, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `session:${node.sessionId}`;
      item.contextValue = 'trafficSession';
      if (session !== undefined) {
        const count = session.entries.length;
        const state = session.connected ? '' : ' · ended';
        item.description = `${time(session.identity.startedAt)} · ${count} exchange${count === 1 ? '' : 's'}${state}`;
        item.iconPath = new vscode.ThemeIcon(session.identity.startedByExtension ? 'comment-discussion' : 'terminal', session.connected ? undefined : new vscode.ThemeColor('disabledForeground'));
        const tooltip = new vscode.MarkdownString(undefined, true);
        tooltip.appendMarkdown(`**${sessionLabel(session)}**\n\n`);
        tooltip.appendMarkdown(`gateway pid ${session.identity.pid}, started ${new Date(session.identity.startedAt).toLocaleString()}\n\n`);
        tooltip.appendMarkdown(`working folder \`${session.identity.cwd}\``);
        if (session.dropped > 0) tooltip.appendMarkdown(`\n\n${session.dropped} older exchanges not shown`);
        item.tooltip = tooltip;
      }
      return item;
    }
    const entry = this.store.entry(node.entryId);
    if (entry === undefined) return new vscode.TreeItem('(dropped)');
    return entryItem(entry, this.context);
  }

  /** Re-reads everything now (tests; the Clear command). */
  refresh(): void {
    if (this.refreshTimer !== undefined) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
    }
    this.changeEmitter.fire(undefined);
  }

  dispose(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.subscription.dispose();
    this.changeEmitter.dispose();
    this.filterEmitter.dispose();
  }

  private sessionNode(sessionId: string): TrafficNode {
    let node = this.sessionNodes.get(sessionId);
    if (node === undefined) {
      node = { kind: 'session', sessionId };
      this.sessionNodes.set(sessionId, node);
    }
    return node;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      for (const id of this.sessionNodes.keys()) if (this.store.session(id) === undefined) this.sessionNodes.delete(id);
      this.changeEmitter.fire(undefined);
    }, REFRESH_DELAY_MS);
  }
}

function entryItem(entry: TrafficEntry, context: TrafficContext): vscode.TreeItem {
  const event = entry.event;
  const item = new vscode.TreeItem(exchangeTitle(event), vscode.TreeItemCollapsibleState.None);
  item.id = `entry:${entry.id}`;
  item.description = exchangeSummary(event);
  const [icon, color] = DECISION_ICONS[event.decision] ?? DECISION_ICONS.allowed;
  item.iconPath = new vscode.ThemeIcon(event.direction.startsWith('notification') && event.decision === 'allowed' ? 'bell' : icon, new vscode.ThemeColor(color));
  item.contextValue = `trafficEntry.${event.decision}`;
  const tooltip = new vscode.MarkdownString();
  tooltip.appendMarkdown(`**${exchangeTitle(event)}** — ${event.decision}\n\n`);
  tooltip.appendMarkdown(`${new Date(event.timestamp).toLocaleString()} · ${event.direction.replaceAll('_', ' ')}\n\n`);
  if (event.server) tooltip.appendMarkdown(`server: \`${event.server}\`\n\n`);
  if (event.plugin) tooltip.appendMarkdown(`plugin: \`${event.plugin}\`\n\n`);
  const { side, reason } = explainChange(event);
  if (side) tooltip.appendText(`${event.decision} in the ${side} (${sideDirection(event, side)})\n\n`);
  if (reason) tooltip.appendText(`reason: ${reason}\n\n`);
  if (event.method === 'tools/list' && event.direction === 'client_to_server') {
    const withheld = context.withheldTools(event.server);
    if (withheld.length) tooltip.appendText(`withheld from the model by the policy: ${withheld.slice(0, 30).join(', ')}${withheld.length > 30 ? `, and ${withheld.length - 30} more` : ''}\n\n`);
  }
  if (event.errorCode !== undefined) tooltip.appendMarkdown(`error code: ${event.errorCode}\n\n`);
  if (event.durationMs !== undefined) tooltip.appendMarkdown(`duration: ${event.durationMs} ms`);
  item.tooltip = tooltip;
  item.accessibilityInformation = { label: `${exchangeTitle(event)}, ${exchangeSummary(event)}` };
  item.command = { command: OPEN_ENTRY_COMMAND, title: 'Show Request and Response', arguments: [entry.id] };
  return item;
}
