// Loads a Gatekit configuration (file, text, or a VS Code settings object) into one resolved,
// validated object, or throws one ConfigError that names the path, the line and the fix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { descriptorHandlers, findDescriptor } from '../plugins/descriptors';
import type { PluginDescriptor, PluginEntryConfig } from '../plugins/types';
import { ErrorCode, isRecord } from '../shared/jsonrpc';
import { ControlEnv } from '../shared/protocol';
import { remoteUrlProblem } from '../shared/remote-url';
import { ConfigError, formatPath, type ConfigIssue } from './errors';
import { closestFirst, describeZodIssues, knownKeysAt, PARSE_PARAMS, type RawIssue } from './issues';
import { expandHome, expandVariables, resolveUserPath, splitCommandLine, type Environment } from './paths';
import {
  COMMON_PLUGIN_OPTIONS,
  GLOBAL_SCOPE,
  LOG_LEVELS,
  PLUGIN_SECTIONS,
  gatekitConfigSchema,
  loggingSchema,
  pluginsSchema,
  timeoutsSchema,
  type GatekitConfig,
  type LoggingConfig,
  type PluginEntry,
  type PluginSection,
  type HttpServerConfig,
  type TimeoutsConfig,
  type OAuthConfig,
  type UpstreamConfig,
} from './schema';
import { parseConfigSource, type ConfigFormat, type ParsedSource } from './source';
import { closestMatch, didYouMean, editDistance } from './suggest';
import { writablePathProblem, writableRootsFromEnvironment } from './write-paths';

/**
 * Where plugin handlers are looked up. Validation needs descriptors only (options schemas, kinds),
 * never a plugin's code; tests pass their own small definitions.
 */
export interface PluginRegistry {
  find(handler: string): PluginDescriptor | undefined;
  handlers(): string[];
}

/**
 * The built-in plugins' descriptors (src/plugins/descriptors.ts): validating a config loads no
 * detector, so the extension, which validates with this, bundles none.
 */
export const builtinPluginRegistry: PluginRegistry = { find: findDescriptor, handlers: descriptorHandlers };

/** How to reach a remote upstream (transport http or sse); its url was checked by the schema. */
export interface ResolvedRemote {
  readonly transport: 'http' | 'sse';
  readonly url: string;
  /** Values expanded (`${VAR}`); secrets, never logged. */
  readonly headers: Record<string, string>;
  readonly tls_verify: boolean;
  readonly oauth?: OAuthConfig;
}

/** An upstream with defaults applied and user strings expanded. */
export interface ResolvedUpstream {
  readonly name: string;
  readonly enabled: boolean;
  /** Present for a remote server, which has no command (empty), env or cwd. */
  readonly remote?: ResolvedRemote;
  /** Program and arguments; a one-string command has been split. Never passed through a shell. */
  readonly command: string[];
  /** Extra variables for the child (on top of the gateway's own environment), expanded. */
  readonly env: Record<string, string>;
  /** Absolute working folder, or undefined to inherit the gateway's. */
  readonly cwd?: string;
  readonly restart_on_failure: boolean;
  readonly max_restart_attempts: number;
  /** Trimmed; undefined when absent or blank. */
  readonly server_identity?: string;
  /** Present when the server runs sandboxed; paths are absolute. */
  readonly sandbox?: { readonly paths: readonly string[]; readonly network: boolean };
}

/** A plugin entry checked against its plugin's definition, options parsed by its `configSchema`. */
export type ResolvedPluginEntry = PluginEntryConfig;

/**
 * `_global` (always present) and upstream names → entries in file order. Upstream names may collide
 * with `Object.prototype` members ('constructor'): look them up with `Object.hasOwn`.
 */
export type ResolvedPluginScopes = Record<string, ResolvedPluginEntry[]>;

export interface ResolvedLogging extends Omit<LoggingConfig, 'file_path'> {
  /** Absolute (resolved against the config folder). */
  readonly file_path?: string;
}

