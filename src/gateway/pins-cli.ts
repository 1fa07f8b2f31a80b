// `gatekit-gateway pins list|approve|check`: shows what the tool-pinning lockfile holds, accepts the
// changed tool definitions waiting in it, and (check, for CI) compares it with what the servers offer
// now. The running gateway records changes as servers list their tools; list and approve work
// offline, on the lockfile alone; check starts the servers (pins-check.ts) and never writes.
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
import { checkPins, PinsCheckSetupError, type PinsCheckReport } from './pins-check';

/** What the `pins` command needs from the CLI around it. */
export interface PinsCommandContext {
  /** The config file (the lockfile sits beside it unless `lockfile` says otherwise). */
  readonly configPath: string;
  readonly configDir: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The lockfile path when the config's approvals plugin names one (already resolved: {@link configuredLockfile}). */
  readonly lockfile?: string;
  /** The loaded config: `check` starts its servers. */
  readonly loaded?: LoadedConfig;
  /** Diagnostics of the servers and plugins `check` runs (shown with --verbose). */
  readonly log?: (line: string) => void;
}

const USAGE = `Usage: gatekit-gateway pins <command> [options]

Commands:
  list [server]                  Show pinned tools and changes waiting for approval
  approve [server[__tool]]       Accept the pending (changed or new) definitions
  check                          Start the servers and compare their tools with the lockfile
                                 (for CI; never writes the lockfile). Exit 0 all match,
                                 1 mismatch, 2 usage or config error, 3 a server did not start

Options:
  --lockfile <path>              Use this lockfile instead of gatekit.lock.json beside the config
  --json                         (list, check) Print the result as JSON
  --timeout-ms <n>               (check) How long to wait for the servers' tools
                                 (default: the config's connection_timeout + 5 s)
  -v, --verbose                  (check) Show the servers' and plugins' diagnostics
  -h, --help                     Show this help
`;

interface ParsedArgs {
  command?: string;
  target?: string;
  json: boolean;
  lockfile?: string;
  timeoutMs?: number;
  verbose: boolean;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const args = argv[0] === 'pins' ? argv.slice(1) : argv;
  const parsed: ParsedArgs = { json: false, help: false, verbose: false };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') parsed.json = true;
    else if (arg === '-h' || arg === '--help') parsed.help = true;
    else if (arg === '-v' || arg === '--verbose') parsed.verbose = true;
    else if (arg === '--timeout-ms' || arg.startsWith('--timeout-ms=')) {
      const value = arg === '--timeout-ms' ? args[++i] : arg.slice('--timeout-ms='.length);
      const ms = Number(value);
      if (value === undefined || !Number.isInteger(ms) || ms <= 0) throw new UsageError('--timeout-ms needs a positive whole number of milliseconds');
      parsed.timeoutMs = ms;
    }
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
 * Runs `pins list|approve|check`. Returns the exit code: 0 done, 1 failed (unusable lockfile, nothing
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
      case 'check':
        if (args.target !== undefined) throw new UsageError('check takes no argument');
        return await checkCommand(file, args, ctx);
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

/** `pins check`: exit 0 all match, 1 mismatch, 2 config error, 3 a server did not start. */
async function checkCommand(file: string, args: ParsedArgs, ctx: PinsCommandContext): Promise<number> {
  if (ctx.loaded === undefined) throw new UsageError('check needs --config FILE');
  const timeoutMs = args.timeoutMs ?? ctx.loaded.config.proxy.timeouts.connection_timeout * 1000 + 5000;
  const log = args.verbose ? (ctx.log ?? ((line: string) => ctx.stderr(`gatekit: ${line}\n`))) : () => undefined;
  let report: PinsCheckReport;
  try {
    report = await checkPins(ctx.loaded, file, timeoutMs, log);
  } catch (err) {
    if (!(err instanceof PinsCheckSetupError)) throw err;
    ctx.stderr(`pins check: ${err.message}\n`);
    return 2;
  }
  const failed = report.servers.filter((s) => s.failed !== undefined);
  const mismatched = report.servers.filter((s) => s.new.length + s.changed.length + s.missing.length > 0);
  const code = failed.length > 0 ? 3 : mismatched.length > 0 ? 1 : 0;
  const config = ctx.configPath;
  const approve = (target: string): string => `gatekit-gateway pins approve ${target} --config ${config}`;
  if (args.json) {
    ctx.stdout(`${JSON.stringify({ ok: code === 0, exitCode: code, ...report }, null, 2)}\n`);
    return code;
  }
  const lines: string[] = [`Lockfile: ${file}${report.lockfileExists ? '' : ' (does not exist: every tool is new)'}`];
  for (const s of report.servers) {
    if (s.failed !== undefined) {
      lines.push(`${s.server}: FAILED, ${s.failed}`);
      continue;
    }
    if (s.new.length + s.changed.length + s.missing.length === 0) {
      lines.push(`${s.server}: ok${s.unpinned.length ? ` (${s.unpinned.length} tool(s) not pinned by the config)` : ''}`);
      continue;
    }
    lines.push(`${s.server}:`);
    for (const tool of s.new) lines.push(`  NEW      ${namespacedName(s.server, tool)}`);
    for (const c of s.changed) lines.push(`  CHANGED  ${namespacedName(s.server, c.tool)} (${c.fields.join(', ') || 'definition'})`);
    for (const tool of s.missing) lines.push(`  MISSING  ${namespacedName(s.server, tool)} (pinned, no longer offered)`);
  }
  if (report.notConfigured.length) lines.push(`Not checked (in the lockfile, not run by the config): ${report.notConfigured.join(', ')}`);
  if (code === 0) lines.push('', 'All tool definitions match the lockfile.');
  if (mismatched.length > 0) {
    lines.push('', 'The servers offer tools the lockfile does not approve. After reviewing them, record them in the lockfile');
    lines.push('by running the gateway once (it pins new tools on first use and records the rest as pending), then approve:');
    for (const s of mismatched) {
      const tools = [...s.new, ...s.changed.map((c) => c.tool)];
      // One command per server when several of its tools wait (it approves only what is pending).
      if (tools.length === 1) lines.push(`  ${approve(namespacedName(s.server, tools[0]!))}`);
      else if (tools.length > 1) lines.push(`  ${approve(s.server)}`);
    }
    if (mismatched.some((s) => s.missing.length > 0)) lines.push(`Tools no longer offered: remove their entries from ${file} after review.`);
    lines.push('Commit the updated lockfile: the change shows up as a diff in the pull request.');
  }
  if (failed.length > 0) lines.push('', `${failed.length} server(s) did not start: the check is incomplete.`);
  ctx.stdout(`${lines.join('\n')}\n`);
  return code;
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
