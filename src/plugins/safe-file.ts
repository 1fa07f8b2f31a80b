// Opening the files Gatekit writes (audit logs, the tool-pinning lockfile, its own log file): never
// through a symbolic link at the path, never into a file another user can change, new files
// owner-only (0600) in folders created owner-only (0700). Every writer goes through here.
import { randomBytes } from 'node:crypto';
import { constants, fstatSync, lstatSync, mkdirSync, openSync, closeSync, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

export const OWNER_ONLY_FILE = 0o600;
export const OWNER_ONLY_DIR = 0o700;

// Windows has neither flag: there the lstat check before opening is the protection.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
// Opening a FIFO for writing would wait for a reader; non-blocking, it fails or is refused by the check after.
const NON_BLOCKING = constants.O_NONBLOCK ?? 0;
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NO_FOLLOW | NON_BLOCKING;
const EXCLUSIVE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;

/** A file Gatekit refuses to write to, and why. */
export class UnsafeFileError extends Error {
  constructor(
    readonly filePath: string,
    readonly reason: string,
  ) {
    super(`Refusing to write ${filePath}: ${reason}`);
    this.name = 'UnsafeFileError';
  }
}

/**
 * Why an existing file (stats from `lstat` or `fstat`) must not be written to, or undefined when it
 * may: a link could point anywhere, a device or FIFO is no log, and a file another user owns or
 * can write is one whose content (audit records, pins) they could forge or truncate.
 */
export function unsafeFileReason(stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) return 'it is a symbolic link (Gatekit never writes through a link)';
  if (!stats.isFile()) return 'it is not a regular file';
  if (process.platform === 'win32') return undefined;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return `it belongs to another user (uid ${stats.uid})`;
  if ((stats.mode & 0o022) !== 0) {
    return `other users can write to it (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}); remove their write permission (chmod go-w)`;
  }
  return undefined;
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** The reason an existing path must not be written, undefined when it may or does not exist. */
export function unsafePathReason(file: string): string | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    return `it cannot be inspected (${(err as Error).message})`;
  }
  return unsafeFileReason(stats);
}

function refuseIfUnsafe(file: string, stats: Stats | undefined): void {
  const reason = stats === undefined ? undefined : unsafeFileReason(stats);
  if (reason !== undefined) throw new UnsafeFileError(file, reason);
}

async function lstatIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** ELOOP (Linux) / EMLINK (FreeBSD) from O_NOFOLLOW: a link appeared after the lstat. */
function asLinkError(file: string, err: unknown): unknown {
  return isErrno(err, 'ELOOP', 'EMLINK') ? new UnsafeFileError(file, 'it is a symbolic link (Gatekit never writes through a link)') : err;
}

/**
 * Opens `file` for appending, creating it (0600) and its folder (0700) when missing. Throws
 * UnsafeFileError for a link, a non-regular file, or a file another user owns or can write.
 */
export async function openForAppend(file: string): Promise<FileHandle> {
  const existing = await lstatIfExists(file);
  refuseIfUnsafe(file, existing);
  if (existing === undefined) await fsp.mkdir(path.dirname(file), { recursive: true, mode: OWNER_ONLY_DIR });
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, APPEND_FLAGS, OWNER_ONLY_FILE);
  } catch (err) {
    throw asLinkError(file, err);
  }
  // What was opened is what counts (the path may have changed since the lstat).
  try {
    refuseIfUnsafe(file, await handle.stat());
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return handle;
}

/** {@link openForAppend} for synchronous callers (the gateway's own log file); returns a descriptor. */
export function openForAppendSync(file: string): number {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(file);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  refuseIfUnsafe(file, existing);
  if (existing === undefined) mkdirSync(path.dirname(file), { recursive: true, mode: OWNER_ONLY_DIR });
  let fd: number;
  try {
    fd = openSync(file, APPEND_FLAGS, OWNER_ONLY_FILE);
  } catch (err) {
    throw asLinkError(file, err);
  }
  try {
    refuseIfUnsafe(file, fstatSync(fd));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * Opens an existing `file` for reading (an audit log being verified or resumed): never through a
 * symbolic link (O_NOFOLLOW, and the lstat before), and only a regular file, so a FIFO cannot block
 * the reader and a device cannot feed it endless bytes. Ownership is not checked: reading forges nothing.
 */
export async function openForReading(file: string): Promise<FileHandle> {
  const existing = await fsp.lstat(file);
  if (existing.isSymbolicLink()) throw new UnsafeFileError(file, 'it is a symbolic link');
  if (!existing.isFile()) throw new UnsafeFileError(file, 'it is not a regular file');
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, constants.O_RDONLY | NO_FOLLOW | NON_BLOCKING);
  } catch (err) {
    throw asLinkError(file, err);
  }
  const opened = await handle.stat().catch(() => undefined);
  if (!opened?.isFile()) {
    await handle.close().catch(() => undefined);
    throw new UnsafeFileError(file, 'it is not a regular file');
  }
  return handle;
}

/**
 * Creates `file` (0600), failing if anything exists at the path, a link included (O_EXCL). For
 * temporary files and lock files.
 */
export async function createExclusive(file: string): Promise<FileHandle> {
  try {
    return await fsp.open(file, EXCLUSIVE_FLAGS, OWNER_ONLY_FILE);
  } catch (err) {
    throw asLinkError(file, err);
  }
}

/**
 * Replaces `file` with `text` atomically: a new temporary file (O_EXCL, 0600) in the same folder,
 * flushed, then renamed over the old one, so a reader sees the old or the new content and never
 * half of it. A rename replaces a link rather than following it, but an existing link, non-regular
 * file, or file another user controls at `file` is refused all the same.
 */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: OWNER_ONLY_DIR });
  refuseIfUnsafe(file, await lstatIfExists(file));
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await createExclusive(temp);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      // An umask cannot add bits, but the file system may ignore the creation mode (network shares).
      await handle.chmod(OWNER_ONLY_FILE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
}
