// The one schema of a Gatekit configuration (gatekit.yaml / .json / VS Code settings). The loader
// validates with it, the settings JSON schema is generated from it, and the config types come from it.
import * as z from 'zod';
import { hasNamespaceSeparator } from '../shared/namespacing';

/** Plugin sections under `plugins`, in the order the pipeline runs them on a request. */
export const PLUGIN_SECTIONS = ['security', 'middleware', 'auditing'] as const;
export type PluginSection = (typeof PLUGIN_SECTIONS)[number];

/** The scope key whose plugins apply to every upstream. */
export const GLOBAL_SCOPE = '_global';

/** Keys of a plugin entry's `config` that the pipeline handles; everything else goes to the plugin. */
export const COMMON_PLUGIN_OPTIONS = ['enabled', 'priority', 'critical'] as const;

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

/**
 * `^[a-z][a-z0-9_-]*$` without `__`, which separates server and tool in namespaced names. The
 * lookahead keeps this one regex (valid in JSON Schema too) instead of a pattern plus a refinement.
 */
export const UPSTREAM_NAME_PATTERN = /^[a-z](?:[a-z0-9-]|_(?!_))*$/;

function upstreamNameProblem(input: unknown): string {
  if (typeof input !== 'string') return 'Upstream name must be a string';
  if (hasNamespaceSeparator(input)) return `Upstream name '${input}' must not contain '__' (it separates server and tool names, as in 'server__tool').`;
  return `Upstream name '${input}' must start with a lowercase letter and contain only lowercase letters, digits, '_' and '-'.`;
}

/** The name of an upstream server: the prefix of its tools (`<name>__<tool>`) and its plugin scope key. */
export const upstreamNameSchema = z
  .string()
  .regex(UPSTREAM_NAME_PATTERN, { error: (issue) => upstreamNameProblem(issue.input) })
  .describe("Server name: lowercase letters, digits, '_' and '-', starting with a letter, never '__'. Tools appear as `<name>__<tool>`.");

/** How to start a server: argument list, or one string split on whitespace with quotes (never a shell). */
export const commandSchema = z.union(
  [
    z
      .array(z.string())
      .min(1)
      .refine((args) => args.length === 0 || args[0]!.trim() !== '', { error: 'The program (first element of command) must not be empty.', path: [0] }),
    z.string().regex(/\S/, { error: 'command must not be empty.' }),
  ],
  { error: 'command must be a non-empty list of strings (e.g. ["npx", "-y", "@modelcontextprotocol/server-memory"]) or one command string.' },
).describe('Program and arguments, e.g. `["npx", "-y", "@modelcontextprotocol/server-memory"]`. A single string is split on whitespace (quotes group); no shell is involved.');

const sandboxSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    paths: z.array(z.string()).default([]),
    network: z.boolean().default(true),
  })
  .describe('Accepted for compatibility with Gatekit configs; OS sandboxing is not available here, so `enabled: true` is rejected rather than silently ignored.');

/** One upstream MCP server, started as a child process speaking MCP over stdio. */
export const upstreamSchema = z.strictObject({
  name: upstreamNameSchema,
  transport: z
    .literal('stdio', { error: "Only 'stdio' upstreams are supported (the server is started as a child process)." })
    .optional()
    .describe("Always 'stdio' (the default)."),
  enabled: z.boolean().default(true).describe('Set to false to keep the entry but not start the server.'),
  command: commandSchema,
  env: z
    .record(z.string().regex(/^[^=\0]+$/, { error: 'Environment variable names must be non-empty and must not contain "=".' }), z.string())
    .optional()
    .describe('Extra environment variables for the server. Values may use `${VAR}`, `$VAR` and a leading `~`.'),
  cwd: z.string().min(1).optional().describe('Working folder of the server; relative to the config file, `~` and `${VAR}` expanded.'),
  restart_on_failure: z.boolean().default(true).describe('Restart the server when it exits unexpectedly.'),
  max_restart_attempts: z.number().int().min(0).default(3).describe('How many restarts to try before giving up on the server.'),
  server_identity: z.string().optional().describe('The name the server reports in its MCP handshake (informational).'),
  sandbox: sandboxSchema.optional(),
});

