// The policy editor's model: configuration + inventory → view → edits → plugin lists, with the page's
// messages treated as hostile. The lists it writes are checked with the gateway's own loader.
import * as assert from 'node:assert/strict';
import { validateConfigObject } from '../../src/config/loader';
import { applyPolicyEdits, buildPolicyView, MAX_EDITS, parsePolicyEdits, PolicyEditError, type PluginListWrite, type PolicySource } from '../../src/extension/policy-editor/policy-model';
import type { ToolInventoryEntry } from '../../src/shared/protocol';

type Plugins = Record<string, Record<string, unknown[]>>;

function tool(name: string, extra: Partial<ToolInventoryEntry> = {}): ToolInventoryEntry {
  return { name, visibility: 'visible', pin: 'none', exposedName: `srv__${name}`, ...extra };
}

/** A source over a plugins value as gatekit.plugins holds it (JSON: what a settings file can carry). */
function sourceOf(plugins: Plugins, tools: Record<string, ToolInventoryEntry[] | undefined> = { memory: [tool('read_graph'), tool('search_nodes'), tool('delete_entities')] }): PolicySource & { plugins: Plugins } {
  const copy = JSON.parse(JSON.stringify(plugins)) as Plugins;
  return {
    plugins: copy,
    serverNames: Object.keys(tools),
    list: (section, scope) => {
      const scopes = Object.hasOwn(copy, section) ? copy[section] : undefined;
      return scopes && Object.hasOwn(scopes, scope) ? scopes[scope] : undefined;
    },
    tools: (server) => (Object.hasOwn(tools, server) ? tools[server] : undefined),
  };
}

/** The source with the writes applied, as the settings would hold them afterwards. */
function afterWrites(source: PolicySource & { plugins: Plugins }, writes: readonly PluginListWrite[], tools?: Record<string, ToolInventoryEntry[] | undefined>): PolicySource & { plugins: Plugins } {
  const plugins = JSON.parse(JSON.stringify(source.plugins)) as Plugins;
  for (const w of writes) (plugins[w.section] ??= {})[w.scope] = w.list;
  return sourceOf(plugins, tools ?? Object.fromEntries(source.serverNames.map((s) => [s, source.tools(s) as ToolInventoryEntry[]])));
}

function edit(source: PolicySource, edits: unknown): PluginListWrite[] {
  return applyPolicyEdits(source, parsePolicyEdits(edits, source));
}

/** A plugin of another package: the editor shows it and keeps it as it is. */
const foreign = { handler: 'acme_dlp', config: { level: 9 } };

/** The gateway's loader accepts the plugins (one upstream per server; the foreign plugin, not installed here, left out). */
function assertLoads(source: PolicySource & { plugins: Plugins }): void {
  const plugins = JSON.parse(JSON.stringify(source.plugins, (_key, value: unknown) => (Array.isArray(value) ? value.filter((e) => (e as { handler?: unknown })?.handler !== foreign.handler) : value))) as Plugins;
  validateConfigObject({ proxy: { transport: 'stdio', upstreams: source.serverNames.map((name) => ({ name, command: ['node', 'x.js'] })) }, plugins }, { configDir: '/tmp', env: {} });
}

