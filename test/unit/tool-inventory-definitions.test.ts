// The definitions the tool inventory carries for the Servers view's details: what the model is sent
// (the upstream's when hidden), bounded per tool and per server so a hostile list cannot flood the
// control link.
import assert from 'node:assert/strict';
import { ToolListTrace } from '../../src/gateway/tool-inventory';
import type { PluginHost } from '../../src/plugins/pipeline';
import { MAX_INVENTORY_DEFINITION_CHARS, MAX_INVENTORY_DEFINITIONS_CHARS } from '../../src/shared/protocol';

const NO_PLUGINS = { interceptors: () => [] } as unknown as PluginHost;
const tool = (name: string, description = 'd'): Record<string, unknown> => ({ name, description, inputSchema: { type: 'object' } });

describe('tool inventory definitions', () => {
  it('carries the definition as the model is sent it, namespaced', () => {
    const { tools } = new ToolListTrace().inventory('srv', [tool('echo'), tool('__proto__')], NO_PLUGINS, []);
    assert.deepEqual(tools[0]!.definition, { name: 'srv__echo', description: 'd', inputSchema: { type: 'object' } });
    assert.equal(tools[1]!.definition?.name, 'srv____proto__');
  });

  it('leaves out a definition over 64 KiB, and every one past 1 MiB for the server', () => {
    const big = tool('big', 'x'.repeat(MAX_INVENTORY_DEFINITION_CHARS));
    const many = Array.from({ length: 40 }, (_, i) => tool(`t${i}`, 'y'.repeat(60 * 1024)));
    const { tools } = new ToolListTrace().inventory('srv', [big, ...many], NO_PLUGINS, []);
    assert.equal(tools[0]!.definition, undefined, 'over 64 KiB');
    assert.equal(tools[0]!.description?.length, MAX_INVENTORY_DEFINITION_CHARS, 'the description still shows');
    const carried = tools.filter((t) => t.definition !== undefined);
    const total = carried.reduce((sum, t) => sum + JSON.stringify(t.definition).length, 0);
    assert.ok(carried.length > 10 && carried.length < 40, `${carried.length} carried`);
    assert.ok(total <= MAX_INVENTORY_DEFINITIONS_CHARS, `${total} characters`);
  });
});
