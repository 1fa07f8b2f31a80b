// What a sandboxed server may see, worked out once from its command and `sandbox` settings and then
// written out by an engine (bubblewrap's mount list, a Seatbelt profile): the home folder hidden except
// the listed paths, package caches and the runtime readable, credential folders never visible.
import path from 'node:path';

/** A server's `sandbox` settings once enabled: the paths it may read and write, and whether it gets the network. */
export interface SandboxRequest {
  /** Absolute paths (the loader resolves relative ones against the config file's folder). */
  readonly paths: readonly string[];
  readonly network: boolean;
}

/** Thrown when a sandbox cannot be built as asked: the server must not start (fail closed). */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

/** Credential stores under the home folder that a sandboxed server never sees, whatever `paths` says. */
export const CREDENTIAL_PATHS = ['.ssh', '.gnupg', '.aws', '.azure', '.config/gcloud', '.kube', '.docker', '.git-credentials', '.vault-token', '.terraform.d'] as const;

/** Package caches under the home folder: readable, so npx/uvx can run what they already fetched. */
export const PACKAGE_CACHE_PATHS = ['.npm', '.cache', '.local'] as const;

/** What the policy needs to know about the file system (injected by tests). */
export interface FileSystemView {
  /** The path with every symlink resolved, or undefined when it does not exist. */
  realpath(p: string): string | undefined;
  /** What is at `p` itself (a symlink is reported as such, not followed), or undefined when nothing is. */
  kind(p: string): 'directory' | 'file' | 'symlink' | 'other' | undefined;
}

/** `source` on the host, seen at `target` inside the sandbox (they differ when the path was reached through a symlink). */
export interface SandboxMount {
  readonly source: string;
  readonly target: string;
}

export interface SandboxPolicy {
  readonly home: string;
  /** The listed `paths`: read-write. */
  readonly readWrite: readonly SandboxMount[];
  /** Package caches and the runtime's own folders: read-only. */
  readonly readOnly: readonly SandboxMount[];
  /** Credential folders and files that lie inside a mount, as seen inside the sandbox: covered up. */
  readonly hidden: readonly { readonly path: string; readonly kind: 'directory' | 'file' }[];
  /** Every credential location on the host (lexical and resolved), for engines that deny by path. */
  readonly credentialPaths: readonly string[];
  readonly network: boolean;
  /** Where the server starts: its `cwd` when that is visible inside the sandbox, else `/`. */
  readonly workingDirectory: string;
  /** Listed paths left out (missing), to log. */
  readonly notes: readonly string[];
}

export interface PolicyInput {
  readonly request: SandboxRequest;
  /** The program as it will be executed: an absolute path after PATH lookup. */
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly home: string;
  /** The Node binary running the gateway (its install prefix is runtime). */
  readonly nodeBinary: string;
  readonly fs: FileSystemView;
}

/** True when `inner` is `outer` or lies below it. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function checkedAbsolute(p: string, what: string): string {
  if (typeof p !== 'string' || p === '') throw new SandboxError(`${what} must be a non-empty path`);
  if (p.includes('\0')) throw new SandboxError(`${what} ${JSON.stringify(p)} contains a NUL character`);
  if (!path.isAbsolute(p)) throw new SandboxError(`${what} ${JSON.stringify(p)} is not an absolute path`);
  return path.resolve(p);
}

/** Works out what the server may see. Throws SandboxError when a listed path would expose credentials. */
export function sandboxPolicy(input: PolicyInput): SandboxPolicy {
  const { fs } = input;
  const home = checkedAbsolute(input.home, 'The home folder');
  const credentialPaths = credentialLocations(home, fs);
  const touchesCredentials = (p: string): string | undefined => credentialPaths.find((c) => isWithin(p, c));
  const notes: string[] = [];

  const readWrite: SandboxMount[] = [];
  for (const listed of input.request.paths) {
    const lexical = checkedAbsolute(listed, 'sandbox path');
    const real = fs.realpath(lexical);
    for (const candidate of real === undefined ? [lexical] : [lexical, real]) {
      const credential = touchesCredentials(candidate);
      if (credential !== undefined) {
        throw new SandboxError(`sandbox path ${JSON.stringify(listed)} is (or leads into) the credential location ${JSON.stringify(credential)}, which a sandboxed server never sees`);
      }
    }
    if (real === undefined) notes.push(`sandbox path ${JSON.stringify(lexical)} does not exist; left out`);
    else readWrite.push(...mountsFor(lexical, real));
  }

  // Runtime folders are only ever the program's own: never home itself, `/`, or a credential store.
  const acceptableRuntime = (p: string): boolean => p !== path.parse(p).root && !isWithin(home, p) && touchesCredentials(p) === undefined;
  const readOnly: SandboxMount[] = [];
  const addReadOnly = (lexical: string): void => {
    const real = fs.realpath(lexical);
    if (real === undefined || !acceptableRuntime(lexical) || !acceptableRuntime(real)) return;
    readOnly.push(...mountsFor(lexical, real));
  };
  for (const cache of PACKAGE_CACHE_PATHS) addReadOnly(path.join(home, cache));
  for (const root of runtimeRoots(input)) addReadOnly(root);

  const mounts = withoutShadowedLinks([...readWrite, ...readOnly]);
  const hidden: { path: string; kind: 'directory' | 'file' }[] = [];
  const hiddenSeen = new Set<string>();
  for (const credential of credentialPaths) {
    const kind = fs.kind(credential);
    if (kind === undefined || kind === 'symlink') continue; // a symlink's target is in the list too
    for (const mount of mounts) {
      if (!isWithin(credential, mount.source)) continue;
      const inside = path.join(mount.target, path.relative(mount.source, credential));
      if (hiddenSeen.has(inside)) continue;
      hiddenSeen.add(inside);
      hidden.push({ path: inside, kind: kind === 'directory' ? 'directory' : 'file' });
    }
  }

  const cwd = path.resolve(input.cwd);
  const visible = mounts.some((m) => isWithin(cwd, m.target)) && !credentialPaths.some((c) => isWithin(cwd, c));
  return { home, readWrite: readWrite.filter((m) => mounts.includes(m)), readOnly: readOnly.filter((m) => mounts.includes(m)), hidden, credentialPaths, network: input.request.network, workingDirectory: visible ? cwd : '/', notes };
}

