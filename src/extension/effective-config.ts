// Builds the one configuration the gateways run with: `gatekit.configFile` with `gatekit.upstreams`
// and `gatekit.plugins` merged onto it, VS Code variables resolved, validated by the same loader as
// the gateway, and every problem traced back to the setting or file line it came from. Plain Node.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, formatPath } from '../config/errors';
import { describeZodIssues, PARSE_PARAMS } from '../config/issues';
import { builtinPluginRegistry, validateConfigObject, type PluginRegistry } from '../config/loader';
import { resolveUserPath } from '../config/paths';
import { isWithin } from '../config/write-paths';
import { PLUGIN_SECTIONS } from '../config/schema';
import { auditLogFileOf } from '../plugins/descriptors';
import { parseConfigSource, type ParsedSource } from '../config/source';
import { SETTINGS, type SettingsUpstream } from './settings-schema';
import { isRecord } from '../shared/jsonrpc';
import type { ConfigProblem, ConfigRepair } from '../shared/vocabulary';

/** A workspace folder as the variables see it. */
export interface WorkspaceFolderInfo {
  name: string;
  path: string;
}

/** Where `${...}` values in settings come from. */
export interface VariableSources {
  workspaceFolders: readonly WorkspaceFolderInfo[];
  userHome: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Values of `${input:ID}`, from VS Code's secret storage. */
  inputs: ReadonlyMap<string, string>;
}

/** The raw values of the settings (already filtered for workspace trust). */
export interface SettingsValues {
  upstreams: unknown;
  plugins: unknown;
  configFile: unknown;
  /**
   * `gatekit.plugins` as the user's own settings hold it: files its plugins write are allowed
   * wherever they are (the user chose them), unlike those of a workspace or config file.
   */
  userPlugins?: unknown;
}

/**
 * One thing wrong with the configuration, located in a setting or in the config file. `path` is
 * `gatekit.upstreams[0].name` for settings, `proxy.upstreams[1].command` for the file.
 */
export interface LocatedConfigProblem extends ConfigProblem {
  readonly origin: 'setting' | 'file';
  /** For file problems: the file (and `line`, when known). */
  readonly file?: string;
}

/** `ready`: run it; `empty`: nothing configured yet; `invalid`: see `problems`. */
export type ConfigState = 'ready' | 'empty' | 'invalid';

export interface EffectiveConfig {
  state: ConfigState;
  /** The merged Gatekit configuration (as written, VS Code variables resolved). */
  config?: Record<string, unknown>;
  /** Where the configuration notionally lives: relative paths and the pin lockfile go beside it. */
  configBase: string;
  /** The resolved `gatekit.configFile`, if set. */
  configFile?: string;
  /** Hash of config and base: the MCP server definition's version. */
  version: string;
  problems: LocatedConfigProblem[];
  /** `${input:ID}` references without a stored value. */
  missingInputs: string[];
  /** Names of the configured (enabled or not) upstream servers. */
  serverNames: string[];
  /** Absolute paths of the audit files the auditing plugins write. */
  auditLogs: string[];
  /**
   * Where plugins may create files besides the config folder: the extension's storage, the
   * workspace folders' `.gatekit`, the files named in user settings. Gateways get them with the config.
   */
  writableRoots: string[];
  /** Working folder of the gateways (and of servers without a `cwd`): the workspace only once trusted. */
  workingFolder: string;
}

export interface BuildOptions {
  /** Base when no config file is set (a file name in the extension's global storage). */
  defaultConfigBase: string;
  /** Folders plugins may write to besides the config folder (see {@link workspaceWriteRoots}). */
  writableRoots?: readonly string[];
  /** See {@link EffectiveConfig.workingFolder}; the folder of `defaultConfigBase` when absent. */
  workingFolder?: string;
  /** Folders of an untrusted workspace: a config file in them is not read. */
  untrustedFolders?: readonly string[];
  readFile?: (file: string) => string;
  /** Plugin lookup for validation (the built-in plugins by default). */
  registry?: PluginRegistry;
}

type Origin = { kind: 'file'; index: number } | { kind: 'setting'; index: number };


