// The macOS engine: a SandboxPolicy written as a Seatbelt profile for `sandbox-exec -p`. Seatbelt
// filters by path rather than building a file-system view, so the profile denies the home folder,
// lets back in what the policy allows, confines writes, and denies credential stores last (in a
// Seatbelt profile the last matching rule wins).
import path from 'node:path';
import { SandboxError, PACKAGE_CACHE_PATHS, type SandboxPolicy } from './policy';

/** Where macOS keeps temporary files (/tmp and $TMPDIR resolve there). */
const MACOS_TEMP_PATHS = ['/private/tmp', '/private/var/folders'] as const;

/** A Seatbelt string literal. Control characters cannot be written safely in one: refused. */
export function seatbeltString(p: string): string {
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new SandboxError(`the path ${JSON.stringify(p)} contains a control character, which a Seatbelt profile cannot express safely`);
  return `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function subpaths(paths: Iterable<string>): string {
  return [...new Set(paths)].map((p) => `(subpath ${seatbeltString(p)})`).join(' ');
}

/** Every folder from `/` down to `p`, exclusive: reading their metadata lets a program reach `p`. */
function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let at = path.posix.dirname(p); at !== path.posix.dirname(at); at = path.posix.dirname(at)) out.unshift(at);
  return out;
}

/** The profile text. Paths are used as the policy gives them (both the written and the resolved form). */
export function seatbeltProfile(policy: SandboxPolicy): string {
  const home = policy.home;
  const readable = [...PACKAGE_CACHE_PATHS.map((c) => path.posix.join(home, c)), ...policy.readOnly.flatMap((m) => [m.source, m.target])];
  const writable = policy.readWrite.flatMap((m) => [m.source, m.target]);
  const reachable = [...new Set([home, ...[...readable, ...writable].flatMap(ancestors)])].filter((p) => p === home || p.startsWith(home + '/'));
  const lines = [
    '(version 1)',
    '(allow default)',
    ';; The home folder is hidden, except what is let back in below.',
    `(deny file-read* file-write* (subpath ${seatbeltString(home)}))`,
  ];
  if (reachable.length > 0) lines.push(`(allow file-read-metadata ${reachable.map((p) => `(literal ${seatbeltString(p)})`).join(' ')})`);
  lines.push(';; Package caches and the runtime: read-only.', `(allow file-read* ${subpaths(readable)})`);
  lines.push(
    ';; Writes: only the listed paths, temporary folders and the terminal devices.',
    '(deny file-write* (subpath "/"))',
    `(allow file-write* ${subpaths(MACOS_TEMP_PATHS)} (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (regex #"^/dev/fd/"))`,
  );
  if (writable.length > 0) lines.push(`(allow file-read* file-write* ${subpaths(writable)})`);
  lines.push(';; Credential stores: never, even under a listed path.', `(deny file-read* file-write* ${subpaths(policy.credentialPaths)})`);
  if (!policy.network) {
    lines.push(';; No network but loopback.', '(deny network*)', '(allow network* (local ip "localhost:*") (remote ip "localhost:*") (remote unix-socket))');
  }
  return lines.join('\n') + '\n';
}
