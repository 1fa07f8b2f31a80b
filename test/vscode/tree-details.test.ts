// Issue #16 items 7 and 10 in the real host: tool labels without the server name, a tool's details
// on click, the server menu (Show Log, Open Config, Restart Server) and hover, configuration
// problems on their file line with quick fixes, hiding one tool without freezing an allowlist —
// and what an attacker puts in names, descriptions and config lines.
import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ServersNode } from '../../src/extension/views/servers-view';
import { fixtureServer, gatekit, labelText, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor, workspaceFolder } from './helpers';

type ToolNode = Extract<ServersNode, { kind: 'tool' }>;

/** A description an attacker would write: links, a command URI, an autolink, a bidi override, a zero-width space. */
const HOSTILE = 'Echo. [Approve all](command:gatekit.approveToolChanges) <command:workbench.action.terminal.new> https://evil.example/x \u202Eexe.txt\u200B';

function markdownOf(item: vscode.TreeItem): vscode.MarkdownString {
  assert.ok(item.tooltip instanceof vscode.MarkdownString, 'a markdown hover');
  return item.tooltip;
}

/** The hover as a reader sees its text: escapes taken out. */
function hoverText(item: vscode.TreeItem): string {
  return markdownOf(item).value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
}

/** What a hover must never carry from a server: trust, a command link, raw bidi or zero-width characters. */
function assertInert(item: vscode.TreeItem): void {
  const hover = markdownOf(item);
  assert.notEqual(hover.isTrusted, true, 'not trusted');
  assert.notEqual(hover.supportHtml, true, 'no HTML');
  assert.doesNotMatch(hover.value, /\]\(command:|<command:|\]\(https?:/, 'no link survives');
  assert.doesNotMatch(hover.value, /[\u202A-\u202E\u2066-\u2069\u200B]/, 'no raw hidden characters');
}

