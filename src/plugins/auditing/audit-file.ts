// The append-only file behind every audit plugin: one descriptor per file, whole lines written in
// batches, size-based rotation as Python's RotatingFileHandler does it, owner-only files.
import { promises as fsp, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { openForAppend, openForReading, UnsafeFileError } from '../safe-file';
import { GENESIS_HASH, hashLine, linkLine, readLastLine } from './audit-chain';
import type { AuditEvent, AuditingPlugin, PluginEnvironment } from '../types';
import type { FileOptions } from './audit-options';

/** Options of an audit file. Sizes are in bytes; the plugins convert Gatekit's `max_file_size_mb`. */
export interface AuditFileOptions {
  /** Where to write. Resolved to an absolute path. */
  readonly path: string;
  /** Rotate before a write would make the file larger than this. */
  readonly maxBytes: number;
  /**
   * Rotated copies kept (`<file>.1` newest … `<file>.<n>` oldest). 0 means never rotate, which is
   * what Gatekit's Python handler did with `backup_count: 0`.
   */
  readonly backupCount: number;
  /** Written as the first line of every new or empty file (the CSV header). */
  readonly header?: string;
  /**
   * Chain the records (each line a JSON object): every line gets `prev_sha256`, the sha256 of the
   * previous line's bytes, also across rotation and restarts (see audit-chain.ts).
   */
  readonly chain?: boolean;
  /** Told about trouble that costs no record (a rotation that could not happen). */
  readonly onWarning?: (message: string) => void;
}

/** A write or open failure, with the file it concerns. */
export class AuditFileError extends Error {
  constructor(
    message: string,
    readonly filePath: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuditFileError';
  }
}

/** Lines waiting for the same write call, and the promise all their writers wait on. */
interface Batch {
  readonly lines: string[];
  readonly done: Promise<void>;
  settle(error?: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Every appender receives the rejection; this only keeps one nobody awaited from crashing the process.
  done.catch(() => undefined);
  return { lines: [], done, settle: (error) => (error === undefined ? resolve() : reject(error)) };
}

/** Batches up to this size are written synchronously while the disk is fast (see `syncWrites`). */
const SYNC_WRITE_MAX_BYTES = 1024 * 1024;
/** Batches encoding to at most this many bytes reuse one buffer; larger ones get their own. */
const SCRATCH_MAX_BYTES = 1024 * 1024;
const SCRATCH_MIN_BYTES = 64 * 1024;
/** A synchronous write slower than this counts as slow (see `syncWrites`). */
const SLOW_SYNC_WRITE_MS = 2;
/** After a failed rotation, the file grows past its limit for this long before the next attempt. */
const ROTATION_RETRY_DELAY_MS = 60_000;
/** This many slow writes in a row (a busy machine preempts one now and then) mean a slow disk. */
const SLOW_SYNC_WRITES_TOLERATED = 3;
/** A single write this slow is a stalled disk, not a preemption. */
const STALLED_SYNC_WRITE_MS = 50;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * One audit log file.
 *
 * `append(line)` queues a line (without its terminator) and resolves once the write call that
 * carries it has completed, i.e. the line is in the operating system's hands; it rejects when that
 * write (or opening the file) failed. While one write is in flight, new lines gather into the next
 * batch, so throughput grows with load while a lone record costs one write. Each write holds whole
 * lines only; a write that fails half-way has its partial tail truncated away, so the file never
 * holds half a record. A failure affects its own batch: the next batch reopens the file and tries
 * again (the disk may have been freed), so a critical audit plugin blocks exactly the traffic it
 * could not record.
 *
 * The file is opened lazily on the first line (validating a config never creates files) through
 * {@link openForAppend}: created with mode 0600 in a folder created 0700 if missing; a symbolic
 * link at the path, anything but a regular file (directories, FIFOs, devices such as /dev/stdout,
 * which carries the MCP protocol here), and a file another user owns or can write are refused.
 */
export class AuditFile {
  readonly path: string;
  private maxBytes = 0;
  private backupCount = 0;
  private rotates = false;
  private header: string | undefined;
  private chain = false;
  /** Hash of the last line written (`prev_sha256` of the next); undefined until read from the file. */
  private chainHead: string | undefined;
  private warn: (message: string) => void = () => undefined;
  /** Rotation is skipped until then after a rename failed (Windows refuses to rename a file another process holds open). */
  private rotationRetryAt = 0;
  private handle: FileHandle | undefined;
  /** Bytes in the open file, as far as this writer knows (its own writes added to the size at open). */
  private size = 0;
  /** Size of the open file when it held no records (the header, or 0), so rotation never leaves an empty file. */
  private emptySize = 0;
  private inode = 0;
  private queued: Batch | undefined;
  private writing: Batch | undefined;
  private pumping = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;
  private closed = false;
  /**
   * A small write to a local disk takes a few microseconds, a fifth of a thread-pool round trip,
   * so it is done in place. Once writes turn out slow (several in a row over SLOW_SYNC_WRITE_MS, or
   * one stalled: a network drive, a saturated disk) every later write goes through the thread pool
   * and never blocks the gateway again.
   */
  private syncWrites = true;
  /** Reused to encode batches (see `encode`). */
  private scratch: Buffer | undefined;
  private slowSyncWrites = 0;

  constructor(options: AuditFileOptions) {
    this.path = path.resolve(options.path);
    this.configure(options);
  }

  /** Applies new rotation and header options from the next write on (a reloaded configuration). */
  configure(options: Omit<AuditFileOptions, 'path'>): void {
    this.maxBytes = options.maxBytes;
    this.backupCount = options.backupCount;
    this.rotates = options.backupCount > 0 && options.maxBytes > 0;
    this.header = options.header;
    if (this.chain !== (options.chain ?? false)) this.chainHead = undefined;
    this.chain = options.chain ?? false;
    if (options.onWarning) this.warn = options.onWarning;
  }

  /** Queues one record line (no '\n' inside, none at the end) and resolves when it has been written. */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new AuditFileError(`Audit log ${this.path} is closed`, this.path));
    let batch = this.queued;
    if (!batch) {
      batch = newBatch();
      this.queued = batch;
      if (!this.pumping) this.startPump();
    }
    batch.lines.push(line);
    return batch.done;
  }

  /**
   * Resolves when every line appended so far has been written (or failed) and synced. Waits for
   * the newest batch only, so other writers' steady traffic cannot hold it up.
   */
  async flush(): Promise<void> {
    const last = this.queued ?? this.writing;
    if (last) await last.done.catch(() => undefined);
    // A rotation may close this handle meanwhile; its lines are written either way.
    await this.handle?.sync().catch(() => undefined);
  }

  /** Writes everything queued, syncs it to disk and closes the file. Later appends reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle;
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private startPump(): void {
    this.pumping = true;
    this.idle = new Promise<void>((resolve) => (this.markIdle = resolve));
    // Deferred to a microtask so the lines appended in the same turn share the first write.
    queueMicrotask(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      for (let batch = this.queued; batch; batch = this.queued) {
        this.queued = undefined;
        this.writing = batch;
        try {
          await this.writeLines(batch.lines);
          batch.settle();
        } catch (err) {
          await this.dropHandle();
          // Lines of the failed batch may or may not be in the file: the next batch reads where the chain stands.
          this.chainHead = undefined;
          batch.settle(err instanceof AuditFileError ? err : new AuditFileError(`Cannot write audit log ${this.path}: ${describe(err)}`, this.path, { cause: err }));
        }
      }
    } finally {
      this.writing = undefined;
      this.pumping = false;
      this.markIdle();
    }
  }

  private async writeLines(lines: string[]): Promise<void> {
    await this.ensureOpen();
    if (this.chain) lines = await this.linkLines(lines);
    const data = this.encode(lines);
    if (!this.rotates || this.size + data.length <= this.maxBytes || Date.now() < this.rotationRetryAt) {
      await this.writeChunk(data);
      return;
    }
    // The batch crosses the size limit: place it line by line so each file stays within it
    // (a single line larger than the limit gets a file of its own).
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const lineBytes = Buffer.byteLength(line, 'utf8') + 1;
      const fill = this.size + chunkBytes;
      if (fill + lineBytes > this.maxBytes && fill > this.emptySize) {
        if (chunk.length > 0) await this.writeChunk(Buffer.from(chunk.join('\n') + '\n', 'utf8'));
        chunk = [];
        chunkBytes = 0;
        if (!(await this.rotate())) {
          // Rotation is housekeeping: the records still go to the current file.
          await this.writeChunk(Buffer.from(lines.slice(i).join('\n') + '\n', 'utf8'));
          return;
        }
      }
      chunk.push(line);
      chunkBytes += lineBytes;
    }
    if (chunk.length > 0) await this.writeChunk(Buffer.from(chunk.join('\n') + '\n', 'utf8'));
  }

  /** The lines with `prev_sha256` added, each linked to the one before; advances the chain head. */
  private async linkLines(lines: readonly string[]): Promise<string[]> {
    let head = this.chainHead ?? (await this.resumeChain());
    const linked = lines.map((line) => {
      const chained = linkLine(line, head);
      head = hashLine(chained);
      return chained;
    });
    this.chainHead = head;
    return linked;
  }

  /**
   * Where the chain stands when this writer has not written yet (a gateway restart, a reloaded
   * configuration, a failed batch): the hash of the file's last line; for an empty file, of the
   * last line of `<file>.1` (a rotation the previous run did not get to write after), else genesis.
   * A file ending inside a line (a crash mid-write) gets its '\n' first, so that partial line
   * stays a line of its own, reported as such by the verifier.
   */
  private async resumeChain(): Promise<string> {
    const handle = this.handle!;
    try {
      const { size } = await handle.stat();
      // The handle is write-only (O_APPEND): read through a second, read-only descriptor.
      let last = size > 0 ? await this.lastLineOf(this.path) : undefined;
      if (last && !last.terminated) {
        await this.writeChunk(Buffer.from('\n'));
        last = { ...last, terminated: true };
      }
      if (!last && size === 0 && this.rotates) last = await this.lastLineOf(`${this.path}.1`);
      return last?.hash ?? GENESIS_HASH;
    } catch (err) {
      this.warn(`Cannot read the end of audit log ${this.path} to continue its hash chain (${describe(err)}); starting a new chain`);
      return GENESIS_HASH;
    }
  }

  private async lastLineOf(file: string): Promise<{ hash: string; terminated: boolean } | undefined> {
    let reader: FileHandle;
    try {
      reader = await openForReading(file);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      return await readLastLine(reader, (await reader.stat()).size);
    } finally {
      await reader.close().catch(() => undefined);
    }
  }

  /**
   * The batch as UTF-8 bytes, one '\n' after each line. Batches of ordinary size are encoded line
   * by line into a buffer kept for the next batch (batches are written one at a time, so it is free
   * again by then): records are built from many small pieces, and joining them into one string
   * before encoding cost more than formatting them.
   */
  private encode(lines: readonly string[]): Buffer {
    let units = lines.length;
    for (const line of lines) units += line.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (4 for a surrogate pair, which is 2 units).
    const bound = units * 3;
    if (bound > SCRATCH_MAX_BYTES) return Buffer.from(lines.join('\n') + '\n', 'utf8');
    let scratch = this.scratch;
    if (!scratch || scratch.length < bound) scratch = this.scratch = Buffer.allocUnsafe(Math.max(bound, SCRATCH_MIN_BYTES));
    let used = 0;
    for (const line of lines) {
      used += scratch.write(line, used, 'utf8');
      scratch[used++] = 0x0a;
    }
    return scratch.subarray(0, used);
  }

  private async writeChunk(data: Buffer): Promise<void> {
    const handle = this.handle!;
    let written = 0;
    try {
      if (this.syncWrites && data.length <= SYNC_WRITE_MAX_BYTES) {
        const started = performance.now();
        while (written < data.length) written += writeSync(handle.fd, data, written, data.length - written);
        this.noteSyncWrite(performance.now() - started);
      } else {
        while (written < data.length) {
          const { bytesWritten } = await handle.write(data, written, data.length - written);
          written += bytesWritten;
        }
      }
    } catch (err) {
      if (written > 0) await this.cutPartialLine(handle, data, written);
      throw err;
    } finally {
      this.size += written;
    }
  }

  private noteSyncWrite(elapsedMs: number): void {
    if (elapsedMs <= SLOW_SYNC_WRITE_MS) {
      this.slowSyncWrites = 0;
      return;
    }
    this.slowSyncWrites++;
    if (elapsedMs > STALLED_SYNC_WRITE_MS || this.slowSyncWrites >= SLOW_SYNC_WRITES_TOLERATED) this.syncWrites = false;
  }

  /** After a short write followed by an error, removes the unterminated tail so only whole lines remain. */
  private async cutPartialLine(handle: FileHandle, data: Buffer, written: number): Promise<void> {
    const lastNewline = data.lastIndexOf(0x0a, written - 1);
    const partial = written - (lastNewline + 1);
    if (partial === 0) return;
    try {
      const { size } = await handle.stat();
      await handle.truncate(Math.max(0, size - partial));
      this.size -= partial;
    } catch {
      // The error that got us here is the one worth reporting.
    }
  }

  private async ensureOpen(): Promise<void> {
    if (this.handle) return;
    let handle: FileHandle;
    try {
      handle = await openForAppend(this.path);
    } catch (err) {
      const detail = err instanceof UnsafeFileError ? err.reason : describe(err);
      throw new AuditFileError(`Cannot open audit log ${this.path}: ${detail}`, this.path, { cause: err });
    }
    try {
      const stats = await handle.stat();
      this.size = stats.size;
      this.inode = stats.ino;
      this.handle = handle;
      this.emptySize = 0;
      if (this.header !== undefined) {
        const headerLine = Buffer.from(this.header + '\n', 'utf8');
        this.emptySize = headerLine.length;
        if (stats.size === 0) await this.writeChunk(headerLine);
      }
    } catch (err) {
      this.handle = undefined;
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Shifts `<file>` → `<file>.1` → … → `<file>.<n>` (dropping the oldest) and opens a fresh file.
   * Returns false, with the current file reopened, when renaming failed.
   */
  private async rotate(): Promise<boolean> {
    const current = await fsp.stat(this.path).catch(() => undefined);
    await this.dropHandle();
    let rotated = true;
    // Another gateway process writing the same file may have rotated it already: then only reopen.
    if (current && current.ino === this.inode) {
      try {
        for (let i = this.backupCount - 1; i >= 1; i--) {
          await fsp.rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch((err: unknown) => {
            if (!isMissing(err)) throw err;
          });
        }
        await fsp.rename(this.path, `${this.path}.1`);
      } catch (err) {
        rotated = false;
        this.rotationRetryAt = Date.now() + ROTATION_RETRY_DELAY_MS;
        this.warn(`Cannot rotate audit log ${this.path} (${describe(err)}); writing on past its size limit, retrying in a minute`);
      }
    }
    await this.ensureOpen();
    return rotated;
  }

  private async dropHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.close().catch(() => undefined);
  }
}

interface SharedFile {
  readonly file: AuditFile;
  users: number;
}

/**
 * Open audit files by absolute path. Two writers on one file would each track its size and rotate
 * it under the other, so plugin instances naming the same file (a global entry and a server
 * override) share one writer. The table mirrors a process-wide resource, the file itself.
 */
const openFiles = new Map<string, SharedFile>();

/** A plugin's use of an audit file; closing it closes the file when no other plugin uses it. */
export interface AuditFileLease {
  readonly path: string;
  /** See {@link AuditFile.append}. */
  append(line: string): Promise<void>;
  /** Idempotent. Resolves when everything appended so far is flushed and synced (the file closes with its last user). */
  close(): Promise<void>;
}

/**
 * Opens (or joins) the audit file at `options.path`. The latest opener's rotation options apply,
 * so a reloaded configuration takes effect while the previous one is still closing.
 */
export function openAuditFile(options: AuditFileOptions): AuditFileLease {
  const key = path.resolve(options.path);
  let shared = openFiles.get(key);
  if (!shared) {
    shared = { file: new AuditFile({ ...options, path: key }), users: 0 };
    openFiles.set(key, shared);
  } else {
    shared.file.configure(options);
  }
  shared.users++;
  const entry = shared;
  let released: Promise<void> | undefined;
  return {
    path: key,
    append: (line) => (released ? Promise.reject(new AuditFileError(`Audit log ${key} is closed`, key)) : entry.file.append(line)),
    close: () => {
      if (!released) {
        entry.users--;
        if (entry.users === 0) {
          openFiles.delete(key);
          released = entry.file.close();
        } else {
          // Others still write here; this user's lines must be on disk all the same.
          released = entry.file.flush();
        }
      }
      return released;
    },
  };
}

/** Converts Gatekit's `max_file_size_mb` (fractions allowed) to bytes. */
export function megabytes(mb: number): number {
  return Math.floor(mb * 1024 * 1024);
}

/**
 * An auditing plugin instance writing one line per event to its audit file. `record` settles
 * when the line is written (see {@link AuditFile.append}), so a critical plugin holds the traffic
 * until its record is safe and fails it when the record cannot be written.
 */
export function createFileAuditor(
  options: FileOptions,
  env: PluginEnvironment,
  formatLine: (event: AuditEvent) => string,
  header?: string,
  chain = false,
): AuditingPlugin {
  const file = openAuditFile({
    path: env.resolvePath(options.output_file),
    maxBytes: megabytes(options.max_file_size_mb),
    backupCount: options.backup_count,
    ...(header !== undefined ? { header } : {}),
    chain,
    onWarning: (message) => env.log(message),
  });
  return {
    record: (event) => file.append(formatLine(event)),
    close: () => file.close(),
  };
}
