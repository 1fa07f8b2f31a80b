// `tool_pinning`: trust on first use for tool definitions. The first `tools/list` of a server pins
// each tool's definition (hash + definition in gatekit.lock.json); a later definition that differs is
// withheld from the list and its calls are refused until someone approves it with `pins approve`.
import { promises as fs } from 'node:fs';
import { ErrorCode, isRecord, type JsonRpcErrorObject, type JsonRpcRequest, type JsonRpcResponse, type JsonRpcSuccess } from '../../shared/jsonrpc';
import type {
  DeepReadonly,
  InterceptorPlugin,
  MessageContext,
  PluginDecision,
  PluginDefinition,
  PluginEnvironment,
  ReadonlyRequest,
  ReadonlyResponse,
  ToolApprovals,
  ToolApprovalState,
} from '../types';
import { toolPinningDescriptor, type ToolPinningOptions } from './tool_pinning.descriptor';

export type { ToolPinningOptions };
import {
  approvePending,
  changedFields,
  cloneLockfile,
  defaultLockfilePath,
  loadLockfile,
  LockfileError,
  MAX_PINS_PER_SERVER,
  ownValue,
  pinTool,
  serverEntries,
  setOwn,
  updateLockfile,
  type Lockfile,
  type PinnedDefinition,
} from './pin-store';

/**
 * Why a tool is withheld: its definition changed, it is new and not approved, its server already has
 * MAX_PINS_PER_SERVER entries in the lockfile, or the lockfile is broken.
 */
export type PinProblem = 'pin_mismatch' | 'pin_unapproved' | 'pin_limit' | 'pin_lockfile_invalid';

const HANDLER = toolPinningDescriptor.handler;

interface ObservedTool {
  readonly name: string;
  readonly pin: PinnedDefinition;
}

type Verdict = 'pinned' | 'newly_pinned' | 'pin_mismatch' | 'pin_unapproved' | 'pin_limit';

interface Reconciled {
  changed: boolean;
  verdicts: Map<string, Verdict>;
  /** For mismatches: the pinned definition the new one differs from. */
  previous: Map<string, PinnedDefinition>;
}

/**
 * Compares one page of a server's tools with the lockfile and records what must be recorded:
 * new pins (trust on first use), pending definitions, pending entries that no longer apply.
 * Mutates `lock`; pure otherwise.
 */
export function reconcileTools(lock: Lockfile, server: string, tools: readonly ObservedTool[], trustOnFirstUse: boolean): Reconciled {
  const result: Reconciled = { changed: false, verdicts: new Map(), previous: new Map() };
  const entries = serverEntries(lock, server);
  let count = Object.keys(entries).length;
  for (const { name, pin } of tools) {
    const entry = ownValue(entries, name);
    if (entry === undefined && count >= MAX_PINS_PER_SERVER) {
      // Not recorded at all, so a server inventing names cannot grow the file; withheld meanwhile.
      result.verdicts.set(name, 'pin_limit');
      continue;
    }
    if (entry === undefined) count++;
    if (entry?.hash === undefined) {
      if (trustOnFirstUse) {
        setOwn(entries, name, { hash: pin.hash, definition: pin.definition });
        result.verdicts.set(name, 'newly_pinned');
        result.changed = true;
      } else {
        if (entry?.pending?.hash !== pin.hash) {
          setOwn(entries, name, { pending: pin });
          result.changed = true;
        }
        result.verdicts.set(name, 'pin_unapproved');
      }
      continue;
    }
    if (entry.hash === pin.hash) {
      // Back to the approved definition: whatever was pending no longer applies.
      if (entry.pending) {
        delete entry.pending;
        result.changed = true;
      }
      result.verdicts.set(name, 'pinned');
      continue;
    }
    if (entry.pending?.hash !== pin.hash) {
      entry.pending = pin;
      result.changed = true;
    }
    result.verdicts.set(name, 'pin_mismatch');
    result.previous.set(name, { hash: entry.hash, definition: entry.definition ?? {} });
  }
  if (Object.keys(entries).length === 0) delete lock.servers[server];
  return result;
}


/** The command that approves a withheld tool, for messages. */
function approveCommand(server: string, tool: string): string {
  return `gatekit-gateway pins approve ${server}__${tool}`;
}

