// The Linux engine: a SandboxPolicy written as bubblewrap (`bwrap`) arguments. The sandbox starts
// from an empty root; only system folders, the runtime, package caches and the listed paths are
// mounted in, /tmp and the home folder are fresh tmpfs, and credential stores are covered up last.
import path from 'node:path';
import { isWithin, type SandboxPolicy } from './policy';

/** Folders of the operating system every program needs; read-only. A symlink (merged /usr) stays a symlink. */
export const LINUX_SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'] as const;

export interface SystemView {
  kind(p: string): 'directory' | 'file' | 'symlink' | 'other' | undefined;
  readlink(p: string): string | undefined;
  realpath(p: string): string | undefined;
}

interface Step {
  readonly target: string;
  /** Among steps at the same depth, the higher rank is mounted later and wins. */
  readonly rank: number;
  readonly args: readonly string[];
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

/**
 * bwrap's arguments up to and including `--`, followed by the program and its arguments.
 * `--die-with-parent` and a PID namespace make sure nothing outlives the gateway's process group
 * signals: when bwrap goes, the namespace's init goes, and with it every process inside.
 */
export function bubblewrapArguments(policy: SandboxPolicy, program: string, args: readonly string[], system: SystemView): string[] {
  const out = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  if (!policy.network) out.push('--unshare-net'); // a new network namespace: loopback only, and not the host's

  const steps: Step[] = [];
  for (const dir of LINUX_SYSTEM_PATHS) {
    const kind = system.kind(dir);
    if (kind === 'symlink') {
      const link = system.readlink(dir);
      if (link !== undefined) steps.push({ target: dir, rank: 0, args: ['--symlink', link, dir] });
    } else if (kind === 'directory') {
      steps.push({ target: dir, rank: 0, args: ['--ro-bind', dir, dir] });
    }
  }
  // /etc/resolv.conf often points into /run (systemd-resolved): name resolution needs its target.
  const resolver = system.realpath('/etc/resolv.conf');
  if (policy.network && resolver !== undefined && !isWithin(resolver, '/etc')) {
    const dir = path.dirname(resolver);
    steps.push({ target: dir, rank: 0, args: ['--ro-bind', dir, dir] });
  }
  steps.push({ target: '/proc', rank: 0, args: ['--proc', '/proc'] });
  steps.push({ target: '/dev', rank: 0, args: ['--dev', '/dev'] });
  steps.push({ target: '/tmp', rank: 0, args: ['--tmpfs', '/tmp'] });
  // An empty, writable home (tools expect one), unless a listed path already shows the real one.
  if (!policy.readWrite.some((m) => isWithin(policy.home, m.target))) steps.push({ target: policy.home, rank: 0, args: ['--tmpfs', policy.home] });
  for (const m of policy.readOnly) steps.push({ target: m.target, rank: 1, args: ['--ro-bind', m.source, m.target] });
  for (const m of policy.readWrite) steps.push({ target: m.target, rank: 2, args: ['--bind', m.source, m.target] });

  // Parents before children, so a deeper mount is never covered by a shallower one.
  const ordered = steps.map((step, index) => ({ step, index })).sort((a, b) => depth(a.step.target) - depth(b.step.target) || a.step.rank - b.step.rank || a.index - b.index);
  const written = new Set<string>();
  for (const { step } of ordered) {
    const key = step.args.join('\0');
    if (written.has(key)) continue; // the Node prefix is often /usr, already mounted as a system folder
    written.add(key);
    out.push(...step.args);
  }

  for (const hidden of policy.hidden) {
    if (hidden.kind === 'directory') out.push('--tmpfs', hidden.path);
    else out.push('--ro-bind', '/dev/null', hidden.path);
  }
  out.push('--setenv', 'TMPDIR', '/tmp', '--chdir', policy.workingDirectory, '--', program, ...args);
  return out;
}
