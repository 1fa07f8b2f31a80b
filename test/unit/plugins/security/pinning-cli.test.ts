// `gatekit-gateway pins list|approve`: offline approval from the lockfile, output and exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runPinsCommand, type PinsCommandContext } from '../../../../src/gateway/pins-cli';
import { emptyLockfile, pinTool, writeLockfile, type Lockfile } from '../../../../src/plugins/security/pin-store';

const readTool = { name: 'read_file', description: 'Read a file.', inputSchema: { type: 'object' } };
const writeTool = { name: 'write_file', description: 'Write a file.', inputSchema: { type: 'object' } };
const changedRead = { ...readTool, description: 'Read a file and more.' };
const newTool = { name: 'search', description: 'Search.', inputSchema: { type: 'object' } };

describe('pins command', () => {
  let dir: string;
  let lockfile: string;
  let out: string;
  let err: string;
  let ctx: PinsCommandContext;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-pins-cli-'));
    lockfile = path.join(dir, 'gatekit.lock.json');
    out = '';
    err = '';
    ctx = { configPath: path.join(dir, 'gatekit.yaml'), configDir: dir, stdout: (s) => (out += s), stderr: (s) => (err += s) };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** fs: read_file changed (pending), write_file pinned; git: search new and unapproved. */
  async function seed(): Promise<Lockfile> {
    const lock = emptyLockfile();
    const read = pinTool(readTool);
    lock.servers['fs'] = {
      read_file: { hash: read.hash, definition: read.definition, pending: pinTool(changedRead) },
      write_file: { ...pinTool(writeTool) },
    };
    lock.servers['git'] = { search: { pending: pinTool(newTool) } };
    await writeLockfile(lockfile, lock);
    return lock;
  }

  const lockOnDisk = () => JSON.parse(readFileSync(lockfile, 'utf8')) as Lockfile;

  it('lists pinned tools and the changes waiting for approval', async () => {
    await seed();
    assert.equal(await runPinsCommand(['pins', 'list'], ctx), 0);
    assert.match(out, new RegExp(`Lockfile: ${lockfile.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`));
    assert.match(out, /fs__read_file\s+sha256:\w{12}\s+CHANGED, waiting for approval: description/);
    assert.match(out, /fs__write_file\s+sha256:\w{12}\s+pinned/);
    assert.match(out, /git__search\s+-\s+NEW, waiting for approval/);
    assert.match(out, /2 waiting for approval/);
    assert.equal(err, '');
  });

  it('lists one server, and as JSON', async () => {
    await seed();
    assert.equal(await runPinsCommand(['list', 'git', '--json'], ctx), 0);
    const parsed = JSON.parse(out) as { exists: boolean; tools: { server: string; tool: string; status: string }[] };
    assert.equal(parsed.exists, true);
    assert.deepEqual(parsed.tools.map((t) => [t.server, t.tool, t.status]), [['git', 'search', 'new']]);
  });

  it('says when nothing is pinned yet', async () => {
    assert.equal(await runPinsCommand(['list'], ctx), 0);
    assert.match(out, /not created yet/);
    assert.match(out, /No pinned tools\./);
  });

  it('approves one tool offline, leaving the others pending', async () => {
    await seed();
    assert.equal(await runPinsCommand(['approve', 'fs__read_file'], ctx), 0);
    assert.match(out, /Approved fs__read_file \(sha256:\w{12} -> sha256:\w{12}\)/);
    const lock = lockOnDisk();
    assert.equal(lock.servers['fs']!['read_file']!.definition?.['description'], changedRead.description);
    assert.equal(lock.servers['fs']!['read_file']!.pending, undefined);
    assert.ok(lock.servers['git']!['search']!.pending, 'git__search still waits');
    if (process.platform !== 'win32') assert.equal(statSync(lockfile).mode & 0o777, 0o600);
  });

  it('approves a whole server or everything', async () => {
    await seed();
    assert.equal(await runPinsCommand(['approve', 'git'], ctx), 0);
    assert.match(out, /Approved git__search \(new, sha256:/);
    assert.ok(lockOnDisk().servers['fs']!['read_file']!.pending);
    out = '';
    assert.equal(await runPinsCommand(['approve'], ctx), 0);
    assert.match(out, /Approved fs__read_file/);
    out = '';
    assert.equal(await runPinsCommand(['approve'], ctx), 0);
    assert.match(out, /Nothing to approve/);
  });

  it('fails for a target with nothing pending, a broken lockfile, or bad usage', async () => {
    await seed();
    assert.equal(await runPinsCommand(['approve', 'fs__write_file'], ctx), 1);
    assert.match(err, /Nothing to approve for 'fs__write_file'/);
    err = '';
    assert.equal(await runPinsCommand(['frobnicate'], ctx), 2);
    assert.match(err, /unknown command 'frobnicate'/);
    err = '';
    assert.equal(await runPinsCommand(['approve', '__x'], ctx), 2);
    err = '';
    writeFileSync(lockfile, 'not json');
    assert.equal(await runPinsCommand(['approve'], ctx), 1);
    assert.match(err, /not valid JSON/);
    assert.equal(readFileSync(lockfile, 'utf8'), 'not json', 'a broken lockfile is never overwritten');
    assert.equal(await runPinsCommand(['list'], ctx), 1);
  });

  it('has no --live mode: the running gateway records changes, this command approves them offline', async () => {
    await seed();
    const before = readFileSync(lockfile, 'utf8');
    assert.equal(await runPinsCommand(['list', '--live'], ctx), 2);
    assert.match(err, /unknown option '--live'/);
    err = '';
    assert.equal(await runPinsCommand(['approve', '--live'], ctx), 2);
    assert.match(err, /unknown option '--live'/);
    assert.equal(readFileSync(lockfile, 'utf8'), before, 'a refused command changes nothing');
    out = '';
    assert.equal(await runPinsCommand(['--help'], ctx), 0);
    assert.doesNotMatch(out, /--live/);
  });

  it('uses --lockfile or the context lockfile instead of the default', async () => {
    const other = path.join(dir, 'elsewhere.lock.json');
    assert.equal(await runPinsCommand(['list', '--lockfile', other], ctx), 0);
    assert.match(out, /elsewhere\.lock\.json/);
    out = '';
    assert.equal(await runPinsCommand(['list'], { ...ctx, lockfile: other }), 0);
    assert.match(out, /elsewhere\.lock\.json/);
  });
});
