// Tests of the shared audit file writer: whole lines, batching order, rotation, modes, failures, close.
import assert from 'node:assert/strict';
import fs from 'node:fs'; // the module object itself, so a test can wrap writeSync
import { existsSync, mkdirSync, promises as fsPromises, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AuditFile, AuditFileError, megabytes, openAuditFile } from '../../../../src/plugins/auditing/audit-file';
import { tempDir } from './helpers';

function linesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${file} ends inside a line`);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

describe('audit file writer', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.dispose());

  it('creates missing folders and an owner-only file, and appends whole lines in order', async () => {
    const file = path.join(tmp.dir, 'deep', 'er', 'audit.log');
    const writer = new AuditFile({ path: file, maxBytes: megabytes(10), backupCount: 5 });
    await Promise.all([writer.append('one'), writer.append('two'), writer.append('three')]);
    await writer.append('four');
    await writer.close();
    assert.deepEqual(linesOf(file), ['one', 'two', 'three', 'four']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  });

  it('appends to an existing file and leaves its mode alone', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    writeFileSync(file, 'before\n', { mode: 0o640 });
    const writer = new AuditFile({ path: file, maxBytes: megabytes(10), backupCount: 5 });
    await writer.append('after');
    await writer.close();
    assert.deepEqual(linesOf(file), ['before', 'after']);
    assert.equal(statSync(file).mode & 0o777, 0o640);
  });

  it('writes any text as its UTF-8 bytes, in batches of every size, small after large', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    const writer = new AuditFile({ path: file, maxBytes: megabytes(100), backupCount: 0 });
    // Multi-byte characters, a surrogate pair, a lone surrogate (written as U+FFFD, as Buffer.from does).
    const odd = ['é ü', '😀 ok', 'lone \ud800 surrogate', '中文', ''];
    const huge = Array.from({ length: 5 }, (_, i) => `${i}:${'ж'.repeat(100_000)}`);
    const expected: string[] = [];
    for (const batch of [odd, huge, ['short'], odd.map((l) => l + '!')]) {
      await Promise.all(batch.map((line) => writer.append(line)));
      expected.push(...batch);
    }
    await writer.close();
    assert.deepEqual(readFileSync(file), Buffer.from(expected.map((l) => l + '\n').join(''), 'utf8'));
  });

  it('does not create the file before the first line (validating a config has no side effects)', async () => {
    const file = path.join(tmp.dir, 'sub', 'audit.log');
    const writer = new AuditFile({ path: file, maxBytes: 1000, backupCount: 1 });
    await writer.close();
    assert.equal(existsSync(path.dirname(file)), false);
  });

  it('writes the header first in every new file, never twice in a file', async () => {
    const file = path.join(tmp.dir, 'audit.csv');
    const writer = new AuditFile({ path: file, maxBytes: 60, backupCount: 3, header: 'h1,h2' });
    for (let i = 0; i < 12; i++) await writer.append(`row-${i},xxxxxxxx`);
    await writer.close();
    const again = new AuditFile({ path: file, maxBytes: megabytes(1), backupCount: 3, header: 'h1,h2' });
    await again.append('late,row');
    await again.close();
    for (const name of readdirSync(tmp.dir)) {
      const lines = linesOf(path.join(tmp.dir, name));
      assert.equal(lines[0], 'h1,h2', name);
      assert.equal(lines.filter((l) => l === 'h1,h2').length, 1, name);
    }
  });

  it('rotates before a write would pass the size limit, keeping backup_count files of whole lines', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl');
    const limit = 1000;
    const writer = new AuditFile({ path: file, maxBytes: limit, backupCount: 3 });
    const total = 200;
    // Concurrent appends arrive as large batches, so batches that straddle the limit are split.
    await Promise.all(Array.from({ length: total }, (_, i) => writer.append(JSON.stringify({ n: i, pad: 'x'.repeat(20) }))));
    await writer.close();
    const names = readdirSync(tmp.dir).sort();
    assert.deepEqual(names, ['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2', 'audit.jsonl.3']);
    const seen: number[] = [];
    for (const name of ['audit.jsonl.3', 'audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl']) {
      const full = path.join(tmp.dir, name);
      assert.ok(statSync(full).size <= limit, `${name} is ${statSync(full).size} bytes`);
      for (const line of linesOf(full)) seen.push((JSON.parse(line) as { n: number }).n);
    }
    // Oldest files were dropped; what is kept is the most recent, contiguous, in order.
    assert.equal(seen[seen.length - 1], total - 1);
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[i - 1]! + 1);
    assert.ok(seen.length >= 3 * 20, `kept only ${seen.length} records`);
  });

  it('gives a line larger than the limit a file of its own instead of looping', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    const writer = new AuditFile({ path: file, maxBytes: 50, backupCount: 2 });
    await writer.append('small');
    await writer.append('y'.repeat(200));
    await writer.append('tail');
    await writer.close();
    assert.deepEqual(linesOf(`${file}.2`), ['small']);
    assert.deepEqual(linesOf(`${file}.1`), ['y'.repeat(200)]);
    assert.deepEqual(linesOf(file), ['tail']);
  });

  it('keeps writing (and warns) when rotation cannot rename the file', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    const realRename = fsPromises.rename;
    let renames = 0;
    (fsPromises as { rename: unknown }).rename = async () => {
      renames++;
      throw Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });
    };
    const warnings: string[] = [];
    try {
      const writer = new AuditFile({ path: file, maxBytes: 30, backupCount: 2, onWarning: (m) => warnings.push(m) });
      await Promise.all(['same line', 'same line', 'same line', 'same line'].map((l) => writer.append(l)));
      for (let i = 0; i < 5; i++) await writer.append(`later ${i}`);
      await writer.close();
    } finally {
      (fsPromises as { rename: unknown }).rename = realRename;
    }
    assert.deepEqual(linesOf(file), ['same line', 'same line', 'same line', 'same line', 'later 0', 'later 1', 'later 2', 'later 3', 'later 4']);
    assert.equal(warnings.length, 1, 'retried rotation before the delay');
    assert.match(warnings[0]!, /Cannot rotate audit log .*EBUSY/);
    assert.equal(renames, 1);
  });

  it('never rotates with backup_count 0 (as the Python handler)', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    const writer = new AuditFile({ path: file, maxBytes: 20, backupCount: 0 });
    for (let i = 0; i < 10; i++) await writer.append(`line number ${i}`);
    await writer.close();
    assert.deepEqual(readdirSync(tmp.dir), ['audit.log']);
    assert.equal(linesOf(file).length, 10);
  });

  it('rejects when the path is a folder, and recovers once it is fixed', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    mkdirSync(file);
    const writer = new AuditFile({ path: file, maxBytes: 1000, backupCount: 1 });
    await assert.rejects(writer.append('lost'), (err: unknown) => err instanceof AuditFileError && /not a regular file/.test(err.message));
    rmSync(file, { recursive: true });
    await writer.append('kept');
    await writer.close();
    assert.deepEqual(linesOf(file), ['kept']);
  });

  it('rejects when the parent folder cannot be created (a file is in the way)', async () => {
    const blocker = path.join(tmp.dir, 'blocker');
    writeFileSync(blocker, '');
    const writer = new AuditFile({ path: path.join(blocker, 'audit.log'), maxBytes: 1000, backupCount: 1 });
    const results = await Promise.allSettled([writer.append('a'), writer.append('b')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(String((results[0] as PromiseRejectedResult).reason), /Cannot open audit log/);
    await writer.close();
  });

  it('refuses device files such as /dev/null (stdout carries the protocol)', async () => {
    const writer = new AuditFile({ path: '/dev/null', maxBytes: 1000, backupCount: 1 });
    await assert.rejects(writer.append('x'), /not a regular file/);
    await writer.close();
  });

  it('flushes everything on close, leaving only complete lines, then refuses more', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl');
    const writer = new AuditFile({ path: file, maxBytes: megabytes(100), backupCount: 1 });
    const total = 20000;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) pending.push(writer.append(JSON.stringify({ i, text: 'é€𝄞 '.repeat(i % 7) })));
    await writer.close(); // without awaiting the appends first
    await Promise.all(pending);
    const lines = linesOf(file);
    assert.equal(lines.length, total);
    lines.forEach((line, index) => assert.equal((JSON.parse(line) as { i: number }).i, index));
    await assert.rejects(writer.append('late'), /closed/);
  });

  it('shares one writer between leases of the same file and closes it with the last', async () => {
    const file = path.join(tmp.dir, 'shared.log');
    const a = openAuditFile({ path: file, maxBytes: 200, backupCount: 5 });
    const b = openAuditFile({ path: path.join(tmp.dir, '.', 'shared.log'), maxBytes: 200, backupCount: 5 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append(`record-${String(i).padStart(3, '0')}`)));
    await a.close();
    await a.close();
    await assert.rejects(a.append('after close'), /closed/);
    await b.append('still open');
    await b.close();
    const all = readdirSync(tmp.dir)
      .sort()
      .reverse()
      .flatMap((name) => linesOf(path.join(tmp.dir, name)));
    assert.equal(all.length, 41);
    assert.equal(all[all.length - 1], 'still open');
    for (const name of readdirSync(tmp.dir)) assert.ok(statSync(path.join(tmp.dir, name)).size <= 200);
  });

  describe('a write that fails half-way (disk full)', () => {
    let failNextWrite = false;
    const realOpen = fsPromises.open;
    const realWriteSync = fs.writeSync;
    let syncCalls = 0;

    /** Stops the next write half-way, then fails it, on both the synchronous and the thread-pool path. */
    beforeEach(() => {
      failNextWrite = false;
      syncCalls = 0;
      (fs as { writeSync: unknown }).writeSync = (fd: number, buffer: Buffer, offset: number, length: number) => {
        if (!failNextWrite) return realWriteSync(fd, buffer, offset, length);
        if (syncCalls++ === 0) return realWriteSync(fd, buffer, offset, Math.floor(length / 2));
        failNextWrite = false;
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      };
      (fsPromises as { open: unknown }).open = async (...args: Parameters<typeof fsPromises.open>) => {
        const handle = await realOpen(...args);
        const realWrite = handle.write.bind(handle) as (b: Buffer, o: number, l: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
        let calls = 0;
        (handle as unknown as { write: typeof realWrite }).write = async (buffer, offset, length) => {
          if (!failNextWrite) return realWrite(buffer, offset, length);
          if (calls++ === 0) return realWrite(buffer, offset, Math.floor(length / 2));
          failNextWrite = false;
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        };
        return handle;
      };
    });
    afterEach(() => {
      (fs as { writeSync: unknown }).writeSync = realWriteSync;
      (fsPromises as { open: unknown }).open = realOpen;
    });

    // Batches up to 1 MiB are written in place, bigger ones through the thread pool.
    for (const [label, padding] of [
      ['small batches (written in place)', 10],
      ['large batches (thread pool)', 700 * 1024],
    ] as const) {
      it(`cuts the unterminated tail, keeping whole lines only: ${label}`, async () => {
        const file = path.join(tmp.dir, 'audit.log');
        const expected = ['first', 'second', 'third is longer', 'fourth'].map((l) => l + ' ' + 'p'.repeat(padding));
        const writer = new AuditFile({ path: file, maxBytes: megabytes(100), backupCount: 1 });
        await writer.append(expected[0]!);
        failNextWrite = true;
        await assert.rejects(Promise.all([writer.append(expected[1]!), writer.append(expected[2]!)]), /no space left/);
        assert.equal(failNextWrite, false, 'the failure was not injected');
        await writer.append(expected[3]!);
        await writer.close();
        const lines = linesOf(file);
        assert.equal(lines[0], expected[0]);
        assert.equal(lines[lines.length - 1], expected[3]);
        for (const line of lines) assert.ok(expected.includes(line), `partial line of ${line.length} characters`);
      });
    }
  });

  it('moves writes to the thread pool once an in-place write stalls', async () => {
    const file = path.join(tmp.dir, 'audit.log');
    const realOpen = fsPromises.open;
    const realWriteSync = fs.writeSync;
    let poolWrites = 0;
    let stallNext = false;
    (fs as { writeSync: unknown }).writeSync = (fd: number, buffer: Buffer, offset: number, length: number) => {
      if (stallNext) {
        stallNext = false;
        const until = Date.now() + 80; // a stalled disk, simulated by holding the call
        while (Date.now() < until);
      }
      return realWriteSync(fd, buffer, offset, length);
    };
    (fsPromises as { open: unknown }).open = async (...args: Parameters<typeof fsPromises.open>) => {
      const handle = await realOpen(...args);
      const realWrite = handle.write.bind(handle) as (b: Buffer, o: number, l: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
      (handle as unknown as { write: typeof realWrite }).write = (buffer, offset, length) => {
        poolWrites++;
        return realWrite(buffer, offset, length);
      };
      return handle;
    };
    try {
      const writer = new AuditFile({ path: file, maxBytes: megabytes(1), backupCount: 1 });
      await writer.append('in place');
      assert.equal(poolWrites, 0);
      stallNext = true;
      await writer.append('stalled');
      await writer.append('pooled');
      await writer.close();
    } finally {
      (fs as { writeSync: unknown }).writeSync = realWriteSync;
      (fsPromises as { open: unknown }).open = realOpen;
    }
    assert.equal(poolWrites, 1);
    assert.deepEqual(linesOf(file), ['in place', 'stalled', 'pooled']);
  });

  it("flushes a lease's lines on its close even while another lease keeps the file open", async () => {
    const file = path.join(tmp.dir, 'shared.log');
    const stale = openAuditFile({ path: file, maxBytes: megabytes(1), backupCount: 1 });
    const live = openAuditFile({ path: file, maxBytes: megabytes(1), backupCount: 1 });
    const pending = Array.from({ length: 500 }, (_, i) => live.append(`line-${i}`));
    await live.close();
    assert.equal(linesOf(file).length, 500);
    await Promise.all(pending);
    await stale.close();
  });

  it("applies the latest opener's rotation options (a reloaded configuration)", async () => {
    const file = path.join(tmp.dir, 'reload.log');
    const before = openAuditFile({ path: file, maxBytes: megabytes(1), backupCount: 2 });
    await before.append('x'.repeat(40));
    const after = openAuditFile({ path: file, maxBytes: 50, backupCount: 2 });
    await before.close();
    await after.append('y'.repeat(40));
    await after.close();
    assert.deepEqual(linesOf(`${file}.1`), ['x'.repeat(40)]);
    assert.deepEqual(linesOf(file), ['y'.repeat(40)]);
  });

  it('converts max_file_size_mb to bytes', () => {
    assert.equal(megabytes(10), 10 * 1024 * 1024);
    assert.equal(megabytes(0.5), 512 * 1024);
  });
});
