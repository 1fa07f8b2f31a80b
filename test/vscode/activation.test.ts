// The extension activates inside a real VS Code and contributes its commands, views and provider.
import * as assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { gatekit, gatekitApi, resetSettings } from './helpers';

describe('activation', () => {
  it('activates in the extension host and returns its API', async () => {
    const extension = await gatekit();
    assert.ok(extension.controlServer.socketPath.length > 0);
    console.log(`VS Code ${vscode.version}, Node ${process.version}, control socket ${extension.controlServer.socketPath}`);
  });

  it('measures its own activation (printed; never asserted against a time: these machines are shared)', async () => {
    const { extension, activationTimings } = await gatekitApi();
    const bundle = path.join(extension.context.extensionPath, 'dist', 'extension.js');
    // Bundled, the banner of dist/extension.js marks the start: its evaluation is measured too.
    assert.ok(activationTimings.bundleEvaluationMs !== undefined && activationTimings.bundleEvaluationMs >= 0, JSON.stringify(activationTimings));
    assert.ok(Number.isFinite(activationTimings.activateMs) && activationTimings.activateMs >= 0);
    console.log(
      `activation: dist/extension.js (${(statSync(bundle).size / 1024).toFixed(0)} KB) evaluated in ${activationTimings.bundleEvaluationMs.toFixed(1)} ms, ` +
        `activate() returned after ${activationTimings.activateMs.toFixed(1)} ms`,
    );
  });

  it('registers every command it contributes', async () => {
    const extension = await gatekit();
    const manifest = JSON.parse(readFileSync(path.join(extension.context.extensionPath, 'package.json'), 'utf8'));
    const contributed: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(contributed.length >= 12);
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Gatekit', `${c.command} has no category`);
  });

  it('offers no MCP server and shows the welcome content while nothing is configured', async () => {
    const extension = await gatekit();
    await resetSettings(extension);
    assert.equal(extension.settings.effective.state, 'empty');
    assert.deepEqual(extension.provider.provideMcpServerDefinitions(), []);
    // An empty tree is what makes VS Code show viewsWelcome.
    assert.deepEqual(extension.serversView.getChildren(), []);
    assert.deepEqual(extension.trafficView.getChildren(), []);
    assert.equal(extension.statusBar.text, '$(shield) Gatekit');
  });

  it('writes a discovery file for gateways started outside VS Code', async () => {
    const extension = await gatekit();
    const file = path.join(extension.context.globalStorageUri.fsPath, 'control', `${process.pid}.json`);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(record.socket, extension.controlServer.socketPath);
    assert.equal(record.pid, process.pid);
  });
});
