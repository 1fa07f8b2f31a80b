// Duplicate keys stay refused (they hide a mistake: the reader keeps the last), but every one is
// named with both of its lines, in YAML and JSON, including the original's own `proxy:` twice.
import * as assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config/errors';
import { parseConfigText } from '../../../src/config/loader';
import { fakeRegistry } from './fake-plugins';

function issuesOf(text: string, format?: 'yaml' | 'json'): ConfigError['issues'] {
  try {
    parseConfigText(text, { registry: fakeRegistry(), ...(format ? { format } : {}) });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues;
  }
  assert.fail('expected a ConfigError');
}

describe('config: duplicate keys', () => {
  it('names the key and both lines of every duplicate in YAML (the original spec example has proxy: twice)', () => {
    const text = [
      'proxy:', '  transport: stdio', '  upstreams:', '    - name: a', '      command: [x]', '      name: b',
      'plugins: {}', 'proxy:', '  transport: stdio', '',
    ].join('\n');
    const issues = issuesOf(text);
    assert.equal(issues.length, 2);
    assert.deepEqual(issues.map((issue) => [issue.path, issue.line]), [['proxy.upstreams[0].name', 6], ['proxy', 8]]);
    assert.match(issues[0]!.message, /Duplicate key 'name' in proxy\.upstreams\[0\]: on line 4 and again on line 6/);
    assert.match(issues[1]!.message, /Duplicate key 'proxy': on line 1 and again on line 8/);
    assert.match(issues[1]!.fixInstructions, /Merge the two 'proxy' entries/);
  });

  it('names both lines in JSON and reports each duplicate', () => {
    const text = '{\n  "proxy": {"transport": "stdio",\n    "transport": "stdio"},\n  "proxy": {}\n}';
    const issues = issuesOf(text, 'json');
    assert.deepEqual(issues.map((issue) => issue.message), [
      "Duplicate key 'transport': on line 2 and again on line 3",
      "Duplicate key 'proxy': on line 2 and again on line 4",
    ]);
  });

  it('hostile keys: __proto__ twice, thousands of duplicates (bounded report)', () => {
    const proto = issuesOf('__proto__: 1\n__proto__: 2\n');
    assert.match(proto[0]!.message, /Duplicate key '__proto__'/);
    const many = `${Array.from({ length: 5000 }, () => 'k: 1').join('\n')}\n`;
    assert.equal(issuesOf(many).length, 50);
    const json = `{${Array.from({ length: 5000 }, () => '"k": 1').join(',')}}`;
    assert.equal(issuesOf(json, 'json').length, 50);
  });
});
