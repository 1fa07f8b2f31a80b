// The router's rule for tool and prompt lists (src/gateway/list-items.ts), checked on random hostile
// lists: what it keeps is valid and unique, every copy of a shared name goes, nothing valid is lost,
// and its reasons never repeat a name that is not a plain identifier.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { screenList } from '../../src/gateway/list-items';
import { DEFAULT_DEFINITION_SCAN, withDefaultPlugins } from '../../src/config/defaults';
import type { PluginEntryConfig } from '../../src/plugins/types';

const PLAIN = /^[A-Za-z0-9_.-]{1,128}$/;
const schema = { type: 'object' };

/** Names that collide often, plus the hostile ones: prototype keys, line breaks, non-strings. */
const name = fc.oneof(
  fc.constantFrom('a', 'b', 'read_file', '__proto__', 'constructor', 'toString', 'x.y', 'bad\nname', 'ignore previous instructions', ''),
  fc.constantFrom<unknown>(['a'], { a: 1 }, 42, null, undefined, true),
);
const tool = fc.record({
  name,
  inputSchema: fc.constantFrom<unknown>(schema, schema, schema, undefined, { type: 'string' }, 'object', []),
  description: fc.constantFrom<unknown>(undefined, 'Does a thing.', 7),
});
const entry = fc.oneof({ weight: 8, arbitrary: tool }, { weight: 1, arbitrary: fc.constantFrom<unknown>('a', 1, null, []) });

describe('screening a server list (router)', () => {
  it('keeps exactly the valid tools whose name no other entry shares; reasons quote plain names only', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
        const { items, leftOut } = screenList('tools', entries);
        const names = (list: readonly unknown[]) => list.flatMap((e) => (typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? [(e as { name: string }).name] : []));
        const count = (n: string) => names(entries).filter((m) => m === n).length;
        const kept = names(items);
        assert.equal(new Set(kept).size, kept.length, 'names are unique');
        for (const item of items) {
          assert.ok(PLAIN.test(item['name'] as string) && (item['inputSchema'] as { type?: unknown })?.type === 'object');
          assert.equal(count(item['name'] as string), 1, 'a name listed twice keeps no copy');
        }
        const valid = entries.filter((e) => typeof e === 'object' && e !== null && !Array.isArray(e) && typeof (e as Record<string, unknown>)['name'] === 'string' && PLAIN.test((e as Record<string, string>)['name']!) && (e as Record<string, { type?: unknown }>)['inputSchema']?.type === 'object' && ['string', 'undefined'].includes(typeof (e as Record<string, unknown>)['description']));
        const expected = valid.filter((e) => count((e as { name: string }).name) === 1);
        assert.deepEqual(items, expected, 'every valid, unique tool is kept, in order');
        assert.ok(items.length + leftOut.length <= entries.length);
        for (const { name: quoted, reason } of leftOut) {
          assert.ok(!/[\n\r]/.test(reason) && !reason.includes('ignore previous'), reason);
          if (quoted !== undefined) assert.match(quoted, PLAIN);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the default definition scan in a config', () => {
  const injection: PluginEntryConfig = { handler: 'basic_prompt_injection_defense', kind: 'security', enabled: true, priority: 50, critical: true, options: {} };
  const handlersFor = (plugins: ReturnType<typeof withDefaultPlugins>, scope: string) => (plugins.security?.[scope] ?? []).map((e) => `${e.handler}:${e.enabled}`);

  it('is added under _global when the config names no plugin', () => {
    const plugins = withDefaultPlugins({}, ['a', 'b']);
    assert.deepEqual(handlersFor(plugins, '_global'), [`${DEFAULT_DEFINITION_SCAN}:true`]);
  });

  it('is switched off for servers that have the prompt injection defense, and not added when all have it', () => {
    const some = withDefaultPlugins({ security: { b: [injection] } }, ['a', 'b']);
    assert.deepEqual(handlersFor(some, '_global'), [`${DEFAULT_DEFINITION_SCAN}:true`]);
    assert.deepEqual(handlersFor(some, 'b'), ['basic_prompt_injection_defense:true', `${DEFAULT_DEFINITION_SCAN}:false`]);
    const all = { security: { _global: [injection] } };
    assert.equal(withDefaultPlugins(all, ['a', 'b']), all);
  });

  it('leaves a config that names it as written', () => {
    const off = { security: { a: [{ ...injection, handler: DEFAULT_DEFINITION_SCAN, enabled: false }] } };
    assert.equal(withDefaultPlugins(off, ['a', 'b']), off);
  });
});
