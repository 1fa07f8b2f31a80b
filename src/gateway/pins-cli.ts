// `gatekit-gateway pins list|approve`: shows what the tool-pinning lockfile holds and accepts the
// changed tool definitions waiting in it. The running gateway records those as servers list their
// tools; this command works offline, on the lockfile alone.
import type { LoadedConfig } from '../config/loader';
import { resolveUserPath } from '../config/paths';
import { approvalLockfileOf } from '../plugins/descriptors';
import {
  approvePending,
  changedFields,
  defaultLockfilePath,
  loadLockfile,
  ownValue,
  updateLockfile,
  type ApprovedPin,
  type Lockfile,
} from '../plugins/security/pin-store';
import { hasNamespaceSeparator, namespacedName, splitNamespaced } from '../shared/namespacing';

/** What the `pins` command needs from the CLI around it. */
export interface PinsCommandContext {
  /** The config file (the lockfile sits beside it unless `lockfile` says otherwise). */
  readonly configPath: string;
  readonly configDir: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The lockfile path when the config's approvals plugin names one (already resolved: {@link configuredLockfile}). */
  readonly lockfile?: string;
}

const USAGE = `Usage: gatekit-gateway pins <command> [options]

Commands:
  list [server]                  Show pinned tools and changes waiting for approval
  approve [server[__tool]]       Accept the pending (changed or new) definitions

Options:
  --lockfile <path>              Use this lockfile instead of gatekit.lock.json beside the config
  --json                         (list) Print the lockfile status as JSON
  -h, --help                     Show this help
`;

interface ParsedArgs {
  command?: string;
  target?: string;
  json: boolean;
  lockfile?: string;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const args = argv[0] === 'pins' ? argv.slice(1) : argv;
  const parsed: ParsedArgs = { json: false, help: false };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') parsed.json = true;
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
        return await approvePins(file, target, ctx);
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

async function listPins(file: string, server: string | undefined, args: ParsedArgs, ctx: PinsCommandContext): Promise<number> {
  const loaded = await loadLockfile(file);
  const rows = statusFromLockfile(loaded.lock, server);
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
  if (waiting > 0) lines.push('', `${waiting} waiting for approval: gatekit-gateway pins approve [server[__tool]]`);
  ctx.stdout(`${lines.join('\n')}\n`);
  return 0;
}

async function approvePins(file: string, target: { server?: string; tool?: string }, ctx: PinsCommandContext): Promise<number> {
  const what = target.tool !== undefined ? namespacedName(target.server!, target.tool) : target.server;
  let approved: ApprovedPin[] = [];
  await updateLockfile(file, (lock) => {
    approved = approvePending(lock, target.server, target.tool);
    return approved.length > 0;
  });
  if (approved.length === 0) {
    if (what !== undefined) {
      ctx.stderr(`Nothing to approve for '${what}' (no pending change in the lockfile).\n`);
      return 1;
    }
    ctx.stdout('Nothing to approve.\n');
    return 0;
  }
  ctx.stdout(`${describeApproved(approved)}Lockfile updated: ${file}\n`);
  return 0;
}


/**
 * The lockfile the config's approvals plugin names (the first entry that names one, resolved
 * against the config folder), or undefined for the default beside the config. Found by what the
 * plugin offers, not by its name.
 */
export function configuredLockfile(loaded: LoadedConfig): string | undefined {
  for (const scopes of Object.values(loaded.config.plugins)) {
    for (const entries of Object.values(scopes)) {
      for (const entry of entries) {
        const lockfile = approvalLockfileOf(entry);
        if (lockfile !== undefined) return resolveUserPath(lockfile, loaded.configDir);
      }
    }
  }
  return undefined;
}
