// The sandbox policy and its two writers (bubblewrap arguments, the Seatbelt profile) on a made-up
// file system: what is visible, what is hidden, hostile paths, and the exact macOS profile.
import { strict as assert } from 'node:assert';
import { sandboxPolicy, SandboxError, type FileSystemView, type PolicyInput } from '../../src/gateway/sandbox/policy';
import { bubblewrapArguments, type SystemView } from '../../src/gateway/sandbox/bubblewrap';
import { seatbeltProfile, seatbeltString } from '../../src/gateway/sandbox/seatbelt';
import { sandboxedLaunch, BWRAP_INSTALL_HELP } from '../../src/gateway/sandbox';

type Kind = 'directory' | 'file' | 'symlink' | 'other';

/** A file system of paths → kinds, with symlinks as absolute targets. */
function fakeFs(entries: Record<string, Kind>, links: Record<string, string> = {}): FileSystemView & SystemView {
  const resolve = (p: string): string | undefined => {
    for (let hops = 0; hops < 20; hops++) {
      // Resolve the first linked prefix.
      const parts = p.split('/');
      let changed = false;
      for (let i = parts.length; i > 1; i--) {
        const prefix = parts.slice(0, i).join('/');
        const target = links[prefix];
        if (target !== undefined) {
          p = target + p.slice(prefix.length);
          changed = true;
          break;
        }
      }
      if (!changed) return entries[p] !== undefined ? p : undefined;
    }
    return undefined;
  };
  return {
    kind: (p) => (links[p] !== undefined ? 'symlink' : entries[p]),
    realpath: resolve,
    readlink: (p) => links[p],
  };
}

const HOME = '/home/u';
const baseFs = {
  '/usr': 'directory',
  '/usr/bin/node': 'file',
  '/etc': 'directory',
  '/home/u': 'directory',
  '/home/u/.ssh': 'directory',
  '/home/u/.git-credentials': 'file',
  '/home/u/.npm': 'directory',
  '/home/u/proj': 'directory',
  '/home/u/proj/package.json': 'file',
  '/home/u/proj/server.js': 'file',
  '/data': 'directory',
  '/real-aws': 'directory',
} as const satisfies Record<string, Kind>;

function input(paths: string[], overrides: Partial<PolicyInput> = {}, links: Record<string, string> = {}): PolicyInput {
  return {
    request: { paths, network: false },
    program: '/usr/bin/node',
    args: ['server.js'],
    cwd: '/home/u/proj',
    home: HOME,
    nodeBinary: '/usr/bin/node',
    fs: fakeFs({ ...baseFs }, { '/bin': 'usr/bin', '/home/u/.aws': '/real-aws', ...links }),
    ...overrides,
  };
}

describe('sandbox policy', () => {
  it('makes listed paths read-write, caches and the runtime read-only, and starts in a visible cwd', () => {
    const policy = sandboxPolicy(input(['/data']));
    assert.deepEqual(policy.readWrite, [{ source: '/data', target: '/data' }]);
    const readOnly = policy.readOnly.map((m) => m.target);
    assert.ok(readOnly.includes('/home/u/.npm'), readOnly.join());
    assert.ok(readOnly.includes('/home/u/proj'), 'the script package (below home, but not home itself)');
    assert.ok(readOnly.includes('/usr'), 'the node prefix');
    assert.ok(!readOnly.includes(HOME) && !readOnly.includes('/'), readOnly.join());
    assert.equal(policy.workingDirectory, '/home/u/proj');
    assert.equal(policy.network, false);
  });

  it('covers credential stores that lie inside a listed path, including one reached through a symlink', () => {
    const policy = sandboxPolicy(input([HOME]));
    assert.deepEqual(
      policy.hidden.map((h) => `${h.kind} ${h.path}`),
      ['directory /home/u/.ssh', 'file /home/u/.git-credentials'],
    );
    assert.ok(policy.credentialPaths.includes('/real-aws'), 'the resolved target of ~/.aws is a credential location too');
  });

  it('refuses listed paths that are, lead into, or sit inside a credential store', () => {
    for (const bad of ['/home/u/.ssh', '/home/u/.ssh/../.ssh/keys', '/home/u/.aws', '/real-aws', '/home/u/link']) {
      assert.throws(() => sandboxPolicy(input([bad], {}, { '/home/u/link': '/home/u/.ssh' })), (err: unknown) => err instanceof SandboxError && /credential location/.test(err.message), bad);
    }
  });

  it('refuses relative paths and NUL, and leaves out missing ones with a note', () => {
    assert.throws(() => sandboxPolicy(input(['data'])), /not an absolute path/);
    assert.throws(() => sandboxPolicy(input(['/da\0ta'])), /NUL/);
    const policy = sandboxPolicy(input(['/nope']));
    assert.deepEqual(policy.readWrite, []);
    assert.match(policy.notes.join(), /does not exist/);
  });

  it('mounts a symlinked path at both spellings, and starts in / when the cwd is hidden', () => {
    const policy = sandboxPolicy(input(['/work'], { cwd: '/home/u/elsewhere', args: [] }, { '/work': '/data' }));
    assert.deepEqual(policy.readWrite, [
      { source: '/data', target: '/data' },
      { source: '/data', target: '/work' },
    ]);
    assert.equal(policy.workingDirectory, '/');
  });
});

