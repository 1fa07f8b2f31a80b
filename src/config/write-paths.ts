// Where a configuration may make Gatekit create files (audit logs, the pin lockfile, its own log):
// only under a folder the user chose. A config can come from a repository, so a path such as
// `~/.bashrc` must be a validation error, not an append to the user's shell start-up file.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { ControlEnv } from '../shared/protocol';
import { unsafePathReason } from '../plugins/safe-file';
import type { Environment } from './paths';

/**
 * The extra writable roots of `GATEKIT_WRITABLE_ROOTS` (separated like PATH: `:` or `;` on
 * Windows). Relative entries are ignored: a root must be a place someone chose, not wherever the
 * gateway happens to run.
 */
export function writableRootsFromEnvironment(env: Environment): string[] {
  const value = env[ControlEnv.writableRoots];
  if (typeof value !== 'string') return [];
  return value
    .split(path.delimiter)
    .filter((entry) => entry !== '' && path.isAbsolute(entry))
    .map((entry) => path.resolve(entry));
}

/** Joins roots for `GATEKIT_WRITABLE_ROOTS`; a root holding the separator cannot be expressed and is left out. */
export function formatWritableRoots(roots: readonly string[]): string {
  return roots.filter((root) => path.isAbsolute(root) && !root.includes(path.delimiter)).join(path.delimiter);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The path with every existing folder on it resolved to its real location (symbolic links and
 * `..` followed as the operating system would), the part that does not exist yet appended as
 * written. With `keepLast`, the last segment itself is not resolved (a file that may be a link).
 */
function realLocation(target: string, keepLast: boolean): string {
  const absolute = path.resolve(target);
  const missing: string[] = keepLast ? [path.basename(absolute)] : [];
  let current = keepLast ? path.dirname(absolute) : absolute;
  for (;;) {
    try {
      return path.join(realpathSync.native(current), ...missing);
    } catch (err) {
      if (!isMissing(err)) throw err;
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

/** True when `target` is `root` or lies below it (both absolute, compared as written). */
export function isWithin(target: string, root: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!path.isAbsolute(relative) && relative !== '..' && !relative.startsWith(`..${path.sep}`));
}

/**
 * Why Gatekit must not create or append to `file`, or undefined when it may: the file has to lie
 * at or under one of `roots` (folders, or single files a user named), comparing real locations so
 * neither `..` nor a linked folder leads out, and an existing file must be safe to write
 * (see {@link unsafePathReason}).
 */
export function writablePathProblem(file: string, roots: readonly string[]): string | undefined {
  let real: string;
  try {
    real = realLocation(file, true);
  } catch (err) {
    return `${file} cannot be resolved (${(err as Error).message})`;
  }
  const realRoots = roots.flatMap((root) => {
    try {
      return [realLocation(root, false)];
    } catch {
      return [];
    }
  });
  if (!realRoots.some((root) => isWithin(real, root))) {
    const shown = real === path.resolve(file) ? file : `${file} (really ${real})`;
    return `${shown} is outside the folders Gatekit may write to (${roots.join(', ')})`;
  }
  const unsafe = unsafePathReason(file);
  return unsafe === undefined ? undefined : `${file} cannot be used: ${unsafe}`;
}
