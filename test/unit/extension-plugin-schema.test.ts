// The schema of gatekit.yaml that editors validate with: every built-in plugin's options, and the
// committed file in step with the descriptors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gatekitFileJsonSchema, pluginEntryJsonSchema } from '../../src/extension/plugin-schema';
import { descriptorHandlers, findDescriptor } from '../../src/plugins/descriptors';
import { PLUGIN_SECTIONS } from '../../src/config/schema';

describe('gatekit.yaml JSON schema', () => {
  it('has the options of every built-in plugin, closed to unknown keys, common options included', () => {
    type Entry = { allOf: { if: { properties: { handler: { const: string } } }; then: { properties: { config: { properties: Record<string, unknown>; additionalProperties: boolean } } } }[] };
    const entries = PLUGIN_SECTIONS.map((section) => pluginEntryJsonSchema(section) as Entry);
    const branches = entries.flatMap((entry) => entry.allOf);
    // Each plugin once, in the section of its kind (the loader refuses it elsewhere).
    assert.deepEqual(branches.map((a) => a.if.properties.handler.const).sort(), descriptorHandlers());
    PLUGIN_SECTIONS.forEach((section, index) => {
      for (const branch of entries[index]!.allOf) assert.equal(findDescriptor(branch.if.properties.handler.const)?.kind, section);
    });
    for (const branch of branches) {
      const config = branch.then.properties.config;
      assert.equal(config.additionalProperties, false);
      for (const common of ['enabled', 'priority', 'critical']) assert.ok(common in config.properties, `${branch.if.properties.handler.const}: ${common}`);
    }
    const pii = branches.find((a) => a.if.properties.handler.const === 'basic_pii_filter')!.then.properties.config.properties.action as { enum: string[] };
    assert.deepEqual(pii.enum, ['block', 'redact', 'audit_only']);
  });

  it('describes every option of every built-in plugin (the editors show it on hover and completion)', () => {
    const undocumented = PLUGIN_SECTIONS.flatMap((section) =>
      (pluginEntryJsonSchema(section) as { allOf: { if: { properties: { handler: { const: string } } }; then: { properties: { config: { properties: Record<string, { description?: string }> } } } }[] }).allOf.flatMap((branch) =>
        Object.entries(branch.then.properties.config.properties)
          .filter(([, option]) => !option.description)
          .map(([name]) => `${branch.if.properties.handler.const}.${name}`),
      ),
    );
    assert.deepEqual(undocumented, []);
  });

  it('is what media/schemas/gatekit.schema.json holds (npm run gen:settings-schema)', () => {
    const committed = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'media', 'schemas', 'gatekit.schema.json'), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(gatekitFileJsonSchema())));
  });
});
