// The token_usage state file: token counters per server and tool, shared by every gateway process
// that names the same file. Each process keeps its own entry under its PID (so concurrent writers
// never lose each other's counts), folds it into the `finished` totals when it stops (so counters
// survive restarts), and folds the entries of processes that died without doing so. Every change
// happens under a lock file and is written atomically. The file is input like any other: a corrupt
// or hostile one is set aside and started over, never trusted.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createExclusive, openForReading, OWNER_ONLY_DIR, writeFileAtomically } from '../safe-file';

/** Counters of one tool (or of `_other` methods). */
export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  calls: number;
}

/** server → tool → counters. Maps, so names such as `__proto__` are plain keys. */
export type UsageTable = Map<string, Map<string, TokenCounts>>;

interface InstanceEntry {
  readonly updated: string;
  readonly servers: UsageTable;
}

interface StateContent {
  finished: UsageTable;
  instances: Map<string, InstanceEntry>;
}

export const STATE_VERSION = 1;
/** A state file larger than this is not read (it cannot be ours): it is set aside. */
const MAX_STATE_BYTES = 16 * 1024 * 1024;
/** Bounds on what one file may hold; names beyond them are counted under OVERFLOW_NAME. */
const MAX_SERVERS = 1000;
const MAX_TOOLS_PER_SERVER = 2000;
const MAX_NAME_CHARS = 256;
export const OVERFLOW_NAME = '_other';
/** An entry not updated for this long belongs to a process that is gone, whatever its PID says now (PIDs are reused). */
const STALE_ENTRY_MS = 24 * 60 * 60 * 1000;
const LOCK_WAIT_MS = 5000;
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

function emptyCounts(): TokenCounts {
  return { input_tokens: 0, output_tokens: 0, calls: 0 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function counter(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function saturatingAdd(a: number, b: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, a + b);
}

/** The slot for `server`/`tool`, created when missing; past the bounds, the overflow slot. */
export function slotFor(table: UsageTable, server: string, tool: string): TokenCounts {
  const serverName = server.length <= MAX_NAME_CHARS && (table.has(server) || table.size < MAX_SERVERS) ? server : OVERFLOW_NAME;
  let tools = table.get(serverName);
  if (!tools) table.set(serverName, (tools = new Map<string, TokenCounts>()));
  const toolName = tool.length <= MAX_NAME_CHARS && (tools.has(tool) || tools.size < MAX_TOOLS_PER_SERVER) ? tool : OVERFLOW_NAME;
  let slot = tools.get(toolName);
  if (!slot) tools.set(toolName, (slot = emptyCounts()));
  return slot;
}

/** Adds every counter of `source` into `target`. */
export function addTable(target: UsageTable, source: UsageTable): void {
  for (const [server, tools] of source) {
    for (const [tool, counts] of tools) {
      const slot = slotFor(target, server, tool);
      slot.input_tokens = saturatingAdd(slot.input_tokens, counts.input_tokens);
      slot.output_tokens = saturatingAdd(slot.output_tokens, counts.output_tokens);
      slot.calls = saturatingAdd(slot.calls, counts.calls);
    }
  }
}

/** A table read from JSON: only own entries with counters that are non-negative safe integers. */
function parseTable(value: unknown): UsageTable {
  const table: UsageTable = new Map();
  if (!isRecord(value)) return table;
  for (const [server, tools] of Object.entries(value)) {
    if (!isRecord(tools)) continue;
    for (const [tool, counts] of Object.entries(tools)) {
      if (!isRecord(counts)) continue;
      const input = counter(counts.input_tokens);
      const output = counter(counts.output_tokens);
      const calls = counter(counts.calls);
      if (input === undefined || output === undefined || calls === undefined) continue;
      addTable(table, new Map([[server, new Map([[tool, { input_tokens: input, output_tokens: output, calls }]])]]));
    }
  }
  return table;
}

function tableJson(table: UsageTable): Record<string, Record<string, TokenCounts>> {
  return Object.fromEntries([...table].map(([server, tools]) => [server, Object.fromEntries(tools)]));
}

/** Parses the file's text; throws on anything that is not a state file of this version. */
export function parseState(text: string): StateContent {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value) || value.version !== STATE_VERSION) throw new Error(`not a version ${STATE_VERSION} token usage state`);
  const instances = new Map<string, InstanceEntry>();
  if (isRecord(value.instances)) {
    for (const [pid, entry] of Object.entries(value.instances)) {
      if (!/^[1-9]\d{0,9}$/.test(pid) || !isRecord(entry) || typeof entry.updated !== 'string') continue;
      instances.set(pid, { updated: entry.updated, servers: parseTable(entry.servers) });
    }
  }
  return { finished: parseTable(value.finished), instances };
}

