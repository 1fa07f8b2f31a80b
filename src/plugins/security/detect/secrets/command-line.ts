// Credentials written on a command line: `curl -u user:pass`, `--password pass`, `-ppass` after
// mysql, `sshpass -p pass`, `-p pass` next to a user option, `smbclient -U user%pass`, `redis-cli -a pass`,
// `htpasswd -b file user pass`, `net use \\server\share pass /user:…`. Each search
// starts from a literal option and reads a bounded value; references (`$PASS`), prompts (`-p` alone)
// and files (`--password-file`) are not values.
import type { TextFinding } from '../findings';
import { execAt } from '../regex';
import { isPlaceholderValue } from './assignments';
import type { SecretFindingType } from './types';

// `-u user:pass`, `--user user:pass`, `-a user:pass` (HTTPie), `-U user%pass` (smbclient).
const USER_PASS = /(?<![\w-])(?:-u|--user|-a|--auth|-U)[ =]['"]?[\w.@+-]{1,64}[:%]([^\s'"]{1,128})/g;
// `--password pass`, `--password=pass`, `--http-password=pass`, `--passwd pass`.
const PASSWORD_OPTION = /(?<![\w-])--(?:[a-z]{1,16}-)?(?:password|passwd|pass)(?:=| {1,4})(['"]?)([^\s'"]{1,128})/g;
// `-p pass` / `-p'pass'` / `-ppass` where a user option or a password-taking command is on the line.
const SHORT_PASSWORD = /(?<![\w-])-p(?: {1,4})?(['"]?)([^\s'"-][^\s'"]{0,127})/g;
const TAKES_SHORT_PASSWORD = /\b(?:sshpass|mysql|mysqldump|mysqladmin|mariadb)\b|(?<![\w-])(?:-u|--user(?:name)?)[ =]/;
// `redis-cli -a pass` (and `--pass`, read above): the one command whose `-a` is a bare password.
const REDIS_PASSWORD = /\bredis-cli\b[^\n]{0,256}?(?<![\w-])-a (['"]?)([^\s'"-][^\s'"]{0,127})/g;
// `htpasswd -b[c…] [-options] file user password`: batch mode takes the password as an argument.
const HTPASSWD = /\bhtpasswd((?: {1,4}-[a-zA-Z]{1,8}){1,6}) {1,4}\S{1,256} {1,4}[\w.@-]{1,64} {1,4}(['"]?)([^\s'"]{1,128})/g;
const BATCH_FLAG = /-[a-zA-Z]{0,7}b/;
// Windows `net use [drive:] \\server\share [password | *] [/user:…] [/options]`: the password is the
// one bare argument after the share; `*` asks for it and options start with `/`.
const NET_USE = /\bnet {1,4}use((?: {1,4}[^\s]{1,256}){1,8})/gi;

/** What every rule here needs: a short option with a value, `--user`, a long password option, or htpasswd. */
/** `net use` in any case (Windows commands are case-insensitive): the literal its search needs. */
export const NET_USE_LITERAL = '[nN][eE][tT] {1,4}[uU][sS][eE]';
const CLI_OPTION = new RegExp(`-[upaU][ =']|-p\\S|--user[ =]|--[a-z-]{0,16}pass|htpasswd|${NET_USE_LITERAL}`);

function lineAround(text: string, at: number): string {
  const start = text.lastIndexOf('\n', at) + 1;
  let end = text.indexOf('\n', at);
  if (end === -1) end = text.length;
  return text.slice(Math.max(start, at - 512), Math.min(end, at + 512));
}

function credible(value: string): boolean {
  if (value.length < 4 || isPlaceholderValue(value)) return false;
  // Ports, numbers and paths are what these options usually carry in ordinary commands.
  if (/^[\d:.]+$/.test(value) || value.includes('/')) return false;
  return /[A-Za-z]/.test(value);
}

/** The password argument of `net use` (its arguments after `use`), with its offset there. */
function netUsePassword(args: string): { value: string; offset: number } | undefined {
  let sawShare = false;
  for (const m of args.matchAll(/[^ ]+/g)) {
    const arg = m[0];
    if (arg.startsWith('\\\\')) sawShare = true;
    else if (sawShare && !arg.startsWith('/') && arg !== '*') return { value: arg.replace(/^(['"])(.*)\1$/, '$2'), offset: m.index + (/^['"]/.test(arg) && arg.length > 2 && arg.endsWith(arg[0]!) ? 1 : 0) };
  }
  return undefined;
}

export function detectCommandLineCredentials(text: string, out: TextFinding<SecretFindingType>[]): void {
  if (!CLI_OPTION.test(text)) return;
  let next = 0;
  for (let m = execAt(USER_PASS, text, next); m !== null; m = execAt(USER_PASS, text, next)) {
    next = m.index + m[0].length;
    const value = m[1]!;
    if (!credible(value)) continue;
    out.push({ type: 'command_line_credentials', start: next - value.length, end: next });
  }
  next = 0;
  for (let m = execAt(PASSWORD_OPTION, text, next); m !== null; m = execAt(PASSWORD_OPTION, text, next)) {
    next = m.index + m[0].length;
    const value = m[2]!;
    if (!credible(value)) continue;
    out.push({ type: 'command_line_credentials', start: next - value.length, end: next });
  }
  next = 0;
  for (let m = execAt(REDIS_PASSWORD, text, next); m !== null; m = execAt(REDIS_PASSWORD, text, next)) {
    next = m.index + m[0].length;
    if (credible(m[2]!)) out.push({ type: 'command_line_credentials', start: next - m[2]!.length, end: next });
  }
  next = 0;
  for (let m = execAt(HTPASSWD, text, next); m !== null; m = execAt(HTPASSWD, text, next)) {
    next = m.index + m[0].length;
    if (BATCH_FLAG.test(m[1]!) && credible(m[3]!)) out.push({ type: 'command_line_credentials', start: next - m[3]!.length, end: next });
  }
  next = 0;
  for (let m = execAt(NET_USE, text, next); m !== null; m = execAt(NET_USE, text, next)) {
    next = m.index + m[0].length;
    const password = netUsePassword(m[1]!);
    if (password !== undefined && credible(password.value)) {
      const start = m.index + m[0].length - m[1]!.length + password.offset;
      out.push({ type: 'command_line_credentials', start, end: start + password.value.length });
    }
  }
  next = 0;
  for (let m = execAt(SHORT_PASSWORD, text, next); m !== null; m = execAt(SHORT_PASSWORD, text, next)) {
    next = m.index + m[0].length;
    const value = m[2]!;
    if (!credible(value) || value.length < 6 || !TAKES_SHORT_PASSWORD.test(lineAround(text, m.index))) continue;
    out.push({ type: 'command_line_credentials', start: next - value.length, end: next });
  }
}
