// Variable and `~` expansion, config-relative paths, command splitting and did-you-mean matching.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandLineSyntaxError, expandHome, expandVariables, homeDirectory, resolveUserPath, splitCommandLine } from '../../../src/config/paths';
import { closestMatch, editDistance } from '../../../src/config/suggest';

describe('config paths: expandVariables', () => {
  const env = { A: 'alpha', EMPTY: '', B_2: 'beta' };

  it('expands ${VAR}, $VAR, ${VAR:-fallback} and $$', () => {
    assert.equal(expandVariables('${A}/$B_2/x', env), 'alpha/beta/x');
    assert.equal(expandVariables('$A.txt', env), 'alpha.txt');
    assert.equal(expandVariables('${MISSING:-dflt} ${EMPTY:-used} ${A:-unused}', env), 'dflt used alpha');
    assert.equal(expandVariables('$$A costs $$5', env), '$A costs $5');
  });

  it('keeps a $ that starts no variable and reports unset variables', () => {
    const missing: string[] = [];
    assert.equal(expandVariables('cost $5, ${not closed, $ alone, ${1bad}', env, (name) => missing.push(name)), 'cost $5, ${not closed, $ alone, ${1bad}');
    assert.equal(expandVariables('[$NOPE][${ALSO_NOPE}]', env, (name) => missing.push(name)), '[][]');
    assert.deepEqual(missing, ['NOPE', 'ALSO_NOPE']);
  });

  it('does not take inherited properties of a plain-object environment', () => {
    assert.equal(expandVariables('[$constructor]', {}), '[]');
  });

  it('leaves text without $ untouched (same string)', () => {
    const text = 'plain text';
    assert.equal(expandVariables(text, env), text);
  });
});

describe('config paths: home and resolveUserPath', () => {
  it('expands a leading ~ only', () => {
    const env = { HOME: '/h' };
    assert.equal(expandHome('~', env), '/h');
    assert.equal(expandHome('~/x', env), '/h/x');
    assert.equal(expandHome('~\\x', env), '/h\\x');
    assert.equal(expandHome('~other/x', env), '~other/x');
    assert.equal(expandHome('a/~/b', env), 'a/~/b');
  });

  it('finds the home folder from HOME, then USERPROFILE, then the OS', () => {
    assert.equal(homeDirectory({ HOME: '/h', USERPROFILE: 'C:\\Users\\u' }), '/h');
    assert.equal(homeDirectory({ USERPROFILE: 'C:\\Users\\u' }), 'C:\\Users\\u');
    assert.equal(homeDirectory({}), os.homedir());
  });

  it('resolves relative paths against the config folder, keeps absolute ones', () => {
    const env = { HOME: '/h', LOGS: 'var/logs' };
    assert.equal(resolveUserPath('logs/audit.jsonl', '/cfg', env), path.resolve('/cfg', 'logs/audit.jsonl'));
    assert.equal(resolveUserPath('../x', '/cfg/sub', env), path.resolve('/cfg/x'));
    assert.equal(resolveUserPath('/abs/file', '/cfg', env), path.resolve('/abs/file'));
    assert.equal(resolveUserPath('~/audit.log', '/cfg', env), path.resolve('/h/audit.log'));
    assert.equal(resolveUserPath('${LOGS}/a.csv', '/cfg', env), path.resolve('/cfg/var/logs/a.csv'));
    assert.equal(resolveUserPath('$HOME/a', '/cfg', env), path.resolve('/h/a'));
  });
});

describe('config paths: splitCommandLine', () => {
  const cases: [string, string[]][] = [
    ['npx -y @modelcontextprotocol/server-memory', ['npx', '-y', '@modelcontextprotocol/server-memory']],
    ['  node\tserver.js \n --port  8080 ', ['node', 'server.js', '--port', '8080']],
    ['node "my server.js" \'it is\'', ['node', 'my server.js', 'it is']],
    ['cmd --flag="a b" x\'y z\'w', ['cmd', '--flag=a b', "xy zw"]],
    ['cmd "" \'\'', ['cmd', '', '']],
    ['"C:\\Program Files\\node.exe" C:\\srv\\x.js', ['C:\\Program Files\\node.exe', 'C:\\srv\\x.js']],
    ['echo $HOME; rm -rf / | cat > f', ['echo', '$HOME;', 'rm', '-rf', '/', '|', 'cat', '>', 'f']],
    ['say "it\'s"', ['say', "it's"]],
    ['', []],
  ];
  for (const [input, expected] of cases) {
    it(`splits ${JSON.stringify(input)}`, () => assert.deepEqual(splitCommandLine(input), expected));
  }

  it('rejects an unterminated quote', () => {
    assert.throws(() => splitCommandLine('node "open'), (error: unknown) => error instanceof CommandLineSyntaxError && /double quote at character 6/.test(error.message));
    assert.throws(() => splitCommandLine("a 'b"), CommandLineSyntaxError);
  });
});

describe('config suggest', () => {
  it('measures edits, counting a swap of neighbours as one', () => {
    assert.equal(editDistance('priority', 'priority'), 0);
    assert.equal(editDistance('pirority', 'priority'), 1);
    assert.equal(editDistance('basic_pii_filtr', 'basic_pii_filter'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests the nearest plausible name, or an unambiguous abbreviation, or nothing', () => {
    const handlers = ['basic_pii_filter', 'basic_secrets_filter', 'basic_prompt_injection_defense'];
    assert.equal(closestMatch('basic_pii_filtr', handlers), 'basic_pii_filter');
    assert.equal(closestMatch('BASIC_PII_FILTER', handlers), 'basic_pii_filter');
    assert.equal(closestMatch('basic_secret_filter', handlers), 'basic_secrets_filter');
    assert.equal(closestMatch('WARN', ['DEBUG', 'INFO', 'WARNING']), 'WARNING');
    assert.equal(closestMatch('basic', handlers), undefined, 'ambiguous abbreviation');
    assert.equal(closestMatch('splunk', handlers), undefined);
  });
});
