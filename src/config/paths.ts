// User-written strings in the config: `${VAR}` / `$VAR` expansion, `~`, paths relative to the config
// folder, and splitting a one-string command into arguments without ever involving a shell.
import * as os from 'node:os';
import * as path from 'node:path';

/** Where variables come from: `process.env` in production, a plain object in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_START = /[A-Za-z_]/;
const VARIABLE_CHAR = /[A-Za-z0-9_]/;

function lookUp(env: Environment, name: string): string | undefined {
  const value = env[name];
  // A plain-object environment inherits `constructor` & co.; only own string values count.
  return typeof value === 'string' ? value : undefined;
}

/**
 * Expands `${VAR}`, `${VAR:-fallback}` and `$VAR`; `$$` is a literal `$`. An unset variable
 * becomes the empty string (as in a shell) and is reported through `onMissing`. A `$` that starts
 * none of these forms is kept as it is. With `bracedOnly` (server commands), only `${VAR}` and
 * `${VAR:-fallback}` expand and every other `$` stays literal, so `sh -c 'echo $1'` keeps working.
 */
export function expandVariables(text: string, env: Environment, onMissing?: (name: string) => void, bracedOnly = false): string {
  let dollar = text.indexOf('$');
  if (dollar < 0) return text;
  const pieces: string[] = [];
  let copiedUpTo = 0;
  while (dollar >= 0) {
    pieces.push(text.slice(copiedUpTo, dollar));
    const next = text[dollar + 1];
    let consumedTo = dollar + 1;
    let replacement = '$';
    if (next === '$' && !bracedOnly) {
      consumedTo = dollar + 2;
    } else if (next === '{') {
      const close = text.indexOf('}', dollar + 2);
      const body = close < 0 ? '' : text.slice(dollar + 2, close);
      const fallbackAt = body.indexOf(':-');
      const name = fallbackAt < 0 ? body : body.slice(0, fallbackAt);
      if (close >= 0 && VARIABLE_NAME.test(name)) {
        const value = lookUp(env, name);
        if (value !== undefined && (fallbackAt < 0 || value !== '')) replacement = value;
        else if (fallbackAt >= 0) replacement = body.slice(fallbackAt + 2);
        else {
          replacement = '';
          onMissing?.(name);
        }
        consumedTo = close + 1;
      }
    } else if (!bracedOnly && next !== undefined && VARIABLE_START.test(next)) {
      let end = dollar + 2;
      while (end < text.length && VARIABLE_CHAR.test(text[end]!)) end++;
      const name = text.slice(dollar + 1, end);
      const value = lookUp(env, name);
      if (value === undefined) onMissing?.(name);
      replacement = value ?? '';
      consumedTo = end;
    }
    pieces.push(replacement);
    copiedUpTo = consumedTo;
    dollar = text.indexOf('$', consumedTo);
  }
  pieces.push(text.slice(copiedUpTo));
  return pieces.join('');
}

/** The home folder as the given environment sees it (HOME, then USERPROFILE, then the OS). */
export function homeDirectory(env: Environment): string {
  return lookUp(env, 'HOME') || lookUp(env, 'USERPROFILE') || os.homedir();
}

/** Replaces a leading `~` (alone, or before `/` or `\`) with the home folder. `~user` is left alone. */
export function expandHome(text: string, env: Environment): string {
  if (text === '~') return homeDirectory(env);
  if (text.startsWith('~/') || text.startsWith('~\\')) return homeDirectory(env) + text.slice(1);
  return text;
}

/**
 * Resolves a path written by the user: expands variables and `~`, then makes it absolute against
 * the config file's folder. Used for `cwd`, `logging.file_path` and by plugins (audit files).
 */
export function resolveUserPath(
  userPath: string,
  configDir: string,
  env: Environment = process.env,
  onMissingVariable?: (name: string) => void,
): string {
  return path.resolve(configDir, expandHome(expandVariables(userPath, env, onMissingVariable), env));
}

/** A one-string command that cannot be split (an unterminated quote). */
export class CommandLineSyntaxError extends Error {
  override readonly name = 'CommandLineSyntaxError';
}

const WHITESPACE = /\s/;

/**
 * Splits `npx -y "@scope/server name" 'a b'` into arguments the way a shell would for words and
 * quotes, and nothing more: no variables, globs, escapes or operators, so Windows paths with
 * backslashes survive. Quotes group (`"a b"` → `a b`, `""` → an empty argument) and may touch
 * other text (`--x="1 2"` → `--x=1 2`).
 */
export function splitCommandLine(commandLine: string): string[] {
  const args: string[] = [];
  let parts: string[] = [];
  let inWord = false;
  let index = 0;
  while (index < commandLine.length) {
    const char = commandLine[index]!;
    if (char === '"' || char === "'") {
      const close = commandLine.indexOf(char, index + 1);
      if (close < 0) {
        throw new CommandLineSyntaxError(`Unterminated ${char === '"' ? 'double' : 'single'} quote at character ${index + 1}`);
      }
      parts.push(commandLine.slice(index + 1, close));
      inWord = true;
      index = close + 1;
    } else if (WHITESPACE.test(char)) {
      if (inWord) {
        args.push(parts.join(''));
        parts = [];
        inWord = false;
      }
      index++;
    } else {
      let end = index + 1;
      while (end < commandLine.length && !WHITESPACE.test(commandLine[end]!) && commandLine[end] !== '"' && commandLine[end] !== "'") end++;
      parts.push(commandLine.slice(index, end));
      inWord = true;
      index = end;
    }
  }
  if (inWord) args.push(parts.join(''));
  return args;
}
