// `--validate-only` beyond the schema: what would fail at run time and can be seen without starting
// a server (a command not on PATH, a working folder that is missing, an audit log or lockfile that
// cannot be created), and a plain list of what it cannot see.
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import type { LoadedConfig } from '../../config/loader';
import { findDescriptor } from '../../plugins/descriptors';
import { resolveUserPath } from '../../config/paths';

export interface RunTimeProblem {
  readonly where: string;
  readonly message: string;
  readonly fix: string;
}

export interface RunTimeCheck {
  readonly problems: RunTimeProblem[];
  /** What was not checked, said so the user does not read "valid" as "will work". */
  readonly notChecked: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

function isExecutableFile(candidate: string): boolean {
  try {
    if (!statSync(candidate).isFile()) return false;
    if (process.platform !== 'win32') accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isFolder(candidate: string): boolean {
  try {
    return statSync(candidate).isDirectory();
  } catch {
    return false;
  }
}

/** The program `command` names, looked up as spawn would (PATH, and PATHEXT on Windows), or undefined. */
export function resolveOnPath(command: string, env: Env, cwd: string): string | undefined {
  const extensions = process.platform === 'win32' ? ['', ...(env['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)] : [''];
  const candidates = (base: string): string[] => extensions.map((extension) => base + extension);
  if (command.includes('/') || (process.platform === 'win32' && command.includes('\\'))) {
    return candidates(path.resolve(cwd, command)).find(isExecutableFile);
  }
  const searchPath = env['PATH'] ?? env['Path'] ?? '';
  for (const folder of searchPath.split(path.delimiter)) {
    if (folder === '') continue;
    const found = candidates(path.join(folder, command)).find(isExecutableFile);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whether a file can be created or appended to: the file itself when it exists, else its nearest existing folder. */
function creatableProblem(file: string): string | undefined {
  let current = file;
  for (;;) {
    try {
      const stat = statSync(current);
      if (current === file && !stat.isFile()) return `${file} exists and is not a regular file`;
      if (current !== file && !stat.isDirectory()) return `${current} is not a folder`;
      accessSync(current, constants.W_OK);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${current} is not writable by this user`;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${current}: ${(err as Error).message}`;
      const parent = path.dirname(current);
      if (parent === current) return `no folder of ${file} exists`;
      current = parent;
    }
  }
}

/** Checks a loaded config against this machine. `env` is the environment the servers would get. */
export function checkRunTime(loaded: LoadedConfig, env: Env = process.env): RunTimeCheck {
  const problems: RunTimeProblem[] = [];
  loaded.config.proxy.upstreams.forEach((upstream, index) => {
    if (!upstream.enabled) return;
    const where = `proxy.upstreams[${index}] (${upstream.name})`;
    const cwd = upstream.cwd ?? process.cwd();
    if (upstream.cwd !== undefined) {
      if (!isFolder(upstream.cwd)) problems.push({ where: `${where}.cwd`, message: `working folder ${upstream.cwd} does not exist`, fix: 'Create the folder or correct cwd (relative paths resolve against the config file).' });
    }
    const program = upstream.command[0];
    if (program === undefined || program === '') return;
    const childEnv = { ...env, ...upstream.env };
    if (resolveOnPath(program, childEnv, cwd) === undefined) {
      problems.push({
        where: `${where}.command`,
        message: `'${program}' is not an executable file${program.includes('/') ? '' : ' on PATH'}`,
        fix: `Install it, or write its absolute path (MCP clients started from a desktop often have a shorter PATH than your shell).`,
      });
    }
  });
  for (const [section, scopes] of Object.entries(loaded.config.plugins)) {
    for (const [scope, entries] of Object.entries(scopes)) {
      entries.forEach((entry, index) => {
        if (!entry.enabled) return;
        for (const option of findDescriptor(entry.handler)?.writtenFileOptions ?? []) {
          const value = (entry.options as Record<string, unknown> | undefined)?.[option];
          if (typeof value !== 'string') continue;
          const file = resolveUserPath(value, loaded.configDir, env);
          const problem = creatableProblem(file);
          if (problem !== undefined) problems.push({ where: `plugins.${section}.${scope}[${index}].config.${option}`, message: problem, fix: 'Choose a file in a folder this user can write, for example beside the config file.' });
        }
      });
    }
  }
  if (loaded.config.logging.file_path !== undefined && loaded.config.logging.handlers.includes('file')) {
    const problem = creatableProblem(loaded.config.logging.file_path);
    if (problem !== undefined) problems.push({ where: 'logging.file_path', message: problem, fix: 'Choose a file in a folder this user can write.' });
  }
  return {
    problems,
    notChecked: [
      'whether each server starts, answers the MCP handshake and lists its tools (run the gateway, or `gatekit-gateway pins check`)',
      'packages npx would download, and network access',
      'the environment and PATH your MCP client starts the gateway with (it may differ from this shell)',
    ],
  };
}
