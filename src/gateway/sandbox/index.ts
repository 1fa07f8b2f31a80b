// Starting a server inside the operating system's sandbox: picks the engine (bubblewrap on Linux,
// Seatbelt on macOS, none on Windows) and turns the server's command into the engine's command.
// Fails closed: a sandbox that was asked for and cannot be had is an error, never a plain start.
import path from 'node:path';
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { bubblewrapArguments, type SystemView } from './bubblewrap';
import { seatbeltProfile } from './seatbelt';
import { SandboxError, sandboxPolicy, type SandboxRequest } from './policy';

export { SandboxError, type SandboxRequest } from './policy';

/** Where `sandbox-exec` lives on every macOS. */
const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

export const BWRAP_INSTALL_HELP =
  'install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap), or set sandbox.enabled: false to run the server unsandboxed';

export interface SandboxContext {
  readonly platform: NodeJS.Platform;
  /** The gateway's own environment: where the engine is looked up (a server's `env` cannot plant one). */
  readonly gatewayEnv: Readonly<Record<string, string | undefined>>;
  /** The environment the server gets: where its program is looked up. */
  readonly serverEnv: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly home: string;
  readonly nodeBinary: string;
  readonly system?: SystemView;
}

export interface SandboxedLaunch {
  readonly file: string;
  readonly args: readonly string[];
  /** Things to log (listed paths left out). */
  readonly notes: readonly string[];
}

/** The command that runs `command args` inside the sandbox. Throws SandboxError when no sandbox can be had. */
export function sandboxedLaunch(command: string, args: readonly string[], request: SandboxRequest, context: SandboxContext): SandboxedLaunch {
  const system = context.system ?? hostSystem;
  let engine: string;
  if (context.platform === 'linux') {
    const bwrap = findProgram('bwrap', context.gatewayEnv, system);
    if (bwrap === undefined) throw new SandboxError(`the sandbox engine bubblewrap ('bwrap') is not installed: ${BWRAP_INSTALL_HELP}`);
    engine = bwrap;
  } else if (context.platform === 'darwin') {
    if (system.kind(SANDBOX_EXEC) === undefined) throw new SandboxError(`the sandbox engine ${SANDBOX_EXEC} is missing; set sandbox.enabled: false to run the server unsandboxed`);
    engine = SANDBOX_EXEC;
  } else {
    throw new SandboxError(`there is no sandbox engine on ${context.platform}; set sandbox.enabled: false to run the server unsandboxed, or run the gateway on Linux or macOS`);
  }
  const program = command.includes('/') ? path.resolve(context.cwd, command) : findProgram(command, context.serverEnv, system);
  if (program === undefined) throw new SandboxError(`cannot find '${command}' on the server's PATH`);
  const policy = sandboxPolicy({ request, program, args, cwd: context.cwd, home: context.home, nodeBinary: context.nodeBinary, fs: system });
  const summary = `sandboxed by ${path.basename(engine)}: read-write ${policy.readWrite.length === 0 ? 'nothing' : policy.readWrite.map((m) => JSON.stringify(m.target)).join(', ')}; network ${policy.network ? 'on' : 'loopback only'}`;
  const notes = [...policy.notes, summary];
  if (context.platform === 'darwin') return { file: engine, args: ['-p', seatbeltProfile(policy), program, ...args], notes };
  return { file: engine, args: bubblewrapArguments(policy, program, args, system), notes };
}

/** An executable file named `name` in one of PATH's folders (absolute folders only: never the working folder). */
function findProgram(name: string, env: Readonly<Record<string, string | undefined>>, system: SystemView): string | undefined {
  const dirs = (env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d));
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    const real = system.realpath(candidate);
    if (real !== undefined && system.kind(real) === 'file') return candidate;
  }
  return undefined;
}

const hostSystem: SystemView = {
  kind(p) {
    try {
      const stat = lstatSync(p);
      if (stat.isSymbolicLink()) return 'symlink';
      if (stat.isDirectory()) return 'directory';
      return stat.isFile() ? 'file' : 'other';
    } catch {
      return undefined;
    }
  },
  readlink(p) {
    try {
      return readlinkSync(p);
    } catch {
      return undefined;
    }
  },
  realpath(p) {
    try {
      const real = realpathSync.native(p);
      statSync(real);
      return real;
    } catch {
      return undefined;
    }
  },
};
