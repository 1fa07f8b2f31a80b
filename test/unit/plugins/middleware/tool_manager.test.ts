// Tests of tool_manager: config rules, tools/list filtering and renaming, call translation and hiding.
import assert from 'node:assert/strict';
import { describeToolPolicy, toolManager, type ToolManagerOptions } from '../../../../src/plugins/middleware/tool_manager';
import { PluginHost } from '../../../../src/plugins/pipeline';
import { findPlugin } from '../../../../src/plugins/registry';
import type { MessageContext, PluginDecision } from '../../../../src/plugins/types';
import type { JsonRpcRequest, JsonRpcResponse } from '../../../../src/shared/jsonrpc';

/** The plugin's hooks as it implements them: synchronous. */
interface SyncInterceptor {
  onRequest(request: JsonRpcRequest, ctx: MessageContext): PluginDecision<JsonRpcRequest> | undefined;
  onResponse(response: JsonRpcResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined;
}

const CLIENT: MessageContext = { serverName: 'gh', origin: 'client', requestId: 3 };

function parse(tools: unknown): ToolManagerOptions {
  return toolManager.configSchema.parse({ tools });
}

function plugin(tools: unknown): SyncInterceptor {
  return toolManager.create(parse(tools), { configDir: '/', resolvePath: (p) => p, log: () => undefined }) as unknown as SyncInterceptor;
}

function call(name: unknown, extra: Record<string, unknown> = {}): JsonRpcRequest {
  return { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name, arguments: { q: 1 }, ...extra } };
}

const LIST_REQUEST: JsonRpcRequest = { jsonrpc: '2.0', id: 4, method: 'tools/list' };

/** Upstream tools with fields in an unusual order and extras that must survive untouched. */
function upstreamTools(): Record<string, unknown>[] {
  return [
    { inputSchema: { type: 'object', properties: { path: { type: 'string' } } }, name: 'read_file', description: 'Read a file', annotations: { readOnlyHint: true } },
    { name: 'write_file', description: 'Write a file', inputSchema: { type: 'object' }, _meta: { x: 1 } },
    { name: 'read__raw', title: 'Raw', inputSchema: { type: 'object' } },
    { name: 'delete_file', inputSchema: { type: 'object' } },
  ];
}

function list(tools = upstreamTools(), extra: Record<string, unknown> = {}): JsonRpcResponse {
  return { jsonrpc: '2.0', id: 4, result: { tools, ...extra } };
}