describe('bubblewrap arguments', () => {
  it('dies with its parent, unshares pid and (network: false) net, mounts parents first, hides last, and ends with the program', () => {
    const fs = input([HOME]).fs as FileSystemView & SystemView;
    const policy = sandboxPolicy(input([HOME]));
    const args = bubblewrapArguments(policy, '/usr/bin/node', ['server.js', '--line\nbreak'], fs);
    assert.deepEqual(args.slice(0, 6), ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--unshare-net']);
    const at = (...seq: string[]): number => args.findIndex((_, i) => seq.every((s, j) => args[i + j] === s));
    assert.ok(at('--symlink', 'usr/bin', '/bin') > 0, 'merged /usr stays a symlink');
    assert.ok(at('--tmpfs', '/tmp') > 0);
    assert.equal(at('--tmpfs', HOME), -1, 'the home is listed: it is mounted, not replaced by a tmpfs');
    assert.ok(at('--bind', HOME, HOME) > 0);
    assert.ok(at('--bind', HOME, HOME) < at('--ro-bind', '/home/u/.npm', '/home/u/.npm'), 'the cache (deeper) after the home');
    assert.ok(at('--tmpfs', '/home/u/.ssh') > at('--ro-bind', '/home/u/.npm', '/home/u/.npm'), 'credential masks last');
    assert.ok(at('--ro-bind', '/dev/null', '/home/u/.git-credentials') > 0);
    assert.deepEqual(args.slice(-3), ['/usr/bin/node', 'server.js', '--line\nbreak']);
    assert.equal(args[args.length - 4], '--');
  });

  it('keeps the network namespace when network is allowed, and gives a fresh home otherwise', () => {
    const policy = sandboxPolicy({ ...input(['/data']), request: { paths: ['/data'], network: true } });
    const args = bubblewrapArguments(policy, '/usr/bin/node', [], input([]).fs as FileSystemView & SystemView);
    assert.ok(!args.includes('--unshare-net'));
    assert.ok(args.join(' ').includes(`--tmpfs ${HOME}`));
  });
});

describe('sandbox engine choice (fail closed)', () => {
  const context = (platform: NodeJS.Platform, entries: Record<string, Kind>) => ({
    platform,
    gatewayEnv: { PATH: '/usr/bin:relative/bin' },
    serverEnv: { PATH: '/usr/bin' },
    cwd: '/home/u/proj',
    home: HOME,
    nodeBinary: '/usr/bin/node',
    system: fakeFs({ ...baseFs, ...entries }),
  });

  it('refuses without bwrap on Linux and says how to install it', () => {
    assert.throws(() => sandboxedLaunch('node', ['server.js'], { paths: [], network: true }, context('linux', {})), (err: Error) => err instanceof SandboxError && err.message.includes(BWRAP_INSTALL_HELP));
  });

  it('never looks for the engine in a relative PATH folder (the workspace could plant one)', () => {
    assert.throws(() => sandboxedLaunch('node', [], { paths: [], network: true }, context('linux', { 'relative/bin/bwrap': 'file' })), /not installed/);
  });

  it('refuses on Windows, and on macOS without sandbox-exec', () => {
    assert.throws(() => sandboxedLaunch('node', [], { paths: [], network: true }, context('win32', {})), /no sandbox engine on win32/);
    assert.throws(() => sandboxedLaunch('node', [], { paths: [], network: true }, context('darwin', {})), /sandbox-exec is missing/);
  });

  it('wraps the resolved program in bwrap on Linux and in sandbox-exec -p on macOS', () => {
    const linux = sandboxedLaunch('node', ['server.js'], { paths: [], network: true }, context('linux', { '/usr/bin/bwrap': 'file' }));
    assert.equal(linux.file, '/usr/bin/bwrap');
    assert.deepEqual(linux.args.slice(-3), ['--', '/usr/bin/node', 'server.js']);
    const mac = sandboxedLaunch('node', ['server.js'], { paths: [], network: true }, context('darwin', { '/usr/bin/sandbox-exec': 'file' }));
    assert.equal(mac.file, '/usr/bin/sandbox-exec');
    assert.equal(mac.args[0], '-p');
    assert.deepEqual(mac.args.slice(2), ['/usr/bin/node', 'server.js']);
  });
});

describe('Seatbelt profile', () => {
  it('is exactly the expected profile for a listed folder, a symlinked credential store and no network', () => {
    const policy = sandboxPolicy(input(['/data'], { args: [] }));
    assert.equal(
      seatbeltProfile(policy),
      [
        '(version 1)',
        '(allow default)',
        ';; The home folder is hidden, except what is let back in below.',
        '(deny file-read* file-write* (subpath "/home/u"))',
        '(allow file-read-metadata (literal "/home/u"))',
        ';; Package caches and the runtime: read-only.',
        '(allow file-read* (subpath "/home/u/.npm") (subpath "/home/u/.cache") (subpath "/home/u/.local") (subpath "/usr"))',
        ';; Writes: only the listed paths, temporary folders and the terminal devices.',
        '(deny file-write* (subpath "/"))',
        '(allow file-write* (subpath "/private/tmp") (subpath "/private/var/folders") (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (regex #"^/dev/fd/"))',
        '(allow file-read* file-write* (subpath "/data"))',
        ';; Credential stores: never, even under a listed path.',
        '(deny file-read* file-write* (subpath "/home/u/.ssh") (subpath "/home/u/.gnupg") (subpath "/home/u/.aws") (subpath "/real-aws") (subpath "/home/u/.azure") (subpath "/home/u/.config/gcloud") (subpath "/home/u/.kube") (subpath "/home/u/.docker") (subpath "/home/u/.git-credentials") (subpath "/home/u/.vault-token") (subpath "/home/u/.terraform.d"))',
        ';; No network but loopback.',
        '(deny network*)',
        '(allow network* (local ip "localhost:*") (remote ip "localhost:*") (remote unix-socket))',
        '',
      ].join('\n'),
    );
  });

  it('lets a program reach a listed folder below home (metadata of its parents) and keeps the network when allowed', () => {
    const policy = sandboxPolicy({ ...input(['/home/u/proj'], { args: [] }), request: { paths: ['/home/u/proj'], network: true } });
    const profile = seatbeltProfile(policy);
    assert.match(profile, /\(allow file-read-metadata \(literal "\/home\/u"\)\)/);
    assert.match(profile, /\(allow file-read\* file-write\* \(subpath "\/home\/u\/proj"\)\)/);
    assert.doesNotMatch(profile, /network/);
  });

  it('escapes quotes and backslashes and refuses control characters in paths', () => {
    assert.equal(seatbeltString('/a "b"\\c'), '"/a \\"b\\"\\\\c"');
    assert.throws(() => seatbeltString('/a\nb'), /control character/);
    const hostile = seatbeltProfile(sandboxPolicy(input(['/data'], { home: '/home/u")(allow default' })));
    assert.match(hostile, /\(deny file-read\* file-write\* \(subpath "\/home\/u\\"\)\(allow default"\)\)/);
    assert.throws(() => seatbeltProfile(sandboxPolicy(input(['/data'], { home: '/home/u\n(allow default)' }))), SandboxError);
  });
});