/** The configuration the gateway runs with: every default applied, every name checked. */
export interface ResolvedConfig {
  readonly proxy: {
    readonly transport: 'stdio' | 'http';
    /** As written (paths still relative): the HTTP server resolves them (src/gateway/http-server/options.ts). */
    readonly http?: HttpServerConfig;
    readonly upstreams: ResolvedUpstream[];
    readonly timeouts: TimeoutsConfig;
  };
  readonly plugins: Record<PluginSection, ResolvedPluginScopes>;
  readonly logging: ResolvedLogging;
}

export interface LoadedConfig {
  readonly config: ResolvedConfig;
  /** Absolute path of the config file, when it came from one. */
  readonly configPath?: string;
  /** Folder relative paths resolve against: the config file's, or the one given for embedded config. */
  readonly configDir: string;
  /** Things worth a line on stderr that do not stop the start (unset variables, duplicate handlers). */
  readonly warnings: string[];
}

export interface LoadOptions {
  /** Plugin lookup; defaults to the built-in plugins. */
  readonly registry?: PluginRegistry;
  /** Variables for `${VAR}`/`$VAR`/`~` expansion; defaults to `process.env`. */
  readonly env?: Environment;
  /** Overrides the format chosen from the file extension. */
  readonly format?: ConfigFormat;
  /**
   * Where plugins may create files besides the config folder (folders, or single files); defaults
   * to `GATEKIT_WRITABLE_ROOTS` of `env`.
   */
  readonly writableRoots?: readonly string[];
}

export interface ParseOptions extends LoadOptions {
  /** Shown in messages; its folder is the config folder unless `configDir` is given. */
  readonly sourcePath?: string;
  /** Folder for relative paths; defaults to the folder of `sourcePath`, else the working directory. */
  readonly configDir?: string;
}

export interface ValidateOptions {
  readonly configDir: string;
  readonly registry?: PluginRegistry;
  readonly env?: Environment;
  /** See {@link LoadOptions.writableRoots}. */
  readonly writableRoots?: readonly string[];
}

/**
 * Reads and validates a config file: YAML for .yaml/.yml, JSON for .json/.jsonc, otherwise the
 * content decides. Throws `ConfigError` (also for a missing or unreadable file).
 */
export function loadConfigFile(filePath: string, options: LoadOptions = {}): LoadedConfig {
  const absolute = path.resolve(filePath);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    throw ConfigError.single({
      code: ErrorCode.ConfigInvalid,
      path: '',
      message: `Cannot read the configuration file: ${(error as Error).message}`,
      fixInstructions: `Check that ${absolute} exists and is readable, or pass another file with --config.`,
    }, absolute);
  }
  return parseConfigText(text, { ...options, sourcePath: absolute });
}

/** Validates config text. Errors carry the 1-based line of the offending field. */
export function parseConfigText(text: string, options: ParseOptions = {}): LoadedConfig {
  const sourcePath = options.sourcePath;
  return withConfigErrorsOnly(sourcePath, () => {
    let source: ParsedSource;
    try {
      source = parseConfigSource(text, { ...(sourcePath === undefined ? {} : { fileName: sourcePath }), ...(options.format === undefined ? {} : { format: options.format }) });
    } catch (error) {
      if (error instanceof ConfigError && sourcePath !== undefined) throw new ConfigError(error.issues as [ConfigIssue, ...ConfigIssue[]], sourcePath);
      throw error;
    }
    const configPath = sourcePath === undefined ? undefined : path.resolve(sourcePath);
    const configDir = options.configDir ?? (configPath === undefined ? process.cwd() : path.dirname(configPath));
    const env = options.env ?? process.env;
    return validate(source.value, {
      locate: source.locate,
      sourcePath,
      configPath,
      configDir,
      registry: options.registry ?? builtinPluginRegistry,
      env,
      writableRoots: writableRootsOf(configDir, options.writableRoots, env),
    });
  });
}

/**
 * Validates a config that is already a value (VS Code settings). Errors name paths only. The value
 * is not modified.
 */