/** Seconds; both default to 60. */
export const timeoutsSchema = z.strictObject({
  connection_timeout: z.number().positive().default(60).describe('Seconds to wait for an upstream to start and answer `initialize`.'),
  request_timeout: z.number().positive().default(60).describe('Seconds to wait for an upstream to answer a request.'),
});

export const proxySchema = z.strictObject({
  transport: z
    .literal('stdio', { error: "proxy.transport must be 'stdio' (clients reach the gateway over stdio)." })
    .describe("How clients talk to the gateway: 'stdio'."),
  upstreams: z
    .array(upstreamSchema)
    .min(1, { error: 'At least one upstream server must be configured.' })
    .superRefine((upstreams, ctx) => {
      const seen = new Set<string>();
      upstreams.forEach((upstream, index) => {
        if (seen.has(upstream.name)) {
          ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `Upstream name '${upstream.name}' is used more than once; names must be unique.`, input: upstream.name });
        }
        seen.add(upstream.name);
      });
    })
    .describe('The MCP servers behind the gateway.'),
  timeouts: timeoutsSchema.optional(),
  hot_reload: z.enum(['auto', 'enabled', 'disabled']).optional().describe('Accepted for compatibility with Gatekit configs; ignored.'),
});

/**
 * A plugin's `config`: the common keys typed here, the plugin's own keys passed through to be
 * checked by that plugin's schema from the registry.
 */
export const pluginConfigSchema = z.looseObject({
  enabled: z.boolean().default(true).describe('Set to false to switch the plugin off (also switches off a `_global` entry of the same handler for this server).'),
  priority: z.number().int().min(0).max(100).default(50).describe('0–100, lower runs first.'),
  // No zod default: the loader applies the plugin's own (true unless its descriptor says otherwise); the JSON schema still shows true.
  critical: z.boolean().optional().meta({ default: true, description: 'A critical plugin that fails blocks the message (fail closed).' }),
});

/** `{handler, config?}`; any other key next to `handler` is an error. */
export const pluginEntrySchema = z.strictObject({
  handler: z.string().min(1).describe('Plugin name, e.g. `basic_pii_filter`.'),
  config: pluginConfigSchema.optional(),
});

/** `_global` or an upstream name → the plugins for that scope, in order. */
export const pluginScopesSchema = z
  .record(z.string(), z.array(pluginEntrySchema))
  .describe('`_global` (every server) or a server name → list of plugins. A server entry with the same handler replaces the global one.');

export const pluginsSchema = z.strictObject({
  security: pluginScopesSchema.optional(),
  middleware: pluginScopesSchema.optional(),
  auditing: pluginScopesSchema.optional(),
});

export const loggingSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('INFO'),
    handlers: z.array(z.enum(['stderr', 'file'])).default(['stderr']).describe('Where gateway diagnostics go (never stdout).'),
    file_path: z.string().min(1).optional().describe('Log file for the `file` handler; relative to the config file.'),
    max_file_size_mb: z.number().positive().default(10),
    backup_count: z.number().int().min(0).default(5),
    format: z.string().default('%(asctime)s [%(levelname)s] %(name)s: %(message)s').describe('Python-logging style format, kept for compatibility.'),
    date_format: z.string().default('%Y-%m-%d %H:%M:%S'),
  })
  .superRefine((logging, ctx) => {
    if (logging.handlers.includes('file') && logging.file_path === undefined) {
      ctx.addIssue({ code: 'custom', path: ['file_path'], message: "logging.file_path is required when handlers include 'file'.", input: undefined });
    }
  });

/** A whole Gatekit configuration as written (YAML, JSON or VS Code settings). */
export const gatekitConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  proxy: proxySchema,
  plugins: pluginsSchema.optional(),
  logging: loggingSchema.optional(),
});

/** A configuration after schema validation, with the schema's defaults applied. */
export type GatekitConfig = z.output<typeof gatekitConfigSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;
export type TimeoutsConfig = z.output<typeof timeoutsSchema>;
export type LoggingConfig = z.output<typeof loggingSchema>;
