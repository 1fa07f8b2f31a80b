// Tests of call_trace: the trace block's layout and fields, truncation, and which results get one.
import assert from 'node:assert/strict';
import { buildTraceText, callTrace, formatParams, formatSize, type CallTraceOptions } from '../../../../src/plugins/middleware/call_trace';
import type { MessageContext, PluginDecision } from '../../../../src/plugins/types';
import type { JsonRpcRequest, JsonRpcResponse } from '../../../../src/shared/jsonrpc';

/** The plugin's hooks as it implements them: synchronous. */
interface SyncInterceptor {
  onRequest(request: JsonRpcRequest, ctx: MessageContext): PluginDecision<JsonRpcRequest> | undefined;
  onResponse(response: JsonRpcResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined;
}

function options(raw: Record<string, unknown> = {}): CallTraceOptions {
  return callTrace.configSchema.parse(raw);
}

function plugin(raw: Record<string, unknown> = {}, logs: string[] = []): SyncInterceptor {
  return callTrace.create(options(raw), { configDir: '/', resolvePath: (p) => p, log: (m) => logs.push(m) }) as unknown as SyncInterceptor;
}

const REQUEST: JsonRpcRequest = { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'read_file', arguments: { path: '/home/user/a.txt' } } };
const CTX: MessageContext = { serverName: 'filesystem', origin: 'client', request: REQUEST, requestId: 1, durationMs: 45.8 };

function result(content: unknown[] = [{ type: 'text', text: 'file body' }]): JsonRpcResponse {
  return { jsonrpc: '2.0', id: 11, result: { content } };
}

/** The trace text appended to a result (the last content block). */
function traceOf(response: JsonRpcResponse | undefined): string {
  assert.ok(response && 'result' in response);
  const content = response.result.content as { type: string; text: string }[];
  const last = content[content.length - 1]!;
  assert.equal(last.type, 'text');
  return last.text;
}

const TRACE_LAYOUT = new RegExp(
  [
    '^---',
    '🔍 \\*\\*Gatekit Gateway Trace\\*\\*',
    '- Server: filesystem',
    '- Tool: read_file',
    '- Params: \\{"path": "/home/user/a\\.txt"\\}',
    '- Response: \\d+ B',
    '- Duration: 45ms',
    '- Request ID: 1',
    '- Timestamp: (\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)',
    '',
    'Search your audit logs near timestamp \\1 \\(request_id: 1\\) to see the audit trail for this request\\.',
    'To find audit log locations, open your Gatekit config using `gatekit <path_to_config\\.yaml>`',
    '---$',
  ].join('\n'),
);

