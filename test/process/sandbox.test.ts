// Sandboxed stdio servers, end to end: the built gateway starts real npm servers (filesystem,
// everything) and a probe inside bubblewrap, and the tests try what an attacker-controlled server
// would: read credentials, write outside its paths, reach a loopback port of the host.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectSdk, eventually, isAlive, realServer, ROOT, textOf, writeConfig, type SdkSession } from './harness';

const PROBE = path.join(ROOT, 'test', 'fixtures', 'servers', 'sandbox-probe.mjs');

/** Why bubblewrap cannot run here, or undefined when it can. */
function bubblewrapUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `bubblewrap is Linux only (this is ${process.platform})`;
  const probe = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--unshare-net', 'true'], { encoding: 'utf8' });
  if (probe.error) return `bwrap is not installed (${probe.error.message}); apt-get install bubblewrap`;
  if (probe.status !== 0) return `bwrap cannot create namespaces here: ${probe.stderr.trim()}`;
  return undefined;
}

/** Processes whose command line mentions `marker` (the sandbox's processes carry the test's temp path). */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('sandboxed servers (bubblewrap)', function () {
  this.timeout(60000);
  let home: string;
  let project: string;
  let session: SdkSession;
  let hostPort: number;
  let hostServer: Server;

  before(async function () {
    const reason = bubblewrapUnavailable();
    if (reason) {
      console.log(`    (skipped: ${reason})`);
      this.skip();
    }
    // A home of our own, with the credential folders an attacker would go for.
    const base = mkdtempSync(path.join(tmpdir(), 'gatekit-sandbox-'));
    home = path.join(base, 'home');
    project = path.join(home, 'project');
    mkdirSync(path.join(home, '.ssh'), { recursive: true });
    writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY MATERIAL\n');
    mkdirSync(path.join(home, '.aws'));
    writeFileSync(path.join(home, '.aws', 'credentials'), '[default]\naws_secret_access_key=SECRET\n');
    writeFileSync(path.join(home, '.git-credentials'), 'https://user:token@example.com\n');
    mkdirSync(path.join(home, '.npm'));
    writeFileSync(path.join(home, 'notes.txt'), 'private notes\n');
    mkdirSync(project);
    writeFileSync(path.join(project, 'readme.txt'), 'project file\n');
    // Hostile paths: a link from the project into .ssh, a folder with a newline in its name.
    symlinkSync(path.join(home, '.ssh'), path.join(project, 'keys'));
    const oddFolder = path.join(project, 'line\nbreak');
    mkdirSync(oddFolder);
    writeFileSync(path.join(oddFolder, 'inside.txt'), 'odd but fine\n');
    symlinkSync(path.join(home, '.aws'), path.join(home, 'aws-link'));

    hostServer = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    hostPort = (hostServer.address() as AddressInfo).port;

    const config = writeConfig([
      // The filesystem server is told it may use the whole home: only the sandbox stands in the way.
      { name: 'fs', command: realServer('filesystem', home), sandbox: { enabled: true, paths: [project], network: false } },
      { name: 'everything', command: realServer('everything'), sandbox: { enabled: true, network: false } },
      { name: 'offline', command: [process.execPath, PROBE], sandbox: { enabled: true, paths: [project], network: false } },
      { name: 'online', command: [process.execPath, PROBE], sandbox: { enabled: true, network: true } },
      // The whole home listed: its credential folders must stay hidden all the same.
      { name: 'wholehome', command: [process.execPath, PROBE], sandbox: { enabled: true, paths: [home] } },
      // A listed path that leads into a credential folder: that server must not start at all.
      { name: 'leaky', command: [process.execPath, PROBE], sandbox: { enabled: true, paths: [path.join(home, 'aws-link')] } },
    ]);
    session = await connectSdk(config, { env: { HOME: home } });
  });

  after(async () => {
    await session?.close();
    hostServer?.close();
  });

  const call = async (name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }> => {
    const result = await session.client.callTool({ name, arguments: args });
    return { text: textOf(result), isError: result.isError === true };
  };

  it('lets the server do its own work in the listed paths (reads, writes, odd names)', async () => {
    assert.match((await call('fs__read_text_file', { path: path.join(project, 'readme.txt') })).text, /project file/);
    const written = await call('fs__write_file', { path: path.join(project, 'out.txt'), content: 'from the sandbox' });
    assert.equal(written.isError, false, written.text);
    assert.equal(readFileSync(path.join(project, 'out.txt'), 'utf8'), 'from the sandbox');
    assert.match((await call('fs__read_text_file', { path: path.join(project, 'line\nbreak', 'inside.txt') })).text, /odd but fine/);
    assert.match((await call('everything__echo', { message: 'inside bwrap' })).text, /inside bwrap/);
  });

  it('hides credential folders, directly and through a symlink inside a listed path', async () => {
    for (const target of [path.join(home, '.ssh', 'id_ed25519'), path.join(project, 'keys', 'id_ed25519'), path.join(home, '.aws', 'credentials'), path.join(home, '.git-credentials')]) {
      const read = await call('fs__read_text_file', { path: target });
      assert.equal(read.isError, true, `${target} was readable: ${read.text}`);
      assert.doesNotMatch(read.text, /PRIVATE KEY|SECRET|token@/);
      const probed = await call('offline__read', { path: target });
      assert.doesNotMatch(probed.text, /PRIVATE KEY|SECRET|token@/, `${target} via the probe`);
    }
  });

  it('hides credential folders even when the whole home is listed, while the rest of it is readable and writable', async () => {
    assert.equal((await call('wholehome__read', { path: path.join(home, 'notes.txt') })).text, 'private notes\n');
    for (const target of [path.join(home, '.ssh', 'id_ed25519'), path.join(home, '.aws', 'credentials'), path.join(home, 'aws-link', 'credentials'), path.join(home, '.git-credentials')]) {
      const read = (await call('wholehome__read', { path: target })).text;
      assert.doesNotMatch(read, /PRIVATE KEY|SECRET|token@/, target);
    }
    assert.match((await call('wholehome__write', { path: path.join(home, '.git-credentials') })).text, /^(EROFS|EACCES)$/);
    assert.equal(readFileSync(path.join(home, '.git-credentials'), 'utf8'), 'https://user:token@example.com\n');
    await call('wholehome__write', { path: path.join(home, '.ssh', 'authorized_keys') });
    assert.equal(existsSync(path.join(home, '.ssh', 'authorized_keys')), false, 'a key planted through the sandbox reached the host');
  });

  it('hides the rest of home and keeps writes outside the listed paths off the host', async () => {
    assert.equal((await call('offline__read', { path: path.join(home, 'notes.txt') })).text, 'ENOENT');
    // A package cache is readable but not writable.
    assert.equal((await call('offline__write', { path: path.join(home, '.npm', 'planted') })).text, 'EROFS');
    // Home inside is a scratch tmpfs: a write there never reaches the real home.
    await call('offline__write', { path: path.join(home, 'planted.txt') });
    assert.equal(existsSync(path.join(home, 'planted.txt')), false);
    assert.equal((await call('offline__write', { path: '/usr/planted' })).text, 'EROFS');
    assert.equal((await call('offline__write', { path: path.join(project, 'probe.txt') })).text, 'written');
    assert.equal(readFileSync(path.join(project, 'probe.txt'), 'utf8'), 'probe');
  });

  it('network: false leaves loopback only: a port of the host is out of reach, while network: true reaches it', async () => {
    assert.equal((await call('online__connect', { port: hostPort })).text, 'connected');
    assert.notEqual((await call('offline__connect', { port: hostPort })).text, 'connected');
  });

  it('fails closed for a listed path leading into a credential folder: that server does not start, the others serve', async () => {
    const { tools } = await session.client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(!names.some((n) => n.startsWith('leaky__')), names.join(', '));
    assert.ok(names.includes('offline__connect'));
    const stderr = session.stderr.join('\n');
    assert.match(stderr, /leaky[\s\S]*credential location/);
  });

  it('stops the whole sandbox with the gateway: no process of it remains', async () => {
    const marker = path.dirname(home);
    await eventually(() => processesMentioning(marker).length > 0, 10000, 'sandboxed processes');
    const before = processesMentioning(marker);
    await session.close();
    await eventually(() => before.every((pid) => !isAlive(pid)), 15000, 'every sandboxed process gone');
  });
});

describe('sandbox without an engine (fail closed)', function () {
  this.timeout(60000);

  it('does not start the sandboxed server, says how to install bubblewrap, and serves the others', async function () {
    if (process.platform !== 'linux') this.skip();
    const config = writeConfig([
      { name: 'boxed', command: [process.execPath, PROBE], sandbox: { enabled: true } },
      { name: 'plain', command: [process.execPath, PROBE] },
    ]);
    // A PATH without bwrap: the gateway and the servers are started by absolute path.
    const session = await connectSdk(config, { env: { PATH: mkdtempSync(path.join(tmpdir(), 'gatekit-nopath-')) } });
    try {
      const names = (await session.client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('plain__read'), names.join(', '));
      assert.ok(!names.some((n) => n.startsWith('boxed__')), names.join(', '));
      const refused = await session.client.callTool({ name: 'boxed__read', arguments: { path: '/etc/hostname' } }).catch((err: Error) => err);
      assert.ok(refused instanceof Error, 'the sandboxed server must not answer');
      assert.match(refused.message, /bubblewrap.*apt-get install bubblewrap/);
    } finally {
      await session.close();
    }
  });
});
