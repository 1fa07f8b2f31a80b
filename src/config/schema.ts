// The one schema of a Gatekit configuration (gatekit.yaml / .json / VS Code settings). The loader
// validates with it, the settings JSON schema is generated from it, and the config types come from it.
import * as z from 'zod';
import { hasNamespaceSeparator } from '../shared/namespacing';
import { remoteUrlProblem } from '../shared/remote-url';

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

/** Per stdio upstream: run the server in the operating system's sandbox (bubblewrap on Linux, Seatbelt on macOS). */
export const sandboxSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Run the server sandboxed. When no sandbox engine is available the server does not start (fail closed).'),
    paths: z
      .array(z.string().min(1).refine((p) => !p.includes('\0'), { error: 'A sandbox path must not contain a NUL character.' }))
      .default([])
      .describe('Folders the server may read and write; relative to the config file, `~` and `${VAR}` expanded. Everything else in the home folder is hidden; credential folders (~/.ssh, ~/.aws, …) stay hidden even under a listed path.'),
    network: z.boolean().default(true).describe('Set to false to leave the server loopback only (no outside network).'),
  })
  .describe('OS sandbox for this server (Gatekit 0.2): home hidden except `paths`, system and runtime read-only, credentials never visible.');

/** Header names a configuration may not set: the transport sets them itself (session, version, framing). */
const RESERVED_HEADERS = ['mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'content-type', 'content-length', 'accept', 'host', 'connection', 'transfer-encoding'];

/** An HTTP header name (RFC 9110 token) that the transport does not own. */
const headerNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'Header names must be HTTP tokens (letters, digits and !#$%&\'*+.^_`|~-).' })
  .refine((name) => !RESERVED_HEADERS.includes(name.toLowerCase()), { error: (issue) => `Header '${String(issue.input)}' is set by the transport and cannot be configured.` });

/** OAuth options for a remote server that requires authorization (used by src/gateway/auth). */
export const oauthSchema = z
  .strictObject({
    client_id: z.string().min(1).optional().describe('A client id registered with the authorization server; without one Gatekit registers itself (client ID metadata document or dynamic registration).'),
    client_secret: z.string().min(1).optional().describe('For a confidential client; may use `${VAR}`.'),
    scopes: z.array(z.string().min(1)).optional().describe('Scopes to ask for; by default those the server advertises.'),
    redirect_port: z.number().int().min(1).max(65535).optional().describe('Loopback port for the sign-in redirect (http://127.0.0.1:PORT/callback); a free port by default.'),
    open_browser: z.boolean().optional().describe('Open the sign-in page in a browser (default true); the link is printed on stderr either way.'),
    client_metadata_url: z.url({ protocol: /^https$/, error: 'client_metadata_url must be an https:// URL.' }).optional().describe('An https URL of a client ID metadata document to use as the client id.'),
  })
  .describe('OAuth 2.1 sign-in for a server that answers 401 (MCP authorization).');

/** One upstream MCP server: a child process speaking MCP over stdio, or a remote server reached by URL. */
export const upstreamSchema = z
  .strictObject({
    name: upstreamNameSchema,
    transport: z
      .enum(['stdio', 'http', 'sse'], { error: "transport must be 'stdio' (a local process), 'http' (Streamable HTTP, with HTTP+SSE fallback) or 'sse' (legacy HTTP+SSE only)." })
      .optional()
      .describe("'stdio' (the default: `command` is started as a child process), 'http' (a remote server at `url`, Streamable HTTP with the legacy HTTP+SSE fallback) or 'sse' (legacy HTTP+SSE only)."),
    enabled: z.boolean().default(true).describe('Set to false to keep the entry but not start the server.'),
    command: commandSchema.optional(),
    env: z
      .record(z.string().regex(/^[^=\0]+$/, { error: 'Environment variable names must be non-empty and must not contain "=".' }), z.string())
      .optional()
      .describe('Extra environment variables for the server. Values may use `${VAR}`, `$VAR` and a leading `~`.'),
    cwd: z.string().min(1).optional().describe('Working folder of the server; relative to the config file, `~` and `${VAR}` expanded.'),
    url: z.string({ error: 'url must be a string such as "https://example.com/mcp".' }).optional().describe('Address of a remote server (transport http or sse), e.g. `https://example.com/mcp`; may use `${VAR}`.'),
    headers: z
      .record(headerNameSchema, z.string().regex(/^[^\r\n\0]*$/, { error: 'Header values must not contain line breaks or NUL.' }))
      .optional()
      .describe('HTTP headers sent with every request to a remote server (e.g. `Authorization: Bearer ${TOKEN}`); values may use `${VAR}`. Never logged.'),
    tls_verify: z.boolean().default(true).describe('Verify the remote server\'s TLS certificate (default true). false accepts self-signed certificates; the certificate seen first is still pinned.'),
    allow_insecure_http: z.boolean().default(false).describe('Allow a plain http:// URL to a host other than this machine (everything, headers included, travels unencrypted).'),
    oauth: oauthSchema.optional(),
    restart_on_failure: z.boolean().default(true).describe('Restart the server (reconnect, for a remote one) when it exits or the connection is lost.'),
    max_restart_attempts: z.number().int().min(0).default(3).describe('How many restarts to try before giving up on the server.'),
    server_identity: z.string().optional().describe('The name the server must report in its MCP handshake (serverInfo.name); a server reporting another name is refused.'),
    sandbox: sandboxSchema.optional(),
  })
  .superRefine((upstream, ctx) => {
    const remote = upstream.transport === 'http' || upstream.transport === 'sse';
    const problem = (key: string, message: string): void => ctx.addIssue({ code: 'custom', path: [key], message, input: (upstream as Record<string, unknown>)[key] });
    // Reported as a missing key, like any other required key (the loader words it and finds its line).
    const missing = (key: string): void => ctx.addIssue({ code: 'invalid_type', expected: 'string', path: [key], input: undefined });
    if (!remote) {
      if (upstream.command === undefined) missing('command');
      for (const key of ['url', 'headers', 'oauth'] as const) {
        if (upstream[key] !== undefined) problem(key, `'${key}' is for remote servers: set transport: http (or sse) to use it.`);
      }
      return;
    }
    for (const key of ['command', 'env', 'cwd', 'sandbox'] as const) {
      if (upstream[key] !== undefined) problem(key, `'${key}' is for local (stdio) servers; a remote server (transport: ${upstream.transport}) is reached by its url.`);
    }
    if (upstream.url === undefined) return missing('url');
    // A url with variables is checked by the loader once they are expanded.
    const urlProblem = upstream.url.includes('$') ? undefined : remoteUrlProblem(upstream.url, upstream.allow_insecure_http);
    if (urlProblem) problem('url', urlProblem);
    if (upstream.oauth && upstream.headers && Object.keys(upstream.headers).some((name) => name.toLowerCase() === 'authorization')) {
      problem('headers', 'Set either oauth or an Authorization header, not both.');
    }
    // Only on an entry with no other problem (an unknown key first: 'comand' is a typo, not a missing command).
  }, { when: (payload) => payload.issues.length === 0 })
  // For editors: a local server needs `command`, a remote one `url` (the refinement above says it in words).
  .meta({ anyOf: [{ required: ['command'] }, { required: ['url'], properties: { transport: { enum: ['http', 'sse'] } } }] });

