// Upstreams start without a shell; a Windows batch file (npx.cmd) runs through cmd.exe with arguments
// escaped so that no character is interpreted. Checked on any OS against a model of cmd.exe's
// parser and of the C runtime's argv rules.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { escapeBatchArgument, quoteForMsvcrt, resolveWindowsCommand, spawnTarget, UnsafeArgumentError } from '../../src/gateway/spawn-command';
import { checkProperty } from './helpers';

const COMSPEC = 'C:\\Windows\\System32\\cmd.exe';
const winEnv = { Path: 'C:\\tools;C:\\Program Files\\nodejs', PATHEXT: '.COM;.EXE;.BAT;.CMD', ComSpec: COMSPEC };
const files = new Set(['C:\\Program Files\\nodejs\\npx.cmd', 'C:\\Program Files\\nodejs\\node.exe', 'C:\\tools\\uvx.exe', 'C:\\work\\npx.cmd', 'D:\\servers\\run server.BAT']);
/** Windows file names are case-insensitive. */
const windows = { platform: 'win32' as const, env: winEnv, cwd: 'C:\\work', isFile: (p: string) => [...files].some((f) => f.toLowerCase() === p.toLowerCase()) };

/** Characters cmd.exe acts on when they are neither escaped nor inside quotes. */
const CMD_OPERATORS = new Set(['&', '|', '<', '>', '(', ')', '\n']);

/**
 * One pass of cmd.exe's line parser (percent expansion, then carets and quotes). Throws if a `%`
 * could start a variable or an operator would act; returns the line with the escapes removed.
 */
function cmdPass(line: string): string {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '%' && line[i - 1] !== '^') throw new Error(`unescaped % at ${i} in ${line}`);
  }
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (!quoted && ch === '^') {
      out += line[++i] ?? '';
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && CMD_OPERATORS.has(ch)) throw new Error(`cmd.exe would act on ${JSON.stringify(ch)} at ${i} in ${line}`);
    out += ch;
  }
  return out;
}

/** The argv a Microsoft C runtime program builds from its command line (CommandLineToArgvW rules). */
function msvcrtArgv(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) return args;
    let arg = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      let backslashes = 0;
      while (line[i] === '\\') {
        backslashes++;
        i++;
      }
      if (line[i] === '"') {
        arg += '\\'.repeat(Math.floor(backslashes / 2));
        if (backslashes % 2) arg += '"';
        else quoted = !quoted;
        i++;
      } else {
        arg += '\\'.repeat(backslashes);
        if (i < line.length) arg += line[i++];
      }
    }
    args.push(arg);
  }
}

/** What npx.cmd's program receives: cmd.exe /s /c runs the line, the shim forwards %* through a second cmd.exe pass. */
function argvThroughShim(target: { file: string; args: readonly string[] }): string[] {
  assert.equal(target.file, COMSPEC);
  assert.deepEqual(target.args.slice(0, 4), ['/d', '/s', '/v:off', '/c']);
  const outer = target.args[4]!;
  assert.ok(outer.startsWith('"') && outer.endsWith('"'));
  const firstPass = cmdPass(outer.slice(1, -1)); // /s strips the outer quotes
  const command = 'C:\\Program Files\\nodejs\\npx.cmd';
  assert.ok(firstPass.startsWith(command + ' ') || firstPass === command, firstPass);
  const forwarded = firstPass.slice(command.length + 1); // %* of the batch file
  return msvcrtArgv(cmdPass(forwarded));
}

describe('hardening: upstream spawning without a shell', () => {
  it('spawns POSIX commands as they are', () => {
    const target = spawnTarget('npx', ['-y', '$(touch /tmp/x)', '; rm -rf ~', '`id`'], { platform: 'linux', env: {} });
    assert.deepEqual(target, { file: 'npx', args: ['-y', '$(touch /tmp/x)', '; rm -rf ~', '`id`'], windowsVerbatimArguments: false });
  });

  it('spawns Windows programs directly and runs batch files through cmd.exe /d /s /v:off /c', () => {
    assert.deepEqual(spawnTarget('uvx', ['a & b'], windows), { file: 'C:\\tools\\uvx.exe', args: ['a & b'], windowsVerbatimArguments: false });
    assert.deepEqual(spawnTarget('node', ['x'], windows).file, 'C:\\Program Files\\nodejs\\node.exe');
    const npx = spawnTarget('npx', ['-y', '@modelcontextprotocol/server-filesystem', 'C:\\My Files\\'], windows);
    assert.equal(npx.windowsVerbatimArguments, true);
    assert.deepEqual(argvThroughShim(npx), ['-y', '@modelcontextprotocol/server-filesystem', 'C:\\My Files\\']);
    const bat = spawnTarget('D:\\servers\\run server', [], windows);
    assert.equal(bat.file, COMSPEC);
    assert.match(bat.args[4]!, /^"D:\\servers\\run\^ server\.bat"$/i);
  });

  it('never resolves a bare name from the working folder (a workspace could plant npx.cmd)', () => {
    assert.equal(resolveWindowsCommand('npx', windows), 'C:\\Program Files\\nodejs\\npx.cmd');
    assert.equal(resolveWindowsCommand('.\\npx', windows), 'C:\\work\\npx.cmd');
    assert.equal(resolveWindowsCommand('missing', windows), 'missing');
  });

  it('quotes by the C runtime rules', () => {
    assert.equal(quoteForMsvcrt('a b'), '"a b"');
    assert.equal(quoteForMsvcrt(''), '""');
    assert.equal(quoteForMsvcrt('a\\'), '"a\\\\"');
    assert.equal(quoteForMsvcrt('a\\"b'), '"a\\\\\\"b"');
    assert.equal(quoteForMsvcrt('C:\\x\\y'), '"C:\\x\\y"');
  });

  it('refuses line breaks and NUL, which no escaping carries through cmd.exe', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\0b']) {
      assert.throws(() => escapeBatchArgument(bad), UnsafeArgumentError);
      assert.throws(() => spawnTarget('npx', [bad], windows), UnsafeArgumentError);
    }
    assert.doesNotThrow(() => spawnTarget('uvx', ['a\nb'], windows)); // a program (not a batch file) gets it verbatim
  });

  it('delivers any argument list unchanged through cmd.exe and a forwarding shim, with nothing interpreted', async () => {
    const hostileChar = fc.oneof(
      fc.constantFrom('"', '\\', '^', '%', '!', '&', '|', '<', '>', '(', ')', ' ', '\t', ',', ';', '=', '*', '?', '`', "'", '$', '[', ']', '%PATH%', '%%', '^^', '\\"', 'é', '😀'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 3 }),
    );
    const arg = fc.array(hostileChar, { maxLength: 12 }).map((parts) => parts.join('').replace(/[\r\n\0]/g, ''));
    await checkProperty(
      'batch-file arguments round-trip',
      fc.property(fc.array(arg, { maxLength: 6 }), (args) => {
        assert.deepEqual(argvThroughShim(spawnTarget('npx', args, windows)), args);
      }),
      2000,
    );
  });
});
