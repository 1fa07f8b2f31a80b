// Small stand-in plugin definitions for config tests, shaped like the built-in ones (names, kinds,
// option schemas) so the loader can be tested while the real plugins are being written.
import { z } from 'zod';
import type { PluginRegistry } from '../../../src/config/loader';
import type { PluginDefinition, PluginKind } from '../../../src/plugins/types';

/** A definition of any plugin, whatever its options: what the loader's registry hands out. */
type AnyPluginDefinition = NonNullable<ReturnType<PluginRegistry['find']>>;

function definition<C>(handler: string, kind: PluginKind, configSchema: z.ZodType<C>, serverOnly = false): PluginDefinition<C> {
  return {
    handler,
    kind,
    displayName: handler,
    description: `Test double of ${handler}.`,
    configSchema,
    ...(serverOnly ? { serverOnly } : {}),
    create: () => ({}),
  };
}

const action = z.enum(['block', 'redact', 'audit_only']).default('redact');
const toggle = z.strictObject({ enabled: z.boolean().default(true) });

export const fakePlugins: AnyPluginDefinition[] = [
  definition(
    'basic_pii_filter',
    'security',
    z.strictObject({
      action,
      pii_types: z
        .strictObject({ email: toggle.optional(), phone: toggle.optional(), credit_card: toggle.optional(), ip_address: toggle.optional(), national_id: toggle.optional() })
        .default({}),
      scan_base64: z.boolean().default(false),
    }),
  ),
  definition('basic_secrets_filter', 'security', z.strictObject({ action, entropy_detection: z.strictObject({ enabled: z.boolean(), threshold: z.number(), min_length: z.number().int() }).partial().optional() })),
  definition('basic_prompt_injection_defense', 'security', z.strictObject({ action, sensitivity: z.enum(['relaxed', 'standard', 'strict']).default('standard') })),
  definition(
    'tool_manager',
    'middleware',
    z.strictObject({ tools: z.array(z.strictObject({ tool: z.string().min(1), display_name: z.string().optional(), display_description: z.string().optional() })).default([]) }),
    true,
  ),
  definition('call_trace', 'middleware', z.strictObject({ max_param_length: z.number().int().positive().default(200) })),
  definition('audit_jsonl', 'auditing', z.strictObject({ output_file: z.string().default('logs/audit.jsonl'), include_request_body: z.boolean().default(false), include_response_body: z.boolean().default(false) })),
  definition('audit_csv', 'auditing', z.strictObject({ output_file: z.string().default('logs/audit.csv') })),
];

/** A registry over `fakePlugins` (or the given list). */
export function fakeRegistry(plugins: readonly AnyPluginDefinition[] = fakePlugins): PluginRegistry {
  const byHandler = new Map(plugins.map((plugin) => [plugin.handler, plugin]));
  return { find: (handler) => byHandler.get(handler), handlers: () => [...byHandler.keys()].sort() };
}
