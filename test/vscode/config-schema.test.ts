// The schema of gatekit.yaml / gatekit.json (issue #16 item 9, in part) in the real host: VS Code's
// own JSON language service validates a gatekit.json against it (contributes.jsonValidation), so a
// wrong plugin option is underlined before the gateway ever reads the file; the gatekit.plugins
// setting offers the handler names with their descriptions, and in settings.json each handler's
// option values.
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor, workspaceFolder } from './helpers';

describe('configuration schemas', () => {
  const file = path.join(workspaceFolder(), 'gatekit.json');

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(file, { force: true });
  });

  it('underlines an unknown action and an unknown option of a built-in plugin in gatekit.json', async () => {
    writeFileSync(
      file,
      JSON.stringify({ plugins: { security: { _global: [{ handler: 'basic_pii_filter', config: { action: 'explode', pii_typoes: {} } }, { handler: 'basic_secrets_filter', config: { action: 'redact' } }] } } }, null, 2),
    );
    const document = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(document);
    const diagnostics = await waitFor('the JSON language service\'s diagnostics', () => {
      const list = vscode.languages.getDiagnostics(document.uri);
      return list.length >= 2 ? list : undefined;
    }, [(l) => vscode.languages.onDidChangeDiagnostics(l)], 30_000);
    const lineOf = (text: string): number => document.getText().split('\n').findIndex((line) => line.includes(text));
    const lines = diagnostics.map((d) => d.range.start.line);
    assert.ok(lines.includes(lineOf('"explode"')), `the bad action is marked: ${JSON.stringify(diagnostics.map((d) => [d.range.start.line, d.message]))}`);
    assert.ok(lines.includes(lineOf('pii_typoes')), 'the unknown option is marked');
    assert.ok(!lines.includes(lineOf('"redact"')), 'a valid entry is not');
  });

  it('offers the built-in handler names of each section with descriptions in the gatekit.plugins setting', () => {
    const properties = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.configuration.properties;
    const namesOf = (section: string): { enum: string[]; markdownEnumDescriptions: string[] } =>
      properties['gatekit.plugins'].properties[section].additionalProperties.items.properties.handler.anyOf[0];
    const security = namesOf('security');
    assert.ok(security.enum.includes('basic_pii_filter') && !security.enum.includes('tool_manager'), 'a section offers the plugins of its kind');
    assert.ok(namesOf('middleware').enum.includes('tool_manager'));
    assert.equal(security.markdownEnumDescriptions.length, security.enum.length);
  });

  it("offers a handler's action values in settings.json once the handler is chosen", async () => {
    await vscode.commands.executeCommand('workbench.action.openSettingsJson');
    const editor = await waitFor('the user settings.json editor', () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.path.endsWith('settings.json') ? active : undefined;
    }, [(l) => vscode.window.onDidChangeActiveTextEditor(l)]);
    const document = editor.document;
    // Typed, not saved: the settings never change, and the editor is reverted below.
    const text = JSON.stringify({ 'gatekit.plugins': { security: { _global: [{ handler: 'basic_pii_filter', config: { action: '' } }] } } }, null, 2);
    try {
      await editor.edit((edit) => edit.replace(new vscode.Range(0, 0, document.lineCount, 0), text));
      const line = document.getText().split('\n').findIndex((l) => l.includes('"action"'));
      const position = new vscode.Position(line, document.lineAt(line).text.indexOf('""') + 1);
      const labels = async (): Promise<string[]> => {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, position);
        return list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label).replace(/^"|"$/g, ''));
      };
      // The JSON language server loads the settings schema asynchronously: ask until it answers with values.
      let offered: string[] = [];
      for (let attempt = 0; attempt < 20 && !offered.includes('redact'); attempt++) offered = await labels();
      assert.deepEqual(offered.filter((l) => ['block', 'redact', 'audit_only'].includes(l)).sort(), ['audit_only', 'block', 'redact'], `offered: ${offered.join(', ')}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
  });
});
