// The quick fixes of configuration problems: the repairs the config layer attaches to its issues,
// and the text edits that apply them in YAML, JSON and settings files without touching anything else.
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import * as jsonc from 'jsonc-parser';
import { repairChoices, type TextEdit } from '../../src/extension/config-repair';
import { describeLaunch, lineSpot, locateInJson, splitSettingPath } from '../../src/extension/config-locations';
import { buildEffectiveConfig } from '../../src/extension/effective-config';
import { parseConfigText } from '../../src/config/loader';
import { ConfigError } from '../../src/config/errors';

function apply(text: string, edits: readonly TextEdit[]): string {
  return [...edits].sort((a, b) => b.offset - a.offset).reduce((out, e) => out.slice(0, e.offset) + e.text + out.slice(e.offset + e.length), text);
}

const YAML = `# my gatekit config
proxy:
  transport: stdio
  upstreams:
    - name: fx
      command: ["node", "server.js"]
plugins:
  security:
    _global:
      - handler: basic_pii_filtr   # typo
        config:
          action: redakt
          bogus: 1
          enabled: true
  middleware:
    fx:
      - {handler: tool_manager, config: {hidden: [a], colour: red}}
`;

function issuesOf(text: string, fileName = 'gatekit.yaml'): ConfigError['issues'] {
  try {
    parseConfigText(text, { sourcePath: fileName });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  assert.fail('the config was accepted');
}

describe('config problem repairs', () => {
  it('attaches repairs to unknown handlers, unknown options and wrong enum values', () => {
    const byPath = new Map(issuesOf(YAML).map((issue) => [issue.path, issue]));
    const handler = byPath.get('plugins.security._global[0].handler');
    assert.equal(handler?.repair?.kind, 'replaceValue');
    assert.equal(handler?.repair?.kind === 'replaceValue' && handler.repair.values[0], 'basic_pii_filter', 'the closest built-in name first');
    assert.equal(handler?.line, 10);
    const colour = byPath.get('plugins.middleware.fx[0].config.colour');
    assert.deepEqual(colour?.repair, { kind: 'unknownKey', key: 'colour' });
  });

  it('replaces a YAML value in place, keeping comments and the rest byte for byte', () => {
    const [change] = repairChoices(YAML, 'yaml', ['plugins', 'security', '_global', 0, 'handler'], { kind: 'replaceValue', values: ['basic_pii_filter'] });
    assert.ok(change);
    assert.equal(change.title, "Change to 'basic_pii_filter'");
    const fixed = apply(YAML, change.edits);
    assert.equal(fixed, YAML.replace('basic_pii_filtr ', 'basic_pii_filter '));
  });

  it('removes a block-mapping key with its line, and a flow-mapping key with its comma', () => {
    const [removeBlock] = repairChoices(YAML, 'yaml', ['plugins', 'security', '_global', 0, 'config', 'bogus'], { kind: 'unknownKey', key: 'bogus' });
    assert.equal(apply(YAML, removeBlock!.edits), YAML.replace('          bogus: 1\n', ''));
    const [removeFlow] = repairChoices(YAML, 'yaml', ['plugins', 'middleware', 'fx', 0, 'config', 'colour'], { kind: 'unknownKey', key: 'colour' });
    const fixed = apply(YAML, removeFlow!.edits);
    assert.match(fixed, /config: \{hidden: \[a\]\}\}/);
    assert.deepEqual(parseYaml(fixed).plugins.middleware.fx[0].config, { hidden: ['a'] });
  });

  it('renames a key to the close match (preferred) or removes it', () => {
    const text = 'plugins:\n  auditing:\n    _global:\n      - handler: audit_jsonl\n        config: {output_fil: a.jsonl}\n';
    const choices = repairChoices(text, 'yaml', ['plugins', 'auditing', '_global', 0, 'config', 'output_fil'], { kind: 'unknownKey', key: 'output_fil', suggestion: 'output_file' });
    assert.deepEqual(choices.map((c) => [c.title, c.preferred]), [["Rename 'output_fil' to 'output_file'", true], ["Remove 'output_fil'", false]]);
    assert.equal(apply(text, choices[0]!.edits), text.replace('output_fil:', 'output_file:'));
  });

  it('quotes a YAML value that would read back as something else', () => {
    const text = 'a:\n  b: x\n';
    const [change] = repairChoices(text, 'yaml', ['a', 'b'], { kind: 'replaceValue', values: ['yes'] });
    assert.equal(parseYaml(apply(text, change!.edits)).a.b, 'yes');
  });

  it('edits a settings file (JSONC, comments kept) and a workspace file under settings', () => {
    const settings = '{\n  // mine\n  "editor.tabSize": 2,\n  "gatekit.plugins": {"security": {"_global": [{"handler": "basic_pii_filter", "config": {"action": "redakt", "bogus": 1}}]}}\n}\n';
    const base = ['gatekit.plugins', 'security', '_global', 0, 'config'];
    const [enumFix] = repairChoices(settings, 'json', [...base, 'action'], { kind: 'replaceValue', values: ['redact', 'block', 'audit_only'] });
    const fixed = apply(settings, enumFix!.edits);
    assert.match(fixed, /\/\/ mine/);
    assert.equal(jsonc.parse(fixed)['gatekit.plugins'].security._global[0].config.action, 'redact');
    const [remove] = repairChoices(settings, 'json', [...base, 'bogus'], { kind: 'unknownKey', key: 'bogus' });
    assert.deepEqual(jsonc.parse(apply(settings, remove!.edits))['gatekit.plugins'].security._global[0].config, { action: 'redakt' });
    assert.deepEqual(repairChoices(settings, 'json', [...base, 'missing'], { kind: 'unknownKey', key: 'missing' }), [], 'nothing there, no fix');
  });

  it('offers at most eight values, and nothing for a text that does not parse', () => {
    const many = Array.from({ length: 20 }, (_, i) => `h${i}`);
    assert.equal(repairChoices('a: b\n', 'yaml', ['a'], { kind: 'replaceValue', values: many }).length, 8);
    assert.deepEqual(repairChoices('a: [b\n', 'yaml', ['a'], { kind: 'replaceValue', values: ['c'] }), []);
  });

  it('carries repairs through the effective configuration of settings', () => {
    const config = buildEffectiveConfig(
      { upstreams: [{ name: 'fx', command: 'node' }], plugins: { security: { _global: [{ handler: 'basic_secrets_filtr' }] } }, configFile: undefined },
      { workspaceFolders: [], userHome: '/home/u', env: {}, inputs: new Map() },
      { defaultConfigBase: '/tmp/gatekit.json', writableRoots: [], workingFolder: '/tmp', untrustedFolders: [] },
    );
    const problem = config.problems.find((p) => p.path === 'gatekit.plugins.security._global[0].handler');
    assert.ok(problem, JSON.stringify(config.problems));
    assert.equal(problem.repair?.kind === 'replaceValue' && problem.repair.values[0], 'basic_secrets_filter');
  });
});

