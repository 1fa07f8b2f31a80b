// The `gatekit.*` settings as zod schemas (built from the one config schema), and the
// `contributes.configuration` JSON schema generated from them for package.json. Plain Node.
import * as z from 'zod';
import { pluginsJsonSchema } from './plugin-schema';
import { oauthSchema, pluginsSchema, sandboxSchema, upstreamNameSchema } from '../config/schema';
import { remoteUrlProblem } from '../shared/remote-url';

/**
 * One server in `gatekit.upstreams`, in the shape of a server of VS Code's mcp.json (a stdio one:
 * `command` + `args`; a remote one: `type: http` or `sse` + `url` + `headers`), plus Gatekit's
 * per-server options. Values may use `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and
 * `${input:ID}` (a secret entered once and kept in VS Code's secret storage).
 */
export const settingsUpstreamSchema = z
  .strictObject({
  name: upstreamNameSchema,
  type: z.enum(['stdio', 'http', 'sse'], { error: "type must be 'stdio', 'http' or 'sse'" }).optional().describe("'stdio' (the default, as in mcp.json), or 'http' / 'sse' for a remote server at `url`."),
  command: z.string().regex(/\S/, { error: 'command must not be empty' }).optional().describe('The program to start, e.g. `npx`, `node`, `uvx` (no shell is involved).'),
  url: z.string().optional().describe('Address of a remote server (type http or sse), e.g. `https://example.com/mcp`.'),
  headers: z.record(z.string(), z.string()).optional().describe('HTTP headers for a remote server, e.g. `{"Authorization": "Bearer ${input:token}"}`.'),
  tls_verify: z.boolean().optional().describe("Verify a remote server's TLS certificate (default true)."),
  allow_insecure_http: z.boolean().optional().describe('Allow a plain http:// URL to a host other than this machine.'),
  oauth: oauthSchema.optional(),
  args: z.array(z.string()).optional().describe('Arguments of the program.'),
  env: z.record(z.string().regex(/^[^=\0]+$/), z.string()).optional().describe('Extra environment variables for the server.'),
  cwd: z.string().optional().describe('Working folder of the server.'),
  enabled: z.boolean().optional().describe('Set to false to keep the entry without starting the server.'),
  restart_on_failure: z.boolean().optional().describe('Restart the server when it exits unexpectedly (default true).'),
  max_restart_attempts: z.number().int().min(0).optional().describe('Restarts to try before giving up (default 3).'),
  sandbox: sandboxSchema.optional(),
  })
  .superRefine((upstream, ctx) => {
    const remote = upstream.type === 'http' || upstream.type === 'sse';
    if (!remote && upstream.command === undefined) ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['command'], input: undefined });
    if (remote && upstream.url === undefined) ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['url'], input: undefined });
    if (remote && upstream.command !== undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: `'command' is for stdio servers; a ${upstream.type} server is reached by its url`, input: upstream.command });
    if (!remote && upstream.url !== undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: "'url' is for remote servers: set type to 'http' (or 'sse')", input: upstream.url });
    // A url with variables is checked by the config schema once they are resolved.
    const urlProblem = remote && upstream.url !== undefined && !upstream.url.includes('${') ? remoteUrlProblem(upstream.url, upstream.allow_insecure_http === true) : undefined;
    if (urlProblem) ctx.addIssue({ code: 'custom', path: ['url'], message: urlProblem, input: upstream.url });
  }, { when: (payload) => payload.issues.length === 0 })
  .meta({ anyOf: [{ required: ['command'] }, { required: ['url'] }] });

export type SettingsUpstream = z.output<typeof settingsUpstreamSchema>;

const upstreamsSettingSchema = z.array(settingsUpstreamSchema).superRefine((upstreams, ctx) => {
  const seen = new Set<string>();
  upstreams.forEach((upstream, index) => {
    if (seen.has(upstream.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `Server name '${upstream.name}' is used more than once`, input: upstream.name });
    seen.add(upstream.name);
  });
});

/** Values of `gatekit.trace`. */
export const TRACE_LEVELS = ['off', 'messages', 'verbose'] as const;

/** How a setting appears in package.json besides its JSON schema. */
interface SettingDefinition {
  readonly schema: z.ZodType;
  readonly default: unknown;
  readonly scope: 'application' | 'machine' | 'window' | 'resource' | 'machine-overridable';
  readonly markdownDescription: string;
  readonly enumDescriptions?: readonly string[];
  /** Workspace values are ignored in untrusted workspaces (they can start programs or switch protection off). */
  readonly restrictedInUntrustedWorkspace?: boolean;
}

