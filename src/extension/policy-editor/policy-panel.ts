// "Gatekit: Edit Policy": a webview showing each server's tools and filters, where the user hides,
// shows and renames tools and adds, removes and retunes filters. Save checks the page's edits (it is
// hostile), validates the result with the gateway's own loader, and writes gatekit.plugins through
// GatekitSettings at the level that holds it. Nothing is written when anything is wrong.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ConfigError } from '../../config/errors';
import { validateConfigObject } from '../../config/loader';
import { isRecord } from '../../shared/jsonrpc';
import type { GatekitExtension } from '../gatekit-extension';
import { renderPolicyPage } from './policy-html';
import { applyPolicyEdits, buildPolicyView, parsePolicyEdits, PolicyEditError, type PluginListWrite, type PolicySource, type PolicyView } from './policy-model';

export const POLICY_EDITOR_VIEW_TYPE = 'gatekit.policyEditor';

/** What the last message from the page led to (the integration tests read it). */
export interface PolicySaveResult {
  readonly ok: boolean;
  readonly message: string;
  /** The lists written, when ok. */
  readonly written?: readonly PluginListWrite[];
}

/** The one policy editor panel; the command reveals it when open. */
export class PolicyEditor implements vscode.Disposable {
  private static current: PolicyEditor | undefined;
  readonly panel: vscode.WebviewPanel;
  /** The view last rendered. */
  view: PolicyView;
  lastResult: PolicySaveResult | undefined;
  /** The page holds unsaved edits: a configuration change does not re-render it under the user. */
  private dirty = false;
  private saving = false;
  /** What the page shows (view and options, as JSON), to skip re-rendering the same. */
  private shown = '';
  private readonly disposables: vscode.Disposable[] = [];

  static show(extension: GatekitExtension): PolicyEditor {
    if (PolicyEditor.current) {
      PolicyEditor.current.panel.reveal();
      PolicyEditor.current.render();
      return PolicyEditor.current;
    }
    PolicyEditor.current = new PolicyEditor(extension);
    return PolicyEditor.current;
  }

  /** Closes the open editor, if any. */
  static close(): void {
    PolicyEditor.current?.dispose();
  }

