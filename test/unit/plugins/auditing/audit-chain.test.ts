// Tests of the tamper-evident JSONL audit log (`audit_jsonl` with `chain: true`) and `audit verify`.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CHAIN_FIELD, GENESIS_HASH, hashLine } from '../../../../src/plugins/auditing/audit-chain';
import { openAuditFile } from '../../../../src/plugins/auditing/audit-file';
import { auditJsonl } from '../../../../src/plugins/auditing/audit_jsonl';
import { runAuditCommand } from '../../../../src/gateway/audit-cli';
import { createAuditor, requestEvent, responseEvent, tempDir, testEnv } from './helpers';

async function verify(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAuditCommand(['verify', file], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

describe('chained JSONL audit log', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.dispose());

  async function writeRecords(file: string, count: number, extra: Record<string, unknown> = {}): Promise<void> {
    const auditor = createAuditor(auditJsonl, { output_file: file, chain: true, ...extra }, testEnv(tmp.dir));
    for (let i = 0; i < count; i++) await auditor.record(i % 2 ? responseEvent() : requestEvent());
    await auditor.close?.();
  }

  it('links every record to the previous line and verifies intact', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl');
    await writeRecords(file, 5);
    const written = lines(file);
    assert.equal(written.length, 5);
    const records = written.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records[0]![CHAIN_FIELD], GENESIS_HASH);
    for (let i = 1; i < 5; i++) assert.equal(records[i]![CHAIN_FIELD], hashLine(written[i - 1]!));
    assert.equal(Object.keys(records[0]!).at(-1), CHAIN_FIELD);
    const result = await verify(file);
    assert.equal(result.code, 0, result.out + result.err);
    assert.match(result.out, /^5 records in 1 file, chain intact \(from genesis\)/);
  });

  it('leaves the format unchanged without the option', async () => {
    const file = path.join(tmp.dir, 'plain.jsonl');
    const auditor = createAuditor(auditJsonl, { output_file: file }, testEnv(tmp.dir));
    await auditor.record(requestEvent());
    await auditor.close?.();
    assert.equal(CHAIN_FIELD in (JSON.parse(lines(file)[0]!) as object), false);
    const result = await verify(file);
    assert.equal(result.code, 1);
    assert.match(result.out, /plain\.jsonl:1: .*missing-field/);
  });

  it('continues the chain after a restart (a new writer reads the last line)', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl');
    await writeRecords(file, 3);
    await writeRecords(file, 3);
    const written = lines(file);
    assert.equal((JSON.parse(written[3]!) as Record<string, unknown>)[CHAIN_FIELD], hashLine(written[2]!));
    const result = await verify(file);
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /^6 records/);
  });

  it('keeps the chain across rotated files, also when restarted on an empty file after rotation', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl');
    // About 450 bytes per record: two records per file.
    await writeRecords(file, 12, { max_file_size_mb: 1200 / (1024 * 1024), backup_count: 10 });
    const rotated = [1, 2, 3].filter((i) => {
      try {
        readFileSync(`${file}.${i}`);
        return true;
      } catch {
        return false;
      }
    });
    assert.ok(rotated.length >= 2, 'expected several rotated files');
    const firstOfNewest = JSON.parse(lines(file)[0]!) as Record<string, unknown>;
    assert.equal(firstOfNewest[CHAIN_FIELD], hashLine(lines(`${file}.1`).at(-1)!));
    let result = await verify(file);
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /^12 records in \d+ files, chain intact/);
    // A rotation the previous run did not write after: the new file continues from <file>.1.
    writeFileSync(file, '', { mode: 0o600 });
    await writeRecords(file, 1, { max_file_size_mb: 1200 / (1024 * 1024), backup_count: 10 });
    assert.equal((JSON.parse(lines(file)[0]!) as Record<string, unknown>)[CHAIN_FIELD], hashLine(lines(`${file}.1`).at(-1)!));
    result = await verify(file);
    assert.equal(result.code, 0, result.out);
  });

  describe('verify reports the first broken record', () => {
    let file: string;
    beforeEach(async () => {
      file = path.join(tmp.dir, 'audit.jsonl');
      await writeRecords(file, 6);
    });
    const rewrite = (edit: (ls: string[]) => string[]): void => writeFileSync(file, edit(lines(file)).map((l) => l + '\n').join(''));

    it('one byte of a middle record changed: at the next line', async () => {
      const text = readFileSync(file);
      const offset = text.indexOf('\n', text.indexOf('\n') + 1) + 20; // inside line 3
      text[offset] = text[offset] === 0x41 ? 0x42 : 0x41;
      writeFileSync(file, text);
      const result = await verify(file);
      assert.equal(result.code, 1);
      assert.match(result.out, /audit\.jsonl:4: hash mismatch.*\(line 3\)/);
    });

    it('a record deleted: at the line now in its place', async () => {
      rewrite((ls) => ls.filter((_, i) => i !== 2));
      const result = await verify(file);
      assert.equal(result.code, 1);
      assert.match(result.out, /audit\.jsonl:3: hash mismatch.*\(line 2\)/);
    });

    it('two records swapped: at the first moved one', async () => {
      rewrite((ls) => [ls[0]!, ls[1]!, ls[3]!, ls[2]!, ls[4]!, ls[5]!]);
      const result = await verify(file);
      assert.equal(result.code, 1);
      assert.match(result.out, /audit\.jsonl:3: hash mismatch/);
    });

    it('a truncated last line: reported as truncated, not as tampering', async () => {
      const text = readFileSync(file);
      writeFileSync(file, text.subarray(0, text.length - 30));
      const result = await verify(file);
      assert.equal(result.code, 1);
      assert.match(result.out, /audit\.jsonl:6: truncated record.*\(truncated; 5 records intact/);
    });

    it('a writer restarted after a truncated last line ends that line and chains on from it', async () => {
      const text = readFileSync(file);
      writeFileSync(file, text.subarray(0, text.length - 30));
      await writeRecords(file, 1);
      const written = lines(file);
      assert.equal(written.length, 7);
      assert.equal((JSON.parse(written[6]!) as Record<string, unknown>)[CHAIN_FIELD], hashLine(written[5]!));
      const result = await verify(file);
      assert.equal(result.code, 1);
      assert.match(result.out, /audit\.jsonl:6: truncated record: cut off mid-write.*\(truncated; 5 records/);
    });

    it('a record cut off from the end of a whole line is unparseable; non-UTF-8 bytes are named', async () => {
      rewrite((ls) => [ls[0]!, ls[1]!.slice(0, 40), ...ls.slice(2)]);
      assert.match((await verify(file)).out, /audit\.jsonl:2: line is not a JSON record \(unparseable/);
      const text = readFileSync(file);
      text[5] = 0xff;
      writeFileSync(file, text);
      assert.match((await verify(file)).out, /audit\.jsonl:1: line is not valid UTF-8/);
    });

    it('a huge line is bounded and reported, not buffered whole', async () => {
      appendFileSync(file, Buffer.alloc(65 * 1024 * 1024, 0x61));
      appendFileSync(file, '\n');
      const result = await verify(file);
      assert.equal(result.code, 1);
      assert.match(result.out, /audit\.jsonl:7: line longer than/);
    });
  });

  it('refuses a symbolic link and reports usage errors with exit 2', async () => {
    const file = path.join(tmp.dir, 'audit.jsonl');
    await writeRecords(file, 2);
    const link = path.join(tmp.dir, 'link.jsonl');
    symlinkSync(file, link);
    const linked = await verify(link);
    assert.equal(linked.code, 1);
    assert.match(linked.out, /cannot read: it is a symbolic link/);
    assert.equal((await verify(path.join(tmp.dir, 'missing.jsonl'))).code, 2);
    let err = '';
    assert.equal(await runAuditCommand(['check', file], { stdout: () => undefined, stderr: (t) => (err += t) }), 2);
    assert.match(err, /Usage: gatekit-gateway audit verify FILE/);
    assert.equal(await runAuditCommand([], { stdout: () => undefined, stderr: () => undefined }), 2);
  });

  it('shares the chain between leases of one file', async () => {
    const file = path.join(tmp.dir, 'shared.jsonl');
    const a = openAuditFile({ path: file, maxBytes: 1 << 20, backupCount: 0, chain: true });
    const b = openAuditFile({ path: file, maxBytes: 1 << 20, backupCount: 0, chain: true });
    await Promise.all([a.append('{"a":1}'), b.append('{"b":2}'), a.append('{}')]);
    await a.close();
    await b.close();
    const written = lines(file);
    assert.equal(written[2], `{"${CHAIN_FIELD}":"${hashLine(written[1]!)}"}`);
    assert.equal((await verify(file)).code, 0);
  });
});
