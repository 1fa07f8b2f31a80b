// The hash chain of a tamper-evident JSONL audit log (`audit_jsonl` with `chain: true`): each record
// carries the sha256 of the previous line's exact bytes, across rotated files and restarts.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** The record field holding the previous line's hash: always the last field of a chained record. */
export const CHAIN_FIELD = 'prev_sha256';
/** `prev_sha256` of the first record of a chain (a new log, not started by rotation). */
export const GENESIS_HASH = '0'.repeat(64);
/** Longest line whose hash a restarted writer recovers from the end of its file (larger: a fresh chain). */
export const MAX_TAIL_LINE_BYTES = 64 * 1024 * 1024;
const TAIL_CHUNK_BYTES = 64 * 1024;

/** sha256 (hex) of a line's bytes, without its '\n' terminator. */
export function hashLine(line: string | Uint8Array): string {
  return createHash('sha256').update(line).digest('hex');
}

/** A JSON object line (ending in `}`) with `"prev_sha256":"<prev>"` added as its last field. */
export function linkLine(line: string, prev: string): string {
  const body = line.slice(0, -1);
  return `${body}${body.endsWith('{') ? '' : ','}"${CHAIN_FIELD}":"${prev}"}`;
}

/** The last line of a file, as found at its end. */
export interface LastLine {
  /** sha256 of the line's bytes (without the '\n'). */
  readonly hash: string;
  /** False when the file does not end with '\n' (a write cut off mid-line by a crash). */
  readonly terminated: boolean;
}

/**
 * Reads the last line of an open file of `size` bytes backwards, in chunks, never more than
 * {@link MAX_TAIL_LINE_BYTES}. Undefined for an empty file; throws when the line is longer than that.
 */
export async function readLastLine(handle: FileHandle, size: number): Promise<LastLine | undefined> {
  if (size === 0) return undefined;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  const terminated = last[0] === 0x0a;
  const end = terminated ? size - 1 : size;
  const chunks: Buffer[] = [];
  let position = end;
  let collected = 0;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK_BYTES, position);
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await handle.read(chunk, 0, length, position - length);
    if (bytesRead !== length) throw new Error('the file shrank while its last line was read');
    position -= length;
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) {
      chunks.unshift(chunk.subarray(newline + 1));
      break;
    }
    chunks.unshift(chunk);
    collected += length;
    if (collected > MAX_TAIL_LINE_BYTES) throw new Error(`its last line is longer than ${MAX_TAIL_LINE_BYTES} bytes`);
  }
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return { hash: hash.digest('hex'), terminated };
}

/** Longest line the verifier reads; a longer one is reported rather than buffered. */
export const MAX_VERIFY_LINE_BYTES = 64 * 1024 * 1024;
const VERIFY_CHUNK_BYTES = 1024 * 1024;
const HEX_HASH = /^[0-9a-f]{64}$/;

/** What is wrong with the first broken record. */
export type ChainProblem = 'hash-mismatch' | 'unparseable' | 'missing-field' | 'truncated' | 'invalid-utf8' | 'too-long' | 'unreadable';

export type ChainVerdict =
  | {
      readonly intact: true;
      readonly records: number;
      /** The files walked, oldest first. */
      readonly files: readonly string[];
      /** Whether the oldest record is a chain's first (genesis) or follows a file rotated away. */
      readonly startsAtGenesis: boolean;
    }
  | {
      readonly intact: false;
      readonly records: number;
      readonly files: readonly string[];
      readonly problem: ChainProblem;
      readonly file: string;
      /** 1-based line number in `file` (0 when the file itself could not be read). */
      readonly line: number;
      readonly message: string;
    };

/** `file` and its rotated predecessors that exist (`<file>.1` … up to the first gap), oldest first. */
export async function chainFiles(file: string, exists: (p: string) => Promise<boolean>): Promise<string[]> {
  const files = [file];
  for (let i = 1; await exists(`${file}.${i}`); i++) files.unshift(`${file}.${i}`);
  return files;
}

