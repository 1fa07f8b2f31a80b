// How an upstream command is started without a shell: directly on POSIX and for Windows programs,
// and through `cmd.exe /c` with every argument escaped for Windows batch files (npx.cmd and friends).
import path from 'node:path';
import { statSync } from 'node:fs';

/** What to hand to `child_process.spawn` (always with `shell: false`). */
export interface SpawnTarget {
  readonly file: string;
  readonly args: readonly string[];
  /** Set for `cmd.exe /c`, whose command line is built here and must reach it unchanged. */
  readonly windowsVerbatimArguments: boolean;
}

export interface SpawnTargetOptions {
  readonly platform: NodeJS.Platform;
  /** The environment the child will get (PATH, PATHEXT and ComSpec are read from it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Whether a path is an existing file (injected by tests). */
  readonly isFile?: (candidate: string) => boolean;
}

/** Thrown when an argument cannot be passed to a batch file safely. */
export class UnsafeArgumentError extends Error {}

/**
 * Characters cmd.exe treats specially on a command line. All of them, the double quote included,
 * are escaped with a caret, so cmd never enters its quoted mode (where carets are literal) and every
 * caret it sees is an escape.
 */
const CMD_SPECIAL = /[()[\]%!^"`<>&|;, *?=\t]/g;

/**
 * Resolves `command` and returns how to spawn it. On Windows a command that is (or resolves through
 * PATH/PATHEXT to) a `.cmd`/`.bat` file runs as `cmd.exe /d /s /v:off /c "…"` with every argument
 * quoted and escaped twice: once for that cmd.exe, once for the cmd.exe a forwarding shim such as
 * npx.cmd runs its `%*` line through. Everything else is spawned directly.
 */
export function spawnTarget(command: string, args: readonly string[], options: SpawnTargetOptions): SpawnTarget {
  if (options.platform !== 'win32') return { file: command, args, windowsVerbatimArguments: false };
  const resolved = resolveWindowsCommand(command, options);
  if (!/\.(cmd|bat)$/i.test(resolved)) return { file: resolved, args, windowsVerbatimArguments: false };
  const line = [escapeBatchCommand(resolved), ...args.map(escapeBatchArgument)].join(' ');
  const comSpec = envValue(options.env, 'ComSpec') ?? 'cmd.exe';
  return { file: comSpec, args: ['/d', '/s', '/v:off', '/c', `"${line}"`], windowsVerbatimArguments: true };
}

/** The script path as the first word of a cmd.exe line: every special character (spaces too) escaped. */
export function escapeBatchCommand(file: string): string {
  rejectUnsafe(file);
  return file.replace(CMD_SPECIAL, '^$&');
}

/**
 * One argument for a batch file that forwards it to a program: quoted by the Microsoft C runtime
 * rules (what the final program's argv parser undoes), then caret-escaped twice (what the two
 * cmd.exe parses undo). Line breaks and NUL cannot survive cmd.exe and are refused.
 */
export function escapeBatchArgument(arg: string): string {
  rejectUnsafe(arg);
  const once = quoteForMsvcrt(arg).replace(CMD_SPECIAL, '^$&');
  return once.replace(CMD_SPECIAL, '^$&');
}

/**
 * Quotes an argument so that CommandLineToArgvW / the C runtime parse it back unchanged: backslashes
 * are doubled where they precede a quote (or the closing quote), quotes are backslash-escaped.
 */
export function quoteForMsvcrt(arg: string): string {
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
    } else {
      out += '\\'.repeat(backslashes) + ch;
    }
    backslashes = 0;
  }
  return out + '\\'.repeat(backslashes * 2) + '"';
}

function rejectUnsafe(text: string): void {
  if (/[\r\n\0]/.test(text)) {
    throw new UnsafeArgumentError(`cannot pass ${JSON.stringify(text)} to a Windows batch file: line breaks and NUL do not survive cmd.exe`);
  }
}

/** Windows environment names are case-insensitive (Path, PATH). */
function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const key of Object.keys(env)) if (key.toUpperCase() === upper && env[key] !== undefined) return env[key];
  return undefined;
}

/**
 * Where Windows would find `command`: as given when it names an existing file; otherwise with each
 * PATHEXT extension, relative to the cwd for a path and along PATH for a bare name. Unlike cmd.exe,
 * a bare name is never looked up in the cwd: a workspace must not be able to plant `npx.cmd`.
 * Unresolvable commands are returned unchanged (spawn then reports ENOENT).
 */
export function resolveWindowsCommand(command: string, options: SpawnTargetOptions): string {
  const win = path.win32;
  const isFile = options.isFile ?? defaultIsFile;
  const extensions = (envValue(options.env, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const hasExtension = win.extname(command) !== '';
  const candidates = (base: string): string[] => (hasExtension ? [base] : []).concat(extensions.map((ext) => base + ext.toLowerCase()));
  const isPath = /[\\/]/.test(command) || win.isAbsolute(command);
  const dirs = isPath ? [''] : (envValue(options.env, 'PATH') ?? '').split(';').filter(Boolean);
  for (const dir of dirs) {
    const base = dir === '' ? (options.cwd && !win.isAbsolute(command) ? win.join(options.cwd, command) : command) : win.join(dir, command);
    for (const candidate of candidates(base)) if (isFile(candidate)) return candidate;
  }
  return command;
}

function defaultIsFile(candidate: string): boolean {
  try {
    return statSync(candidate).isFile();
  } catch {
    return false;
  }
}