/** The credential locations under `home`, both as written and with symlinks resolved. */
function credentialLocations(home: string, fs: FileSystemView): string[] {
  const out = new Set<string>();
  for (const rel of CREDENTIAL_PATHS) {
    const lexical = path.join(home, rel);
    out.add(lexical);
    const real = fs.realpath(lexical);
    if (real !== undefined) out.add(real);
  }
  return [...out];
}

/**
 * Drops the symlink-side mount of a path whose link already lies inside another mount: there the
 * link itself is visible and leads to the real path (mounted too), and a mount cannot be placed on
 * a symlink anyway.
 */
function withoutShadowedLinks(mounts: SandboxMount[]): SandboxMount[] {
  return mounts.filter((m) => m.source === m.target || !mounts.some((other) => other !== m && other.target !== m.target && isWithin(m.target, other.target)));
}

/** A path reached through a symlink is mounted at both places, so either spelling works inside. */
function mountsFor(lexical: string, real: string): SandboxMount[] {
  return lexical === real ? [{ source: real, target: real }] : [{ source: real, target: real }, { source: real, target: lexical }];
}

const NODE_PROGRAM = /^(node|nodejs)(\.exe)?$/i;

/**
 * Folders the program needs to run: the Node install running the gateway, the program's own
 * package (or `bin` prefix), and for `node script.js` the script's package. A path inside a
 * `node_modules` tree brings the whole tree (a package's dependencies sit beside it).
 */
function runtimeRoots(input: PolicyInput): string[] {
  const roots = new Set<string>();
  const nodeReal = input.fs.realpath(input.nodeBinary) ?? input.nodeBinary;
  roots.add(path.dirname(path.dirname(nodeReal)));
  const addProgram = (file: string): void => {
    for (const p of new Set([file, input.fs.realpath(file) ?? file])) {
      const root = packageRoot(p, input);
      roots.add(root);
      // A package's dependencies: its node_modules may be a symlink to a tree elsewhere.
      const modules = path.join(root, 'node_modules');
      if (path.basename(root) !== 'node_modules' && input.fs.kind(modules) !== undefined) roots.add(modules);
    }
  };
  addProgram(input.program);
  const programReal = input.fs.realpath(input.program) ?? input.program;
  if (NODE_PROGRAM.test(path.basename(input.program)) || programReal === nodeReal) {
    const script = input.args.find((a) => !a.startsWith('-'));
    if (script !== undefined && !script.includes('\0')) {
      const scriptPath = path.resolve(input.cwd, script);
      if (input.fs.kind(scriptPath) !== undefined) addProgram(scriptPath);
    }
  }
  return [...roots];
}

/** The outermost `node_modules` in the path; else the nearest folder with a package.json below home; else the file's folder (or its `bin`'s parent). */
function packageRoot(file: string, input: PolicyInput): string {
  const parts = file.split(path.sep);
  const modules = parts.indexOf('node_modules');
  if (modules > 0) return parts.slice(0, modules + 1).join(path.sep) || path.sep;
  const dir = path.dirname(file);
  for (let at = dir; at !== path.dirname(at) && !isWithin(input.home, at); at = path.dirname(at)) {
    if (input.fs.kind(path.join(at, 'package.json')) === 'file') return at;
  }
  return path.basename(dir) === 'bin' ? path.dirname(dir) : dir;
}
