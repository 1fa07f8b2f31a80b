// An mcp.json `http` server imported into Gatekit: server-everything in its Streamable HTTP mode,
// started here, becomes a remote upstream whose tools the client sees through the Gatekit server.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ImportResult } from '../../src/extension/mcp-import';
import { gatekit, resetSettings, startLikeVsCode } from './helpers';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('import of a remote (http) server from mcp.json', () => {
  let extension: GatekitExtension;
  let remote: ChildProcess | undefined;
  let mcpJson: string;
  let port: number;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    port = await freePort();
    const script = path.join(extension.context.extensionPath, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
    const child = spawn(process.execPath, [script, 'streamableHttp'], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    remote = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/listening on port/i.test(seen)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`server-everything exited (${code}): ${seen}`)));
    });
    mcpJson = path.join(mkdtempSync(path.join(os.tmpdir(), 'gatekit-remote-import-')), 'mcp.json');
    writeFileSync(
      mcpJson,
      JSON.stringify({
        inputs: [{ type: 'promptString', id: 'remote-token', password: true }],
        servers: { 'Remote Everything': { type: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: { 'X-Token': '${input:remote-token}' } } },
      }),
    );
  });

  after(async () => {
    remote?.kill();
    if (extension) await resetSettings(extension);
  });

  it('imports the http entry with its header and serves its tools through Gatekit', async () => {
    const result = await vscode.commands.executeCommand<ImportResult>('gatekit.importMcpJson', { file: mcpJson, servers: ['Remote Everything'], move: true, inputs: { 'remote-token': 'tok$en' } });
    assert.deepEqual(result.imported, ['remote-everything']);
    assert.deepEqual(result.skipped, []);
    const upstreams = vscode.workspace.getConfiguration('gatekit').inspect('upstreams')?.workspaceValue;
    assert.deepEqual(upstreams, [{ name: 'remote-everything', type: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: { 'X-Token': '${input:remote-token}' } }]);

    const config = await extension.settings.refresh();
    assert.equal(config.state, 'ready', JSON.stringify(config.problems));
    const definition = extension.provider.definition();
    assert.ok(definition instanceof vscode.McpStdioServerDefinition);
    const { client, stderr } = await startLikeVsCode(definition);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'remote-everything__echo'), `${tools.map((t) => t.name).join(', ')}; ${stderr()}`);
      const echoed = await client.callTool({ name: 'remote-everything__echo', arguments: { message: 'through Gatekit' } });
      assert.match(JSON.stringify(echoed.content), /Echo: through Gatekit/);
    } finally {
      await client.close();
    }
  });
});