/** Reads `handle` line by line (as bytes, '\n' separated); `onLine` returns false to stop. */
async function eachLine(
  handle: FileHandle,
  onLine: (line: Buffer | undefined, terminated: boolean, lineNo: number) => boolean,
): Promise<void> {
  const chunk = Buffer.alloc(VERIFY_CHUNK_BYTES);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl >= 0 && nl < bytesRead; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      const tooLong = pendingBytes + piece.length > MAX_VERIFY_LINE_BYTES;
      const line = tooLong ? undefined : pending.length === 0 ? Buffer.from(piece) : Buffer.concat([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      if (!onLine(line, true, ++lineNo)) return;
    }
    if (start < bytesRead) {
      if (pendingBytes <= MAX_VERIFY_LINE_BYTES) pending.push(Buffer.from(chunk.subarray(start, bytesRead)));
      pendingBytes += bytesRead - start;
    }
  }
  if (pendingBytes > 0) onLine(pendingBytes > MAX_VERIFY_LINE_BYTES ? undefined : Buffer.concat(pending), false, lineNo + 1);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A line's `prev_sha256`, or what keeps it from having one. */
function parseRecord(bytes: Buffer): { prev: string } | { problem: ChainProblem; message: string } {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { problem: 'invalid-utf8', message: 'line is not valid UTF-8' };
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return { problem: 'unparseable', message: 'line is not a JSON record' };
  }
  const prev = record !== null && typeof record === 'object' && !Array.isArray(record) ? (record as Record<string, unknown>)[CHAIN_FIELD] : undefined;
  if (typeof prev !== 'string' || !HEX_HASH.test(prev)) return { problem: 'missing-field', message: `record has no valid "${CHAIN_FIELD}" field` };
  return { prev };
}

/**
 * Walks `files` (oldest first) and checks every record's `prev_sha256` against the sha256 of the
 * line before it, across files. The first record of the oldest file is accepted whatever it links
 * to (older files may have been rotated away). Stops at the first broken record.
 */
export async function verifyChainFiles(files: readonly string[], open: (file: string) => Promise<FileHandle>): Promise<ChainVerdict> {
  let records = 0;
  let previous: { hash: string; file: string; line: number } | undefined;
  let startsAtGenesis = false;
  let broken: ChainVerdict | undefined;
  let suspect: { problem: ChainProblem; message: string; file: string; line: number; hash: string } | undefined;
  const fail = (problem: ChainProblem, file: string, line: number, message: string): false => {
    broken = { intact: false, records, files, problem, file, line, message };
    return false;
  };
  for (const file of files) {
    let handle: FileHandle;
    try {
      handle = await open(file);
    } catch (err) {
      const reason = (err as { reason?: unknown }).reason;
      return fail('unreadable', file, 0, `cannot read: ${typeof reason === 'string' ? reason : err instanceof Error ? err.message : String(err)}`) || broken!;
    }
    try {
      await eachLine(handle, (bytes, terminated, lineNo) => {
        if (bytes === undefined) return fail('too-long', file, lineNo, `line longer than ${MAX_VERIFY_LINE_BYTES} bytes`);
        if (!terminated) return fail('truncated', file, lineNo, 'truncated record: the last line has no line end (a write cut off, e.g. by a crash), not a changed record');
        const parsed = parseRecord(bytes);
        if (suspect) {
          // A line that did not parse, followed by a record linked to it: a record cut off by a crash
          // that the restarted writer ended with '\n' and chained on from.
          if ('prev' in parsed && parsed.prev === suspect.hash) {
            return fail('truncated', suspect.file, suspect.line, 'truncated record: cut off mid-write (e.g. by a crash) and ended by the restarted writer, which chained on from it; not a changed record');
          }
          return fail(suspect.problem, suspect.file, suspect.line, suspect.message);
        }
        if ('problem' in parsed) {
          if (parsed.problem === 'missing-field') return fail(parsed.problem, file, lineNo, parsed.message);
          suspect = { ...parsed, file, line: lineNo, hash: hashLine(bytes) };
          return true;
        }
        const prev = parsed.prev;
        if (previous === undefined) startsAtGenesis = prev === GENESIS_HASH;
        else if (prev !== previous.hash) {
          const where = previous.file === file ? `line ${previous.line}` : `line ${previous.line} of ${previous.file}`;
          return fail('hash-mismatch', file, lineNo, `hash mismatch: "${CHAIN_FIELD}" is not the sha256 of the previous line (${where}); a record was changed, removed, inserted or reordered`);
        }
        previous = { hash: hashLine(bytes), file, line: lineNo };
        records++;
        return true;
      });
    } catch (err) {
      fail('unreadable', file, 0, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await handle.close().catch(() => undefined);
    }
    if (broken) return broken;
  }
  if (suspect) return fail(suspect.problem, suspect.file, suspect.line, suspect.message) || broken!;
  return { intact: true, records, files, startsAtGenesis };
}
