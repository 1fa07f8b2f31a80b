// VS Code mcp.json's sandbox settings carried into Gatekit's (import), and the `sandbox` key of
// gatekit.upstreams reaching the gateway's config with its variables resolved.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { sandboxFromMcpJson } from '../../src/extension/mcp-sandbox';
import { importCandidates, parseMcpJson } from '../../src/extension/mcp-json';
import { buildEffectiveConfig, type VariableSources } from '../../src/extension/effective-config';

const sources: VariableSources = {
  workspaceFolders: [{ name: 'app', path: path.resolve('/projects/app') }],
  userHome: path.resolve('/home/dev'),
  env: {},
  inputs: new Map(),
};

describe('mcp.json sandbox import', () => {
  it('maps sandboxEnabled + allowWrite to enabled + paths, network off without allowed domains', () => {
    const imported = sandboxFromMcpJson({ sandboxEnabled: true, sandbox: { filesystem: { allowWrite: ['${workspaceFolder}', 7, '', 'a\0b'] } } });
    assert.deepEqual(imported.sandbox, { enabled: true, paths: ['${workspaceFolder}'], network: false });
    assert.deepEqual(imported.warnings, []);
  });

  it('turns the network on for allowed domains and says what does not carry over', () => {
    const imported = sandboxFromMcpJson({
      sandboxEnabled: true,
      sandbox: { network: { allowedDomains: ['api.github.com'], deniedDomains: ['evil.example'] }, filesystem: { denyRead: ['~/.env'], denyWrite: ['/etc'] } },
    });
    assert.equal(imported.sandbox?.network, true);
    assert.equal(imported.warnings.length, 4);
    assert.match(imported.warnings.join('\n'), /allowedDomains \(api\.github\.com\).*network is on/);
  });

  it('leaves hostile or disabled entries unsandboxed, with a warning when settings were there', () => {
    assert.deepEqual(sandboxFromMcpJson({ sandboxEnabled: 'yes', sandbox: {} }), { warnings: ['sandbox settings left out: sandboxEnabled is not true'] });
    assert.deepEqual(sandboxFromMcpJson({ sandboxEnabled: true, sandbox: JSON.parse('{"__proto__": {"filesystem": {"allowWrite": ["/"]}}}') }).sandbox, { enabled: true, paths: [], network: false });
    assert.deepEqual(sandboxFromMcpJson({}), { warnings: [] });
  });

  it('reaches the gateway config from gatekit.upstreams with variables resolved', () => {
    const document = parseMcpJson('{"servers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"], "sandboxEnabled": true, "sandbox": {"filesystem": {"allowWrite": ["${workspaceFolder}/data"]}}}}}');
    const [candidate] = importCandidates(document, new Set());
    const upstream = { ...candidate!.upstream!, ...sandboxFromMcpJson(document.servers.fs as Record<string, unknown>) };
    const result = buildEffectiveConfig({ upstreams: [{ name: upstream.name, command: upstream.command, args: upstream.args ?? [], sandbox: upstream.sandbox! }], plugins: {}, configFile: '' }, sources, { defaultConfigBase: path.resolve('/storage/gatekit.json') });
    assert.equal(result.state, 'ready', JSON.stringify(result.problems));
    const proxy = result.config?.proxy as { upstreams: Record<string, unknown>[] };
    assert.deepEqual(proxy.upstreams[0]!.sandbox, { enabled: true, paths: [path.resolve('/projects/app/data')], network: false });
    const relative = buildEffectiveConfig({ upstreams: [{ name: 'fs', command: 'node', sandbox: { enabled: true, paths: ['out', '../docs'], network: true } }], plugins: {}, configFile: '' }, sources, { defaultConfigBase: path.resolve('/storage/gatekit.json') });
    const relativeProxy = relative.config?.proxy as { upstreams: Record<string, unknown>[] };
    assert.deepEqual(relativeProxy.upstreams[0]!.sandbox, { enabled: true, paths: [path.resolve('/projects/app/out'), path.resolve('/projects/docs')], network: true }, 'relative to the workspace, as cwd');
  });
});
