// The policy editor (issue #16 item 9) in the real host: "Gatekit: Edit Policy" opens a webview of
// the running fixture server's tools and the filters; a save from the page writes gatekit.plugins in
// the user settings, and a chat's gateway then offers the tools as edited. A hostile message from
// the page writes nothing.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { PolicyEditor } from '../../src/extension/policy-editor/policy-panel';
import { EXTENSION_ID, fixtureServer, gatekit, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor } from './helpers';

type Plugins = Record<string, Record<string, unknown[]>>;

function userPlugins(): Plugins | undefined {
  return vscode.workspace.getConfiguration('gatekit').inspect<Plugins>('plugins')?.globalValue;
}

describe('policy editor', function () {
  this.timeout(120_000);
  let extension: GatekitExtension;
  let chat: { client: Client } | undefined;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    await setUserSettings(extension, {
      upstreams: [fixtureServer(extension)],
      plugins: { security: { _global: [{ handler: 'basic_pii_filter', config: { action: 'redact' } }] } },
    });
    chat = await startLikeVsCode(extension.provider.definition()!);
  });

  after(async () => {
    await chat?.client.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (extension) await resetSettings(extension);
  });

  /** The chat's tool names once they satisfy `condition` (the gateway reloads after the settings change). */
  async function chatToolsWhen(what: string, condition: (names: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const names = (await chat!.client.listTools()).tools.map((t) => t.name);
      if (condition(names)) return names;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the chat has ${names.join(', ')}`);
      // Wait for the next change of state (a config push, an inventory), or a second at most.
      await new Promise<void>((resolve) => {
        const subscription = extension.onDidChangeState(() => finish());
        const timer = setTimeout(() => finish(), 1000);
        function finish(): void {
          clearTimeout(timer);
          subscription.dispose();
          resolve();
        }
      });
    }
  }

  it('is a command in the Servers view title', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.ok(manifest.contributes.commands.some((c: { command: string; title: string }) => c.command === 'gatekit.editPolicy' && c.title === 'Edit Policy'));
    assert.ok(manifest.contributes.menus['view/title'].some((m: { command: string; when: string }) => m.command === 'gatekit.editPolicy' && m.when === 'view == gatekit.servers'));
  });

  it('shows the server\'s tools and filters, saves the edits to the user settings, and the chat\'s tools change', async () => {
    await waitFor('the fixture tools reported', () => (extension.toolsOf('fixture')?.length ?? 0) > 5, stateEvents(extension), 30_000);
    await chatToolsWhen('the fixture tools in the chat', (names) => names.includes('fixture__echo'));
    const editor = await vscode.commands.executeCommand<PolicyEditor>('gatekit.editPolicy');
    assert.equal(editor.panel.viewType, 'gatekit.policyEditor');
    const html = editor.panel.webview.html;
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'nonce-[^']+'; script-src 'nonce-[^']+';"/);
    assert.ok(html.includes('data-tool="echo"') && html.includes('data-handler="basic_pii_filter"'));
    const fixture = editor.view.servers.find((s) => s.name === 'fixture')!;
    assert.ok(fixture.toolsKnown && fixture.tools.some((t) => t.name === 'whoami' && !t.hidden));
    assert.deepEqual(fixture.inherited.map((f) => [f.handler, f.action]), [['basic_pii_filter', 'redact']]);

    // What an attacker's page could send: nothing is written, and it says why.
    const before = JSON.stringify(userPlugins());
    for (const edits of [
      [{ op: 'hideTool', server: '__proto__', tool: 'echo' }],
      [{ op: 'addFilter', scope: 'fixture', handler: 'evil_handler' }],
      [{ op: 'setAction', scope: '_global', handler: 'basic_pii_filter', action: { toString: 'block' } }],
      [{ op: 'renameTool', server: 'fixture', tool: 'echo', name: 'not a valid name!' }],
      'hideTool',
    ]) {
      const result = await editor.handleMessage({ type: 'save', edits });
      assert.equal(result?.ok, false, JSON.stringify(edits));
      assert.match(result!.message, /^Not saved: /);
    }
    assert.equal(JSON.stringify(userPlugins()), before, 'the settings are untouched');

    const result = await editor.handleMessage({
      type: 'save',
      edits: [
        { op: 'hideTool', server: 'fixture', tool: 'whoami' },
        { op: 'renameTool', server: 'fixture', tool: 'echo', name: 'say' },
        { op: 'setAction', scope: '_global', handler: 'basic_pii_filter', action: 'block' },
        { op: 'addFilter', scope: 'fixture', handler: 'basic_secrets_filter', action: 'audit_only' },
      ],
    });
    assert.equal(result?.ok, true, result?.message);
    const written = userPlugins()!;
    assert.deepEqual(written.security!._global, [{ handler: 'basic_pii_filter', config: { action: 'block' } }]);
    assert.deepEqual(written.security!.fixture, [{ handler: 'basic_secrets_filter', config: { action: 'audit_only' } }]);
    const allowlist = (written.middleware!.fixture![0] as { config: { tools: { tool: string; display_name?: string }[] } }).config.tools;
    assert.ok(!allowlist.some((t) => t.tool === 'whoami'));
    assert.deepEqual(allowlist.find((t) => t.tool === 'echo'), { tool: 'echo', display_name: 'say' });

    const names = await chatToolsWhen('the edited tools in the chat', (n) => n.includes('fixture__say'));
    assert.ok(!names.includes('fixture__echo') && !names.includes('fixture__whoami'), names.join(', '));
    // The editor shows the saved state.
    await waitFor('the editor showing the rename', () => editor.view.servers.find((s) => s.name === 'fixture')?.tools.find((t) => t.name === 'echo')?.displayName === 'say', stateEvents(extension));
    assert.equal(editor.view.servers.find((s) => s.name === 'fixture')?.tools.find((t) => t.name === 'whoami')?.hidden, true);
  });
});