  private constructor(private readonly extension: GatekitExtension) {
    this.panel = vscode.window.createWebviewPanel(POLICY_EDITOR_VIEW_TYPE, 'Gatekit Policy', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [],
      retainContextWhenHidden: true,
    });
    this.view = buildPolicyView(this.source());
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((message: unknown) => void this.handleMessage(message)),
      // Traffic changes the state too: only a different view is worth a new page (it resets scroll and focus).
      extension.onDidChangeState(() => {
        if (!this.dirty) this.render(false);
      }),
    );
    this.render();
  }

  /** What the editor reads: settings (else the config file) and the gateways' tool inventories. */
  private source(): PolicySource {
    const { settings } = this.extension;
    return {
      serverNames: settings.effective.serverNames,
      list: (section, scope) => settings.serverPlugins(section, scope),
      tools: (server) => this.extension.toolsOf(server),
    };
  }

  private writesTo(): string {
    const inspected = vscode.workspace.getConfiguration('gatekit').inspect('plugins');
    return vscode.workspace.isTrusted && inspected?.workspaceValue !== undefined ? 'workspace settings' : 'user settings';
  }

  private unavailable(): string | undefined {
    const effective = this.extension.settings.effective;
    if (effective.state === 'invalid') return 'The configuration has problems: fix them (Servers view, Problems panel) before editing the policy here.';
    if (effective.state === 'empty') return 'No servers are configured yet: import them from mcp.json or add them to gatekit.upstreams first.';
    return undefined;
  }

  /** Renders the page from the current configuration and inventory (drops the page's draft); unless `always`, only when that changed. */
  render(always = true): void {
    const view = buildPolicyView(this.source());
    const unavailable = this.unavailable();
    const options = { writesTo: this.writesTo(), ...(unavailable ? { unavailable } : {}) };
    const shown = JSON.stringify([view, options]);
    if (!always && shown === this.shown) return;
    this.shown = shown;
    this.view = view;
    this.dirty = false;
    this.panel.webview.html = renderPolicyPage(view, { nonce: randomBytes(16).toString('base64'), ...options });
  }

  /** Handles a message of the page (public: the integration tests drive the editor through it). */
  async handleMessage(message: unknown): Promise<PolicySaveResult | undefined> {
    if (!isRecord(message)) return undefined;
    if (message.type === 'dirty') {
      this.dirty = message.dirty === true;
      return undefined;
    }
    if (message.type === 'reload') {
      this.render();
      return undefined;
    }
    if (message.type !== 'save') return undefined;
    // Edits are checked against the configuration as it is: a second save must wait for the first's write.
    const result = this.saving ? { ok: false, message: 'Not saved: the previous save is still being written.' } : await this.saveOnce(Object.hasOwn(message, 'edits') ? message.edits : undefined);
    this.lastResult = result;
    if (result.ok) this.render();
    void this.panel.webview.postMessage({ type: 'result', ok: result.ok, message: result.message });
    if (!result.ok) this.extension.log.warn(`policy editor: nothing saved: ${result.message}`);
    return result;
  }

  private async saveOnce(rawEdits: unknown): Promise<PolicySaveResult> {
    this.saving = true;
    try {
      return await this.save(rawEdits);
    } finally {
      this.saving = false;
    }
  }

  private async save(rawEdits: unknown): Promise<PolicySaveResult> {
    const unavailable = this.unavailable();
    if (unavailable) return { ok: false, message: unavailable };
    const source = this.source();
    let writes: PluginListWrite[];
    try {
      writes = applyPolicyEdits(source, parsePolicyEdits(rawEdits, source));
    } catch (error) {
      if (error instanceof PolicyEditError) return { ok: false, message: `Not saved: ${error.message}` };
      throw error;
    }
    if (writes.length === 0) return { ok: true, message: 'Nothing to save.' };
    const problem = this.validate(writes);
    if (problem) return { ok: false, message: `Not saved: ${problem}` };
    const level = await this.extension.settings.writePluginLists(writes);
    const where = level === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user';
    const what = writes.map((w) => `plugins.${w.section}.${w.scope}`).join(', ');
    this.extension.log.info(`policy editor: wrote ${what} in ${where} settings`);
    return { ok: true, message: `Saved ${what} in ${where} settings.`, written: writes };
  }

  /** The first problem the gateway's loader finds in the configuration with `writes` applied, if any. */
  private validate(writes: readonly PluginListWrite[]): string | undefined {
    const effective = this.extension.settings.effective;
    const config = { ...(effective.config ?? {}) };
    const plugins: Record<string, unknown> = { ...(isRecord(config.plugins) ? config.plugins : {}) };
    for (const { section, scope, list } of writes) {
      const scopes = { ...(isRecord(plugins[section]) ? plugins[section] : {}) };
      Object.defineProperty(scopes, scope, { value: list, enumerable: true, writable: true, configurable: true });
      plugins[section] = scopes;
    }
    config.plugins = plugins;
    try {
      validateConfigObject(config, { configDir: path.dirname(effective.configBase), env: process.env, writableRoots: effective.writableRoots });
      return undefined;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const issue = error.issues[0];
      return issue ? `${issue.path}: ${issue.message}` : error.message;
    }
  }

  dispose(): void {
    if (PolicyEditor.current === this) PolicyEditor.current = undefined;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }
}

/** Registers "Gatekit: Edit Policy" (it resolves with the editor, for the tests). */
export function registerPolicyEditor(extension: GatekitExtension): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('gatekit.editPolicy', () => PolicyEditor.show(extension)),
    { dispose: () => PolicyEditor.close() },
  ];
}