export function validateConfigObject(value: unknown, options: ValidateOptions): LoadedConfig {
  const configDir = path.resolve(options.configDir);
  const env = options.env ?? process.env;
  return withConfigErrorsOnly(undefined, () =>
    validate(value, {
      locate: undefined,
      sourcePath: undefined,
      configPath: undefined,
      configDir,
      registry: options.registry ?? builtinPluginRegistry,
      env,
      writableRoots: writableRootsOf(configDir, options.writableRoots, env),
    }),
  );
}

/** The config folder first, then the extra roots given (or those of `GATEKIT_WRITABLE_ROOTS`). */
function writableRootsOf(configDir: string, extra: readonly string[] | undefined, env: Environment): string[] {
  return [configDir, ...(extra ?? writableRootsFromEnvironment(env)).filter((root) => path.isAbsolute(root))];
}

// Anything else escaping validation (a stack overflow on absurd nesting, a plugin schema that
// throws) still has to reach the client as a configuration error, not crash the gateway.
function withConfigErrorsOnly(sourcePath: string | undefined, run: () => LoadedConfig): LoadedConfig {
  try {
    return run();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw ConfigError.single({
      code: ErrorCode.ConfigInvalid,
      path: '',
      message: `The configuration could not be processed: ${error instanceof Error ? error.message : String(error)}`,
      fixInstructions: 'Simplify the configuration (this usually means extreme nesting or size).',
    }, sourcePath);
  }
}

// ------------------------------------------------------------------------------------ validation

interface ValidationContext {
  readonly locate: ParsedSource['locate'] | undefined;
  readonly sourcePath: string | undefined;
  readonly configPath: string | undefined;
  readonly configDir: string;
  readonly registry: PluginRegistry;
  readonly env: Environment;
  /** Where files may be created: the config folder, then the extra roots. */
  readonly writableRoots: readonly string[];
}

function validate(value: unknown, context: ValidationContext): LoadedConfig {
  if (value === undefined || value === null) {
    fail([{
      code: ErrorCode.ConfigInvalid,
      path: [],
      preferKey: false,
      message: 'The configuration is empty.',
      fixInstructions: "Start with 'proxy:' holding 'transport: stdio' and 'upstreams:' (a list of servers with 'name' and 'command').",
    }], context);
  }
  const lenient = applyCompatibilityLeniencies(value);
  const parsed = gatekitConfigSchema.safeParse(lenient.value, PARSE_PARAMS);
  const issues = [...lenient.issues];
  if (!parsed.success) {
    const schemaIssues = describeZodIssues(parsed.error.issues, { schema: gatekitConfigSchema, root: lenient.value, basePath: [] });
    const pluginsValid = !parsed.error.issues.some((issue) => issue.path[0] === 'plugins');
    fail([...issues, ...schemaIssues, ...(pluginsValid ? pluginIssuesDespite(lenient.value, context) : [])], context);
  }
  const warnings: string[] = [];
  const config = resolve(parsed.data, context, issues, warnings);
  if (issues.length > 0) fail(issues, context);
  return {
    config,
    ...(context.configPath === undefined ? {} : { configPath: context.configPath }),
    configDir: context.configDir,
    warnings,
  };
}

/**
 * The plugin sections' own problems while another part of the config (say, an upstream) failed the
 * schema, so that one run of the validator reports everything to fix, not one part at a time.
 */
function pluginIssuesDespite(root: unknown, context: ValidationContext): RawIssue[] {
  const plugins = pluginsSchema.safeParse(isRecord(root) ? (root['plugins'] ?? {}) : {}, PARSE_PARAMS);
  if (!plugins.success) return [];
  const proxy = isRecord(root) ? root['proxy'] : undefined;
  const upstreams = isRecord(proxy) && Array.isArray(proxy['upstreams']) ? (proxy['upstreams'] as unknown[]) : [];
  const upstreamNames = upstreams.flatMap((upstream) => (isRecord(upstream) && typeof upstream['name'] === 'string' ? [upstream['name']] : []));
  const issues: RawIssue[] = [];
  for (const section of PLUGIN_SECTIONS) resolvePluginSection(section, plugins.data[section] ?? {}, upstreamNames, context, issues, []);
  return issues;
}