/** Every `gatekit.*` setting: the single place that declares them. */
export const SETTINGS = {
  'gatekit.upstreams': {
    schema: upstreamsSettingSchema,
    default: [],
    scope: 'window',
    restrictedInUntrustedWorkspace: true,
    markdownDescription:
      'MCP servers behind Gatekit, in the shape of stdio servers in `mcp.json` (`name`, `command`, `args`, `env`, `cwd`). Their tools reach AI assistants as `<name>__<tool>`. Values may use `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and `${input:ID}`. Use **Gatekit: Import Servers from mcp.json** to move existing servers here. Entries with the same name replace those of `#gatekit.configFile#`. Ignored in untrusted workspaces when set by the workspace.',
  },
  'gatekit.plugins': {
    schema: pluginsSchema,
    default: {},
    scope: 'window',
    // A workspace could switch every filter off and aim an audit log at the user's shell start-up file.
    restrictedInUntrustedWorkspace: true,
    markdownDescription:
      "Gatekit plugins, exactly as under `plugins:` in `gatekit.yaml`: `security`, `middleware` and `auditing`, each mapping `_global` or a server name to a list of `{handler, config}`. A list here replaces the list of the same section and scope in `#gatekit.configFile#`. Files plugins write (audit logs, the pin lockfile) must lie under the config file's folder, the workspace's `.gatekit` folder or the extension's storage, unless the path is set in your user settings. Ignored in untrusted workspaces when set by the workspace.",
  },
  'gatekit.configFile': {
    schema: z.string(),
    default: '',
    scope: 'window',
    restrictedInUntrustedWorkspace: true,
    markdownDescription:
      'Optional Gatekit configuration file (`gatekit.yaml` or `.json`) that `#gatekit.upstreams#` and `#gatekit.plugins#` are merged onto. Relative paths are relative to the first workspace folder; `~` and `${workspaceFolder}` are expanded. Relative paths inside the file (audit logs) resolve against its folder.',
  },
  'gatekit.traffic.maxEntries': {
    schema: z.number().int().min(10).max(100_000),
    default: 1000,
    scope: 'window',
    markdownDescription: 'How many exchanges the Traffic view keeps (oldest are dropped first). The audit logs keep everything.',
  },
  'gatekit.toolTokenWarning': {
    schema: z.number().int().min(0),
    default: 5000,
    scope: 'window',
    markdownDescription:
      'Tokens of tool definitions per server past which the Servers view warns (0: never). Every chat request carries the definitions of every tool it offers: 5000 tokens is about 4% of a 128k context.',
  },
  'gatekit.trace': {
    schema: z.enum(TRACE_LEVELS),
    default: 'off',
    scope: 'window',
    markdownDescription: 'Traces the control link between VS Code and the gateways in the **Gatekit** output channel.',
    enumDescriptions: ['No tracing.', 'Method names of control messages.', 'Control messages with their content.'],
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof SETTINGS;

/** The key of a setting without its `gatekit.` section, as `getConfiguration('gatekit')` takes it. */
export function settingName(key: SettingKey): string {
  return key.slice('gatekit.'.length);
}

/** Keys of settings whose workspace values are ignored in untrusted workspaces. */
export function restrictedSettings(): SettingKey[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter((key) => (SETTINGS[key] as SettingDefinition).restrictedInUntrustedWorkspace === true);
}

/**
 * `contributes.configuration` for package.json, generated from the zod schemas. A unit test fails
 * when package.json differs (run `npm run gen:settings-schema`).
 */
export function configurationContribution(): { title: string; properties: Record<string, Record<string, unknown>> } {
  const properties: Record<string, Record<string, unknown>> = {};
  let order = 0;
  for (const [key, definition] of Object.entries(SETTINGS) as [SettingKey, SettingDefinition][]) {
    const { $schema: _ignored, ...generated } = z.toJSONSchema(definition.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    const sections = (generated.properties ?? {}) as Record<string, { description?: string }>;
    // Handler names and each handler's options (the zod schema only knows "a string" and "an object").
    const jsonSchema = key === 'gatekit.plugins' ? pluginsJsonSchema((section) => sections[section]?.description) : generated;
    properties[key] = {
      ...jsonSchema,
      default: definition.default,
      scope: definition.scope,
      markdownDescription: definition.markdownDescription,
      ...(definition.enumDescriptions ? { enumDescriptions: [...definition.enumDescriptions] } : {}),
      order: order++,
    };
  }
  return { title: 'Gatekit', properties };
}
