// "Import Servers from mcp.json" and "Restore mcp.json" on the fixture workspace's .vscode/mcp.json.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ImportResult } from '../../src/extension/mcp-import';
import { gatekit, resetSettings, workspaceFolder } from './helpers';

describe('import from mcp.json', () => {
  let extension: GatekitExtension;
  let mcpJson: string;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    mcpJson = path.join(workspaceFolder(), '.vscode', 'mcp.json');
  });

  after(async () => {
    if (extension) await resetSettings(extension);
  });

  it('moves a stdio server into the workspace\'s gatekit.upstreams, keeping comments and other servers', async () => {
    const result = await vscode.commands.executeCommand<ImportResult>('gatekit.importMcpJson', {
      file: mcpJson,
      servers: ['Memory Server'],
      move: true,
      inputs: { 'memory-token': 'to$ken' },
    });
    assert.deepEqual(result.imported, ['memory-server']);
    assert.equal(result.target, 'workspace');
    // The http entry could be imported too (remote-import.test.ts does); it was not picked here.
    assert.deepEqual(result.skipped.map((s) => s.key), []);

    const upstreams = vscode.workspace.getConfiguration('gatekit').inspect('upstreams')?.workspaceValue;
    assert.deepEqual(upstreams, [
      { name: 'memory-server', command: 'node', args: ['${workspaceFolder}/server.js', '--home', '${userHome}'], env: { TOKEN: '${input:memory-token}', LEVEL: '3' } },
    ]);
    const text = readFileSync(mcpJson, 'utf8');
    assert.doesNotMatch(text, /"Memory Server"\s*:/);
    assert.match(text, /"remote"/);
    assert.match(text, /\/\/ Servers of this workspace/);
  });

  it('resolves the VS Code variables and the stored secret in the configuration it runs', async () => {
    const config = await extension.settings.refresh();
    assert.equal(config.state, 'ready', JSON.stringify(config.problems));
    const [upstream] = (config.config!.proxy as { upstreams: { command: string[]; env: Record<string, string> }[] }).upstreams;
    assert.deepEqual(upstream!.command, ['node', `${workspaceFolder()}/server.js`, '--home', os.homedir()]);
    // '$' doubled: the gateway expands $VAR in env values, the secret must arrive as typed.
    assert.equal(upstream!.env.TOKEN, 'to$$ken');
  });

  it('puts the server back into mcp.json and out of the settings on restore', async () => {
    const restored = await vscode.commands.executeCommand<string[]>('gatekit.restoreMcpJson', { file: mcpJson });
    assert.deepEqual(restored, ['Memory Server']);
    const text = readFileSync(mcpJson, 'utf8');
    assert.match(text, /"Memory Server"\s*:/);
    assert.match(text, /\$\{input:memory-token\}/);
    assert.match(text, /\/\/ Servers of this workspace/);
    assert.equal(vscode.workspace.getConfiguration('gatekit').inspect('upstreams')?.workspaceValue, undefined);
    assert.equal((await extension.settings.refresh()).state, 'empty');
  });
});
