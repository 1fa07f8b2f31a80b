// The tool-pinning lockfile (`gatekit.lock.json`): canonical tool hashes, a stable pretty JSON format
// meant for code review, atomic owner-only writes, a cross-process lock, and offline approval.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createExclusive, OWNER_ONLY_DIR, unsafePathReason, writeFileAtomically } from '../safe-file';
import { isRecord } from '../../shared/jsonrpc';

/** File name of the lockfile, beside the config file unless configured otherwise. */
export const LOCKFILE_NAME = 'gatekit.lock.json';
export const LOCKFILE_VERSION = 1;

/**
 * The fields of a tool that are pinned: what the model reads (`name`, `title`, `description`, the
 * schemas) and what changes how a call runs or is treated (`annotations` such as `destructiveHint`,
 * which clients use to decide whether to ask first; `execution.taskSupport`, which decides whether a
 * call runs as a task). `_meta` and `icons` are display and transport details and may change freely.
 */
export const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations', 'execution'] as const;

/**
 * Entries one server may have in the lockfile. A server that invents new names on every list must
 * not grow the file without bound: past this many, its new tools are not recorded and stay withheld
 * (`pin_limit`) until someone removes entries; approved pins are never dropped to make room.
 */
export const MAX_PINS_PER_SERVER = 1000;

/** A definition with its hash: what is pinned, or what is waiting for approval. */
export interface PinnedDefinition {
  /** `sha256:<hex>` of the canonical JSON of `definition`. */
  readonly hash: string;
  readonly definition: Record<string, unknown>;
}

/**
 * One tool of one server. `hash`/`definition` are the approved definition (absent for a tool first
 * seen when trust-on-first-use is off); `pending` is a different definition seen since, waiting for
 * `pins approve`.
 */
export interface PinEntry {
  hash?: string;
  definition?: Record<string, unknown>;
  pending?: PinnedDefinition;
}

export interface Lockfile {
  version: typeof LOCKFILE_VERSION;
  /**
   * server name → tool name → entry. Both levels are keyed by names from outside (`__proto__`,
   * `constructor`): read them with `ownValue`, create them with `nameRecord`.
   */
  servers: Record<string, Record<string, PinEntry>>;
}

/** A record without a prototype: any name is a plain key, and `__proto__` is stored, not obeyed. */
export function nameRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `record[key]` only when it is the record's own (never an inherited `constructor` or prototype). */
export function ownValue<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `record[key]` as an own property, whatever the key and the record's prototype. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The entries of one server, created (prototype-free) when missing. */
export function serverEntries(lock: Lockfile, server: string): Record<string, PinEntry> {
  let entries = ownValue(lock.servers, server);
  if (entries === undefined) {
    entries = nameRecord<PinEntry>();
    setOwn(lock.servers, server, entries);
  }
  return entries;
}

/** A deep copy that keeps every name a plain own key (structuredClone would not keep null prototypes). */
export function cloneLockfile(lock: Lockfile): Lockfile {
  const copy = emptyLockfile();
  for (const [server, entries] of Object.entries(lock.servers)) {
    const target = serverEntries(copy, server);
    for (const [tool, entry] of Object.entries(entries)) {
      const out: PinEntry = {};
      if (entry.hash !== undefined) out.hash = entry.hash;
      if (entry.definition !== undefined) out.definition = entry.definition;
      if (entry.pending !== undefined) out.pending = entry.pending;
      setOwn(target, tool, out);
    }
  }
  return copy;
}

/** The lockfile exists but cannot be used (not JSON, wrong shape, a hash that does not match its definition). */
export class LockfileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`Tool-pinning lockfile ${file} is not usable: ${detail}. Fix or delete it (it is never overwritten while broken).`);
  }
}

export function emptyLockfile(): Lockfile {
  return { version: LOCKFILE_VERSION, servers: nameRecord() };
}

/** Where the lockfile lives: the configured path (resolved by the caller) or beside the config file. */
export function defaultLockfilePath(location: { configPath?: string; configDir: string }): string {
  const dir = location.configPath !== undefined ? path.dirname(location.configPath) : location.configDir;
  return path.join(dir, LOCKFILE_NAME);
}