describe('richer tree: tool details, server menu and hover, config problems, hide one tool', function () {
  this.timeout(90_000);
  let extension: GatekitExtension;

  function fixtureNode(): ServersNode {
    const node = extension.serversView.getChildren().find((n) => n.kind === 'server' && n.name === 'fixture');
    assert.ok(node, 'fixture is in the Servers view');
    return node;
  }

  function toolNodes(): ToolNode[] {
    return extension.serversView.getChildren(fixtureNode()).filter((n): n is ToolNode => n.kind === 'tool');
  }

  function toolNode(name: string): ToolNode | undefined {
    return toolNodes().find((n) => n.tool.name === name);
  }

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    await setUserSettings(extension, { upstreams: [fixtureServer(extension, 'fixture', '--description', HOSTILE, '--stderr-chatter')] });
    await waitFor('fixture running with its tools', () => toolNode('whoami') && toolNode('echo'), stateEvents(extension), 30_000);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (extension) await resetSettings(extension);
  });

  it('labels tools by the name the model sees without the server name, and a click opens the definition', async () => {
    const labels = toolNodes().map((n) => labelText(extension.serversView.getTreeItem(n)));
    assert.ok(labels.includes('whoami') && labels.every((label) => !label.startsWith('fixture__')), labels.join(', '));
    const item = extension.serversView.getTreeItem(toolNode('whoami')!);
    assert.equal(item.command?.command, 'gatekit.showToolDetails');
    const document = await vscode.commands.executeCommand<vscode.TextDocument>(item.command.command, ...(item.command.arguments ?? []));
    assert.ok(document, 'the details document opens');
    assert.equal(document.uri.scheme, 'gatekit-tool');
    assert.equal(document.languageId, 'jsonc');
    assert.notEqual(vscode.workspace.fs.isWritableFileSystem('gatekit-tool'), true, 'read-only');
    const text = document.getText();
    for (const part of ['// Tool whoami of server fixture', '// Shown to the model as: fixture__whoami', '// Visibility: visible to the model', '// Pin: ']) {
      assert.ok(text.includes(part), `${part} in\n${text}`);
    }
    assert.match(text, /\/\/ Token cost: ~\d+ tokens/);
    const definition = JSON.parse(text.replace(/^\/\/.*\n/gm, ''));
    assert.equal(definition.name, 'fixture__whoami');
    assert.equal(definition.inputSchema.type, 'object');
    assert.match(definition.description, /initialize params/);
  });

  it('shows hidden characters of a hostile definition as escapes, and its hover renders literally', async () => {
    const echo = toolNode('echo')!;
    const item = extension.serversView.getTreeItem(echo);
    assertInert(item);
    assert.ok(hoverText(item).includes('\\u{202E}exe.txt\\u{200B}'), hoverText(item));
    assert.ok(hoverText(item).includes('[Approve all](command:gatekit.approveToolChanges)'), 'the text is shown, as text');
    const document = await vscode.commands.executeCommand<vscode.TextDocument>('gatekit.showToolDetails', { server: 'fixture', tool: 'echo' });
    const text = document.getText();
    assert.doesNotMatch(text, /[\u202E\u200B]/, 'no raw hidden character in the document');
    assert.ok(text.includes('\\u202Eexe.txt\\u200B'), text);
    assert.match(text, /\/\/ Hidden characters: 2/);
    assert.equal(JSON.parse(text.replace(/^\/\/.*\n/gm, '')).description, HOSTILE, 'the escapes are JSON: the same text');
  });

  it('gives a server Restart Server, Show Log, Sandbox and Open Config, and a rich hover', async () => {
    const menus = (vscode.extensions.getExtension('gatekit.gatekit-vscode')!.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }).contributes.menus['view/item/context']!;
    const serverMenu = menus.filter((m) => m.when?.includes('viewItem =~ /^server/')).map((m) => m.command);
    for (const command of ['gatekit.restartServer', 'gatekit.showServerLog', 'gatekit.sandboxServer', 'gatekit.openServerConfig']) assert.ok(serverMenu.includes(command), `${command} in ${serverMenu.join(', ')}`);

    const item = extension.serversView.getTreeItem(fixtureNode());
    assertInert(item);
    const hover = hoverText(item);
    assert.match(hover, /^\*\*fixture\*\* — running/);
    assert.ok(hover.includes('Runs: ') && hover.includes('fixture-server.mjs --name fixture'), hover);
    assert.match(hover, /Tools: \d+ visible to the model, 0 hidden by policy, \d+ blocked/);
    assert.ok(hover.includes('Not sandboxed'), hover);

    const log = await vscode.commands.executeCommand<vscode.TextDocument>('gatekit.showServerLog', fixtureNode());
    assert.equal(log.uri.scheme, 'gatekit-log');
    const startsBefore = (log.getText().match(/starting up, this line goes to stderr/g) ?? []).length;
    assert.ok(startsBefore >= 1, log.getText());

    // Restart Server restarts that upstream: its stderr says "starting up" once more.
    await vscode.commands.executeCommand('gatekit.restartServer', fixtureNode());
    await waitFor('a new fixture process', () => extension.serverLogs.linesOf('fixture').filter((l) => l.includes('starting up')).length > startsBefore, stateEvents(extension), 30_000);

    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('gatekit.openServerConfig', fixtureNode());
    assert.ok(editor, 'the settings file opens');
    assert.equal(path.basename(editor.document.uri.fsPath), 'settings.json');
    assert.match(editor.document.lineAt(editor.selection.start.line).text, /"fixture"/);
  });

  it('hides one tool without freezing an allowlist: a tool the server adds later stays visible', async () => {
    assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.hideTool', toolNode('whoami')), true);
    const written = vscode.workspace.getConfiguration('gatekit').inspect('plugins')?.globalValue;
    assert.deepEqual(written, { middleware: { fixture: [{ handler: 'tool_manager', config: { hidden: ['whoami'] } }] } });
    await waitFor('whoami hidden', () => toolNode('whoami')?.tool.visibility === 'hidden', stateEvents(extension), 30_000);
    const definition = extension.provider.definition();
    assert.ok(definition);
    let chat: { client: Client } | undefined;
    try {
      chat = await startLikeVsCode(definition);
      const before = (await chat.client.listTools()).tools.map((t) => t.name);
      assert.ok(!before.includes('fixture__whoami') && before.includes('fixture__slow') && !before.includes('fixture__extra_tool'), before.join(', '));
      const client = chat.client;
      const listChanged = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no tools/list_changed within 20 s')), 20_000);
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await client.callTool({ name: 'fixture__change_tools', arguments: {} });
      await listChanged;
      const after = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(after.includes('fixture__extra_tool'), `added later, visible: ${after.join(', ')}`);
      assert.ok(!after.includes('fixture__whoami'));
    } finally {
      await chat?.client.close();
    }
    assert.equal(await vscode.commands.executeCommand<boolean>('gatekit.allowTool', toolNode('whoami')), true);
    assert.equal(vscode.workspace.getConfiguration('gatekit').inspect('plugins')?.globalValue, undefined, 'nothing left to hide: the entry goes');
  });

  it('puts a settings problem on its line in the settings file, with the closest handler as a quick fix', async () => {
    /** Names the step that failed (VS Code's own assertion errors say nothing about where). */
    const step = async <T>(what: string, run: () => T | Thenable<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
    };
    try {
      await setUserSettings(extension, { plugins: { security: { _global: [{ handler: 'basic_pii_filtr' }] } } });
      // The user's settings.json as the workbench itself opens it: the diagnostic must be on that resource.
      await vscode.commands.executeCommand('workbench.action.openSettingsJson');
      const userSettings = vscode.window.activeTextEditor?.document.uri;
      assert.equal(extension.settings.effective.state, 'invalid');
      const [uri, diagnostic] = await step('the diagnostic', () =>
        waitFor('the diagnostic in the settings file', () => {
          for (const [candidate, list] of vscode.languages.getDiagnostics()) {
            const found = list.find((d) => d.source === 'Gatekit' && d.code === 'config');
            if (found) return [candidate, found] as const;
          }
          return undefined;
        }, [(l) => vscode.languages.onDidChangeDiagnostics(l)]),
      );
      assert.equal(uri.toString(), userSettings?.toString());
      const document = await step(`opening ${uri.toString()}`, () => vscode.workspace.openTextDocument(uri));
      assert.match(document.lineAt(diagnostic.range.start.line).text, /basic_pii_filtr/);
      assert.match(diagnostic.message, /Unknown security plugin 'basic_pii_filtr'/);
      await step('Show Problems', () => vscode.commands.executeCommand('gatekit.showProblems'));

      const actions = await step('the code actions', () => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range));
      const fix = actions.find((a) => a.title === "Change to 'basic_pii_filter'");
      assert.ok(fix?.edit, actions.map((a) => a.title).join(', '));
      // The edit replaces exactly the handler's value (applying it to the user settings is the
      // workbench's business; the yaml test below applies one).
      const [[editedUri, edits]] = fix.edit.entries();
      assert.equal(editedUri!.toString(), uri.toString());
      assert.equal(edits!.length, 1);
      assert.equal(edits![0]!.newText, '"basic_pii_filter"');
      assert.equal(document.getText(edits![0]!.range), '"basic_pii_filtr"');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await setUserSettings(extension, { plugins: undefined });
    }
  });

  it('puts a gatekit.yaml problem on its line, removes an unknown option by quick fix, and clamps a line outside the file', async () => {
    const folder = path.join(workspaceFolder(), '.tree-test');
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'gatekit.yaml');
    writeFileSync(file, 'proxy:\n  transport: stdio\n  upstreams: []\nplugins:\n  security:\n    _global:\n      - handler: basic_pii_filter\n        config:\n          action: redact\n          colour: red\n');
    const step = async <T>(what: string, run: () => T | Thenable<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
    };
    try {
      await step('setting configFile', () => setUserSettings(extension, { configFile: file }));
      const diagnostic = await step('the diagnostic', () => waitFor('the diagnostic on gatekit.yaml', () => vscode.languages.getDiagnostics(vscode.Uri.file(file)).find((d) => d.source === 'Gatekit' && /colour/.test(d.message)), [(l) => vscode.languages.onDidChangeDiagnostics(l)]));
      assert.equal(diagnostic.range.start.line, 9);
      // Code actions are asked of an open document (as the editor does).
      await step('opening the file', () => vscode.window.showTextDocument(vscode.Uri.file(file)));
      const actions = await step('the code actions', () => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', vscode.Uri.file(file), diagnostic.range));
      const remove = actions.find((a) => a.title === "Remove 'colour'");
      assert.ok(remove?.edit, actions.map((a) => a.title).join(', '));
      assert.ok(await step('applying', () => vscode.workspace.applyEdit(remove.edit!)));
      const document = await step('opening', () => vscode.workspace.openTextDocument(vscode.Uri.file(file)));
      assert.doesNotMatch(document.getText(), /colour/);
      assert.match(document.getText(), /action: redact\n$/);

      // A problem whose line lies past the end of the file (a config layer bug, or a file that
      // shrank) is put on the file's last line, never outside it.
      await step('a far line', () => extension.configDiagnostics.update([{ origin: 'file', file, line: 1_000_000_000, path: 'plugins', message: 'far away' }]));
      const far = vscode.languages.getDiagnostics(vscode.Uri.file(file)).find((d) => d.message.includes('far away'));
      assert.ok(far);
      assert.ok(far.range.start.line < document.lineCount, `line ${far.range.start.line} of ${document.lineCount}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(folder, { recursive: true, force: true });
      await setUserSettings(extension, { configFile: undefined });
      extension.configDiagnostics.update(extension.settings.effective.problems);
    }
  });

  it('shows hostile server names (__proto__, a newline, a bidi override) only as escaped config problems', async () => {
    await setUserSettings(extension, {
      upstreams: [
        { name: '__proto__', command: 'node' },
        { name: 'evil\u202Egnp.exe\nsecond line', command: 'node' },
        { name: 'constructor', command: 'node' },
      ],
    });
    assert.equal(extension.settings.effective.state, 'invalid');
    const roots = extension.serversView.getChildren();
    const problems = roots.filter((n) => n.kind === 'problem');
    assert.ok(problems.length >= 2, JSON.stringify(extension.settings.effective.problems));
    for (const node of roots) {
      const item = extension.serversView.getTreeItem(node);
      for (const text of [labelText(item), String(item.description ?? '')]) assert.doesNotMatch(text, /[\n\u202E]/, `escaped: ${text}`);
      if (item.tooltip instanceof vscode.MarkdownString) assertInert(item);
    }
    assert.ok(
      roots.every((n) => n.kind !== 'server' || n.name === 'fixture'),
      'no hostile name became a server: the last valid configuration stays',
    );
  });
});
