// Every validation rule of the config loader, each with the message a user would read: the field
// path, the line, the nearest valid name and the valid options.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../../src/config/errors';
import { loadConfigFile, parseConfigText, validateConfigObject } from '../../../src/config/loader';
import { fakePlugins, fakeRegistry } from './fake-plugins';

const registry = fakeRegistry();

/** 1-based line of the first line containing `marker`. */
function lineOf(text: string, marker: string): number {
  const index = text.indexOf(marker);
  assert.ok(index >= 0, `marker ${marker} not in text`);
  return text.slice(0, index).split('\n').length;
}

interface Expected {
  code?: -32001 | -32002;
  path: string;
  /** A marker whose line the error must point at. */
  lineAt?: string;
  includes?: readonly string[];
  fix?: RegExp;
}

function expectError(text: string, expected: Expected, options: { format?: 'yaml' | 'json'; sourcePath?: string } = {}): ConfigError {
  let caught: unknown;
  try {
    parseConfigText(text, { registry, ...options });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.path, expected.path, caught.message);
  assert.equal(caught.code, expected.code ?? -32001, caught.message);
  if (expected.lineAt !== undefined) {
    const line = lineOf(text, expected.lineAt);
    assert.equal(caught.line, line, caught.message);
    assert.ok(caught.message.includes(`line ${line}`), caught.message);
  }
  if (expected.path !== '') assert.ok(caught.message.includes(` at ${expected.path}`), caught.message);
  for (const part of expected.includes ?? []) assert.ok(caught.message.includes(part), `${JSON.stringify(part)} not in: ${caught.message}`);
  if (expected.fix) assert.match(caught.fixInstructions, expected.fix);
  return caught;
}

const UPSTREAM = `proxy:
  transport: stdio
  upstreams:
    - name: filesystem
      command: ["npx", "fs"]
    - name: github
      command: ["npx", "gh"]
`;

function withPlugins(plugins: string): string {
  return `${UPSTREAM}plugins:\n${plugins}`;
}