function fail(issues: RawIssue[], context: ValidationContext): never {
  const located: ConfigIssue[] = issues.map((issue) => {
    const line = context.locate?.(issue.path, issue.preferKey);
    return {
      code: issue.code,
      path: formatPath(issue.path),
      ...(line === undefined ? {} : { line }),
      message: issue.message,
      fixInstructions: issue.fixInstructions,
      ...(issue.repair ? { repair: issue.repair } : {}),
    };
  });
  // Document order, so "the first error" is the first one in the file.
  const ordered = located
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map(({ issue }) => issue);
  if (ordered.length === 0) {
    ordered.push({ code: ErrorCode.ConfigInvalid, path: '', message: 'The configuration is invalid.', fixInstructions: 'Check the configuration against the reference.' });
  }
  throw new ConfigError(ordered as [ConfigIssue, ...ConfigIssue[]], context.sourcePath);
}


/**
 * What Gatekit accepted beyond the schema's canonical form, applied to a copy before validation:
 * `_`-prefixed keys other than `_global` in plugin sections are dropped (YAML anchor holders), empty
 * (null) optional sections count as absent, and the log level is case-insensitive. A key that is
 * one or two typos away from `_global` is an error rather than silently ignored: dropping it would
 * drop security plugins.
 */
function applyCompatibilityLeniencies(root: unknown): { value: unknown; issues: RawIssue[] } {
  const issues: RawIssue[] = [];
  if (!isRecord(root)) return { value: root, issues };
  const out: Record<string, unknown> = { ...root };

  if (isRecord(out['proxy']) && out['proxy']['timeouts'] === null) {
    const { timeouts: _ignored, ...proxy } = out['proxy'];
    out['proxy'] = proxy;
  }

  if (out['plugins'] === null) delete out['plugins'];
  else if (isRecord(out['plugins'])) {
    const plugins: Record<string, unknown> = { ...out['plugins'] };
    for (const section of PLUGIN_SECTIONS) {
      const scopes = plugins[section];
      if (scopes === null) {
        delete plugins[section];
        continue;
      }
      if (!isRecord(scopes)) continue;
      const kept: Record<string, unknown> = {};
      for (const [key, entries] of Object.entries(scopes)) {
        if (!key.startsWith('_') || key === GLOBAL_SCOPE) {
          Object.defineProperty(kept, key, { value: entries, enumerable: true, writable: true, configurable: true });
        } else if (key.toLowerCase() === GLOBAL_SCOPE || editDistance(key.toLowerCase(), GLOBAL_SCOPE) <= 2) {
          issues.push({
            code: ErrorCode.ConfigInvalid,
            path: ['plugins', section, key],
            preferKey: true,
            message: `Scope key '${key}' in plugins.${section} would be ignored (keys starting with '_' are skipped). Did you mean '${GLOBAL_SCOPE}'?`,
            fixInstructions: `Rename '${key}' to '${GLOBAL_SCOPE}' to apply these plugins to every server.`,
          });
        }
      }
      plugins[section] = kept;
    }
    out['plugins'] = plugins;
  }

  if (out['logging'] === null) delete out['logging'];
  else if (isRecord(out['logging'])) {
    const level = out['logging']['level'];
    if (typeof level === 'string') {
      const upper = level.toUpperCase();
      if (upper !== level && (LOG_LEVELS as readonly string[]).includes(upper)) out['logging'] = { ...out['logging'], level: upper };
    }
  }
  return { value: out, issues };
}

// ------------------------------------------------------------------------------------- resolution