const VARIABLE = /\$\{([^}]*)\}/g;

/**
 * Resolves VS Code's `${...}` variables in one settings value. Names without a colon other than
 * VS Code's own are Gatekit `${VAR}` references, left for the gateway to expand. When
 * `escapeForGateway`, substituted text has its `$` doubled, because the gateway expands `$VAR`
 * in that field (env values, cwd) and a secret must arrive unchanged.
 */
export function resolveVariables(
  text: string,
  sources: VariableSources,
  report: { missingInput(id: string): void; problem(message: string): void },
  escapeForGateway: boolean,
): string {
  if (!text.includes('${')) return text;
  const escape = (value: string): string => (escapeForGateway ? value.replaceAll('$', '$$$$') : value);
  return text.replace(VARIABLE, (whole, body: string) => {
    const colon = body.indexOf(':');
    const name = colon < 0 ? body : body.slice(0, colon);
    const argument = colon < 0 ? '' : body.slice(colon + 1);
    switch (name) {
      case 'workspaceFolder': {
        const folder = argument === '' ? sources.workspaceFolders[0] : sources.workspaceFolders.find((f) => f.name === argument);
        if (folder === undefined) {
          report.problem(argument === '' ? `${whole} needs an open workspace folder` : `${whole}: no workspace folder is named '${argument}'`);
          return whole;
        }
        return escape(folder.path);
      }
      case 'workspaceFolderBasename': {
        const folder = sources.workspaceFolders[0];
        if (folder === undefined) {
          report.problem(`${whole} needs an open workspace folder`);
          return whole;
        }
        return escape(path.basename(folder.path));
      }
      case 'userHome':
        return escape(sources.userHome);
      case 'pathSeparator':
      case '/':
        return path.sep;
      case 'env':
        return escape(sources.env[argument] ?? '');
      case 'input': {
        const value = sources.inputs.get(argument);
        if (value === undefined) {
          report.missingInput(argument);
          return '';
        }
        return escape(value);
      }
      default:
        if (colon >= 0) report.problem(`${whole} is not supported here (use \${workspaceFolder}, \${userHome}, \${env:NAME} or \${input:ID})`);
        return whole;
    }
  });
}

/** `${input:ID}` ids used anywhere in the upstream settings. */
export function inputIdsOf(upstreams: unknown): string[] {
  const ids = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/\$\{input:([^}]+)\}/g)) ids.add(match[1]!);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) Object.values(value).forEach(visit);
  };
  visit(upstreams);
  return [...ids];
}

/** Expands variables and `~` in `gatekit.configFile`, relative to the first workspace folder. */
export function resolveConfigFilePath(configFile: string, sources: VariableSources): string | undefined {
  const problems: string[] = [];
  const expanded = resolveVariables(configFile.trim(), sources, { missingInput: () => undefined, problem: (m) => problems.push(m) }, false);
  if (problems.length > 0) return undefined;
  const home = expanded === '~' || expanded.startsWith('~/') || expanded.startsWith('~\\') ? path.join(sources.userHome, expanded.slice(1)) : expanded;
  if (path.isAbsolute(home)) return path.normalize(home);
  const base = sources.workspaceFolders[0]?.path;
  return base === undefined ? undefined : path.resolve(base, home);
}

/** `proxy.upstreams[0]["a b"].x` → `['proxy', 'upstreams', 0, 'a b', 'x']` (inverse of formatPath). */
export function parseFormattedPath(formatted: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const token = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let match: RegExpExecArray | null;
  while (token.lastIndex < formatted.length && (match = token.exec(formatted)) !== null) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3]!) as string);
  }
  return segments;
}