describe('config loader: structure errors', () => {
  it('reports a missing proxy section', () => {
    expectError('logging: {level: INFO}\n', { path: 'proxy', lineAt: 'logging', includes: ["Missing required key 'proxy' at the top level"] });
  });

  it('reports a missing or non-stdio transport', () => {
    expectError('proxy:\n  upstreams: [{name: a, command: [x]}]\n', { path: 'proxy.transport', lineAt: 'upstreams', includes: ["Missing required key 'transport' under proxy", 'transport: stdio'] });
    const text = 'proxy:\n  transport: websocket\n  upstreams: [{name: a, command: [x]}]\n';
    expectError(text, { path: 'proxy.transport', lineAt: 'websocket', includes: ["must be 'stdio'", "or 'http'"] });
  });

  it("reads Gatekit 0.2's proxy.transport: http with http {host, port} unchanged", () => {
    const loaded = parseConfigText('proxy:\n  transport: http\n  http:\n    host: 127.0.0.1\n    port: 8080\n  upstreams: [{name: a, command: [x]}]\n', { registry });
    assert.equal(loaded.config.proxy.transport, 'http');
    assert.equal(loaded.config.proxy.http?.port, 8080);
    assert.deepEqual(loaded.config.proxy.http?.allowed_origins, []);
  });

  it('names the field and line of a bad proxy.http', () => {
    const open = 'proxy:\n  transport: http\n  http:\n    host: 0.0.0.0\n    port: 8080\n  upstreams: [{name: a, command: [x]}]\n';
    expectError(open, { path: 'proxy.http.host', lineAt: '0.0.0.0', includes: ['reachable from other machines', 'tls', 'allow_remote'] });
    const port = 'proxy:\n  transport: http\n  http:\n    port: 70000\n  upstreams: [{name: a, command: [x]}]\n';
    expectError(port, { path: 'proxy.http.port', lineAt: '70000' });
    const both = 'proxy:\n  transport: http\n  http:\n    token_env: T\n    token_file: t.txt\n  upstreams: [{name: a, command: [x]}]\n';
    expectError(both, { path: 'proxy.http.token_file', lineAt: 't.txt', includes: ['only one of'] });
    const tls = 'proxy:\n  transport: http\n  http:\n    tls: {cert_file: c.pem}\n  upstreams: [{name: a, command: [x]}]\n';
    expectError(tls, { path: 'proxy.http.tls.key_file', lineAt: 'tls' });
    // Opting in keeps a clear-text remote host possible, and TLS makes it fine.
    parseConfigText(open.replace('port: 8080', 'port: 8080\n    allow_remote: true'), { registry });
    parseConfigText(open.replace('port: 8080', 'port: 8080\n    tls: {cert_file: c.pem, key_file: k.pem}'), { registry });
  });

  it('requires at least one upstream', () => {
    const text = 'proxy:\n  transport: stdio\n  upstreams: []\n';
    expectError(text, { path: 'proxy.upstreams', lineAt: 'upstreams', includes: ['At least one upstream'] });
  });

  it('checks upstream names: pattern, "__", uniqueness', () => {
    const bad = UPSTREAM.replace('name: github', 'name: GitHub');
    expectError(bad, { path: 'proxy.upstreams[1].name', lineAt: 'GitHub', includes: ["'GitHub' must start with a lowercase letter"] });
    const doubled = UPSTREAM.replace('name: github', 'name: git__hub');
    expectError(doubled, { path: 'proxy.upstreams[1].name', lineAt: 'git__hub', includes: ["must not contain '__'"] });
    const duplicate = UPSTREAM.replace('name: github', 'name: filesystem');
    const error = expectError(duplicate, { path: 'proxy.upstreams[1].name', includes: ["'filesystem' is used more than once"] });
    assert.equal(error.line, 6);
  });

  it('checks commands: non-empty list of strings or a non-empty string', () => {
    expectError(UPSTREAM.replace('["npx", "gh"]', '[]'), { path: 'proxy.upstreams[1].command', lineAt: 'command: []', includes: ['Must not be an empty list'] });
    expectError(UPSTREAM.replace('["npx", "gh"]', '["npx", 42]'), { path: 'proxy.upstreams[1].command[1]', lineAt: '42', includes: ['Expected a string, got the number 42'] });
    expectError(UPSTREAM.replace('["npx", "gh"]', '["", "gh"]'), { path: 'proxy.upstreams[1].command[0]', lineAt: '["", "gh"]', includes: ['first element of command'] });
    expectError(UPSTREAM.replace('["npx", "gh"]', '"   "'), { path: 'proxy.upstreams[1].command', lineAt: '"   "', includes: ['command must not be empty'] });
    expectError(UPSTREAM.replace('["npx", "gh"]', '{program: npx}'), { path: 'proxy.upstreams[1].command', lineAt: 'program', includes: ['command must be a non-empty list of strings'] });
    expectError(UPSTREAM.replace('["npx", "gh"]', `"npx 'unclosed"`), { path: 'proxy.upstreams[1].command', lineAt: 'unclosed', includes: ['Unterminated single quote'] });
    expectError(UPSTREAM.replace('      command: ["npx", "gh"]\n', ''), { path: 'proxy.upstreams[1].command', lineAt: 'name: github', includes: ["Missing required key 'command' under proxy.upstreams[1]"] });
  });

  it('rejects unknown keys everywhere with the nearest valid key', () => {
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'comand: ["npx", "gh"]'), {
      path: 'proxy.upstreams[1].comand',
      lineAt: 'comand',
      includes: ["Unknown key 'comand' in proxy.upstreams[1]. Did you mean 'command'?", 'Valid keys: name, transport, enabled, command, env, cwd'],
      fix: /Rename 'comand' to 'command'/,
    });
    expectError(`${UPSTREAM}pluginz: {}\n`, { path: 'pluginz', lineAt: 'pluginz', includes: ["Unknown key 'pluginz' at the top level. Did you mean 'plugins'?"] });
    expectError(`${UPSTREAM}  timeout: {request_timeout: 5}\n`.replace('  timeout', '  timeouts: {conection_timeout: 5}\n  x'), {
      path: 'proxy.timeouts.conection_timeout',
      lineAt: 'conection_timeout',
      includes: ["Did you mean 'connection_timeout'?"],
    });
    expectError(`${UPSTREAM}logging: {levl: INFO}\n`, { path: 'logging.levl', lineAt: 'levl', includes: ["Did you mean 'level'?"] });
  });

  it('explains keys in the wrong place', () => {
    expectError('upstreams: []\nproxy: {transport: stdio, upstreams: [{name: a, command: [x]}]}\n', { path: 'upstreams', lineAt: 'upstreams: []', includes: ["'upstreams' belongs under 'proxy:'"] });
    expectError(UPSTREAM + '  plugins: {}\n', { path: 'proxy.plugins', lineAt: '  plugins', includes: ["'plugins' must be at the top level"] });
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'command: npx\n      args: [gh]'), { path: 'proxy.upstreams[1].args', lineAt: 'args', includes: ["Gatekit has no 'args'"] });
  });

  it('rejects keys next to handler other than config', () => {
    expectError(withPlugins('  security:\n    _global:\n      - handler: basic_pii_filter\n        priority: 10\n'), {
      path: 'plugins.security._global[0].priority',
      lineAt: 'priority',
      includes: ["Unknown key 'priority' in plugins.security._global[0]", 'Valid keys: handler, config'],
    });
  });

  it('checks the common plugin keys: priority 0-100 integer, booleans', () => {
    const at = (value: string): string => withPlugins(`  security:\n    _global:\n      - handler: basic_pii_filter\n        config: {priority: ${value}}\n`);
    expectError(at('101'), { path: 'plugins.security._global[0].config.priority', lineAt: 'priority', includes: ['Must be at most 100, got the number 101'] });
    expectError(at('-1'), { path: 'plugins.security._global[0].config.priority', includes: ['Must be at least 0'] });
    expectError(at('2.5'), { path: 'plugins.security._global[0].config.priority', includes: ['Expected a whole number'] });
    expectError(withPlugins('  security:\n    _global:\n      - handler: basic_pii_filter\n        config: {enabled: "true"}\n'), {
      path: 'plugins.security._global[0].config.enabled',
      includes: ["Expected true or false, got the string 'true'"],
      fix: /without quotes/,
    });
  });

  it('checks timeouts and logging', () => {
    expectError(`${UPSTREAM}  timeouts: {connection_timeout: 0}\n`, { path: 'proxy.timeouts.connection_timeout', lineAt: 'connection_timeout', includes: ['Must be greater than 0'] });
    expectError(`${UPSTREAM}  timeouts: {request_timeout: "30s"}\n`, { path: 'proxy.timeouts.request_timeout', includes: ["Expected a number, got the string '30s'"] });
    expectError(`${UPSTREAM}logging:\n  level: VERBOSE\n`, { path: 'logging.level', lineAt: 'VERBOSE', includes: ["Invalid value: the string 'VERBOSE'", "Valid values: 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'"] });
    expectError(`${UPSTREAM}logging:\n  level: WARN\n`, { path: 'logging.level', includes: ["Did you mean 'WARNING'?"] });
    expectError(`${UPSTREAM}logging:\n  handlers: [stderr, file]\n`, { path: 'logging.file_path', lineAt: 'handlers', includes: ["file_path is required when handlers include 'file'"] });
    expectError(`${UPSTREAM}logging:\n  handlers: [syslog]\n`, { path: 'logging.handlers[0]', includes: ["Valid values: 'stderr', 'file'"] });
  });

  it('checks env and cwd', () => {
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'command: ["npx", "gh"]\n      env:\n        PORT: 8080'), {
      path: 'proxy.upstreams[1].env.PORT',
      lineAt: '8080',
      includes: ['Expected a string, got the number 8080'],
      fix: /quote it: "8080"/,
    });
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'command: ["npx", "gh"]\n      env: {"A=B": x}'), { path: 'proxy.upstreams[1].env["A=B"]', includes: ['must not contain "="'] });
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'command: ["npx", "gh"]\n      cwd: ""'), { path: 'proxy.upstreams[1].cwd', includes: ['Must not be empty'] });
  });

  it('checks sandbox settings: a non-boolean network and NUL in a path', () => {
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'command: ["npx", "gh"]\n      sandbox: {enabled: true, network: no-way}'), { path: 'proxy.upstreams[1].sandbox.network', includes: ['Expected true or false'] });
    expectError(UPSTREAM.replace('command: ["npx", "gh"]', 'command: ["npx", "gh"]\n      sandbox: {enabled: true, paths: ["a\\0b"]}'), { path: 'proxy.upstreams[1].sandbox.paths[0]', includes: ['NUL'] });
  });

  it('reports an empty document and a document that is not a mapping', () => {
    expectError('# only a comment\n', { path: '', includes: ['The configuration is empty'] });
    expectError('- a\n- b\n', { path: '', includes: ["must be a mapping with a 'proxy' section, not a list"] });
  });
});

