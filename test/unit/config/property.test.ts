// Property: whatever document arrives (garbage text, random YAML/JSON, a valid config with one
// part replaced by anything), the loader returns a config or throws a ConfigError, nothing else.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { ConfigError } from '../../../src/config/errors';
import { loadConfigFile, parseConfigText, validateConfigObject, type LoadedConfig } from '../../../src/config/loader';
import { fakeRegistry } from './fake-plugins';

const registry = fakeRegistry();
const env = { HOME: '/home/tester' };
const fixtures = path.resolve(__dirname, '../../fixtures/config');

const KEYS = [
  'proxy', 'transport', 'upstreams', 'name', 'command', 'env', 'cwd', 'enabled', 'timeouts', 'connection_timeout',
  'request_timeout', 'plugins', 'security', 'middleware', 'auditing', '_global', '_anchor', 'handler', 'config',
  'priority', 'critical', 'action', 'pii_types', 'tools', 'tool', 'logging', 'level', 'handlers', 'file_path',
  'sandbox', '__proto__', 'constructor', 'toString', 'filesystem', 'a', '',
];
const WORDS = ['stdio', 'http', 'basic_pii_filter', 'tool_manager', 'audit_jsonl', 'block', 'redact', 'INFO', 'file', 'npx -y x', "a 'b", '${HOME}', '~/x', '$', 'a__b'];

const scalar = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 200 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);

const { value: anyValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
  ),
}));

const TOKENS = [
  'proxy:', '  transport: stdio', '  upstreams:', '    - name: a', '      command: [x, y]', '      command: "x y"', 'plugins:',
  '  security:', '    _global:', '    a:', '      - handler: basic_pii_filter', '        config: {action: block}',
  '  middleware:', '      - handler: tool_manager', 'logging: {level: info}', '&anchor', '*anchor', '<<: *anchor', '- ', '{',
  '}', '[', ']', ': ', '"', "'", '#', '\t', '---', '? ', '!!binary', '%YAML 1.2', '|', '>', ',', '\\u0000', '\uFEFF',
];
const yamlishText = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })), { maxLength: 25 }).map((parts) => parts.join('\n'));

const referenceJson = fs.readFileSync(path.join(fixtures, 'reference.json'), 'utf8');

/** A fresh, structurally valid config object, to mutate in one place. */
function referenceObject(): unknown {
  return JSON.parse(referenceJson) as unknown;
}

/** Replace the node reached by following `steps` (indices into keys/items) with `replacement`. */
function mutate(root: unknown, steps: readonly number[], replacement: unknown): unknown {
  if (steps.length === 0 || root === null || typeof root !== 'object') return replacement;
  const container = root as Record<string, unknown>;
  const keys = Object.keys(container);
  if (keys.length === 0) return root;
  const key = keys[steps[0]! % keys.length]!;
  container[key] = mutate(container[key], steps.slice(1), replacement);
  return root;
}

let runs = 0;

function checkOutcome(run: () => LoadedConfig, text?: string): void {
  runs++;
  try {
    const loaded = run();
    assert.ok(loaded.config.proxy.upstreams.length > 0);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`threw ${String(error)} instead of a ConfigError`, { cause: error });
    assert.ok(error.code === -32001 || error.code === -32002);
    assert.ok(error.message.length > 0 && typeof error.path === 'string' && error.issues.length > 0);
    if (text !== undefined && error.line !== undefined) {
      assert.ok(Number.isInteger(error.line) && error.line >= 1 && error.line <= text.split('\n').length + 1, `line ${error.line}`);
    }
  }
}

describe('config loader: property', function () {
  after(() => console.log(`      config property runs: ${runs}`));

  it('never throws anything but ConfigError on YAML-ish text', () => {
    fc.assert(fc.property(yamlishText, (text) => checkOutcome(() => parseConfigText(text, { registry, env, format: 'yaml' }), text)), { numRuns: 600 });
  });

  it('never throws anything but ConfigError on JSON-ish text', () => {
    const jsonish = fc.oneof(
      anyValue.map((value) => JSON.stringify(value) ?? 'null'),
      fc.tuple(anyValue, fc.nat(), fc.string({ maxLength: 3 })).map(([value, cut, insert]) => {
        const text = JSON.stringify(value) ?? '';
        const at = cut % (text.length + 1);
        return text.slice(0, at) + insert + text.slice(at);
      }),
    );
    fc.assert(fc.property(jsonish, (text) => checkOutcome(() => parseConfigText(text, { registry, env, format: 'json' }), text)), { numRuns: 600 });
  });

  it('never throws anything but ConfigError on random documents, as objects, JSON and YAML', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        checkOutcome(() => validateConfigObject(value, { configDir: '/cfg', registry, env }));
        const json = JSON.stringify(value) ?? 'null';
        checkOutcome(() => parseConfigText(json, { registry, env, format: 'json' }), json);
        const yaml = toYaml(value);
        checkOutcome(() => parseConfigText(yaml, { registry, env, format: 'yaml' }), yaml);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws anything but ConfigError when one part of a valid config is replaced', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 7 }), anyValue, (steps, replacement) => {
        const value = mutate(referenceObject(), steps, replacement);
        checkOutcome(() => validateConfigObject(value, { configDir: fixtures, registry, env }));
        const yaml = toYaml(value);
        checkOutcome(() => parseConfigText(yaml, { registry, env, sourcePath: path.join(fixtures, 'mutated.yaml') }), yaml);
      }),
      { numRuns: 600 },
    );
  });

  it('still loads the unmutated reference (the mutation property starts from a valid config)', () => {
    assert.equal(validateConfigObject(referenceObject(), { configDir: fixtures, registry, env }).config.proxy.upstreams.length, 2);
    assert.equal(loadConfigFile(path.join(fixtures, 'reference.yaml'), { registry, env }).config.proxy.upstreams.length, 2);
  });
});
