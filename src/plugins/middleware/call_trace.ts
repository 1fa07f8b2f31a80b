// `call_trace`: appends a short trace block (server, tool, params, size, duration, request id,
// time) to every successful tools/call result, for debugging and finding the call in audit logs.
import type { JsonRpcResponse, JsonRpcSuccess } from '../../shared/jsonrpc';
import { cutText, jsonPrefix } from '../auditing/audit-record';
import type { InterceptorPlugin, MessageContext, PluginDecision, PluginDefinition, PluginEnvironment, ReadonlyResponse } from '../types';
import { callTraceDescriptor, type CallTraceOptions } from './call_trace.descriptor';

export type { CallTraceOptions };

/** `532 B`, `2.3 KB`, `1.5 MB`, `1.0 GB` (binary multiples, as Gatekit printed them). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/** The tool arguments as shown: Python-style spaced JSON, cut to `max` characters plus `...`. */
export function formatParams(args: unknown, max: number): string {
  const json = jsonPrefix(args ?? {}, max, true);
  return json.complete ? json.text : cutText(json.text, max) + '...';
}

/** The values one trace shows. */
export interface TraceValues {
  readonly server: string;
  readonly tool: string;
  readonly params: string;
  readonly responseSize: string;
  readonly duration: string;
  readonly requestId: string;
  readonly timestamp: string;
}

/** The trace block, in Gatekit's Markdown layout, with the configured fields. */
export function buildTraceText(values: TraceValues, fields: CallTraceOptions['trace_fields']): string {
  const lines = ['---', '🔍 **Gatekit Gateway Trace**'];
  if (fields.server) lines.push(`- Server: ${values.server}`);
  if (fields.tool) lines.push(`- Tool: ${values.tool}`);
  if (fields.params) lines.push(`- Params: ${values.params}`);
  if (fields.response_size) lines.push(`- Response: ${values.responseSize}`);
  if (fields.duration) lines.push(`- Duration: ${values.duration}`);
  if (fields.request_id) lines.push(`- Request ID: ${values.requestId}`);
  if (fields.timestamp) lines.push(`- Timestamp: ${values.timestamp}`);
  if (fields.timestamp || fields.request_id) {
    lines.push('');
    if (fields.timestamp && fields.request_id) {
      lines.push(`Search your audit logs near timestamp ${values.timestamp} (request_id: ${values.requestId}) to see the audit trail for this request.`);
    } else if (fields.timestamp) {
      lines.push(`Search your audit logs near timestamp ${values.timestamp} to see the audit trail for this request.`);
    } else {
      lines.push(`Search your audit logs for request_id: ${values.requestId} to see the audit trail for this request.`);
    }
    lines.push('To find audit log locations, open your Gatekit config using `gatekit <path_to_config.yaml>`');
  }
  lines.push('---');
  return lines.join('\n');
}

/**
 * The result with the trace appended as a last text block. A result without a `content` array is
 * not what MCP specifies; as Gatekit did, it is shown as JSON text followed by the trace.
 */
function withTrace(result: Record<string, unknown>, trace: string): Record<string, unknown> {
  const block = { type: 'text', text: trace };
  const content: unknown = result.content;
  if (Array.isArray(content)) return { ...result, content: [...(content as unknown[]), block] };
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }, block] };
}

class CallTrace implements InterceptorPlugin {
  constructor(
    private readonly options: CallTraceOptions,
    private readonly env: PluginEnvironment,
  ) {}

  onResponse(response: ReadonlyResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined {
    const request = ctx.request;
    if (ctx.origin !== 'client' || request?.method !== 'tools/call' || !('result' in response)) return undefined;
    try {
      const fields = this.options.trace_fields;
      const params = request.params ?? {};
      const id = ctx.requestId ?? request.id;
      const values: TraceValues = {
        server: ctx.serverName,
        tool: typeof params.name === 'string' ? params.name : '[Unknown]',
        params: fields.params ? formatParams(params.arguments, this.options.max_param_length) : '',
        responseSize: fields.response_size ? formatSize(Buffer.byteLength(JSON.stringify(response.result), 'utf8')) : '',
        duration: ctx.durationMs !== undefined ? `${Math.floor(ctx.durationMs)}ms` : 'N/A',
        requestId: id !== undefined ? String(id) : 'N/A',
        timestamp: new Date().toISOString(),
      };
      const modified: JsonRpcSuccess = { ...response, result: withTrace(response.result, buildTraceText(values, fields)) };
      return { modified };
    } catch (err) {
      // A trace is a convenience: failing to build one must not cost the user the result.
      this.env.log(`call_trace: could not append a trace: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
}

/** Gatekit's call trace middleware. */
export const callTrace: PluginDefinition<CallTraceOptions> = {
  ...callTraceDescriptor,
  create: (options, env) => new CallTrace(options, env),
};
