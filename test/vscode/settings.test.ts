// gatekit.configFile: a gatekit.yaml in the workspace that the settings merge onto, watched for edits,
// with its problems pointing at file lines.
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import { gatekit, labelText, memoryServer, resetSettings, setUserSettings, stateEvents, waitFor, workspaceFolder } from './helpers';

function yamlFor(server: Record<string, unknown>, extraLine = ''): string {
  return [
    'proxy:',
    '  transport: stdio',
    '  upstreams:',
    `    - name: ${String(server.name)}`,
    `      command: ${JSON.stringify([server.command, ...(server.args as string[])])}`,
    `      env: ${JSON.stringify(server.env)}`,
    extraLine,
    '',
  ].join('\n');
}

describe('settings and gatekit.configFile', () => {
  let extension: GatekitExtension;
  let file: string;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    file = path.join(workspaceFolder(), 'gatekit.yaml');
  });

  after(async () => {
    rmSync(file, { force: true });
    if (extension) await resetSettings(extension);
  });

  it('merges gatekit.upstreams onto the servers of the config file', async () => {
    writeFileSync(file, yamlFor(memoryServer(extension, 'from-file')));
    await setUserSettings(extension, { configFile: 'gatekit.yaml', upstreams: [memoryServer(extension, 'from-settings')] });
    const config = extension.settings.effective;
    assert.equal(config.state, 'ready', JSON.stringify(config.problems));
    assert.equal(config.configFile, file);
    assert.deepEqual(config.serverNames, ['from-file', 'from-settings']);
    const names = extension.serversView.getChildren().filter((n) => n.kind === 'server').map((n) => (n.kind === 'server' ? n.name : ''));
    assert.deepEqual(names, ['from-file', 'from-settings']);
  });

  it('notices an edit of the file and points at the offending line', async () => {
    writeFileSync(file, yamlFor(memoryServer(extension, 'from-file'), '      restart_on_failur: true'));
    const config = await waitFor('the file problem', () => (extension.settings.effective.state === 'invalid' ? extension.settings.effective : undefined), stateEvents(extension));
    const problem = config.problems[0]!;
    assert.equal(problem.origin, 'file');
    assert.equal(problem.file, file);
    assert.equal(problem.line, 7);
    assert.match(problem.message, /restart_on_failure/);
    const item = extension.serversView.getTreeItem(extension.serversView.getChildren()[0]!);
    assert.match(labelText(item), /gatekit\.yaml:7/);
    // Selecting the problem opens the file at that line.
    assert.equal(item.command?.command, 'gatekit.openConfigProblem');
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('gatekit.openConfigProblem', ...(item.command?.arguments ?? []));
    assert.equal(editor.document.uri.fsPath, file);
    assert.equal(editor.selection.start.line, 6);
  });

  it('reports invalid settings with their paths through "Validate Configuration"', async () => {
    writeFileSync(file, yamlFor(memoryServer(extension, 'from-file')));
    await setUserSettings(extension, { upstreams: [{ name: 'ok', command: 'x' }, { name: 'ok', command: 'y' }] });
    const config = await vscode.commands.executeCommand<{ state: string; problems: { path: string }[] }>('gatekit.validateConfiguration', { quiet: true });
    assert.equal(config.state, 'invalid');
    assert.deepEqual(config.problems.map((p) => p.path), ['gatekit.upstreams[1].name']);
  });
});
