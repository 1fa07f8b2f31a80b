// `call_trace`'s descriptor: its options and display facts (the trace is built in call_trace.ts).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

const configSchema = z.strictObject({
  max_param_length: z.int().min(0).default(200).describe('Characters of the call arguments (as JSON) the trace shows; longer arguments are cut.'),
  trace_fields: z
    .strictObject({
      server: z.boolean().default(true),
      tool: z.boolean().default(true),
      params: z.boolean().default(true),
      response_size: z.boolean().default(true),
      duration: z.boolean().default(true),
      request_id: z.boolean().default(true),
      timestamp: z.boolean().default(true),
    })
    .prefault({})
    .describe('Which facts the trace appended to each tool result carries (each on by default).'),
});

/** Parsed `call_trace` options. */
export type CallTraceOptions = z.output<typeof configSchema>;

/** Gatekit's default priority for this plugin: late, after the middleware that shapes the call. */
export const CALL_TRACE_DEFAULT_PRIORITY = 90;

/** Gatekit's call trace middleware. */
export const callTraceDescriptor: PluginDescriptor<CallTraceOptions> = {
  handler: 'call_trace',
  kind: 'middleware',
  displayName: 'Call Trace',
  description: 'Append diagnostic trace information to tool results for debugging and audit log correlation.',
  configSchema,
  defaultPriority: CALL_TRACE_DEFAULT_PRIORITY,
};
