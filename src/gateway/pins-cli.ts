// `gatekit-gateway pins list|approve`: shows what the tool-pinning lockfile holds and accepts changed
// tool definitions, offline from the lockfile's pending entries or (--live) from the running servers.
import {
  approvePending,
  defaultLockfilePath,
  hashDefinition,
  loadLockfile,
  nameRecord,
  ownValue,
  pinCurrent,
  pinnedDefinition,
  updateLockfile,
  type ApprovedPin,
  type Lockfile,
} from '../plugins/security/pin-store';
import { changedFields } from '../plugins/security/tool_pinning';
import { screenList } from './list-items';
import { hasNamespaceSeparator, namespacedName, splitNamespaced } from '../shared/namespacing';

/** What the `pins` command needs from the CLI around it. */
export interface PinsCommandContext {
  /** The config file (the lockfile sits beside it unless `lockfile` says otherwise). */
  readonly configPath: string;
  readonly configDir: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * The tools each server lists right now (clean names), for `--live`; `server` limits it to one.
   * The caller starts the servers; without it only the offline mode is available.
   */
  readonly fetchCurrentTools?: (server?: string) => Promise<Record<string, unknown[]>>;
  /** The lockfile path when the config's `tool_pinning` entry sets `lockfile` (already resolved). */
  readonly lockfile?: string;
}

const USAGE = `Usage: gatekit-gateway pins <command> [options]

Commands:
  list [server]                  Show pinned tools and changes waiting for approval
  approve [server[__tool]]       Accept the pending (changed or new) definitions

Options:
  --live                         Compare with (list) or pin (approve) what the servers list now
  --lockfile <path>              Use this lockfile instead of gatekit.lock.json beside the config
  --json                         (list) Print the lockfile status as JSON
  -h, --help                     Show this help
`;

interface ParsedArgs {
  command?: string;
  target?: string;
  live: boolean;
  json: boolean;
  lockfile?: string;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const args = argv[0] === 'pins' ? argv.slice(1) : argv;
  const parsed: ParsedArgs = { live: false, json: false, help: false };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--live') parsed.live = true;
    else if (arg === '--json') parsed.json = true;
    else if (arg === '-h' || arg === '--help') parsed.help = true;
    else if (arg === '--lockfile') {
      const value = args[++i];
      if (value === undefined) throw new UsageError('--lockfile needs a path');
      parsed.lockfile = value;
    } else if (arg.startsWith('--lockfile=')) parsed.lockfile = arg.slice('--lockfile='.length);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
    else positional.push(arg);
  }
  if (positional.length > 2) throw new UsageError(`unexpected argument '${positional[2]}'`);
  if (positional[0] !== undefined) parsed.command = positional[0];
  if (positional[1] !== undefined) parsed.target = positional[1];
  return parsed;
}

/** `server__tool` → both; `server` → server only (the first `__` splits, as everywhere in Gatekit). */
function parseTarget(target: string | undefined): { server?: string; tool?: string } {
  if (target === undefined) return {};
  if (!hasNamespaceSeparator(target)) return { server: target };
  const split = splitNamespaced(target);
  if (split === undefined) throw new UsageError(`'${target}' is not 'server' or 'server__tool'`);
  return { server: split.server, tool: split.name };
}

function shortHash(hash: string | undefined): string {
  return hash === undefined ? '-' : hash.slice(0, 'sha256:'.length + 12);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function describeApproved(approved: readonly ApprovedPin[]): string {
  return approved
    .map((a) => `Approved ${namespacedName(a.server, a.tool)} (${a.previousHash ? `${shortHash(a.previousHash)} -> ` : 'new, '}${shortHash(a.hash)})\n`)
    .join('');
}

/**
 * Runs `pins list|approve`. Returns the exit code: 0 done, 1 failed (unusable lockfile, nothing
 * matching the target, servers unreachable), 2 usage error.
 */
export async function runPinsCommand(argv: string[], ctx: PinsCommandContext): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    ctx.stderr(`pins: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    ctx.stdout(USAGE);
    return 0;
  }
  const file = args.lockfile ?? ctx.lockfile ?? defaultLockfilePath(ctx);
  try {
    const target = parseTarget(args.target);
    switch (args.command) {
      case 'list':
        if (target.tool !== undefined) throw new UsageError('list takes a server name, not server__tool');
        return await listPins(file, target.server, args, ctx);
      case 'approve':
        return await approvePins(file, target, args.live, ctx);
      case undefined:
        ctx.stderr(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command '${args.command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr(`pins: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    ctx.stderr(`pins: ${(err as Error).message}\n`);
    return 1;
  }
}

interface ToolStatus {
  server: string;
  tool: string;
  status: 'pinned' | 'changed' | 'new' | 'not_listed';
  hash?: string;
  pendingHash?: string;
  changedFields?: string[];
}

function statusFromLockfile(lock: Lockfile, server: string | undefined): ToolStatus[] {
  const out: ToolStatus[] = [];
  for (const serverName of Object.keys(lock.servers).sort()) {
    if (server !== undefined && serverName !== server) continue;
    const entries = ownValue(lock.servers, serverName)!;
    for (const tool of Object.keys(entries).sort()) {
      const entry = ownValue(entries, tool)!;
      const row: ToolStatus = { server: serverName, tool, status: entry.pending ? (entry.hash ? 'changed' : 'new') : 'pinned' };
      if (entry.hash) row.hash = entry.hash;
      if (entry.pending) {
        row.pendingHash = entry.pending.hash;
        if (entry.definition) row.changedFields = changedFields(entry.definition, entry.pending.definition);
      }
      out.push(row);
    }
  }
  return out;
}