class ToolPinning implements InterceptorPlugin {
  private readonly file: string;
  /** The last lockfile read, with the file's identity then (so unchanged files are not re-parsed). */
  private cache: { lock: Lockfile; stamp: string } | undefined;
  /** The last lockfile error, so it is logged once and calls can be refused while it lasts. */
  private brokenMessage: string | undefined;
  /** server → tool → why it is withheld and the definition hash it was withheld with. */
  private readonly withheld = new Map<string, Map<string, { problem: PinProblem; hash: string }>>();
  /** server → tool → hash this process saw listed and let through. */
  private readonly verified = new Map<string, Map<string, string>>();
  private readonly logged = new Set<string>();
  /** Lockfile work of this instance runs one at a time (a `_global` instance serves every server). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: ToolPinningOptions,
    private readonly env: PluginEnvironment,
  ) {
    this.file = options.lockfile !== undefined ? env.resolvePath(options.lockfile) : defaultLockfilePath(env);
  }

  onResponse(response: ReadonlyResponse, ctx: MessageContext): Promise<PluginDecision<JsonRpcResponse> | undefined> | undefined {
    if (ctx.request?.method !== 'tools/list' || !('result' in response) || !Array.isArray(response.result['tools'])) return undefined;
    return this.serialized(() => this.checkToolList(response, response.result['tools'] as unknown[], ctx.serverName));
  }

  onRequest(request: ReadonlyRequest, ctx: MessageContext): Promise<PluginDecision<JsonRpcRequest> | undefined> | undefined {
    if (request.method !== 'tools/call' || ctx.origin !== 'client' || this.options.action === 'audit_only') return undefined;
    const name = request.params?.['name'];
    if (typeof name !== 'string' || name === '') return undefined;
    const server = ctx.serverName;
    const held = this.withheld.get(server)?.get(name);
    // The hot path: a tool this process listed and let through costs one map lookup.
    if (!held && this.brokenMessage === undefined && this.verified.get(server)?.has(name)) return undefined;
    return this.serialized(() => this.checkCall(server, name));
  }

  /** Approvals of changed and new definitions, and what the Servers view shows of each tool. */
  readonly toolApprovals: ToolApprovals = {
    approve: (params) => this.approve(params),
    state: (server, tool) => this.approvalState(server, tool),
    definitions: (server, tool) => this.definitionsOf(server, tool),
  };

  private approvalState(server: string, tool: string): ToolApprovalState | undefined {
    const held = this.withheld.get(server)?.get(tool);
    if (held) return held.problem === 'pin_unapproved' || held.problem === 'pin_limit' ? 'new' : 'changed';
    return this.verified.get(server)?.has(tool) ? 'pinned' : undefined;
  }

  private definitionsOf(server: string, tool: DeepReadonly<Record<string, unknown>>): { pinned?: Record<string, unknown>; current: Record<string, unknown> } | undefined {
    if (typeof tool['name'] !== 'string') return undefined;
    const pinned = ownValue(ownValue(this.cache?.lock.servers, server), tool['name'])?.definition;
    const current = pinTool(tool).definition;
    return pinned ? { pinned, current } : { current };
  }

  private approve(params: { readonly server?: string; readonly tools?: readonly string[] }): Promise<number> {
    return this.serialized(async () => {
      let approved = 0;
      await updateLockfile(this.file, (lock) => {
        for (const tool of params.tools ?? [undefined]) approved += approvePending(lock, params.server, tool).length;
        return approved > 0;
      });
      // The next call re-reads the lockfile and finds the withheld definitions pinned now.
      this.cache = undefined;
      return approved;
    });
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The lockfile, re-read only when the file changed on disk (an approval from the `pins` command). */
  private async readLock(): Promise<Lockfile> {
    const stamp = await fs.stat(this.file).then(
      (s) => `${s.mtimeMs}:${s.size}:${s.ino}`,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 'missing';
        throw new LockfileError(this.file, `cannot be read (${err.message})`);
      },
    );
    if (this.cache?.stamp === stamp) return this.cache.lock;
    const { lock } = await loadLockfile(this.file);
    this.cache = { lock, stamp };
    this.setBroken(undefined);
    return lock;
  }

  private setBroken(message: string | undefined): void {
    if (message !== undefined && message !== this.brokenMessage) this.env.log(`[${HANDLER}] ${message}`);
    if (message === undefined && this.brokenMessage !== undefined) this.env.log(`[${HANDLER}] lockfile ${this.file} is readable again`);
    this.brokenMessage = message;
  }

  private logOnce(key: string, message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.env.log(`[${HANDLER}] ${message}`);
  }

