// The MCP server definition VS Code gets, started exactly as VS Code starts it and driven by the MCP
// SDK client against the real memory server; its traffic reaches the views over the control link.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import { configVersionOf, gatekit, memoryServer, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor } from './helpers';

describe('MCP server definition provider', () => {
  let extension: GatekitExtension;
  let auditFile: string;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    auditFile = path.join(extension.context.globalStorageUri.fsPath, `audit-${Date.now()}.jsonl`);
  });

  after(async () => {
    if (extension) await resetSettings(extension);
  });

  it('offers one "Gatekit" stdio server running dist/gateway.js on the extension host\'s Node', async () => {
    const fired = new Promise<void>((resolve) => {
      const subscription = extension.provider.onDidChangeMcpServerDefinitions(() => {
        subscription.dispose();
        resolve();
      });
    });
    await setUserSettings(extension, { upstreams: [memoryServer(extension)] });
    await fired;
    const definitions = extension.provider.provideMcpServerDefinitions();
    assert.equal(definitions.length, 1);
    const [definition] = definitions;
    assert.ok(definition instanceof vscode.McpStdioServerDefinition);
    assert.equal(definition.label, 'Gatekit');
    assert.equal(definition.command, process.execPath);
    // The V8 flag the gateway's shebang declares comes along (a busy gateway stays near 80 MB).
    assert.deepEqual(definition.args, ['--max-semi-space-size=2', path.join(extension.context.extensionPath, 'dist', 'gateway.js')]);
    assert.equal(definition.env.ELECTRON_RUN_AS_NODE, '1');
    assert.equal(definition.env.GATEKIT_CONFIG_VERSION, extension.settings.effective.version);
    assert.match(String(definition.version), /^[0-9a-f]{16}$/, 'the launch version');
    assert.equal(typeof definition.env.GATEKIT_CONTROL_TOKEN, 'string');
    assert.deepEqual(JSON.parse(String(definition.env.GATEKIT_CONFIG_JSON)).proxy.upstreams.map((u: { name: string }) => u.name), ['memory']);
  });

  it('keeps the definition VS Code runs when a change applies live, and starts anew with the newest configuration', async () => {
    const before = extension.provider.definition()!;
    let fired = 0;
    const subscription = extension.provider.onDidChangeMcpServerDefinitions(() => fired++);
    try {
      // New filters, an audit log and a second server: all applied by hot reload.
      await setUserSettings(extension, {
        upstreams: [memoryServer(extension), memoryServer(extension, 'memory-two')],
        plugins: {
          security: { _global: [{ handler: 'basic_secrets_filter', config: { action: 'redact' } }] },
          auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: auditFile } }] },
        },
      });
      await setUserSettings(extension, {
        upstreams: [memoryServer(extension)],
        plugins: {
          security: { _global: [{ handler: 'basic_secrets_filter', config: { action: 'redact' } }] },
          auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: auditFile } }] },
        },
      });
    } finally {
      subscription.dispose();
    }
    assert.equal(fired, 0, 'VS Code was not told to restart its server');
    const after = extension.provider.definition()!;
    assert.equal(after.version, before.version, 'the same launch version');
    assert.notEqual(configVersionOf(after), configVersionOf(before), 'a new configuration');
    assert.equal(configVersionOf(after), extension.settings.effective.version);
    // Started now (resolveMcpServerDefinition runs right before a start), a gateway gets the newest configuration.
    const resolved = extension.provider.resolveMcpServerDefinition(before);
    assert.equal(configVersionOf(resolved!), extension.settings.effective.version);
    assert.deepEqual(JSON.parse(String(resolved!.env.GATEKIT_CONFIG_JSON)).plugins.auditing._global[0].config.output_file, auditFile);
  });

  it('keeps offering the last valid definition while the settings are invalid', async () => {
    const good = extension.provider.definition()!.version;
    await setUserSettings(extension, { upstreams: [{ ...memoryServer(extension), name: 'Not Valid' }] });
    assert.equal(extension.settings.effective.state, 'invalid');
    assert.equal(extension.provider.definition()?.version, good);
    const problems = extension.serversView.getChildren().filter((n) => n.kind === 'problem');
    assert.equal(extension.serversView.getTreeItem(problems[0]!).label, 'gatekit.upstreams[0].name');
    assert.equal(extension.statusBar.text, '$(warning) Gatekit');
    await setUserSettings(extension, { upstreams: [memoryServer(extension)] });
    assert.equal(extension.settings.effective.state, 'ready');
  });

  it('starts as VS Code starts it and serves the real server\'s tools, namespaced', async () => {
    const definition = extension.provider.definition()!;
    const { client, stderr } = await startLikeVsCode(definition);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      assert.ok(names.includes('memory__read_graph'), `tools: ${names.join(', ')}; gateway stderr: ${stderr()}`);
      assert.ok(names.every((n) => n.startsWith('memory__')));
      await client.callTool({ name: 'memory__create_entities', arguments: { entities: [{ name: 'gatekit-test', entityType: 'test', observations: ['key AKIAZ3MHQW7XKT2LPQ5R'] }] } });
      const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
      const text = JSON.stringify(graph.content);
      assert.match(text, /gatekit-test/);
      assert.doesNotMatch(text, /AKIAZ3MHQW7XKT2LPQ5R/, 'the secrets filter should have redacted the AWS key');

      // The same exchanges, seen in the Traffic view through the control link.
      const entries = await waitFor('both tool calls in the Traffic view', () => {
        for (const session of extension.traffic.sessions()) {
          // Sessions of earlier test files may still be listed (ended): only this one calls memory.
          const calls = session.entries.filter((e) => e.event.method === 'tools/call' && e.event.server === 'memory');
          if (session.identity.startedByExtension && session.identity.mode === 'stdio' && calls.length >= 2) return calls;
        }
        return undefined;
      }, stateEvents(extension));
      assert.deepEqual(entries.map((e) => e.event.tool), ['create_entities', 'read_graph']);
      // The key never reached the server: the request was redacted on its way.
      assert.equal(entries[0]!.event.decision, 'redacted');
    } finally {
      await client.close();
    }
  });

  it('records the exchanges in the audit log that "Open Audit Log" opens', async () => {
    await waitFor('the audit log', () => existsSync(auditFile) && readFileSync(auditFile, 'utf8').includes('read_graph'), stateEvents(extension));
    const document = await vscode.commands.executeCommand<vscode.TextDocument>('gatekit.openAuditLog');
    assert.equal(document?.uri.fsPath, auditFile);
    assert.doesNotMatch(document!.getText(), /AKIAZ3MHQW7XKT2LPQ5R/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('runs its own gateway so the Servers view shows health and tools before any chat', async () => {
    await extension.hostGateway.restart();
    const item = await waitFor('memory running with its tools', () => {
      const node = extension.serversView.getChildren().find((n) => n.kind === 'server' && n.name === 'memory');
      if (node === undefined) return undefined;
      const candidate = extension.serversView.getTreeItem(node);
      return /^running · [1-9]\d* tools/.test(String(candidate.description)) ? candidate : undefined;
    }, stateEvents(extension), 30_000);
    assert.equal(item.label, 'memory');
    const session = extension.statusSession();
    assert.equal(session?.identity.mode, 'control-only');
    assert.equal(session?.identity.pid, extension.hostGateway.pid);
  });

  it('copies a command line that runs the gateway for other MCP clients', async () => {
    const command = await vscode.commands.executeCommand<string>('gatekit.copyGatewayCommand');
    assert.match(command, /^node \S*gateway\.js --config \S+\.json$/);
  });

  it('never writes an ${input:} secret into the exported configuration unless told to', async () => {
    const secret = `sek$rit-${Date.now()}`;
    await extension.settings.storeInput('api-token', secret);
    await setUserSettings(extension, { upstreams: [{ ...memoryServer(extension), env: { ...(memoryServer(extension).env as Record<string, string>), API_TOKEN: '${input:api-token}' } }] });
    // In env values the configuration holds '$' doubled (the gateway expands $VAR there).
    const asConfigured = secret.replace('$', '$$$$');
    await waitFor('the stored secret in the configuration', () => JSON.stringify(extension.lastGood?.config ?? {}).includes(asConfigured), stateEvents(extension));
    const command = await vscode.commands.executeCommand<string>('gatekit.copyGatewayCommand', { secrets: 'omit' });
    const file = /--config (\S+\.json)$/.exec(command)?.[1];
    assert.ok(file, command);
    const exported = readFileSync(file, 'utf8');
    assert.ok(!exported.includes(secret) && !exported.includes(asConfigured), 'the secret is not in the file');
    assert.equal(JSON.parse(exported).proxy.upstreams[0].env.API_TOKEN, '${MCP_INPUT_API_TOKEN}');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    await vscode.commands.executeCommand<string>('gatekit.copyGatewayCommand', { secrets: 'include' });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).proxy.upstreams[0].env.API_TOKEN, asConfigured, 'written only when told to');
    rmSync(file, { force: true });
  });
});