function resolve(data: GatekitConfig, context: ValidationContext, issues: RawIssue[], warnings: string[]): ResolvedConfig {
  const upstreams = data.proxy.upstreams.map((upstream, index) => resolveUpstream(upstream, ['proxy', 'upstreams', index], context, issues, warnings));
  const upstreamNames = data.proxy.upstreams.map((upstream) => upstream.name);
  const plugins = {} as Record<PluginSection, ResolvedPluginScopes>;
  for (const section of PLUGIN_SECTIONS) {
    plugins[section] = resolvePluginSection(section, data.plugins?.[section] ?? {}, upstreamNames, context, issues, warnings);
  }
  const logging = data.logging ?? loggingSchema.parse({});
  const { file_path: filePath, ...loggingRest } = logging;
  const logFile = filePath === undefined ? undefined : resolveUserPath(filePath, context.configDir, context.env, unsetVariableIssue(issues, ['logging', 'file_path'], filePath));
  if (logFile !== undefined && logging.handlers.includes('file')) checkWrittenFile(logFile, filePath!, ['logging', 'file_path'], context, issues);
  return {
    proxy: {
      transport: data.proxy.transport,
      ...(data.proxy.http ? { http: data.proxy.http } : {}),
      upstreams,
      timeouts: data.proxy.timeouts ?? timeoutsSchema.parse({}),
    },
    plugins,
    logging: {
      ...loggingRest,
      handlers: [...loggingRest.handlers],
      ...(logFile === undefined ? {} : { file_path: logFile }),
    },
  };
}

function missingVariable(warnings: string[], at: PropertyKey[]): (name: string) => void {
  return (name) => warnings.push(`${formatPath(at)}: variable '${name}' is not set; it expands to an empty string.`);
}

/**
 * An unset variable in a path or a command is an error, not an empty string: `${DIR}/audit.jsonl`
 * would otherwise become `/audit.jsonl`, at the filesystem root.
 */
function unsetVariableIssue(issues: RawIssue[], at: PropertyKey[], asWritten: string): (name: string) => void {
  const reported = new Set<string>();
  return (name) => {
    if (reported.has(name)) return;
    reported.add(name);
    issues.push({
      code: ErrorCode.ConfigInvalid,
      path: at,
      preferKey: false,
      message: `Variable '${name}' in '${asWritten}' is not set, so it would expand to an empty string.`,
      fixInstructions: `Set ${name} in the environment that starts the gateway, give a default with \${${name}:-value}, or write the path relative to the config file's folder.`,
    });
  };
}

function resolveUpstream(upstream: UpstreamConfig, at: PropertyKey[], context: ValidationContext, issues: RawIssue[], warnings: string[]): ResolvedUpstream {
  if (upstream.transport === 'http' || upstream.transport === 'sse') return resolveRemoteUpstream(upstream, upstream.transport, at, context, issues, warnings);
  let command: string[];
  if (typeof upstream.command === 'string') {
    try {
      command = splitCommandLine(upstream.command);
    } catch (error) {
      command = [];
      issues.push({
        code: ErrorCode.ConfigInvalid,
        path: [...at, 'command'],
        preferKey: false,
        message: `Cannot split the command string: ${(error as Error).message}.`,
        fixInstructions: 'Close the quote, or write the command as a list: ["program", "arg 1", "arg2"].',
      });
    }
  } else {
    command = [...(upstream.command ?? [])];
  }
  // Only the braced form expands in a command (after splitting, so a value with spaces stays one
  // argument): `$1` or `$HOME` in `sh -c '…'` is the shell's business.
  command = command.map((arg, index) => expandVariables(arg, context.env, unsetVariableIssue(issues, typeof upstream.command === 'string' ? [...at, 'command'] : [...at, 'command', index], arg), true));

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream.env ?? {})) {
    const expanded = expandHome(expandVariables(value, context.env, missingVariable(warnings, [...at, 'env', name])), context.env);
    Object.defineProperty(env, name, { value: expanded, enumerable: true, writable: true, configurable: true });
  }

  const identity = upstream.server_identity?.trim();
  return {
    name: upstream.name,
    enabled: upstream.enabled,
    command,
    env,
    ...(upstream.cwd === undefined ? {} : { cwd: resolveUserPath(upstream.cwd, context.configDir, context.env, unsetVariableIssue(issues, [...at, 'cwd'], upstream.cwd)) }),
    restart_on_failure: upstream.restart_on_failure,
    max_restart_attempts: upstream.max_restart_attempts,
    ...(identity ? { server_identity: identity } : {}),
    ...(upstream.sandbox?.enabled
      ? { sandbox: { paths: upstream.sandbox.paths.map((p, i) => resolveUserPath(p, context.configDir, context.env, missingVariable(warnings, [...at, 'sandbox', 'paths', i]))), network: upstream.sandbox.network } }
      : {}),
  };
}