function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isRecord(value)) return value;
  const out = nameRecord<unknown>();
  for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key]);
  return out;
}

/** JSON with object keys sorted at every level and no whitespace: equal definitions, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value)) ?? 'null';
}

/** The pinned part of a tool as listed by its server (fields that are absent stay absent). */
export function pinnedDefinition(tool: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) if (Object.hasOwn(tool, field) && tool[field] !== undefined) out[field] = tool[field];
  return out;
}

export function hashDefinition(definition: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(definition)).digest('hex')}`;
}

/** Pins `tool` as listed: its definition and hash. */
export function pinTool(tool: Record<string, unknown>): PinnedDefinition {
  const definition = pinnedDefinition(tool);
  return { hash: hashDefinition(definition), definition };
}

/**
 * The lockfile as text: fixed top-level order, servers and tools sorted by name, entry fields in the
 * order hash/definition/pending, definition keys sorted, two-space indent, final newline. The same
 * content always gives the same bytes, so a review diff shows only real changes.
 */
export function serializeLockfile(lock: Lockfile): string {
  const servers = nameRecord<Record<string, unknown>>();
  for (const server of Object.keys(lock.servers).sort()) {
    const tools = nameRecord<unknown>();
    const entries = lock.servers[server]!;
    for (const tool of Object.keys(entries).sort()) {
      const entry = entries[tool]!;
      const out: Record<string, unknown> = {};
      if (entry.hash !== undefined) out['hash'] = entry.hash;
      if (entry.definition !== undefined) out['definition'] = sortKeysDeep(entry.definition);
      if (entry.pending !== undefined) out['pending'] = { hash: entry.pending.hash, definition: sortKeysDeep(entry.pending.definition) };
      tools[tool] = out;
    }
    if (Object.keys(tools).length > 0) servers[server] = tools;
  }
  return `${JSON.stringify({ version: lock.version, servers }, null, 2)}\n`;
}

function checkedDefinition(file: string, where: string, value: unknown, hash: unknown): PinnedDefinition {
  if (typeof hash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(hash)) throw new LockfileError(file, `${where}.hash must be "sha256:<64 hex digits>"`);
  if (!isRecord(value)) throw new LockfileError(file, `${where}.definition must be an object`);
  // The definition is what reviewers read; a hash edited on its own must not change what is enforced.
  if (hashDefinition(value) !== hash) throw new LockfileError(file, `${where}.hash does not match its definition (edited by hand?)`);
  return { hash, definition: value };
}

/** Parses and validates lockfile text. Throws LockfileError naming the file and the first problem. */
export function parseLockfile(text: string, file: string): Lockfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LockfileError(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(raw)) throw new LockfileError(file, 'the top level must be an object');
  if (raw['version'] !== LOCKFILE_VERSION) throw new LockfileError(file, `unsupported version ${JSON.stringify(raw['version'])} (expected ${LOCKFILE_VERSION})`);
  const servers = raw['servers'];
  if (!isRecord(servers)) throw new LockfileError(file, '"servers" must be an object');
  const lock = emptyLockfile();
  for (const [server, tools] of Object.entries(servers)) {
    if (!isRecord(tools)) throw new LockfileError(file, `servers.${JSON.stringify(server)} must be an object`);
    const entries = serverEntries(lock, server);
    for (const [tool, entryRaw] of Object.entries(tools)) {
      const where = `servers.${JSON.stringify(server)}.${JSON.stringify(tool)}`;
      if (!isRecord(entryRaw)) throw new LockfileError(file, `${where} must be an object`);
      const entry: PinEntry = {};
      if (entryRaw['hash'] !== undefined || entryRaw['definition'] !== undefined) {
        const pinned = checkedDefinition(file, where, entryRaw['definition'], entryRaw['hash']);
        entry.hash = pinned.hash;
        entry.definition = pinned.definition;
      }
      const pendingRaw = entryRaw['pending'];
      if (pendingRaw !== undefined) {
        if (!isRecord(pendingRaw)) throw new LockfileError(file, `${where}.pending must be an object`);
        entry.pending = checkedDefinition(file, `${where}.pending`, pendingRaw['definition'], pendingRaw['hash']);
      }
      if (entry.hash === undefined && entry.pending === undefined) throw new LockfileError(file, `${where} has neither a pinned nor a pending definition`);
      setOwn(entries, tool, entry);
    }
  }
  return lock;
}

/** The lockfile's content and the text it was read from (`undefined` when the file does not exist). */
export interface LoadedLockfile {
  readonly lock: Lockfile;
  readonly text: string | undefined;
}

/** Reads the lockfile; a missing file is an empty lockfile, anything unusable a LockfileError. */
export async function loadLockfile(file: string): Promise<LoadedLockfile> {
  // Pins read through a link, or from a file another user can change, could be anyone's.
  const unsafe = unsafePathReason(file);
  if (unsafe !== undefined) throw new LockfileError(file, unsafe);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lock: emptyLockfile(), text: undefined };
    throw new LockfileError(file, `cannot be read (${(err as Error).message})`);
  }
  return { lock: parseLockfile(text, file), text };
}

/**
 * Writes the lockfile atomically with owner-only permissions ({@link writeFileAtomically}: a new
 * temporary file in the same folder, renamed over the old one; a link or a file others can write
 * at the path is refused). Returns the text written.
 */
export async function writeLockfile(file: string, lock: Lockfile): Promise<string> {
  const text = serializeLockfile(lock);
  await writeFileAtomically(file, text);
  return text;
}

/** How long a competing writer is waited for, and when an abandoned lock is considered stale. */
const LOCK_WAIT_MS = 5000;
const LOCK_STALE_MS = 15000;
const LOCK_RETRY_MS = 20;

/**
 * Runs `fn` while holding `<file>.lock` (created exclusively), so the gateways of several chat
 * sessions and the `pins` command never lose each other's updates. A lock left behind by a crashed
 * process is taken over once it is older than LOCK_STALE_MS.
 */
export async function withLockfileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${file}.lock`;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: OWNER_ONLY_DIR });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await createExclusive(lockPath);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stat = await fs.stat(lockPath).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > LOCK_STALE_MS) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath} (delete it if no Gatekit process is running)`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

/**
 * Re-reads the lockfile under the lock, lets `mutate` change it (returning whether it did), and
 * writes it back only when the serialized text differs. Throws LockfileError for a broken file,
 * which is then left untouched.
 */
export async function updateLockfile(file: string, mutate: (lock: Lockfile) => boolean): Promise<LoadedLockfile> {
  return withLockfileLock(file, async () => {
    const loaded = await loadLockfile(file);
    if (!mutate(loaded.lock)) return loaded;
    const text = serializeLockfile(loaded.lock);
    if (text === loaded.text) return loaded;
    return { lock: loaded.lock, text: await writeLockfile(file, loaded.lock) };
  });
}

/** What `approvePending` accepted. */
export interface ApprovedPin {
  readonly server: string;
  readonly tool: string;
  readonly previousHash?: string;
  readonly hash: string;
}

/**
 * Accepts pending definitions: every server's (no `server`), one server's, or one tool's. The
 * pending definition becomes the pinned one. Mutates `lock`; returns what was approved.
 */
export function approvePending(lock: Lockfile, server?: string, tool?: string): ApprovedPin[] {
  const approved: ApprovedPin[] = [];
  for (const serverName of Object.keys(lock.servers).sort()) {
    if (server !== undefined && serverName !== server) continue;
    const entries = ownValue(lock.servers, serverName)!;
    for (const toolName of Object.keys(entries).sort()) {
      if (tool !== undefined && toolName !== tool) continue;
      const entry = ownValue(entries, toolName)!;
      if (!entry.pending) continue;
      approved.push({ server: serverName, tool: toolName, ...(entry.hash ? { previousHash: entry.hash } : {}), hash: entry.pending.hash });
      entry.hash = entry.pending.hash;
      entry.definition = entry.pending.definition;
      delete entry.pending;
    }
  }
  return approved;
}

/** Top-level fields whose value differs between two pinned definitions (for messages, never values). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter((f) => canonicalJson(before[f]) !== canonicalJson(after[f])).sort();
}
