// The review of a changed (or new) tool definition: a webview that shows the whole change, wrapped,
// with added text marked and invisible characters shown as escapes. Nothing covers it. Approving is a
// button of its own; the focused default is "Keep blocked", so Enter never approves.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { countHidden, definitionDiffHtml, revealHidden } from '../../shared/definition-diff';
import { renderDefinition } from '../../shared/definition-text';
import type { ToolInventoryEntry } from '../../shared/protocol';
import { namespacedName } from '../../shared/namespacing';

export const TOOL_REVIEW_VIEW_TYPE = 'gatekit.toolReview';

/** What the review's buttons do, supplied by the extension. */
export interface ToolReviewActions {
  /** Pins `offered` as the approved definition of the tool; resolves with how many definitions were pinned. */
  approve(server: string, tool: string, offered: Record<string, unknown> | undefined): Promise<number>;
  /** Opens the JSON diff editor of the two definitions. */
  openJsonDiff(server: string, tool: ToolInventoryEntry): Promise<void>;
}

/** Messages the review's page sends. */
type ReviewMessage = { type: 'approve' | 'keepBlocked' | 'jsonDiff' };

function isReviewMessage(value: unknown): value is ReviewMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'approve' || type === 'keepBlocked' || type === 'jsonDiff';
}

/** One open review per tool; showing a tool again reveals (and refreshes) its panel. */
export class ToolReviewPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ToolReview>();

  constructor(private readonly actions: ToolReviewActions) {}

  show(server: string, tool: ToolInventoryEntry): ToolReview {
    const key = `${server}\0${tool.name}`;
    const existing = this.panels.get(key);
    if (existing) {
      existing.update(tool);
      existing.panel.reveal();
      return existing;
    }
    const review = new ToolReview(server, tool, this.actions, () => this.panels.delete(key));
    this.panels.set(key, review);
    return review;
  }

  /** The open review of a tool, if any. */
  get(server: string, tool: string): ToolReview | undefined {
    return this.panels.get(`${server}\0${tool}`);
  }

  dispose(): void {
    for (const review of [...this.panels.values()]) review.panel.dispose();
  }
}

export class ToolReview {
  readonly panel: vscode.WebviewPanel;
  /** What the review ended with, once a button was used. */
  outcome: 'approved' | 'keptBlocked' | undefined;

  constructor(
    readonly server: string,
    private tool: ToolInventoryEntry,
    private readonly actions: ToolReviewActions,
    onDispose: () => void,
  ) {
    this.panel = vscode.window.createWebviewPanel(TOOL_REVIEW_VIEW_TYPE, `Review ${namespacedName(server, tool.name)}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
    });
    this.panel.onDidDispose(onDispose);
    this.panel.webview.onDidReceiveMessage((message: unknown) => void this.handleMessage(message));
    this.render();
  }

  /** A newer report of the tool (another definition offered meanwhile) replaces what is shown. */
  update(tool: ToolInventoryEntry): void {
    this.tool = tool;
    this.outcome = undefined;
    this.render();
  }

  /** Handles a button of the page (public: the integration tests press buttons through it). */
  async handleMessage(message: unknown): Promise<void> {
    if (!isReviewMessage(message)) return;
    if (message.type === 'jsonDiff') {
      await this.actions.openJsonDiff(this.server, this.tool);
    } else if (message.type === 'keepBlocked') {
      this.outcome = 'keptBlocked';
      this.panel.dispose();
    } else {
      const approved = await this.actions.approve(this.server, this.tool.name, this.tool.currentDefinition);
      if (approved > 0) {
        this.outcome = 'approved';
        this.panel.dispose();
      } else {
        void vscode.window.showWarningMessage(`Gatekit could not approve ${namespacedName(this.server, this.tool.name)}: no gateway offers this definition any more (see the Gatekit log).`);
      }
    }
  }

  private render(): void {
    const { tool, server } = this;
    const nonce = randomBytes(16).toString('base64');
    const label = namespacedName(server, tool.name);
    const isNew = tool.pin !== 'changed' || tool.pinnedDefinition === undefined;
    const offered = tool.currentDefinition ?? {};
    const hidden = countHidden(renderDefinition(offered));
    const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';`;
    this.panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px 24px; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size);
        background: var(--vscode-textCodeBlock-background); padding: 12px; border-radius: 4px; }
  ins { background: var(--vscode-diffEditor-insertedTextBackground, rgba(155,185,85,.35)); text-decoration: none; outline: 1px solid var(--vscode-diffEditor-insertedLineBackground, transparent); }
  del { background: var(--vscode-diffEditor-removedTextBackground, rgba(255,0,0,.3)); }
  .hidden-char { color: var(--vscode-errorForeground); border: 1px solid var(--vscode-errorForeground); border-radius: 3px; padding: 0 2px; }
  .warning { color: var(--vscode-editorWarning-foreground); }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 16px; }
  button { font: inherit; padding: 4px 12px; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; cursor: pointer; }
  button.primary { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
  button.secondary { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
  button:focus { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
  a { color: var(--vscode-textLink-foreground); }
</style></head>
<body>
<h2>${revealHidden(label)}: ${isNew ? 'new tool definition' : 'tool definition changed'}</h2>
<p class="warning">${isNew ? 'This tool has not been approved yet.' : 'The server now offers a definition that differs from the one you approved.'} Calls to it are refused until you approve it.</p>
<p>${isNew ? 'The whole definition the server offers:' : 'The offered definition, with <ins>added text</ins> and <del>removed text</del> marked:'}</p>
${hidden > 0 ? `<p class="warning" id="hidden-count">${hidden} invisible character${hidden === 1 ? '' : 's'} shown as escapes, e.g. <span class="hidden-char">\\u{200B}</span>.</p>` : ''}
<pre id="definition">${definitionDiffHtml(isNew ? undefined : tool.pinnedDefinition, offered)}</pre>
<div class="actions">
  <button id="keep" class="primary" autofocus>Keep blocked</button>
  <button id="approve" class="secondary">Approve this definition</button>
  ${isNew ? '' : '<button id="json" class="secondary">Open as JSON diff</button>'}
</div>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  for (const [id, type] of [['keep', 'keepBlocked'], ['approve', 'approve'], ['json', 'jsonDiff']]) {
    document.getElementById(id)?.addEventListener('click', () => vscode.postMessage({ type }));
  }
  document.getElementById('keep').focus();
</script>
</body></html>`;
  }
}