describe('call_trace', () => {
  it("has Gatekit's keys and defaults, strictly", () => {
    assert.deepEqual(options(), {
      max_param_length: 200,
      trace_fields: { server: true, tool: true, params: true, response_size: true, duration: true, request_id: true, timestamp: true },
    });
    assert.equal(options({ trace_fields: { params: false } }).trace_fields.server, true);
    assert.equal(callTrace.configSchema.safeParse({ trace_fields: { colour: true } }).success, false);
    assert.equal(callTrace.configSchema.safeParse({ max_param_length: -1 }).success, false);
    assert.equal(callTrace.configSchema.safeParse({ verbose: true }).success, false);
  });

  it('appends the trace block after the existing content, in Gatekit layout', () => {
    const original = result();
    const decision = plugin().onResponse(original, CTX);
    assert.ok(decision?.modified && 'result' in decision.modified);
    const content = decision.modified.result.content as unknown[];
    assert.equal(content.length, 2);
    assert.deepEqual(content[0], { type: 'text', text: 'file body' });
    assert.match(traceOf(decision.modified), TRACE_LAYOUT);
    assert.equal((original as unknown as { result: { content: unknown[] } }).result.content.length, 1, 'the original was mutated');
  });

  it('keeps structuredContent and other result fields', () => {
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: 11, result: { content: [], structuredContent: { a: 1 }, isError: false } };
    const modified = plugin().onResponse(response, CTX)?.modified as { result: Record<string, unknown> };
    assert.deepEqual(modified.result.structuredContent, { a: 1 });
    assert.equal(modified.result.isError, false);
  });

  it('shows each field only when switched on', () => {
    const text = traceOf(plugin({ trace_fields: { params: false, response_size: false, timestamp: false } }).onResponse(result(), CTX)?.modified);
    assert.equal(text.includes('- Params:'), false);
    assert.equal(text.includes('- Response:'), false);
    assert.equal(text.includes('- Timestamp:'), false);
    assert.ok(text.includes('Search your audit logs for request_id: 1 to see the audit trail for this request.'));
    const bare = traceOf(
      plugin({ trace_fields: { server: false, tool: false, params: false, response_size: false, duration: false, request_id: false, timestamp: false } }).onResponse(
        result(),
        CTX,
      )?.modified,
    );
    assert.equal(bare, '---\n🔍 **Gatekit Gateway Trace**\n---');
  });

  it('cuts parameters at max_param_length with "..."', () => {
    assert.equal(formatParams({ path: '/home/user/a.txt' }, 200), '{"path": "/home/user/a.txt"}');
    assert.equal(formatParams({ path: '/home/user/a.txt' }, 10), '{"path": "...');
    assert.equal(formatParams({ a: [1, true, null], b: { c: 'd' } }, 200), '{"a": [1, true, null], "b": {"c": "d"}}');
    assert.equal(formatParams(undefined, 200), '{}');
    assert.equal(formatParams({ x: 1 }, 0), '...');
    const huge = formatParams({ content: 'x'.repeat(5 * 1024 * 1024) }, 50);
    assert.equal(huge.length, 53);
    const text = traceOf(plugin({ max_param_length: 5 }).onResponse(result(), CTX)?.modified);
    assert.ok(text.includes('- Params: {"pat...\n'));
  });

  it('formats sizes as Gatekit did', () => {
    assert.equal(formatSize(532), '532 B');
    assert.equal(formatSize(2355), '2.3 KB');
    assert.equal(formatSize(1.5 * 1024 * 1024), '1.5 MB');
    assert.equal(formatSize(3 * 1024 ** 3), '3.0 GB');
    const response = result([{ type: 'text', text: 'é'.repeat(2000) }]);
    const size = Buffer.byteLength(JSON.stringify((response as { result: unknown }).result));
    assert.ok(traceOf(plugin().onResponse(response, CTX)?.modified).includes(`- Response: ${formatSize(size)}\n`));
  });

  it('says N/A when duration or request id are unknown', () => {
    const text = traceOf(plugin().onResponse(result(), { serverName: 'fs', origin: 'client', request: { ...REQUEST, id: 'abc' } })?.modified);
    assert.ok(text.includes('- Duration: N/A'));
    assert.ok(text.includes('- Request ID: abc'));
  });

  it('wraps a result without a content array, as Gatekit did', () => {
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: 11, result: { entities: [1, 2] } };
    const modified = plugin().onResponse(response, CTX)?.modified as unknown as { result: { content: { text: string }[] } };
    assert.equal(modified.result.content.length, 2);
    assert.deepEqual(JSON.parse(modified.result.content[0]!.text), { entities: [1, 2] });
    assert.match(modified.result.content[1]!.text, /^---\n🔍/);
  });

  it('leaves errors, other methods and server-initiated traffic alone', () => {
    const p = plugin();
    assert.equal(p.onResponse({ jsonrpc: '2.0', id: 11, error: { code: -32601, message: 'x' } }, CTX), undefined);
    assert.equal(p.onResponse(result(), { ...CTX, request: { jsonrpc: '2.0', id: 11, method: 'tools/list' } }), undefined);
    assert.equal(p.onResponse(result(), { ...CTX, origin: 'server' }), undefined);
    assert.equal(p.onResponse(result(), { serverName: 'fs', origin: 'client' }), undefined);
  });

  it('fails open: a result it cannot measure passes unchanged, with a log line', () => {
    const logs: string[] = [];
    const response = result();
    (response as { result: Record<string, unknown> }).result.size = 10n; // JSON.stringify throws on BigInt
    assert.equal(plugin({}, logs).onResponse(response, CTX), undefined);
    assert.match(logs[0]!, /call_trace/);
  });

  it('buildTraceText only names the audit-log hint fields it shows', () => {
    const values = { server: 's', tool: 't', params: '{}', responseSize: '1 B', duration: '1ms', requestId: '9', timestamp: 'T' };
    const onlyTime = buildTraceText(values, { ...options().trace_fields, request_id: false });
    assert.ok(onlyTime.includes('Search your audit logs near timestamp T to see the audit trail for this request.'));
  });
});
