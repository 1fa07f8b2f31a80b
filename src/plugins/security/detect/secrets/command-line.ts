// Credentials written on a command line: `curl -u user:pass`, `--password pass`, `-ppass` after
// mysql, `sshpass -p pass`, `-p pass` next to a user option, `smbclient -U user%pass`. Each search
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

/** What every rule here needs: a short option with a value or a long password option. */
const CLI_OPTION = /-[upaU][ =']|-p\S|--[a-z-]{0,16}pass/;

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
  for (let m = execAt(SHORT_PASSWORD, text, next); m !== null; m = execAt(SHORT_PASSWORD, text, next)) {
    next = m.index + m[0].length;
    const value = m[2]!;
    if (!credible(value) || value.length < 6 || !TAKES_SHORT_PASSWORD.test(lineAround(text, m.index))) continue;
    out.push({ type: 'command_line_credentials', start: next - value.length, end: next });
  }
}