/** The same rows, judged against what the servers list now instead of what was recorded. */
function statusFromLive(lock: Lockfile, live: Record<string, unknown[]>, server: string | undefined): ToolStatus[] {
  const out: ToolStatus[] = [];
  const servers = new Set([...Object.keys(lock.servers), ...Object.keys(live)]);
  for (const serverName of [...servers].sort()) {
    if (server !== undefined && serverName !== server) continue;
    const entries = ownValue(lock.servers, serverName) ?? nameRecord();
    const listed = new Map<string, Record<string, unknown>>();
    for (const tool of ownValue(live, serverName) ?? []) {
      if (typeof tool === 'object' && tool !== null && typeof (tool as Record<string, unknown>)['name'] === 'string') {
        listed.set((tool as Record<string, unknown>)['name'] as string, tool as Record<string, unknown>);
      }
    }
    for (const tool of [...new Set([...Object.keys(entries), ...listed.keys()])].sort()) {
      const entry = ownValue(entries, tool);
      const current = listed.get(tool);
      const row: ToolStatus = { server: serverName, tool, status: 'pinned' };
      if (entry?.hash) row.hash = entry.hash;
      if (!current) row.status = 'not_listed';
      else {
        const definition = pinnedDefinition(current);
        const hash = hashDefinition(definition);
        if (entry?.hash === undefined) row.status = 'new';
        else if (entry.hash !== hash) {
          row.status = 'changed';
          row.changedFields = changedFields(entry.definition ?? {}, definition);
        }
        if (row.status !== 'pinned') row.pendingHash = hash;
      }
      out.push(row);
    }
  }
  return out;
}

async function listPins(file: string, server: string | undefined, args: ParsedArgs, ctx: PinsCommandContext): Promise<number> {
  const loaded = await loadLockfile(file);
  let rows: ToolStatus[];
  if (args.live) {
    if (!ctx.fetchCurrentTools) throw new Error('--live needs the servers, which this context cannot start');
    rows = statusFromLive(loaded.lock, await ctx.fetchCurrentTools(server), server);
  } else rows = statusFromLockfile(loaded.lock, server);
  if (args.json) {
    ctx.stdout(`${JSON.stringify({ lockfile: file, exists: loaded.text !== undefined, tools: rows }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [`Lockfile: ${file}${loaded.text === undefined ? ' (not created yet: nothing pinned)' : ''}`];
  if (rows.length === 0) lines.push(server === undefined ? 'No pinned tools.' : `No pinned tools for server '${server}'.`);
  const width = Math.min(48, Math.max(0, ...rows.map((r) => namespacedName(r.server, r.tool).length)) + 2);
  let lastServer: string | undefined;
  for (const row of rows) {
    if (row.server !== lastServer) {
      lines.push('', `${row.server}:`);
      lastServer = row.server;
    }
    const name = pad(`  ${namespacedName(row.server, row.tool)}`, width + 2);
    let status: string;
    if (row.status === 'pinned') status = 'pinned';
    else if (row.status === 'not_listed') status = 'pinned, not listed by the server now';
    else if (row.status === 'new') status = `NEW, waiting for approval (${shortHash(row.pendingHash)})`;
    else status = `CHANGED, waiting for approval: ${(row.changedFields ?? []).join(', ') || 'definition'} (-> ${shortHash(row.pendingHash)})`;
    lines.push(`${name}  ${pad(shortHash(row.hash), 19)}  ${status}`);
  }
  const waiting = rows.filter((r) => r.status === 'changed' || r.status === 'new').length;
  if (waiting > 0) lines.push('', `${waiting} waiting for approval: gatekit-gateway pins approve${args.live ? ' --live' : ''} [server[__tool]]`);
  ctx.stdout(`${lines.join('\n')}\n`);
  return 0;
}

async function approvePins(file: string, target: { server?: string; tool?: string }, live: boolean, ctx: PinsCommandContext): Promise<number> {
  const what = target.tool !== undefined ? namespacedName(target.server!, target.tool) : target.server;
  let approved: ApprovedPin[] = [];
  if (live) {
    if (!ctx.fetchCurrentTools) throw new Error('--live needs the servers, which this context cannot start');
    const current = await ctx.fetchCurrentTools(target.server);
    await updateLockfile(file, (lock) => {
      approved = [];
      for (const server of Object.keys(current).sort()) {
        if (target.server !== undefined && server !== target.server) continue;
        // The router's rules: an invalid entry or a name listed twice is never pinned.
        const tools = screenList('tools', ownValue(current, server) ?? []).items;
        approved.push(...pinCurrent(lock, server, tools, target.tool));
      }
      return approved.length > 0;
    });
  } else {
    await updateLockfile(file, (lock) => {
      approved = approvePending(lock, target.server, target.tool);
      return approved.length > 0;
    });
  }
  if (approved.length === 0) {
    if (what !== undefined) {
      ctx.stderr(`Nothing to approve for '${what}'${live ? ' (the servers list it as pinned, or do not list it)' : ' (no pending change in the lockfile)'}.\n`);
      return 1;
    }
    ctx.stdout('Nothing to approve.\n');
    return 0;
  }
  ctx.stdout(`${describeApproved(approved)}Lockfile updated: ${file}\n`);
  return 0;
}

