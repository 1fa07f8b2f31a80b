// The config schema stays expressible as JSON Schema (for the VS Code settings) and says what the
// loader enforces.
import * as assert from 'node:assert/strict';
import { z } from 'zod';
import { gatekitConfigSchema, PLUGIN_SECTIONS, UPSTREAM_NAME_PATTERN } from '../../../src/config/schema';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  pattern?: string;
  default?: unknown;
  additionalProperties?: unknown;
  anyOf?: JsonSchema[];
  enum?: unknown[];
};

describe('config schema', () => {
  // `unrepresentable: 'throw'` (the default) fails on transforms and other things JSON Schema cannot say.
  const json = z.toJSONSchema(gatekitConfigSchema, { io: 'input' }) as JsonSchema;
  const proxy = json.properties!['proxy']!;
  const upstream = proxy.properties!['upstreams']!.items!;

  it('converts to JSON Schema with the required keys and no unknown keys allowed', () => {
    assert.deepEqual(json.required, ['proxy']);
    assert.equal(json.additionalProperties, false);
    assert.deepEqual(proxy.required, ['transport', 'upstreams']);
    // `command` for a local server, `url` for a remote one: either, in anyOf.
    assert.deepEqual(upstream.required, ['name']);
    assert.deepEqual(upstream.anyOf?.map((branch) => branch.required), [['command'], ['url']]);
    assert.equal(upstream.additionalProperties, false);
  });

  it('carries the name pattern, the command forms and the defaults', () => {
    assert.equal(upstream.properties!['name']!.pattern, UPSTREAM_NAME_PATTERN.source);
    assert.equal(upstream.properties!['command']!.anyOf!.length, 2);
    assert.equal(upstream.properties!['max_restart_attempts']!.default, 3);
    assert.equal(upstream.properties!['restart_on_failure']!.default, true);
    const entry = json.properties!['plugins']!.properties!['security']!;
    assert.ok(entry, 'plugins.security present');
    assert.deepEqual(Object.keys(json.properties!['plugins']!.properties!).sort(), [...PLUGIN_SECTIONS].sort());
    assert.deepEqual(json.properties!['logging']!.properties!['level']!.enum, ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
  });

  it('accepts names by the Gatekit rule and refuses "__"', () => {
    for (const good of ['a', 'filesystem', 'my-server_2', 'a_b', 'a_']) assert.ok(UPSTREAM_NAME_PATTERN.test(good), good);
    for (const bad of ['', 'A', '1a', '_a', 'a__b', 'a___b', 'a b', 'a.b']) assert.ok(!UPSTREAM_NAME_PATTERN.test(bad), bad);
  });
});
