// What needs the user: tool definitions that changed since they were approved (or were never
// approved). Each one is announced once in a warning notification (Review / Keep blocked), counted in
// the badge of the Gatekit container, listed in the Problems panel, and marks its server and the
// status bar as warnings until it is approved or goes away.
import * as vscode from 'vscode';
import type { GatewaySession } from './control-server';
import { TOOL_DEFINITION_SCHEME, toolDefinitionUri, type ToolDefinitionProvider } from './views/tool-definition-document';
import { renderDefinition } from '../shared/definition-text';
import type { ToolInventoryEntry } from '../shared/protocol';
import { namespacedName } from '../shared/namespacing';

/** A tool whose definition waits for the user's review. */
export interface PendingToolChange {
  server: string;
  tool: ToolInventoryEntry;
}

/** A notification Gatekit showed (kept for the log and the integration tests). */
export interface ShownNotification {
  message: string;
  actions: string[];
  /** The action chosen, once the user chose one (undefined while open or when dismissed). */
  choice?: string;
}

export function isPending(tool: ToolInventoryEntry): boolean {
  return tool.pin === 'changed' || tool.pin === 'new';
}

/**
 * Every pending tool change any gateway reports, once per server and tool (a `changed` report wins
 * over a `new` one: it carries the approved definition to compare with). Sorted for a stable order.
 */
export function pendingToolChanges(sessions: readonly GatewaySession[]): PendingToolChange[] {
  const byKey = new Map<string, PendingToolChange>();
  for (const session of sessions) {
    for (const [server, inventory] of session.inventories) {
      for (const tool of inventory) {
        if (!isPending(tool)) continue;
        const key = `${server}\0${tool.name}`;
        const known = byKey.get(key);
        if (known === undefined || (known.tool.pin === 'new' && tool.pin === 'changed')) byKey.set(key, { server, tool });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => a.server.localeCompare(b.server) || a.tool.name.localeCompare(b.tool.name));
}

function changeKey(change: PendingToolChange): string {
  return `${change.server}\0${change.tool.name}\0${change.tool.pin}\0${change.tool.currentDefinition ? renderDefinition(change.tool.currentDefinition) : ''}`;
}

export interface AttentionDeps {
  sessions(): readonly GatewaySession[];
  definitions: ToolDefinitionProvider;
  badgeTarget(): vscode.TreeView<unknown> | undefined;
  log: vscode.LogOutputChannel;
}

export class AttentionCenter implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('gatekit');
  /** Notifications shown, newest last (at most 50). */
  readonly notifications: ShownNotification[] = [];
  private pending: PendingToolChange[] = [];
  /** Changes already announced: a definition is announced once, not on every inventory report. */
  private readonly announced = new Set<string>();
  /** The pending changes the Problems entries show (see updateDiagnostics). */
  private diagnosticsKey = '';
  private readonly disposables: vscode.Disposable[] = [this.diagnostics];

  constructor(private readonly deps: AttentionDeps) {
    this.disposables.push(
      vscode.languages.registerCodeActionsProvider({ scheme: TOOL_DEFINITION_SCHEME }, { provideCodeActions: (document, _range, context) => this.quickFixes(document.uri, context) }, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
  }

  /** The pending changes as of the last update. */
  get changes(): readonly PendingToolChange[] {
    return this.pending;
  }

  /** Pending changes of one server. */
  changesOf(server: string): PendingToolChange[] {
    return this.pending.filter((c) => c.server === server);
  }

  /** The pending change of one tool, if any. */
  find(server: string, tool: string): PendingToolChange | undefined {
    return this.pending.find((c) => c.server === server && c.tool.name === tool);
  }

  /** Recomputes from the gateways' reports: badge, Problems entries, and a notification for what is new. */
  update(): void {
    this.pending = pendingToolChanges(this.deps.sessions());
    const tree = this.deps.badgeTarget();
    if (tree) {
      const count = this.pending.length;
      tree.badge = count === 0 ? undefined : { value: count, tooltip: `${count} tool definition${count === 1 ? '' : 's'} to review` };
    }
    this.updateDiagnostics();
    const fresh = this.pending.filter((c) => !this.announced.has(changeKey(c)));
    // Forget what went away, so the same change coming back is announced again.
    const current = new Set(this.pending.map(changeKey));
    for (const key of this.announced) if (!current.has(key)) this.announced.delete(key);
    for (const change of fresh) this.announced.add(changeKey(change));
    if (fresh.length > 0) this.announce(fresh);
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private updateDiagnostics(): void {
    // Rewritten only when the pending changes differ: every state change calls update().
    const key = this.pending.map(changeKey).join('\n');
    if (key === this.diagnosticsKey) return;
    this.diagnosticsKey = key;
    this.diagnostics.clear();
    for (const { server, tool } of this.pending) {
      const uri = this.deps.definitions.set(server, tool.name, 'offered', tool.currentDefinition ?? {});
      const label = namespacedName(server, tool.name);
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(0, 0, 0, 1),
        tool.pin === 'changed'
          ? `${label}: the definition changed since you approved it; calls to it are refused until you review and approve it`
          : `${label}: a new tool not yet approved; calls to it are refused until you review and approve it`,
        vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.source = 'Gatekit';
      diagnostic.code = tool.pin === 'changed' ? 'tool-changed' : 'tool-new';
      this.diagnostics.set(uri, [diagnostic]);
    }
  }

  /**
   * The quick fix of a pending change's Problems entry: offered on its document whatever the
   * context holds (the markers reach the main thread asynchronously; the document is ours).
   */
  private quickFixes(uri: vscode.Uri, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const change = this.pending.find((c) => toolDefinitionUri(c.server, c.tool.name, 'offered').toString() === uri.toString());
    if (change === undefined) return [];
    const action = new vscode.CodeAction(`Review ${namespacedName(change.server, change.tool.name)}`, vscode.CodeActionKind.QuickFix);
    const ours = context.diagnostics.filter((d) => d.source === 'Gatekit');
    action.diagnostics = ours.length > 0 ? ours : [...(this.diagnostics.get(uri) ?? [])];
    action.isPreferred = true;
    action.command = { command: 'gatekit.reviewToolChange', title: 'Review', arguments: [{ server: change.server, tool: change.tool.name }] };
    return [action];
  }

  private announce(fresh: PendingToolChange[]): void {
    const first = fresh[0]!;
    const label = namespacedName(first.server, first.tool.name);
    const message =
      fresh.length === 1
        ? first.tool.pin === 'changed'
          ? vscode.l10n.t('Gatekit blocked {0}: its definition changed since you approved it. Review the change before the model can call it again.', label)
          : vscode.l10n.t('Gatekit blocked {0}: a new tool that was never approved. Review it before the model can call it.', label)
        : vscode.l10n.t(
            'Gatekit blocked {0} tools whose definitions changed or are new ({1}). Review them before the model can call them.',
            fresh.length,
            fresh.map((c) => namespacedName(c.server, c.tool.name)).join(', '),
          );
    const review = vscode.l10n.t('Review');
    const actions = [review, vscode.l10n.t('Keep blocked')];
    const shown: ShownNotification = { message, actions };
    this.notifications.push(shown);
    if (this.notifications.length > 50) this.notifications.shift();
    this.deps.log.warn(message);
    void vscode.window.showWarningMessage(message, ...actions).then((choice) => {
      shown.choice = choice;
      if (choice !== review) return;
      if (fresh.length === 1) void vscode.commands.executeCommand('gatekit.reviewToolChange', { server: first.server, tool: first.tool.name });
      else void vscode.commands.executeCommand('gatekit.reviewToolChange');
    });
  }
}