describe('config loader: plugin errors', () => {
  it('reports an unknown handler with -32002, the nearest name and the handlers of that section', () => {
    const text = withPlugins('  security:\n    _global:\n      - handler: basic_pii_filtr\n');
    const error = expectError(text, {
      code: -32002,
      path: 'plugins.security._global[0].handler',
      lineAt: 'basic_pii_filtr',
      includes: ["Unknown security plugin 'basic_pii_filtr'", "Did you mean 'basic_pii_filter'?", 'Valid security handlers: basic_pii_filter, basic_prompt_injection_defense, basic_secrets_filter.'],
      fix: /Change the handler to 'basic_pii_filter'/,
    });
    assert.equal(error.issues.length, 1);
  });

  it('lists the valid handlers without a suggestion when nothing is close', () => {
    const error = expectError(withPlugins('  auditing:\n    _global:\n      - handler: splunk\n'), { code: -32002, path: 'plugins.auditing._global[0].handler', includes: ['Valid auditing handlers: audit_csv, audit_jsonl.'] });
    assert.ok(!error.message.includes('Did you mean'), error.message);
  });

  it('rejects a handler placed in the section of another kind', () => {
    expectError(withPlugins('  security:\n    filesystem:\n      - handler: tool_manager\n'), {
      path: 'plugins.security.filesystem[0].handler',
      lineAt: 'tool_manager',
      includes: ["'tool_manager' is a middleware plugin, so it cannot be listed under plugins.security"],
      fix: /Move this entry to plugins\.middleware\.filesystem/,
    });
  });

  it('rejects a server-only plugin under _global', () => {
    expectError(withPlugins('  middleware:\n    _global:\n      - handler: tool_manager\n        config: {tools: []}\n'), {
      path: 'plugins.middleware._global[0].handler',
      lineAt: 'tool_manager',
      includes: ["'tool_manager' can only be configured per server, not under _global"],
      fix: /filesystem, github/,
    });
  });

  it('rejects a plugin scope that names no upstream, suggesting the nearest', () => {
    expectError(withPlugins('  security:\n    filesytem:\n      - handler: basic_pii_filter\n'), {
      path: 'plugins.security.filesytem',
      lineAt: 'filesytem',
      includes: ["names upstream 'filesytem', which is not configured. Did you mean 'filesystem'?", 'Configured upstreams: filesystem, github.'],
    });
    expectError(withPlugins('  security:\n    global:\n      - handler: basic_pii_filter\n'), { path: 'plugins.security.global', includes: ["Did you mean '_global'?"] });
  });

  it('refuses to silently ignore a misspelt _global', () => {
    expectError(withPlugins('  security:\n    _globl:\n      - handler: basic_pii_filter\n'), {
      path: 'plugins.security._globl',
      lineAt: '_globl',
      includes: ["Did you mean '_global'?"],
    });
  });

  it('reports an unknown plugin option with the nearest option and the valid options', () => {
    expectError(withPlugins('  security:\n    _global:\n      - handler: basic_pii_filter\n        config:\n          actoin: block\n'), {
      path: 'plugins.security._global[0].config.actoin',
      lineAt: 'actoin',
      includes: ["Unknown option 'actoin' for plugin 'basic_pii_filter'. Did you mean 'action'?", 'Valid options: enabled, priority, critical, action, pii_types, scan_base64.'],
    });
    expectError(withPlugins('  security:\n    _global:\n      - handler: basic_pii_filter\n        config:\n          pii_types: {emial: {enabled: true}}\n'), {
      path: 'plugins.security._global[0].config.pii_types.emial',
      includes: ["Did you mean 'email'?", 'Valid options under pii_types: email, phone, credit_card, ip_address, national_id.'],
    });
  });

  it('reports an invalid plugin option value with the valid values and options', () => {
    expectError(withPlugins('  security:\n    _global:\n      - handler: basic_pii_filter\n        config:\n          action: redcat\n'), {
      path: 'plugins.security._global[0].config.action',
      lineAt: 'redcat',
      includes: ["Did you mean 'redact'?", "Valid values: 'block', 'redact', 'audit_only'.", 'Valid options for basic_pii_filter: enabled, priority, critical, action, pii_types, scan_base64.'],
    });
    expectError(withPlugins('  middleware:\n    github:\n      - handler: tool_manager\n        config:\n          tools:\n            - display_name: x\n'), {
      path: 'plugins.middleware.github[0].config.tools[0].tool',
      lineAt: 'display_name',
      includes: ["Missing required key 'tool' under plugins.middleware.github[0].config.tools[0]"],
    });
  });

  it('reports every issue in document order, first one in the message', () => {
    const text = withPlugins(
      '  security:\n    _global:\n      - handler: basic_pii_filtr\n    filesytem: []\n  middleware:\n    _global:\n      - handler: tool_manager\n',
    );
    const error = expectError(text, { code: -32002, path: 'plugins.security._global[0].handler', includes: ['(and 2 more problems)'] });
    assert.deepEqual(error.issues.map((issue) => [issue.path, issue.line, issue.code]), [
      ['plugins.security._global[0].handler', lineOf(text, 'basic_pii_filtr'), -32002],
      ['plugins.security.filesytem', lineOf(text, 'filesytem'), -32001],
      ['plugins.middleware._global[0].handler', lineOf(text, 'tool_manager'), -32001],
    ]);
  });

  it('reports a plugin schema that throws as a configuration error', () => {
    const throwing = { ...fakePlugins[0]!, handler: 'thrower', configSchema: z.any().superRefine(() => { throw new Error('boom'); }) };
    assert.throws(
      () => parseConfigText(withPlugins('  security:\n    _global:\n      - handler: thrower\n'), { registry: fakeRegistry([throwing]) }),
      (error: unknown) => error instanceof ConfigError && error.code === -32001 && error.message.includes('boom'),
    );
  });
});