describe('config locations', () => {
  it('splits a setting path into the setting and the path inside it', () => {
    assert.deepEqual(splitSettingPath('gatekit.plugins.security._global[0].handler'), { key: 'gatekit.plugins', rest: ['security', '_global', 0, 'handler'] });
    assert.deepEqual(splitSettingPath('gatekit.upstreams[1].name'), { key: 'gatekit.upstreams', rest: [1, 'name'] });
    assert.equal(splitSettingPath('proxy.upstreams[0]'), undefined);
  });

  it('clamps a line that points outside the file into it', () => {
    const text = 'a: 1\n  b: 2\n';
    assert.deepEqual(lineSpot(text, 1), { line: 1, start: 2, end: 6 });
    assert.equal(lineSpot(text, 1e9).line, 2);
    assert.equal(lineSpot(text, -5).line, 0);
    assert.equal(lineSpot(text, Number.NaN).line, 0);
    assert.equal(lineSpot('', 7).line, 0);
  });

  it('finds a value, a key, or the deepest existing ancestor in JSON', () => {
    const text = '{\n  "gatekit.upstreams": [\n    {"name": "fx", "command": "node"}\n  ]\n}\n';
    assert.deepEqual(locateInJson(text, ['gatekit.upstreams', 0, 'name']), { line: 2, start: 13, end: 17 });
    assert.deepEqual(locateInJson(text, ['gatekit.upstreams', 0, 'name'], true), { line: 2, start: 5, end: 11 });
    assert.equal(locateInJson(text, ['gatekit.upstreams', 0, 'nothing', 3])?.line, 2);
    assert.equal(locateInJson(text, ['gatekit.plugins']), undefined);
  });

  it('describes how a server starts as written: settings first, never resolved secrets', () => {
    assert.equal(describeLaunch('fx', [{ name: 'fx', command: 'npx', args: ['-y', 'srv', '--key', '${input:key}', 'two words'] }], undefined), 'npx -y srv --key ${input:key} "two words"');
    assert.equal(describeLaunch('r', undefined, [{ name: 'r', url: 'https://example.com/mcp' }]), 'https://example.com/mcp');
    assert.equal(describeLaunch('__proto__', [{ name: 'fx', command: 'a' }], {}), undefined);
  });
});