function resolveRemoteUpstream(upstream: UpstreamConfig, transport: 'http' | 'sse', at: PropertyKey[], context: ValidationContext, issues: RawIssue[], warnings: string[]): ResolvedUpstream {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream.headers ?? {})) {
    const expanded = expandVariables(value, context.env, missingVariable(warnings, [...at, 'headers', name]));
    // A variable's value is as hostile as the file: a line break in it would inject another header.
    if (/[\r\n\0]/.test(expanded)) {
      issues.push({ code: ErrorCode.ConfigInvalid, path: [...at, 'headers', name], preferKey: false, message: `Header '${name}' expands to a value with a line break or NUL.`, fixInstructions: 'Check the variables used in this header value.' });
    }
    Object.defineProperty(headers, name, { value: expanded, enumerable: true, writable: true, configurable: true });
  }
  const oauth = upstream.oauth?.client_secret === undefined ? upstream.oauth : { ...upstream.oauth, client_secret: expandVariables(upstream.oauth.client_secret, context.env, missingVariable(warnings, [...at, 'oauth', 'client_secret'])) };
  const url = expandVariables(upstream.url ?? '', context.env, missingVariable(warnings, [...at, 'url']));
  const urlProblem = url === upstream.url ? undefined : remoteUrlProblem(url, upstream.allow_insecure_http);
  if (urlProblem) issues.push({ code: ErrorCode.ConfigInvalid, path: [...at, 'url'], preferKey: false, message: `${urlProblem} (after expanding variables)`, fixInstructions: 'Check the url and the variables it uses.' });
  const identity = upstream.server_identity?.trim();
  return {
    name: upstream.name,
    enabled: upstream.enabled,
    remote: { transport, url, headers, tls_verify: upstream.tls_verify, ...(oauth ? { oauth } : {}) },
    command: [],
    env: {},
    restart_on_failure: upstream.restart_on_failure,
    max_restart_attempts: upstream.max_restart_attempts,
    ...(identity ? { server_identity: identity } : {}),
  };
}

function resolvePluginSection(
  section: PluginSection,
  scopes: Record<string, PluginEntry[]>,
  upstreamNames: readonly string[],
  context: ValidationContext,
  issues: RawIssue[],
  warnings: string[],
): ResolvedPluginScopes {
  const resolved: ResolvedPluginScopes = { [GLOBAL_SCOPE]: [] };
  for (const [scope, entries] of Object.entries(scopes)) {
    const scopePath = ['plugins', section, scope];
    if (scope !== GLOBAL_SCOPE && !upstreamNames.includes(scope)) {
      const suggestion = closestMatch(scope, [...upstreamNames, GLOBAL_SCOPE]);
      issues.push({
        code: ErrorCode.ConfigInvalid,
        path: scopePath,
        preferKey: true,
        message: `plugins.${section} names upstream '${scope}', which is not configured.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Configured upstreams: ${upstreamNames.join(', ')}.`,
        fixInstructions: suggestion ? `Rename '${scope}' to '${suggestion}'.` : `Use '${GLOBAL_SCOPE}' for every server or one of: ${upstreamNames.join(', ')}.`,
      });
    }
    const list: ResolvedPluginEntry[] = [];
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.handler)) warnings.push(`${formatPath([...scopePath, index])}: handler '${entry.handler}' appears more than once in plugins.${section}.${scope}.`);
      seen.add(entry.handler);
      const resolvedEntry = resolvePluginEntry(section, scope, entry, [...scopePath, index], upstreamNames, context, issues);
      if (resolvedEntry) list.push(resolvedEntry);
    });
    Object.defineProperty(resolved, scope, { value: list, enumerable: true, writable: true, configurable: true });
  }
  return resolved;
}

