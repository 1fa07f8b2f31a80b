// package.json's settings schema is generated from the zod schemas: this fails when they drift.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { configurationContribution, restrictedSettings, SETTINGS, settingsUpstreamSchema } from '../../src/extension/settings-schema';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

describe('extension settings schema', () => {
  it('matches contributes.configuration in package.json (run `npm run gen:settings-schema` after changing a schema)', () => {
    assert.deepEqual(manifest.contributes?.configuration, configurationContribution());
  });

  it('declares every gatekit.* setting with a scope, a description and a default that its schema accepts', () => {
    const properties = manifest.contributes.configuration.properties as Record<string, Record<string, unknown>>;
    for (const [key, definition] of Object.entries(SETTINGS)) {
      assert.ok(key.startsWith('gatekit.'));
      assert.ok(properties[key]?.scope, `${key} has no scope`);
      assert.ok(String(properties[key]?.markdownDescription).length > 20, `${key} has no description`);
      assert.equal(definition.schema.safeParse(definition.default).success, true, `${key}: default rejected by its own schema`);
    }
  });

  it('carries the upstream name rule of the config schema into the settings editor', () => {
    const upstreams = manifest.contributes.configuration.properties['gatekit.upstreams'];
    const pattern = new RegExp(upstreams.items.properties.name.pattern);
    assert.equal(pattern.test('memory'), true);
    assert.equal(pattern.test('my__server'), false);
    assert.equal(pattern.test('Memory'), false);
    // A stdio server needs `command`, a remote one `url`.
    assert.deepEqual(upstreams.items.required, ['name']);
    assert.deepEqual(upstreams.items.anyOf.map((branch: { required: string[] }) => branch.required), [['command'], ['url']]);
    assert.equal(upstreams.items.additionalProperties, false);
  });

  it('accepts the mcp.json remote shape and refuses mixed or unsafe remote entries', () => {
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ${input:t}' } }).success, true);
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'old', type: 'sse', url: 'http://localhost:3001/sse' }).success, true);
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', type: 'http' }).success, false, 'no url');
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', type: 'http', url: 'https://x.example/mcp', command: 'npx' }).success, false, 'command on a remote server');
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', url: 'https://x.example/mcp', command: 'npx' }).success, false, 'url on a stdio server');
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', type: 'http', url: 'javascript:alert(1)' }).success, false);
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', type: 'http', url: 'http://example.com/mcp' }).success, false, 'plain http elsewhere');
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'gh', type: 'http', url: 'http://example.com/mcp', allow_insecure_http: true }).success, true);
  });

  it('accepts the mcp.json stdio shape and rejects unknown keys and duplicate names', () => {
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'fs', type: 'stdio', command: 'npx', args: ['-y', 'x'], env: { A: '1' }, cwd: '/' }).success, true);
    assert.equal(settingsUpstreamSchema.safeParse({ name: 'fs', command: 'npx', url: 'http://x' }).success, false);
    const duplicate = SETTINGS['gatekit.upstreams'].schema.safeParse([{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }]);
    assert.equal(duplicate.success, false);
    assert.deepEqual(duplicate.error?.issues[0]?.path, [1, 'name']);
  });

  it('restricts the settings that start programs or decide the protection in untrusted workspaces', () => {
    assert.deepEqual(restrictedSettings().sort(), ['gatekit.configFile', 'gatekit.plugins', 'gatekit.upstreams']);
  });

  it('declares exactly those settings restricted in package.json, so VS Code ignores their workspace values too', () => {
    assert.deepEqual(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations, restrictedSettings());
  });
});