function settingPath(key: string, rest: readonly PropertyKey[]): string {
  const tail = formatPath(rest);
  return tail === '' ? key : tail.startsWith('[') ? `${key}${tail}` : `${key}.${tail}`;
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** Turns one `gatekit.upstreams` entry into a Gatekit upstream, variables resolved. */
function toGatekitUpstream(
  upstream: SettingsUpstream,
  sources: VariableSources,
  report: (field: PropertyKey[]) => { missingInput(id: string): void; problem(message: string): void },
): Record<string, unknown> {
  if (upstream.url !== undefined) return toRemoteGatekitUpstream(upstream, upstream.url, sources, report);
  const command = [resolveVariables(upstream.command ?? '', sources, report(['command']), false)];
  (upstream.args ?? []).forEach((arg, index) => command.push(resolveVariables(arg, sources, report(['args', index]), false)));
  const out: Record<string, unknown> = { name: upstream.name, command };
  if (upstream.env !== undefined) {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(upstream.env)) {
      Object.defineProperty(env, name, { value: resolveVariables(value, sources, report(['env', name]), true), enumerable: true, writable: true, configurable: true });
    }
    out.env = env;
  }
  if (upstream.cwd !== undefined) {
    const cwd = resolveVariables(upstream.cwd, sources, report(['cwd']), true);
    // mcp.json resolves a relative cwd against the workspace, not against a config file.
    const base = sources.workspaceFolders[0]?.path;
    out.cwd = path.isAbsolute(cwd) || base === undefined || cwd.startsWith('~') || cwd.startsWith('$') ? cwd : path.resolve(base, cwd);
  }
  if (upstream.enabled !== undefined) out.enabled = upstream.enabled;
  if (upstream.restart_on_failure !== undefined) out.restart_on_failure = upstream.restart_on_failure;
  if (upstream.max_restart_attempts !== undefined) out.max_restart_attempts = upstream.max_restart_attempts;
  if (upstream.sandbox !== undefined) {
    // Relative sandbox paths are relative to the workspace, like cwd (mcp.json's allowWrite is too).
    const base = sources.workspaceFolders[0]?.path;
    const paths = upstream.sandbox.paths.map((p, index) => {
      const resolved = resolveVariables(p, sources, report(['sandbox', 'paths', index]), true);
      return path.isAbsolute(resolved) || base === undefined || resolved.startsWith('~') || resolved.startsWith('$') ? resolved : path.resolve(base, resolved);
    });
    out.sandbox = { ...upstream.sandbox, paths };
  }
  return out;
}

/** A remote `gatekit.upstreams` entry as a Gatekit upstream; header values escaped (the gateway expands `${VAR}` in them). */
function toRemoteGatekitUpstream(
  upstream: SettingsUpstream,
  url: string,
  sources: VariableSources,
  report: (field: PropertyKey[]) => { missingInput(id: string): void; problem(message: string): void },
): Record<string, unknown> {
  const out: Record<string, unknown> = { name: upstream.name, transport: upstream.type === 'sse' ? 'sse' : 'http', url: resolveVariables(url, sources, report(['url']), false) };
  if (upstream.headers !== undefined) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(upstream.headers)) {
      Object.defineProperty(headers, name, { value: resolveVariables(value, sources, report(['headers', name]), true), enumerable: true, writable: true, configurable: true });
    }
    out.headers = headers;
  }
  for (const key of ['tls_verify', 'allow_insecure_http', 'oauth', 'enabled', 'restart_on_failure', 'max_restart_attempts'] as const) {
    if (upstream[key] !== undefined) out[key] = upstream[key];
  }
  return out;
}

/**
 * Merges, resolves and validates. Never throws: everything wrong ends up in `problems`, each
 * pointing at the setting (`gatekit.upstreams[2].command`) or the file line it came from.
 */