  private async checkToolList(response: JsonRpcSuccess, tools: readonly unknown[], server: string): Promise<PluginDecision<JsonRpcResponse> | undefined> {
    const observed: ObservedTool[] = [];
    for (const tool of tools) {
      // A tool without a name cannot be called or pinned; the router deals with malformed lists.
      if (isRecord(tool) && typeof tool['name'] === 'string') observed.push({ name: tool['name'], pin: pinTool(tool) });
    }
    let result: Reconciled;
    try {
      result = await this.reconcile(server, observed);
    } catch (err) {
      if (!(err instanceof LockfileError)) throw err;
      this.setBroken(err.message);
      return this.withholdAll(response, tools, server, observed, err.message);
    }
    const heldHere = this.withheld.get(server) ?? new Map<string, { problem: PinProblem; hash: string }>();
    const verifiedHere = this.verified.get(server) ?? new Map<string, string>();
    this.withheld.set(server, heldHere);
    this.verified.set(server, verifiedHere);
    const withheldNames = new Set<string>();
    const newlyPinned: string[] = [];
    const problems: Record<string, unknown>[] = [];
    let overLimit = 0;
    for (const { name, pin } of observed) {
      const verdict = result.verdicts.get(name)!;
      if (verdict === 'pinned' || verdict === 'newly_pinned') {
        heldHere.delete(name);
        verifiedHere.set(name, pin.hash);
        if (verdict === 'newly_pinned') newlyPinned.push(name);
        continue;
      }
      withheldNames.add(name);
      verifiedHere.delete(name);
      heldHere.set(name, { problem: verdict, hash: pin.hash });
      const previous = result.previous.get(name);
      const fields = previous ? changedFields(previous.definition, pin.definition) : [];
      problems.push({ tool: name, reason: verdict, ...(previous ? { pinned_hash: previous.hash, changed_fields: fields } : {}), current_hash: pin.hash });
      if (verdict === 'pin_limit') {
        overLimit++;
        continue; // one line for all of them below: a server inventing names must not flood the log either
      }
      const what = verdict === 'pin_mismatch' ? `changed since it was pinned (${fields.join(', ')})` : 'is new and not approved yet';
      this.logOnce(`${server}\u0000${name}\u0000${pin.hash}`, `tool '${server}__${name}' ${what}; withheld until approved: ${approveCommand(server, name)}`);
    }
    if (overLimit > 0) {
      this.logOnce(
        `${server}\u0000pin_limit`,
        `the lockfile already holds ${MAX_PINS_PER_SERVER} tools of '${server}' (the limit): its ${overLimit} new tool(s) are withheld and not recorded until entries are removed from ${this.file}`,
      );
    }
    if (newlyPinned.length > 0) this.env.log(`[${HANDLER}] pinned ${newlyPinned.length} new tool(s) of '${server}' in ${this.file}`);
    if (withheldNames.size === 0) {
      return newlyPinned.length > 0 ? { allowed: true, reason: `Pinned ${newlyPinned.length} new tool(s): ${newlyPinned.join(', ')}`, metadata: { plugin: HANDLER, newly_pinned: newlyPinned } } : undefined;
    }
    const kind = problems.some((p) => p['reason'] === 'pin_mismatch') ? 'pin_mismatch' : problems.some((p) => p['reason'] === 'pin_limit') ? 'pin_limit' : 'pin_unapproved';
    const names = [...withheldNames].join(', ');
    const metadata = { plugin: HANDLER, reason: kind, tools: problems, lockfile: this.file };
    if (this.options.action === 'audit_only') {
      return { allowed: true, reason: `${kind}: ${names} differ from the lockfile (audit only)`, metadata };
    }
    const kept = tools.filter((tool) => !(isRecord(tool) && typeof tool['name'] === 'string' && withheldNames.has(tool['name'])));
    return {
      allowed: true,
      modified: { ...response, result: { ...response.result, tools: kept } },
      reason: `${kind}: withheld ${names} until approved (gatekit-gateway pins approve)`,
      metadata,
    };
  }