function resolvePluginEntry(
  section: PluginSection,
  scope: string,
  entry: PluginEntry,
  at: PropertyKey[],
  upstreamNames: readonly string[],
  context: ValidationContext,
  issues: RawIssue[],
): ResolvedPluginEntry | undefined {
  const { registry } = context;
  const handlerPath = [...at, 'handler'];
  const definition = registry.find(entry.handler);
  if (definition === undefined) {
    const sameKind = registry.handlers().filter((handler) => registry.find(handler)?.kind === section);
    const suggestion = closestMatch(entry.handler, sameKind);
    const valid = sameKind.length > 0 ? sameKind.join(', ') : '(none available)';
    issues.push({
      code: ErrorCode.UnknownPlugin,
      path: handlerPath,
      preferKey: false,
      message: `Unknown ${section} plugin '${entry.handler}'.${didYouMean(entry.handler, sameKind)} Valid ${section} handlers: ${valid}.`,
      fixInstructions: suggestion ? `Change the handler to '${suggestion}'.` : `Use one of the ${section} handlers: ${valid}.`,
      ...(sameKind.length > 0 ? { repair: { kind: 'replaceValue', values: closestFirst(entry.handler, sameKind) } as const } : {}),
    });
    return undefined;
  }
  if (definition.kind !== section) {
    issues.push({
      code: ErrorCode.ConfigInvalid,
      path: handlerPath,
      preferKey: false,
      message: `'${entry.handler}' is a ${definition.kind} plugin, so it cannot be listed under plugins.${section}.`,
      fixInstructions: `Move this entry to plugins.${definition.kind}.${scope}.`,
    });
    return undefined;
  }
  if (scope === GLOBAL_SCOPE && definition.serverOnly === true) {
    issues.push({
      code: ErrorCode.ConfigInvalid,
      path: handlerPath,
      preferKey: false,
      message: `'${entry.handler}' can only be configured per server, not under ${GLOBAL_SCOPE}.`,
      fixInstructions: `Move this entry under plugins.${section}.<server name> (configured servers: ${upstreamNames.join(', ')}).`,
    });
    return undefined;
  }

  const { enabled = true, priority = definition.defaultPriority ?? 50, critical = definition.defaultCritical ?? true, ...pluginOptions } = entry.config ?? {};
  const parsed = definition.configSchema.safeParse(pluginOptions, PARSE_PARAMS);
  if (!parsed.success) {
    const optionKeys = knownPluginOptions(definition);
    issues.push(
      ...describeZodIssues(parsed.error.issues, {
        schema: definition.configSchema,
        root: pluginOptions,
        basePath: [...at, 'config'],
        plugin: { handler: entry.handler, validOptions: optionKeys, extraKeys: [...COMMON_PLUGIN_OPTIONS] },
      }),
    );
    return undefined;
  }
  for (const option of definition.writtenFileOptions ?? []) {
    const written = (parsed.data as Record<string, unknown> | undefined)?.[option];
    if (typeof written !== 'string') continue;
    const before = issues.length;
    const file = resolveUserPath(written, context.configDir, context.env, unsetVariableIssue(issues, [...at, 'config', option], written));
    // An unset variable is the problem to report; where the half-expanded path points is noise.
    if (issues.length === before) checkWrittenFile(file, written, [...at, 'config', option], context, issues);
  }
  return { handler: entry.handler, kind: definition.kind, enabled, priority, critical, options: parsed.data };
}

/** An issue when the configuration would make Gatekit create or append to a file it must not touch. */
function checkWrittenFile(file: string, asWritten: string, at: PropertyKey[], context: ValidationContext, issues: RawIssue[]): void {
  const problem = writablePathProblem(file, context.writableRoots);
  if (problem === undefined) return;
  issues.push({
    code: ErrorCode.ConfigInvalid,
    path: at,
    preferKey: false,
    message: `'${asWritten}' cannot be written: ${problem}.`,
    fixInstructions: `Choose a file under the config file's folder (${context.configDir}), for example 'logs/${path.basename(file)}'. In VS Code, a path in your user settings, the workspace's .gatekit folder or the extension's storage also works; a standalone gateway may allow more folders with ${ControlEnv.writableRoots}.`,
  });
}

function knownPluginOptions(definition: PluginDescriptor): string[] {
  const common: readonly string[] = COMMON_PLUGIN_OPTIONS;
  return [...common, ...knownKeysAt(definition.configSchema, []).filter((key) => !common.includes(key))];
}