export function buildEffectiveConfig(values: SettingsValues, sources: VariableSources, options: BuildOptions): EffectiveConfig {
  const problems: LocatedConfigProblem[] = [];
  const missingInputs = new Set<string>();
  const readFile = options.readFile ?? ((file: string) => readFileSync(file, 'utf8'));

  // 1. The settings on their own, so their problems carry their own paths.
  const settingProblem = (key: string) => (issue: { path: PropertyKey[]; message: string; fixInstructions?: string; repair?: ConfigRepair }) =>
    problems.push({
      origin: 'setting',
      path: settingPath(key, issue.path),
      message: issue.message,
      ...(issue.fixInstructions ? { fixInstructions: issue.fixInstructions } : {}),
      ...(issue.repair ? { repair: issue.repair } : {}),
    });
  const parseSetting = <T>(key: keyof typeof SETTINGS, value: unknown, fallback: T): T => {
    const schema = SETTINGS[key].schema;
    const parsed = schema.safeParse(value ?? fallback, PARSE_PARAMS);
    if (parsed.success) return parsed.data as T;
    describeZodIssues(parsed.error.issues, { schema, root: value, basePath: [] }).forEach(settingProblem(key));
    return fallback;
  };
  const settingUpstreams = parseSetting<SettingsUpstream[]>('gatekit.upstreams', values.upstreams, []);
  const settingPlugins = parseSetting<Record<string, Record<string, unknown[]> | undefined>>('gatekit.plugins', values.plugins, {});
  const configFileSetting = typeof values.configFile === 'string' ? values.configFile : '';

  // 2. The config file, parsed but not yet validated (the settings may complete it).
  let configFile: string | undefined;
  let source: ParsedSource | undefined;
  if (configFileSetting.trim() !== '') {
    configFile = resolveConfigFilePath(configFileSetting, sources);
    if (configFile === undefined) {
      problems.push({ origin: 'setting', path: 'gatekit.configFile', message: `Cannot resolve '${configFileSetting}': open a workspace folder or use an absolute path.` });
    } else if (options.untrustedFolders?.some((folder) => isInside(configFile!, folder))) {
      // Even a user setting ('gatekit.yaml', relative to the workspace) must not run a repository's servers before trust.
      problems.push({
        origin: 'setting',
        path: 'gatekit.configFile',
        message: `${configFile} lies in a workspace that is not trusted, so it is not read.`,
        fixInstructions: 'Trust the workspace (Manage Workspace Trust) to use its configuration file.',
      });
    } else {
      try {
        // The gateway's own reading of a config file, so a file loads here exactly when it loads there.
        source = parseConfigSource(readFile(configFile), { fileName: configFile });
      } catch (error) {
        if (error instanceof ConfigError) {
          for (const issue of error.issues) problems.push({ origin: 'file', path: issue.path, message: issue.message, fixInstructions: issue.fixInstructions, file: configFile, ...(issue.line ? { line: issue.line } : {}), ...(issue.repair ? { repair: issue.repair } : {}) });
        } else {
          problems.push({ origin: 'setting', path: 'gatekit.configFile', message: `Cannot read ${configFile}: ${(error as Error).message}` });
        }
      }
      if (source !== undefined && source.value !== undefined && !isRecord(source.value)) {
        problems.push({ origin: 'file', path: '', message: 'The configuration file must hold a mapping (proxy:, plugins:, ...).', file: configFile, line: 1 });
        source = undefined;
      }
    }
  }
  const configBase = configFile ?? options.defaultConfigBase;
  const configDir = path.dirname(configBase);
  const writableRoots = [...(options.writableRoots ?? []), ...filesWrittenBy(values.userPlugins, configDir, sources.env, options.registry ?? builtinPluginRegistry)];
  const workingFolder = options.workingFolder ?? path.dirname(options.defaultConfigBase);
  const empty = (): EffectiveConfig => ({
    state: problems.length > 0 ? 'invalid' : 'empty',
    configBase,
    ...(configFile === undefined ? {} : { configFile }),
    version: hash({ problems }),
    problems,
    missingInputs: [...missingInputs],
    serverNames: [],
    auditLogs: [],
    writableRoots,
    workingFolder,
  });
  if (problems.length > 0) return empty();

  // 3. Merge: upstreams by name (a setting replaces the file's entry), plugin lists by section and scope.
  const fileValue = (source?.value ?? {}) as Record<string, unknown>;
  const fileProxy = isRecord(fileValue.proxy) ? fileValue.proxy : {};
  const fileUpstreams = Array.isArray(fileProxy.upstreams) ? fileProxy.upstreams : [];
  const settingNames = new Set(settingUpstreams.map((u) => u.name));
  const upstreams: unknown[] = [];
  const origins: Origin[] = [];
  fileUpstreams.forEach((upstream, index) => {
    if (isRecord(upstream) && typeof upstream.name === 'string' && settingNames.has(upstream.name)) return;
    upstreams.push(upstream);
    origins.push({ kind: 'file', index });
  });
  settingUpstreams.forEach((upstream, index) => {
    const reporter = (field: PropertyKey[]) => ({
      missingInput: (id: string) => missingInputs.add(id),
      problem: (message: string) => problems.push({ origin: 'setting', path: settingPath('gatekit.upstreams', [index, ...field]), message }),
    });
    upstreams.push(toGatekitUpstream(upstream, sources, reporter));
    origins.push({ kind: 'setting', index });
  });
  if (upstreams.length === 0 && source === undefined) return empty();

  const pluginOrigins = new Map<string, 'file' | 'setting'>();
  const filePlugins = isRecord(fileValue.plugins) ? fileValue.plugins : undefined;
  let plugins: Record<string, unknown> | undefined = filePlugins === undefined ? undefined : { ...filePlugins };
  for (const section of PLUGIN_SECTIONS) {
    const fromFile = filePlugins?.[section];
    if (isRecord(fromFile)) for (const scope of Object.keys(fromFile)) pluginOrigins.set(`${section}\0${scope}`, 'file');
    const fromSettings = settingPlugins[section];
    if (fromSettings === undefined) continue;
    const merged: Record<string, unknown> = isRecord(fromFile) ? { ...fromFile } : {};
    for (const [scope, list] of Object.entries(fromSettings)) {
      Object.defineProperty(merged, scope, { value: list, enumerable: true, writable: true, configurable: true });
      pluginOrigins.set(`${section}\0${scope}`, 'setting');
    }
    plugins = { ...(plugins ?? {}), [section]: merged };
  }
  const config: Record<string, unknown> = { ...fileValue, proxy: { transport: 'stdio', ...fileProxy, upstreams } };
  if (plugins !== undefined) config.plugins = plugins;

  // 4. Validate exactly as the gateway will, and point each problem at its origin.
  let auditLogs: string[] = [];
  let serverNames: string[] = upstreams.map((u) => (isRecord(u) && typeof u.name === 'string' ? u.name : '')).filter((n) => n !== '');
  try {
    const loaded = validateConfigObject(config, { configDir, env: sources.env, writableRoots, ...(options.registry ? { registry: options.registry } : {}) });
    serverNames = loaded.config.proxy.upstreams.map((u) => u.name);
    const files = new Set<string>();
    for (const scopes of Object.values(loaded.config.plugins.auditing)) {
      for (const entry of scopes) {
        const output = auditLogFileOf(entry);
        if (entry.enabled && output !== undefined) files.add(resolveUserPath(output, configDir, sources.env));
      }
    }
    auditLogs = [...files];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) problems.push(locateIssue(issue, origins, pluginOrigins, source, configFile));
  }
  if (missingInputs.size > 0) {
    problems.push({
      origin: 'setting',
      path: 'gatekit.upstreams',
      message: `No value stored for ${[...missingInputs].map((id) => `\${input:${id}}`).join(', ')}.`,
      fixInstructions: 'Run "Gatekit: Import Servers from mcp.json" again, or answer the prompt, to store the value in VS Code\'s secret storage.',
    });
  }
  return {
    state: problems.length > 0 ? 'invalid' : 'ready',
    config,
    configBase,
    ...(configFile === undefined ? {} : { configFile }),
    version: hash({ config, configBase, writableRoots, workingFolder }),
    problems,
    missingInputs: [...missingInputs],
    serverNames,
    auditLogs,
    writableRoots,
    workingFolder,
  };
}