  /** Reconciles with the cached lockfile; takes the file lock and writes only when something must be recorded. */
  private async reconcile(server: string, observed: readonly ObservedTool[]): Promise<Reconciled> {
    const cached = await this.readLock();
    const dryRun = reconcileTools(cloneLockfile(cached), server, observed, this.options.trust_on_first_use);
    if (!dryRun.changed) return dryRun;
    let result: Reconciled | undefined;
    const loaded = await updateLockfile(this.file, (lock) => {
      result = reconcileTools(lock, server, observed, this.options.trust_on_first_use);
      return result.changed;
    });
    const stat = await fs.stat(this.file).catch(() => undefined);
    this.cache = stat ? { lock: loaded.lock, stamp: `${stat.mtimeMs}:${stat.size}:${stat.ino}` } : undefined;
    this.setBroken(undefined);
    return result!;
  }

  private withholdAll(
    response: JsonRpcSuccess,
    tools: readonly unknown[],
    server: string,
    observed: readonly ObservedTool[],
    message: string,
  ): PluginDecision<JsonRpcResponse> {
    const metadata = { plugin: HANDLER, reason: 'pin_lockfile_invalid', lockfile: this.file, tools: observed.map((t) => t.name) };
    if (this.options.action === 'audit_only') return { allowed: true, reason: `pin_lockfile_invalid: ${message} (audit only)`, metadata };
    const heldHere = this.withheld.get(server) ?? new Map<string, { problem: PinProblem; hash: string }>();
    this.withheld.set(server, heldHere);
    for (const { name, pin } of observed) heldHere.set(name, { problem: 'pin_lockfile_invalid', hash: pin.hash });
    this.verified.get(server)?.clear();
    const withheldCount = tools.length;
    return {
      allowed: true,
      modified: { ...response, result: { ...response.result, tools: [] } },
      reason: `pin_lockfile_invalid: withheld all ${withheldCount} tool(s) of '${server}' because the lockfile is not usable`,
      metadata,
    };
  }

  private async checkCall(server: string, name: string): Promise<PluginDecision<JsonRpcRequest> | undefined> {
    let lock: Lockfile;
    try {
      lock = await this.readLock();
    } catch (err) {
      if (!(err instanceof LockfileError)) throw err;
      this.setBroken(err.message);
      return this.refuse(server, name, 'pin_lockfile_invalid');
    }
    const entry = ownValue(ownValue(lock.servers, server), name);
    const held = this.withheld.get(server)?.get(name);
    if (held) {
      // Approved (or the lockfile repaired) since the list: the definition we withheld is now the pinned one.
      if (entry?.hash === held.hash) {
        this.withheld.get(server)!.delete(name);
        const verifiedHere = this.verified.get(server) ?? new Map<string, string>();
        verifiedHere.set(name, held.hash);
        this.verified.set(server, verifiedHere);
        return undefined;
      }
      return this.refuse(server, name, held.problem === 'pin_lockfile_invalid' && entry?.pending ? 'pin_mismatch' : held.problem);
    }
    if (this.verified.get(server)?.has(name)) return undefined;
    // Not listed by this process yet: another session may have recorded a change still waiting for approval.
    if (entry?.pending) return this.refuse(server, name, entry.hash === undefined ? 'pin_unapproved' : 'pin_mismatch');
    // Without trust on first use only approved pins are callable, also a tool no list has shown yet.
    if (!this.options.trust_on_first_use && entry?.hash === undefined) return this.refuse(server, name, 'pin_unapproved');
    return undefined;
  }

  private refuse(server: string, name: string, problem: PinProblem): PluginDecision<JsonRpcRequest> {
    const approve = approveCommand(server, name);
    const why =
      problem === 'pin_mismatch'
        ? 'its definition changed since it was pinned'
        : problem === 'pin_unapproved'
          ? 'it is new and not approved yet'
          : problem === 'pin_limit'
            ? `the lockfile already holds ${MAX_PINS_PER_SERVER} tools of this server`
            : `the tool-pinning lockfile ${this.file} is not usable`;
    const error: JsonRpcErrorObject = {
      code: ErrorCode.MethodNotFound,
      message: `Tool '${server}__${name}' is not available: ${why}`,
      data: { reason: problem, plugin: HANDLER, ...(problem === 'pin_lockfile_invalid' || problem === 'pin_limit' ? { lockfile: this.file } : { approve }) },
    };
    return {
      allowed: false,
      error,
      reason: `${problem}: call to '${name}' refused (${why})`,
      metadata: { plugin: HANDLER, reason: problem, server, tool: name },
    };
  }
}

export const toolPinning: PluginDefinition<ToolPinningOptions> = {
  ...toolPinningDescriptor,
  create: (config, env) => new ToolPinning(config, env),
};