describe('config loader: syntax errors and sources', () => {
  it('gives the line of a YAML syntax error', () => {
    const text = 'proxy:\n  transport: stdio\n  upstreams:\n    - name: a\n     command: [x]\n';
    const error = expectError(text, { path: '', includes: ['YAML syntax error'] }, { sourcePath: 'gatekit.yaml' });
    assert.ok(error.line === 4 || error.line === 5, error.message);
    assert.ok(error.message.includes('gatekit.yaml'), error.message);
  });

  it('gives the line of a duplicate YAML key', () => {
    const text = 'proxy:\n  transport: stdio\n  transport: stdio\n';
    expectError(text, { path: 'proxy.transport', includes: ["Duplicate key 'transport' in proxy: on line 2 and again on line 3"] });
    assert.equal((expectError(text, { path: 'proxy.transport' })).line, 3);
  });

  it('gives the line of an alias to an undefined anchor', () => {
    const text = 'proxy:\n  transport: stdio\n  upstreams: *missing\n';
    expectError(text, { path: '', lineAt: '*missing', includes: ['Unresolved alias'] });
  });

  it('points at the anchor definition for a value reached through an alias', () => {
    const text = `${UPSTREAM}plugins:\n  security:\n    _defaults: &d\n      - handler: basic_pii_filter\n        config: {action: nope}\n    _global: *d\n`;
    expectError(text, { path: 'plugins.security._global[0].config.action', lineAt: 'action: nope' });
  });

  it('gives the line of a JSON syntax error and of a JSON duplicate key', () => {
    const text = '{\n  "proxy": {\n    "transport": "stdio"\n    "upstreams": []\n  }\n}\n';
    expectError(text, { path: '', lineAt: '"upstreams"', includes: ['JSON syntax error: comma expected'] }, { format: 'json' });
    const duplicate = '{\n  "proxy": {"transport": "stdio", "upstreams": [{"name": "a", "command": ["x"]}]},\n  "proxy": {}\n}';
    expectError(duplicate, { path: 'proxy', lineAt: '"proxy": {}', includes: ["Duplicate key 'proxy'"] }, { format: 'json' });
  });

  it('gives lines for validation errors in JSON too', () => {
    const text = JSON.stringify({ proxy: { transport: 'stdio', upstreams: [{ name: 'a', command: ['x'] }] }, plugins: { security: { _global: [{ handler: 'basic_secret_filter' }] } } }, null, 2);
    expectError(text, { code: -32002, path: 'plugins.security._global[0].handler', lineAt: 'basic_secret_filter', includes: ["Did you mean 'basic_secrets_filter'?"] }, { sourcePath: 'gatekit.json' });
  });

  it('names paths without lines for settings objects', () => {
    assert.throws(
      () => validateConfigObject({ proxy: { transport: 'stdio', upstreams: [{ name: 'a', command: ['x'], restart: true }] } }, { configDir: '/tmp', registry }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.path, 'proxy.upstreams[0].restart');
        assert.equal(error.line, undefined);
        assert.match(error.message, /^Invalid configuration at proxy\.upstreams\[0\]\.restart: Unknown key 'restart'/);
        return true;
      },
    );
  });

  it('reports a missing file as a configuration error', () => {
    const missing = path.join(__dirname, 'no-such-config.yaml');
    assert.throws(() => loadConfigFile(missing, { registry }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, -32001);
      assert.match(error.message, /Cannot read the configuration file/);
      assert.equal(error.sourcePath, missing);
      return true;
    });
  });
});
