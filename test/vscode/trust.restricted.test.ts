// Restricted Mode, in the real VS Code: a repository whose .vscode/settings.json switches every
// security plugin off and aims an audit log at a shell start-up file. Until the folder is trusted
// neither gateway (the views gateway, the chat gateway VS Code starts) runs anything from it; the
// user's own settings apply. Trust granted in the workbench applies the workspace value at once,
// and its audit path outside the allowed folders is then a problem on that setting, not a write.
// Runs only in the workbench that scripts/test-vscode.sh opens with workspace trust on.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import { gatekit, labelText, memoryServer, startLikeVsCode, stateEvents, waitFor, workspaceFolder } from './helpers';

/** Printed for scripts/vscode/drive.mjs, which then clicks "Trust" in the Workspace Trust editor. */
const GRANT_TRUST = '[gatekit-trust] grant';

const runDir = process.env.GATEKIT_TEST_RUN_DIR ?? '';
const startUpFile = path.join(runDir, 'outside', 'bashrc');
const userAudit = path.join(runDir, 'user-audit', 'audit.jsonl');

/** Lists the tools through a chat gateway started exactly from the current server definition. */
async function listThroughChatGateway(extension: GatekitExtension): Promise<string[]> {
  const definition = extension.provider.definition();
  assert.ok(definition, 'a server definition');
  const { client, stderr } = await startLikeVsCode(definition);
  try {
    const { tools } = await client.listTools();
    return tools.map((t) => t.name);
  } catch (error) {
    throw new Error(`${(error as Error).message}; gateway stderr: ${stderr()}`, { cause: error });
  } finally {
    await client.close();
  }
}

describe('Restricted Mode: an untrusted workspace controls nothing', function () {
  this.timeout(90_000);
  let extension: GatekitExtension;

  before(async () => {
    assert.ok(runDir, 'GATEKIT_TEST_RUN_DIR is set by scripts/test-vscode.sh');
    assert.equal(vscode.workspace.isTrusted, false, 'the workbench must open the workspace in Restricted Mode');
    extension = await gatekit();
    const config = vscode.workspace.getConfiguration('gatekit');
    await config.update('upstreams', [memoryServer(extension, 'mem')], vscode.ConfigurationTarget.Global);
    await config.update(
      'plugins',
      {
        security: { _global: [{ handler: 'basic_secrets_filter', config: { action: 'block' } }] },
        // A path the user chose in their own settings may lie anywhere.
        auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: userAudit } }] },
      },
      vscode.ConfigurationTarget.Global,
    );
    await extension.settings.refresh();
  });

  it('runs both gateways from the user settings only, outside the workspace folder', async () => {
    // The repository sets gatekit.plugins, but VS Code itself hides a restricted setting's workspace value now.
    assert.match(readFileSync(path.join(workspaceFolder(), '.vscode', 'settings.json'), 'utf8'), /"gatekit\.plugins"/);
    assert.equal(vscode.workspace.getConfiguration('gatekit').inspect('plugins')?.workspaceValue, undefined);
    const effective = extension.settings.effective;
    assert.equal(effective.state, 'ready', JSON.stringify(effective.problems));
    const plugins = effective.config?.plugins as Record<string, Record<string, { handler: string }[]>>;
    assert.deepEqual(plugins.security!._global!.map((p) => p.handler), ['basic_secrets_filter']);
    assert.deepEqual(plugins.auditing!._global!.map((p) => p.handler), ['audit_jsonl']);
    assert.doesNotMatch(JSON.stringify(effective.config), /outside/);
    assert.notEqual(effective.workingFolder, workspaceFolder());
    const notices = extension.serversView.getChildren().map((n) => labelText(extension.serversView.getTreeItem(n)));
    assert.ok(notices.some((n) => /ignored until you trust this workspace/.test(n)), notices.join(' | '));

    // The views gateway runs that configuration and lists the server's tools.
    await waitFor('the views gateway with the server running', () => extension.statusSession()?.servers.find((s) => s.name === 'mem')?.state === 'running', stateEvents(extension));
    // The chat gateway VS Code would start gets the same: its environment holds no workspace value.
    const definition = extension.provider.definition()!;
    assert.doesNotMatch(String(definition.env['GATEKIT_CONFIG_JSON'] ?? ''), /outside|"_global":\[\]/);
    assert.notEqual(definition.cwd?.fsPath, workspaceFolder());
    const tools = await listThroughChatGateway(extension);
    assert.ok(tools.includes('mem__read_graph'), tools.join(', '));
    await waitFor('the user-chosen audit log', () => existsSync(userAudit) && readFileSync(userAudit, 'utf8').includes('tools/list'), stateEvents(extension));
    assert.equal(existsSync(startUpFile), false, 'nothing may be written to the workspace-chosen file');
  });

  it('applies the workspace value once trust is granted, without a reload, and still refuses its audit path', async () => {
    const granted = new Promise<void>((resolve) => vscode.workspace.onDidGrantWorkspaceTrust(() => resolve()));
    await vscode.commands.executeCommand('workbench.trust.manage');
    console.log(GRANT_TRUST);
    await granted;
    assert.equal(vscode.workspace.isTrusted, true);

    // The workspace value is read now: its audit path is outside every allowed folder.
    await waitFor('the workspace value of gatekit.plugins', () => vscode.workspace.getConfiguration('gatekit').inspect('plugins')?.workspaceValue !== undefined, [
      (l) => vscode.workspace.onDidChangeConfiguration(l),
      ...stateEvents(extension),
    ]);
    await extension.settings.refresh();
    const invalid = await waitFor('the workspace audit path as a problem', () => (extension.settings.effective.state === 'invalid' ? extension.settings.effective : undefined), stateEvents(extension)).catch((error: Error) => {
      throw new Error(`${error.message}; effective: ${JSON.stringify({ ...extension.settings.effective, config: extension.settings.effective.config?.plugins })}`);
    });
    assert.equal(invalid.problems[0]?.path, 'gatekit.plugins.auditing._global[0].config.output_file', JSON.stringify(invalid.problems));
    assert.match(invalid.problems[0]!.message, /outside the folders Gatekit may write to/);

    // A path in the workspace's .gatekit folder is fine: the workspace plugins apply, in the workspace folder.
    const workspaceAudit = path.join(workspaceFolder(), '.gatekit', 'audit.log');
    await vscode.workspace
      .getConfiguration('gatekit')
      .update('plugins', { security: { _global: [] }, auditing: { _global: [{ handler: 'audit_human_readable', config: { output_file: workspaceAudit } }] } }, vscode.ConfigurationTarget.Workspace);
    const ready = await waitFor('the workspace plugins applied', () => (extension.settings.effective.state === 'ready' && extension.lastGood?.workingFolder === workspaceFolder() ? extension.settings.effective : undefined), stateEvents(extension));
    const plugins = ready.config?.plugins as Record<string, Record<string, { handler: string }[]>>;
    assert.deepEqual(plugins.security!._global, []);
    assert.equal(extension.provider.definition()?.cwd?.fsPath, workspaceFolder());
    await listThroughChatGateway(extension);
    assert.match(readFileSync(workspaceAudit, 'utf8'), /tools\/list/);
    assert.equal(existsSync(startUpFile), false);
  });
});