/**
 * Absolute paths of the files the plugins of a `gatekit.plugins` value write (`output_file`,
 * `lockfile`: each plugin's `writtenFileOptions`), resolved as the gateway resolves them.
 * Anything malformed is skipped: validation reports it.
 */
export function filesWrittenBy(plugins: unknown, configDir: string, env: VariableSources['env'], registry: PluginRegistry): string[] {
  const files: string[] = [];
  if (!isRecord(plugins)) return files;
  for (const section of PLUGIN_SECTIONS) {
    const scopes = Object.hasOwn(plugins, section) ? plugins[section] : undefined;
    if (!isRecord(scopes)) continue;
    for (const entries of Object.values(scopes)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!isRecord(entry) || typeof entry.handler !== 'string' || !isRecord(entry.config)) continue;
        const options = entry.config;
        for (const option of registry.find(entry.handler)?.writtenFileOptions ?? []) {
          const value = Object.hasOwn(options, option) ? options[option] : undefined;
          if (typeof value === 'string' && value !== '') files.push(resolveUserPath(value, configDir, env));
        }
      }
    }
  }
  return files;
}

/** True when `file` is `folder` or lies below it, as written or after resolving links. */
function isInside(file: string, folder: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync.native(p);
    } catch {
      return path.resolve(p);
    }
  };
  return isWithin(path.resolve(file), path.resolve(folder)) || isWithin(real(file), real(folder));
}