function listed(p: SyncInterceptor, response = list()): Record<string, unknown>[] {
  const decision = p.onResponse(response, { ...CLIENT, request: LIST_REQUEST }) as { modified?: JsonRpcResponse } | undefined;
  const out = decision?.modified ?? response;
  assert.ok('result' in out);
  return out.result.tools as Record<string, unknown>[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('tool_manager', () => {
  describe('config', () => {
    it('requires tools and accepts Gatekit entries', () => {
      assert.equal(toolManager.configSchema.safeParse({}).success, false);
      assert.deepEqual(parse([{ tool: 'read_file', display_name: 'read', display_description: 'Read' }]).tools, [
        { tool: 'read_file', display_name: 'read', display_description: 'Read' },
      ]);
      assert.equal(toolManager.serverOnly, true);
      assert.equal(toolManager.kind, 'middleware');
    });

    it('rejects unknown keys, bad names, self renames, collisions and duplicates', () => {
      const bad: unknown[] = [
        [{ tool: 'a', mode: 'allow' }],
        [{ tool: 'a', display_name: '1abc' }],
        [{ tool: 'a', display_name: 'has space' }],
        [{ tool: 'bad name' }],
        [{ tool: 'a', display_name: 'a' }],
        [{ tool: 'a', display_name: 'b' }, { tool: 'b' }],
        [{ tool: 'a' }, { tool: 'a' }],
        [{ tool: 'a', display_name: 'x' }, { tool: 'b', display_name: 'x' }],
      ];
      for (const tools of bad) assert.equal(toolManager.configSchema.safeParse({ tools }).success, false, JSON.stringify(tools));
      assert.equal(toolManager.configSchema.safeParse({ tools: [{ tool: 'a' }], mode: 'allowlist' }).success, false);
      const duplicate = toolManager.configSchema.safeParse({ tools: [{ tool: 'a' }, { tool: 'a' }] });
      assert.match(duplicate.error!.issues[0]!.message, /Duplicate entry for tool 'a'/);
    });

    it('accepts a tool listed both under its own name and renamed', () => {
      assert.equal(toolManager.configSchema.safeParse({ tools: [{ tool: 'a', display_name: 'b' }, { tool: 'a' }] }).success, true);
    });
  });

  describe('tools/list', () => {
    it('drops unlisted tools and keeps listed ones as the very same objects', () => {
      const tools = upstreamTools();
      const out = listed(plugin([{ tool: 'read_file' }, { tool: 'write_file' }]), list(tools));
      assert.deepEqual(
        out.map((t) => t.name),
        ['read_file', 'write_file'],
      );
      assert.equal(out[0], tools[0]);
      assert.equal(out[1], tools[1]);
    });

    it('renames and redescribes, leaving every other field byte-identical and in order', () => {
      const tools = upstreamTools();
      const out = listed(plugin([{ tool: 'read_file', display_name: 'read', display_description: 'Read one file' }, { tool: 'write_file', display_description: 'Write' }]), list(tools));
      assert.equal(
        JSON.stringify(out[0]),
        JSON.stringify({ ...tools[0], name: 'read', description: 'Read one file' }),
      );
      assert.deepEqual(Object.keys(out[0]!), Object.keys(tools[0]!));
      assert.equal(out[0]!.inputSchema, tools[0]!.inputSchema);
      assert.equal(out[0]!.annotations, tools[0]!.annotations);
      assert.equal(JSON.stringify(out[1]), JSON.stringify({ ...tools[1], description: 'Write' }));
      assert.equal(tools[0]!.name, 'read_file', 'the upstream list was mutated');
    });

    it('adds a description to a tool that had none', () => {
      const out = listed(plugin([{ tool: 'delete_file', display_description: 'Gone' }]));
      assert.deepEqual(out, [{ name: 'delete_file', inputSchema: { type: 'object' }, description: 'Gone' }]);
    });

    it('hides everything with tools: []', () => {
      assert.deepEqual(listed(plugin([])), []);
    });

    it('keeps the rest of the result (nextCursor, _meta) and never mutates the response', () => {
      const response = deepFreeze(list(upstreamTools(), { nextCursor: 'page-2', _meta: { m: true } }));
      const decision = plugin([{ tool: 'read_file' }]).onResponse(response, { ...CLIENT, request: LIST_REQUEST });
      assert.ok(decision?.modified && 'result' in decision.modified);
      assert.equal(decision.modified.result.nextCursor, 'page-2');
      assert.deepEqual(decision.modified.result._meta, { m: true });
      assert.equal(decision.reason, 'Hidden 3 tools based on allowlist policy');
    });

    it('returns no decision when nothing changes', () => {
      const all = upstreamTools().map((t) => ({ tool: t.name as string }));
      assert.equal(plugin(all).onResponse(list(), { ...CLIENT, request: LIST_REQUEST }), undefined);
    });

    it('removes nameless entries', () => {
      const out = listed(plugin([{ tool: 'read_file' }]), list([...upstreamTools(), { description: 'no name' }, 'junk' as never]));
      assert.deepEqual(
        out.map((t) => t.name),
        ['read_file'],
      );
    });

    it('lists a tool under each name it is configured with', () => {
      const out = listed(plugin([{ tool: 'read_file', display_name: 'read' }, { tool: 'read_file' }]));
      assert.deepEqual(
        out.map((t) => t.name),
        ['read', 'read_file'],
      );
    });

    it('ignores other responses', () => {
      const p = plugin([]);
      const other: JsonRpcRequest = { jsonrpc: '2.0', id: 4, method: 'prompts/list' };
      assert.equal(p.onResponse(list(), { ...CLIENT, request: other }), undefined);
      assert.equal(p.onResponse(list(), { ...CLIENT, origin: 'server', request: LIST_REQUEST }), undefined);
      assert.equal(p.onResponse({ jsonrpc: '2.0', id: 4, error: { code: -1, message: 'x' } }, { ...CLIENT, request: LIST_REQUEST }), undefined);
    });
  });

  describe('tools/call', () => {
    const hidden = (name: string) => ({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32601, message: `Tool '${name}' is not available`, data: { reason: 'hidden_by_policy', plugin: 'tool_manager' } },
    });

    it('answers calls to unlisted tools itself with -32601 hidden_by_policy', () => {
      const decision = plugin([{ tool: 'read_file' }]).onRequest(call('delete_file'), CLIENT);
      assert.deepEqual(decision?.completedResponse, hidden('delete_file'));
      assert.equal(decision?.modified, undefined);
      assert.deepEqual(plugin([]).onRequest(call('read_file'), CLIENT)?.completedResponse, hidden('read_file'));
    });

    it('passes listed tools untouched', () => {
      assert.equal(plugin([{ tool: 'read_file' }]).onRequest(call('read_file'), CLIENT), undefined);
    });

    it('translates a display name back to the real name, keeping the arguments', () => {
      const request = deepFreeze(call('read', { _meta: { progressToken: 9 } }));
      const decision = plugin([{ tool: 'read_file', display_name: 'read' }]).onRequest(request, CLIENT);
      assert.deepEqual(decision?.modified, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'read_file', arguments: { q: 1 }, _meta: { progressToken: 9 } } });
    });

    it("hides a renamed tool's original name unless it is also listed under it", () => {
      assert.deepEqual(plugin([{ tool: 'read_file', display_name: 'read' }]).onRequest(call('read_file'), CLIENT)?.completedResponse, hidden('read_file'));
      const both = plugin([{ tool: 'read_file', display_name: 'read' }, { tool: 'read_file' }]);
      assert.equal(both.onRequest(call('read_file'), CLIENT), undefined);
      assert.equal((both.onRequest(call('read'), CLIENT)?.modified?.params as { name: string }).name, 'read_file');
    });

    it("translates whole names containing '__'", () => {
      const p = plugin([{ tool: 'read__raw', display_name: 'raw__reader' }]);
      assert.equal((p.onRequest(call('raw__reader'), CLIENT)?.modified?.params as { name: string }).name, 'read__raw');
      assert.deepEqual(p.onRequest(call('raw'), CLIENT)?.completedResponse, hidden('raw'));
      assert.deepEqual(p.onRequest(call('read__raw'), CLIENT)?.completedResponse, hidden('read__raw'));
      assert.deepEqual(
        listed(p).map((t) => t.name),
        ['raw__reader'],
      );
    });

    it('leaves other methods, server requests and nameless calls to others', () => {
      const p = plugin([]);
      assert.equal(p.onRequest({ jsonrpc: '2.0', id: 1, method: 'resources/list' }, CLIENT), undefined);
      assert.equal(p.onRequest(call('x'), { ...CLIENT, origin: 'server' }), undefined);
      assert.equal(p.onRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: {} }, CLIENT), undefined);
      assert.equal(p.onRequest(call(42), CLIENT), undefined);
    });
  });

  describe('hidden (single tools, no allowlist)', () => {
    const withOptions = (options: unknown): SyncInterceptor =>
      toolManager.create(toolManager.configSchema.parse(options), { configDir: '/', resolvePath: (p) => p, log: () => undefined }) as unknown as SyncInterceptor;
    const hiddenError = (name: string) => ({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32601, message: `Tool '${name}' is not available`, data: { reason: 'hidden_by_policy', plugin: 'tool_manager' } },
    });

    it('needs tools or hidden, and rejects bad or repeated names in hidden', () => {
      const none = toolManager.configSchema.safeParse({});
      assert.equal(none.success, false);
      assert.match(none.error!.issues[0]!.message, /Give 'tools'.*or 'hidden'/);
      assert.equal(toolManager.configSchema.safeParse({ hidden: [] }).success, true);
      for (const hidden of [['bad name'], [42], 'delete_file', ['a', 'a'], [{ tool: 'a' }], ['x'.repeat(129)]]) {
        assert.equal(toolManager.configSchema.safeParse({ hidden }).success, false, JSON.stringify(hidden));
      }
    });

    it('hides only the named tools and keeps every other one, including tools the server adds later, as the same objects', () => {
      const p = withOptions({ hidden: ['delete_file'] });
      const tools = upstreamTools();
      assert.deepEqual(listed(p, list(tools)).map((t) => t.name), ['read_file', 'write_file', 'read__raw']);
      assert.equal(listed(p, list(tools))[0], tools[0], 'untouched object');
      const later = [...upstreamTools(), { name: 'added_later', inputSchema: { type: 'object' } }];
      assert.deepEqual(listed(p, list(later)).map((t) => t.name), ['read_file', 'write_file', 'read__raw', 'added_later']);
      assert.equal(withOptions({ hidden: [] }).onResponse(list(), { ...CLIENT, request: LIST_REQUEST }), undefined, 'nothing hidden: no decision');
    });

    it('refuses calls to a hidden tool and passes the others untouched', () => {
      const p = withOptions({ hidden: ['delete_file', '__proto__', 'constructor'] });
      const decision = p.onRequest(call('delete_file'), CLIENT);
      assert.deepEqual(decision?.completedResponse, hiddenError('delete_file'));
      assert.deepEqual(decision?.metadata, { hidden_tool: 'delete_file', policy: 'hidden_list' });
      assert.deepEqual(p.onRequest(call('__proto__'), CLIENT)?.completedResponse, hiddenError('__proto__'));
      assert.equal(p.onRequest(call('read_file'), CLIENT), undefined);
      assert.equal(p.onRequest(call('toString'), CLIENT), undefined, 'an Object.prototype name is just another tool name');
      assert.equal(p.onRequest(call('added_later'), CLIENT), undefined);
    });

    it('wins over the allowlist: a listed tool that is also hidden is hidden under every name', () => {
      const p = withOptions({ tools: [{ tool: 'read_file', display_name: 'read' }, { tool: 'read_file' }, { tool: 'write_file' }], hidden: ['read_file'] });
      assert.deepEqual(listed(p).map((t) => t.name), ['write_file']);
      assert.deepEqual(p.onRequest(call('read'), CLIENT)?.completedResponse, hiddenError('read'));
      assert.deepEqual(p.onRequest(call('read_file'), CLIENT)?.completedResponse, hiddenError('read_file'));
      assert.deepEqual(p.onRequest(call('delete_file'), CLIENT)?.completedResponse, hiddenError('delete_file'), 'the allowlist still applies to unlisted tools');
      assert.equal(p.onRequest(call('write_file'), CLIENT), undefined);
    });

    it('describes the policy of single hidden tools', () => {
      const options = toolManager.configSchema.parse({ hidden: ['delete_file'] });
      assert.deepEqual(describeToolPolicy(options, 'delete_file'), { state: 'hidden', exposures: [] });
      assert.deepEqual(describeToolPolicy(options, 'anything_else'), { state: 'visible', exposures: [{ name: 'anything_else' }] });
    });
  });

  describe('describeToolPolicy', () => {
    it('says visible, hidden or renamed for one tool', () => {
      const options = parse([
        { tool: 'read_file', display_name: 'read', display_description: 'Read' },
        { tool: 'write_file' },
        { tool: 'list_dir', display_name: 'ls' },
        { tool: 'list_dir' },
      ]);
      assert.deepEqual(describeToolPolicy(options, 'read_file'), { state: 'renamed', exposures: [{ name: 'read', description: 'Read' }] });
      assert.deepEqual(describeToolPolicy(options, 'write_file'), { state: 'visible', exposures: [{ name: 'write_file' }] });
      assert.deepEqual(describeToolPolicy(options, 'delete_file'), { state: 'hidden', exposures: [] });
      assert.deepEqual(describeToolPolicy(options, 'list_dir'), { state: 'visible', exposures: [{ name: 'ls' }, { name: 'list_dir' }] });
    });
  });

  describe('through the pipeline', () => {
    it('completes a hidden call without forwarding and translates a renamed one', async () => {
      const host = new PluginHost(
        {
          middleware: {
            gh: [{ handler: 'tool_manager', kind: 'middleware', enabled: true, priority: 50, critical: true, options: parse([{ tool: 'read_file', display_name: 'read' }]) }],
          },
        },
        { find: findPlugin },
        { configDir: '/', resolvePath: (p) => p, log: () => undefined },
      );
      const pipeline = host.pipelineFor('gh');
      const hiddenResult = await pipeline.processRequest(call('write_file'), CLIENT);
      assert.equal(hiddenResult.outcome, 'completed_by_middleware');
      assert.equal(hiddenResult.decidedBy, 'tool_manager');
      assert.deepEqual(hiddenResult.response, {
        jsonrpc: '2.0',
        id: 3,
        error: { code: -32601, message: "Tool 'write_file' is not available", data: { reason: 'hidden_by_policy', plugin: 'tool_manager' } },
      });
      const renamed = await pipeline.processRequest(call('read'), CLIENT);
      assert.equal(renamed.outcome, 'no_security_evaluation');
      assert.equal(renamed.modified, true);
      assert.equal(renamed.message.params?.name, 'read_file');
      await host.close();
    });
  });
});