describe('policy editor model', () => {
  it('shows tools with their state and display names, own and inherited filters with their actions', () => {
    const source = sourceOf(
      {
        security: {
          _global: [{ handler: 'basic_pii_filter', config: { action: 'block' } }, { handler: 'basic_secrets_filter' }, foreign],
          memory: [{ handler: 'basic_secrets_filter', config: { action: 'audit_only', enabled: false } }],
        },
        middleware: { memory: [{ handler: 'tool_manager', config: { tools: [{ tool: 'read_graph', display_name: 'graph' }, { tool: 'search_nodes' }] } }] },
      },
      { memory: [tool('read_graph', { visibility: 'renamed', exposedName: 'memory__graph', pin: 'pinned' }), tool('search_nodes'), tool('delete_entities', { visibility: 'hidden', exposedName: undefined })], other: undefined },
    );
    const view = buildPolicyView(source);
    assert.deepEqual(view.global.map((f) => [f.handler, f.action, f.builtin]), [['basic_pii_filter', 'block', true], ['basic_secrets_filter', 'redact', true], ['acme_dlp', undefined, false]]);
    const memory = view.servers[0]!;
    assert.deepEqual(memory.tools.map((t) => [t.name, t.hidden, t.displayName, t.pin]), [['read_graph', false, 'graph', 'pinned'], ['search_nodes', false, undefined, 'none'], ['delete_entities', true, undefined, 'none']]);
    assert.deepEqual(memory.filters.map((f) => [f.handler, f.action, f.enabled]), [['basic_secrets_filter', 'audit_only', false]]);
    // The server's own secrets entry replaces the global one; PII and the foreign plugin still apply.
    assert.deepEqual(memory.inherited.map((f) => f.handler), ['basic_pii_filter', 'acme_dlp']);
    assert.deepEqual(memory.filters[0]!.actions, ['block', 'redact', 'audit_only']);
    assert.equal(view.servers[1]!.toolsKnown, false);
    // Only security plugins are offered as filters, each with the actions its descriptor declares.
    assert.ok(view.choices.every((c) => ['basic_pii_filter', 'basic_secrets_filter', 'basic_prompt_injection_defense', 'tool_pinning', 'tool_definition_scan'].includes(c.handler)));
    assert.deepEqual(view.choices.find((c) => c.handler === 'tool_pinning')?.actions, ['block', 'audit_only']);
  });

  it('writes nothing for no edits, and round-trips hide, rename, show, add, set action and remove', () => {
    const source = sourceOf({ security: { _global: [foreign, { handler: 'basic_pii_filter', config: { action: 'redact', scan_base64: true } }] } });
    assert.deepEqual(edit(source, []), []);

    const writes = edit(source, [
      { op: 'hideTool', server: 'memory', tool: 'delete_entities' },
      { op: 'renameTool', server: 'memory', tool: 'search_nodes', name: 'find' },
      { op: 'setAction', scope: '_global', handler: 'basic_pii_filter', action: 'block' },
      { op: 'addFilter', scope: 'memory', handler: 'basic_secrets_filter', action: 'audit_only' },
    ]);
    assert.deepEqual(writes.map((w) => `${w.section}.${w.scope}`), ['middleware.memory', 'security._global', 'security.memory']);
    const next = afterWrites(source, writes);
    assertLoads(next);
    // The foreign entry and the untouched option stay exactly as they were.
    assert.deepEqual(next.plugins.security!._global, [foreign, { handler: 'basic_pii_filter', config: { action: 'block', scan_base64: true } }]);
    const view = buildPolicyView(next);
    assert.deepEqual(view.servers[0]!.tools.map((t) => [t.name, t.hidden, t.displayName]), [['read_graph', false, undefined], ['search_nodes', false, 'find'], ['delete_entities', true, undefined]]);
    assert.deepEqual(view.servers[0]!.filters.map((f) => [f.handler, f.action]), [['basic_secrets_filter', 'audit_only']]);

    // Back again: the allowlist goes once it would filter nothing; the added filter is removed.
    const back = afterWrites(next, edit(next, [
      { op: 'showTool', server: 'memory', tool: 'delete_entities' },
      { op: 'renameTool', server: 'memory', tool: 'search_nodes', name: '' },
      { op: 'removeFilter', scope: 'memory', handler: 'basic_secrets_filter' },
    ]));
    assert.deepEqual(back.plugins.middleware!.memory, []);
    assert.deepEqual(back.plugins.security!.memory, []);
    assertLoads(back);
  });

  it('keeps a renamed tool\'s other keys and refuses to rename a hidden tool', () => {
    const source = sourceOf({ middleware: { memory: [{ handler: 'tool_manager', config: { tools: [{ tool: 'read_graph', display_description: 'Reads it.' }] }, priority: 10 }] } });
    const [write] = edit(source, [{ op: 'renameTool', server: 'memory', tool: 'read_graph', name: 'graph' }]);
    assert.deepEqual(write!.list, [{ handler: 'tool_manager', config: { tools: [{ tool: 'read_graph', display_description: 'Reads it.', display_name: 'graph' }] }, priority: 10 }]);
    assert.throws(() => edit(source, [{ op: 'renameTool', server: 'memory', tool: 'search_nodes', name: 'find' }]), /search_nodes is hidden: show it before renaming/);
  });

  it('refuses what cannot apply: a filter twice, removing one that is not there, a server-only plugin for every server', () => {
    const source = sourceOf({ security: { _global: [{ handler: 'basic_pii_filter' }] } });
    assert.throws(() => edit(source, [{ op: 'addFilter', scope: '_global', handler: 'basic_pii_filter' }]), /configured for _global already/);
    assert.throws(() => edit(source, [{ op: 'removeFilter', scope: 'memory', handler: 'basic_pii_filter' }]), /not configured for memory/);
    assert.throws(() => edit(source, [{ op: 'setAction', scope: 'memory', handler: 'basic_pii_filter', action: 'block' }]), /not configured for memory/);
  });

  describe('hostile messages from the page', () => {
    const source = sourceOf({ security: { _global: [foreign] } });
    const cases: [string, unknown, RegExp][] = [
      ['edits not a list', { op: 'hideTool' }, /'edits' must be a list/],
      ['too many edits', Array.from({ length: MAX_EDITS + 1 }, () => ({})), /at most 1000 edits/],
      ['an edit that is no object', ['hideTool'], /edit 1 is not an object/],
      ['an unknown operation', [{ op: 'deleteEverything' }], /unknown operation "deleteEverything"/],
      ['an inherited operation name', [{ op: 'constructor', server: 'memory' }], /unknown operation "constructor"/],
      ['a server named __proto__', [{ op: 'hideTool', server: '__proto__', tool: 'read_graph' }], /no server is named "__proto__"/],
      ['an unknown server', [{ op: 'addFilter', scope: 'elsewhere', handler: 'basic_pii_filter' }], /no server is named "elsewhere"/],
      ['_global for a tool', [{ op: 'hideTool', server: '_global', tool: 'read_graph' }], /no server is named "_global"/],
      ['a server that is no string', [{ op: 'hideTool', server: ['memory'], tool: 'read_graph' }], /'server' must be a string/],
      ['a tool that is no string', [{ op: 'hideTool', server: 'memory', tool: { toString: () => 'read_graph' } }], /'tool' must be a string/],
      ['a tool the server does not have', [{ op: 'showTool', server: 'memory', tool: 'rm_rf' }], /memory has no tool "rm_rf"/],
      ['a huge name', [{ op: 'renameTool', server: 'memory', tool: 'read_graph', name: 'x'.repeat(100_000) }], /'name' is longer than 128/],
      ['a handler that is not built in', [{ op: 'addFilter', scope: 'memory', handler: 'acme_dlp' }], /"acme_dlp" is not a built-in filter/],
      ['a plugin that is no filter', [{ op: 'addFilter', scope: '_global', handler: 'audit_jsonl' }], /"audit_jsonl" is not a built-in filter/],
      ['removing a foreign plugin', [{ op: 'removeFilter', scope: '_global', handler: 'acme_dlp' }], /"acme_dlp" is not a built-in filter/],
      ['an action the plugin does not take', [{ op: 'addFilter', scope: 'memory', handler: 'tool_pinning', action: 'redact' }], /tool_pinning takes no action "redact" \(one of block, audit_only\)/],
      ['an action that is no string', [{ op: 'addFilter', scope: 'memory', handler: 'basic_pii_filter', action: 1 }], /'action' must be a string/],
      ['markup in a value', [{ op: 'addFilter', scope: '<img src=x onerror=alert(1)>', handler: 'x' }], /no server is named "<img src=x onerror=alert\(1\)>"/],
    ];
    for (const [what, edits, error] of cases) {
      it(`refuses ${what}, naming it`, () => {
        assert.throws(() => parsePolicyEdits(edits, source), (e: unknown) => e instanceof PolicyEditError && error.test(e.message));
      });
    }

    it('refuses the whole save when one edit is bad (a good edit before it is not applied)', () => {
      assert.throws(() => edit(source, [{ op: 'hideTool', server: 'memory', tool: 'read_graph' }, { op: 'hideTool', server: 'memory', tool: 1 }]), /edit 2: 'tool' must be a string/);
    });

    it('takes __proto__ keys of a parsed message as data, never as the prototype', () => {
      const message = JSON.parse('[{"op":"addFilter","scope":"memory","handler":"basic_pii_filter","__proto__":{"action":"block","polluted":true}}]') as unknown;
      const [parsed] = parsePolicyEdits(message, source);
      assert.deepEqual(parsed, { op: 'addFilter', scope: 'memory', handler: 'basic_pii_filter' });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('cannot edit the tools of a server whose tools are not known', () => {
      const offline = sourceOf({}, { memory: undefined });
      assert.throws(() => parsePolicyEdits([{ op: 'hideTool', server: 'memory', tool: 'read_graph' }], offline), /tools of memory are not known yet/);
    });
  });
});