/**
 * The `.gatekit` folder of each workspace folder, where a workspace's plugins may write. A
 * `.gatekit` that is a link is left out: the repository could make it lead anywhere.
 */
export function workspaceWriteRoots(folders: readonly WorkspaceFolderInfo[]): string[] {
  return folders
    .map((folder) => path.join(folder.path, '.gatekit'))
    .filter((root) => {
      const stats = lstatSync(root, { throwIfNoEntry: false });
      return stats === undefined || stats.isDirectory();
    });
}

function locateIssue(
  issue: { path: string; message: string; fixInstructions: string; repair?: ConfigRepair },
  origins: readonly Origin[],
  pluginOrigins: ReadonlyMap<string, 'file' | 'setting'>,
  source: ParsedSource | undefined,
  configFile: string | undefined,
): LocatedConfigProblem {
  const segments = parseFormattedPath(issue.path);
  const repair = issue.repair ? { repair: issue.repair } : {};
  const fromSetting = (key: string, rest: PropertyKey[]): LocatedConfigProblem => ({ origin: 'setting', path: settingPath(key, rest), message: issue.message, fixInstructions: issue.fixInstructions, ...repair });
  const fromFile = (filePath: PropertyKey[]): LocatedConfigProblem => {
    const line = source?.locate(filePath, false);
    return {
      origin: 'file',
      path: formatPath(filePath),
      message: issue.message,
      fixInstructions: issue.fixInstructions,
      ...repair,
      ...(configFile === undefined ? {} : { file: configFile }),
      ...(line === undefined ? {} : { line }),
    };
  };
  if (segments[0] === 'proxy' && segments[1] === 'upstreams' && typeof segments[2] === 'number') {
    const origin = origins[segments[2]];
    const rest = segments.slice(3);
    if (origin?.kind === 'setting') {
      // `command` in settings is split into `command` + `args`.
      if (rest[0] === 'command' && typeof rest[1] === 'number') {
        return fromSetting('gatekit.upstreams', rest[1] === 0 ? [origin.index, 'command'] : [origin.index, 'args', rest[1] - 1, ...rest.slice(2)]);
      }
      return fromSetting('gatekit.upstreams', [origin.index, ...rest]);
    }
    if (origin?.kind === 'file') return fromFile(['proxy', 'upstreams', origin.index, ...rest]);
  }
  if (segments[0] === 'plugins' && typeof segments[1] === 'string' && typeof segments[2] === 'string') {
    if (pluginOrigins.get(`${segments[1]}\0${segments[2]}`) === 'setting') return fromSetting('gatekit.plugins', segments.slice(1));
  }
  if (source === undefined) {
    // Settings only: a whole-config problem (no upstreams) is about gatekit.upstreams.
    return fromSetting(segments[0] === 'plugins' ? 'gatekit.plugins' : 'gatekit.upstreams', segments[0] === 'plugins' ? segments.slice(1) : []);
  }
  return fromFile(segments);
}

/** Variable sources from the real environment (the extension passes workspace folders and inputs). */
export function defaultVariableSources(workspaceFolders: readonly WorkspaceFolderInfo[], inputs: ReadonlyMap<string, string>): VariableSources {
  return { workspaceFolders, userHome: os.homedir(), env: process.env, inputs };
}
