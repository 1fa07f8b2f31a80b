// Where MCP clients keep their server lists, per platform, and reading their stdio servers out of
// them. Every file is hostile input: links are not followed, size is bounded, and only entries of
// the expected shape (string command, string arguments and environment) are taken.
import { lstatSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseCodexServers } from './codex-toml';

export type ClientId = 'claude-desktop' | 'claude-code' | 'cursor' | 'windsurf' | 'codex';
export type ClientFormat = 'json' | 'toml';

export interface ClientLocation {
  readonly id: ClientId;
  readonly label: string;
  readonly file: string;
  readonly format: ClientFormat;
}

/** A stdio server as a client declares it. */
export interface ClientServer {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface ClientScan {
  readonly location: ClientLocation;
  /** The file's text, when it was read (needed to rewrite it). */
  readonly text?: string;
  readonly servers: ClientServer[];
  /** Entries left alone, each with the reason (remote servers, odd shapes, the gateway itself). */
  readonly skipped: string[];
  /** Why the file itself was not read, when it exists but cannot be used. */
  readonly unusable?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Bigger than any real client config (Claude Code's ~/.claude.json holds history, hence generous). */
export const MAX_CLIENT_FILE_BYTES = 20 * 1024 * 1024;

/** The name the gateway's entry gets in each client's list. */
export const GATEWAY_ENTRY = 'gatekit';

function homeOf(env: Env, platform: NodeJS.Platform): string {
  const home = platform === 'win32' ? (env['USERPROFILE'] ?? env['HOME']) : (env['HOME'] ?? env['USERPROFILE']);
  if (!home) throw new Error('Cannot tell the home folder: set HOME (or USERPROFILE on Windows)');
  return home;
}

/** Every client's config file on this platform, whether it exists or not. */
export function clientLocations(env: Env, platform: NodeJS.Platform): ClientLocation[] {
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const join = (...parts: string[]): string => paths.join(...parts);
  const home = homeOf(env, platform);
  const claudeDesktopDir =
    platform === 'darwin'
      ? join(home, 'Library', 'Application Support', 'Claude')
      : platform === 'win32'
        ? join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Claude')
        : join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'Claude');
  return [
    { id: 'claude-desktop', label: 'Claude Desktop', file: join(claudeDesktopDir, 'claude_desktop_config.json'), format: 'json' },
    { id: 'claude-code', label: 'Claude Code', file: join(home, '.claude.json'), format: 'json' },
    { id: 'cursor', label: 'Cursor', file: join(home, '.cursor', 'mcp.json'), format: 'json' },
    { id: 'windsurf', label: 'Windsurf', file: join(home, '.codeium', 'windsurf', 'mcp_config.json'), format: 'json' },
    { id: 'codex', label: 'Codex', file: join(env['CODEX_HOME'] || join(home, '.codex'), 'config.toml'), format: 'toml' },
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One client entry as a stdio server, or why it is left alone. Shared by the JSON and TOML readers. */
export function serverFromEntry(name: string, entry: unknown): ClientServer | string {
  if (!isRecord(entry)) return `${JSON.stringify(name)}: not an object`;
  if (typeof entry['url'] === 'string' || typeof entry['serverUrl'] === 'string') return `${JSON.stringify(name)}: a remote (URL) server; add it to gatekit.yaml by hand`;
  const command = entry['command'];
  if (typeof command !== 'string' || command === '') return `${JSON.stringify(name)}: command is not a string`;
  const args = entry['args'] ?? [];
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) return `${JSON.stringify(name)}: args is not a list of strings`;
  const env = entry['env'] ?? {};
  if (!isRecord(env) || !Object.values(env).every((value) => typeof value === 'string')) return `${JSON.stringify(name)}: env is not a map of strings`;
  if (isGatewayCommand(command, args as string[])) return `${JSON.stringify(name)}: already runs the Gatekit gateway`;
  const ownEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) Object.defineProperty(ownEnv, key, { value, enumerable: true, writable: true, configurable: true });
  return { name, command, args: [...(args as string[])], env: ownEnv };
}

/** Whether a command already starts this gateway (a second setup run must not wrap it again). */
export function isGatewayCommand(command: string, args: readonly string[]): boolean {
  return [command, ...args].some((part) => /(^|[/\\@])gatekit-gateway(@[^/\\]*)?$|[/\\]dist[/\\]gateway\.js$/.test(part));
}

/** Reads one client's file (if there), without following a link or reading a huge file. */
export function scanClient(location: ClientLocation): ClientScan | undefined {
  let stat;
  try {
    stat = lstatSync(location.file);
  } catch {
    return undefined;
  }
  if (stat.isSymbolicLink()) return { location, servers: [], skipped: [], unusable: 'it is a symbolic link; set it up by hand, Gatekit does not rewrite files through links' };
  if (!stat.isFile()) return { location, servers: [], skipped: [], unusable: 'it is not a regular file' };
  if (stat.size > MAX_CLIENT_FILE_BYTES) return { location, servers: [], skipped: [], unusable: `it is larger than ${MAX_CLIENT_FILE_BYTES / (1024 * 1024)} MB` };
  let text: string;
  try {
    text = readFileSync(location.file, 'utf8');
  } catch (err) {
    return { location, servers: [], skipped: [], unusable: (err as Error).message };
  }
  const servers: ClientServer[] = [];
  const skipped: string[] = [];
  let entries: [string, unknown][];
  try {
    entries = location.format === 'toml' ? parseCodexServers(text) : jsonServerEntries(text);
  } catch (err) {
    return { location, servers: [], skipped: [], unusable: `cannot be read: ${(err as Error).message}` };
  }
  for (const [name, entry] of entries) {
    const server = serverFromEntry(name, entry);
    if (typeof server === 'string') skipped.push(server);
    else servers.push(server);
  }
  return { location, text, servers, skipped };
}

function jsonServerEntries(text: string): [string, unknown][] {
  const value: unknown = text.trim() === '' ? {} : JSON.parse(text);
  if (!isRecord(value)) throw new Error('the file is not a JSON object');
  const servers = value['mcpServers'];
  if (servers === undefined) return [];
  if (!isRecord(servers)) throw new Error('mcpServers is not an object');
  return Object.entries(servers);
}