/** Seconds; both default to 60. */
export const timeoutsSchema = z.strictObject({
  connection_timeout: z.number().positive().default(60).describe('Seconds to wait for an upstream to start and answer `initialize`.'),
  request_timeout: z.number().positive().default(60).describe('Seconds to wait for an upstream to answer a request.'),
});

/** Host names that stay on this machine: serving on them needs neither TLS nor an opt-in. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;

/** `proxy.http`: where and how the gateway serves Streamable HTTP to its clients (Gatekit 0.2's `{host, port}` and ours). */
export const httpServerSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Address to listen on. Loopback (127.0.0.1, localhost, ::1) by default; any other needs `tls` or `allow_remote: true`.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0 picks a free one, printed on stderr).'),
    token_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'token_env must be an environment variable name.' }).optional().describe('Environment variable holding the bearer token clients must send.'),
    token_file: z.string().min(1).optional().describe('File holding the bearer token (relative to the config file). Without token_env/token_file a token is generated on first start and kept owner-only in the user config folder.'),
    tls: z
      .strictObject({
        cert_file: z.string().min(1).describe('PEM certificate (chain), relative to the config file.'),
        key_file: z.string().min(1).describe('PEM private key, relative to the config file.'),
      })
      .optional()
      .describe('Serve HTTPS with this certificate and key.'),
    allowed_origins: z.array(z.string().min(1)).default([]).describe('Browser origins (e.g. `https://app.example.com`) allowed to call the gateway; a request with any other Origin is refused (DNS rebinding).'),
    allowed_hosts: z.array(z.string().min(1)).default([]).describe('Extra Host header names accepted besides the listening host (and localhost names on loopback).'),
    allow_remote: z.boolean().default(false).describe('Allow a non-loopback host without TLS (the token then crosses the network in clear text).'),
  })
  .superRefine((http, ctx) => {
    if (http.token_env !== undefined && http.token_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['token_file'], message: 'Set only one of proxy.http.token_env and proxy.http.token_file.', input: http.token_file });
    }
    const loopback = (LOOPBACK_HOSTS as readonly string[]).includes(http.host.replace(/^\[(.*)\]$/, '$1'));
    if (!loopback && !http.tls && !http.allow_remote) {
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: `proxy.http.host '${http.host}' is reachable from other machines: add proxy.http.tls {cert_file, key_file}, or set allow_remote: true to accept clear-text HTTP.`,
        input: http.host,
      });
    }
  });

export const proxySchema = z.strictObject({
  transport: z
    .enum(['stdio', 'http'], { error: "proxy.transport must be 'stdio' (one client on stdin/stdout) or 'http' (Streamable HTTP for several clients, see proxy.http)." })
    .describe("How clients talk to the gateway: 'stdio' (one client) or 'http' (Streamable HTTP, several clients; see `http`)."),
  http: httpServerSchema.optional().describe("Streamable HTTP server settings, used when transport is 'http'."),
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
  // Optional (its default documented through meta), like critical: a plugin's descriptor may default it otherwise (call_trace runs at 90).
  priority: z.number().int().min(0).max(100).optional().meta({ default: 50 }).describe('0–100, lower runs first.'),
  // Optional (its default documented through meta): a plugin's descriptor may default it otherwise (token_usage fails open).
  critical: z.boolean().optional().meta({ default: true }).describe('A critical plugin that fails blocks the message (fail closed).'),
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
export type OAuthConfig = z.output<typeof oauthSchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;
export type TimeoutsConfig = z.output<typeof timeoutsSchema>;
export type LoggingConfig = z.output<typeof loggingSchema>;
export type HttpServerConfig = z.output<typeof httpServerSchema>;
