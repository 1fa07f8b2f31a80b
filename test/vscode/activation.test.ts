// The extension loads and activates inside a real VS Code extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('activation', () => {
  it('activates in the extension host', async () => {
    const extension = vscode.extensions.getExtension('gatekit.gatekit-vscode');
    assert.ok(extension, 'extension gatekit.gatekit-vscode is not installed in the host');
    const api = await extension.activate();
    assert.equal(extension.isActive, true);
    assert.ok(api);
    console.log(`VS Code ${vscode.version}, Node ${process.version}`);
  });
});