function stateText(state: StateContent): string {
  const instances = Object.fromEntries([...state.instances].map(([pid, entry]) => [pid, { updated: entry.updated, servers: tableJson(entry.servers) }]));
  return JSON.stringify({ version: STATE_VERSION, finished: tableJson(state.finished), instances }, null, 1) + '\n';
}

/** Every counter in the state: finished processes plus the running ones. */
export function totalsOf(state: StateContent): UsageTable {
  const total: UsageTable = new Map();
  addTable(total, state.finished);
  for (const entry of state.instances.values()) addTable(total, entry.servers);
  return total;
}

export interface StateFileOptions {
  readonly path: string;
  readonly pid: number;
  readonly log: (line: string) => void;
  /** Whether a process lives (injected by tests). */
  readonly isAlive?: (pid: number) => boolean;
  readonly now?: () => Date;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One process's use of a shared state file. */
export class TokenUsageStateFile {
  private readonly isAlive: (pid: number) => boolean;
  private readonly now: () => Date;

  constructor(private readonly options: StateFileOptions) {
    this.isAlive = options.isAlive ?? processIsAlive;
    this.now = options.now ?? (() => new Date());
  }

  /** Records this process's counters (cumulative since it started) under its PID. */
  publish(mine: UsageTable): Promise<void> {
    return this.update((state) => state.instances.set(String(this.options.pid), { updated: this.now().toISOString(), servers: mine }));
  }

  /** This process stops: its counters join the finished totals and its entry goes. */
  retire(mine: UsageTable): Promise<void> {
    return this.update((state) => {
      state.instances.delete(String(this.options.pid));
      addTable(state.finished, mine);
    });
  }

  /** The whole state as it is on disk now (for displays); empty when there is none. */
  async read(): Promise<StateContent> {
    return (await this.load()) ?? { finished: new Map(), instances: new Map() };
  }

  private async update(change: (state: StateContent) => void): Promise<void> {
    const release = await this.lock();
    try {
      const state = (await this.load()) ?? { finished: new Map(), instances: new Map() };
      this.foldDeparted(state);
      change(state);
      await writeFileAtomically(this.options.path, stateText(state));
    } finally {
      await release();
    }
  }

  /** Entries of processes that are gone (dead, or silent for a day) are folded into the finished totals. */
  private foldDeparted(state: StateContent): void {
    const now = this.now().getTime();
    for (const [pid, entry] of state.instances) {
      if (pid === String(this.options.pid)) continue;
      const updated = Date.parse(entry.updated);
      if (this.isAlive(Number(pid)) && Number.isFinite(updated) && now - updated < STALE_ENTRY_MS) continue;
      addTable(state.finished, entry.servers);
      state.instances.delete(pid);
    }
  }

  /**
   * The parsed file, undefined when there is none. Content that is not a state file is renamed aside
   * (kept for a look) and reported; a file that must not be read at all (a symlink, a FIFO) is an error.
   */
  private async load(): Promise<StateContent | undefined> {
    const file = this.options.path;
    let text: string | undefined;
    let size: number;
    let handle;
    try {
      handle = await openForReading(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      size = (await handle.stat()).size;
      if (size <= MAX_STATE_BYTES) text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    if (text === undefined) return this.setAside(`it is ${size} bytes, more than ${MAX_STATE_BYTES}`);
    try {
      return parseState(text);
    } catch (err) {
      return this.setAside(err instanceof Error ? err.message : String(err));
    }
  }

  private async setAside(why: string): Promise<undefined> {
    const file = this.options.path;
    const aside = `${file}.damaged-${this.now().getTime()}`;
    await fsp.rename(file, aside).catch(() => undefined);
    this.options.log(`token_usage: state file ${file} could not be used (${why}); moved to ${aside}, counting starts over`);
    return undefined;
  }

  /** Takes `<file>.lock` (O_EXCL); waits for a live holder, breaks a lock left by a dead one. */
  private async lock(): Promise<() => Promise<void>> {
    const lockPath = `${this.options.path}.lock`;
    await fsp.mkdir(path.dirname(lockPath), { recursive: true, mode: OWNER_ONLY_DIR });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await createExclusive(lockPath);
        await handle.writeFile(`${this.options.pid}\n`);
        await handle.close();
        return () => fsp.rm(lockPath, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (await this.lockIsAbandoned(lockPath)) {
        await fsp.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`the state file lock ${lockPath} is held by another process for more than ${LOCK_WAIT_MS / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 + attempt * 5)));
    }
  }

  private async lockIsAbandoned(lockPath: string): Promise<boolean> {
    try {
      const [text, stats] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.lstat(lockPath)]);
      const holder = Number.parseInt(text, 10);
      if (text.trim() === '') return Date.now() - stats.mtimeMs > STALE_LOCK_MS; // being written, or left half-made
      return !Number.isSafeInteger(holder) || holder <= 0 || !this.isAlive(holder) || Date.now() - stats.mtimeMs > STALE_LOCK_MS;
    } catch {
      return false; // gone meanwhile: try again
    }
  }
}
