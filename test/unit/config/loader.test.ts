// Loading valid configurations: the reference example in YAML and JSON, defaults, expansion,
// one-string commands, YAML anchors, and configs coming from VS Code settings.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ConfigError } from '../../../src/config/errors';
import { builtinPluginRegistry, loadConfigFile, parseConfigText, validateConfigObject, type LoadedConfig } from '../../../src/config/loader';
import { PLUGIN_SECTIONS } from '../../../src/config/schema';
import { fakeRegistry } from './fake-plugins';

const fixtures = path.resolve(__dirname, '../../fixtures/config');
const registry = fakeRegistry();
const env = { HOME: '/home/tester', PROJECT: 'demo', USER: 'tester' };

function load(name: string): LoadedConfig {
  return loadConfigFile(path.join(fixtures, name), { registry, env });
}

function minimal(extra = ''): string {
  return `proxy:\n  transport: stdio\n  upstreams:\n    - name: echo\n      command: ["node", "echo.js"]\n${extra}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('config loader: valid configurations', () => {
  it('loads the reference example unchanged', () => {
    const loaded = load('reference.yaml');
    assert.equal(loaded.configPath, path.join(fixtures, 'reference.yaml'));
    assert.equal(loaded.configDir, fixtures);
    assert.deepEqual(loaded.warnings, []);
    const { proxy, plugins, logging } = loaded.config;
    assert.equal(proxy.transport, 'stdio');
    assert.deepEqual(proxy.upstreams.map((u) => u.name), ['filesystem', 'memory']);
    assert.deepEqual(proxy.upstreams[0]!.command, ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/tmp']);
    assert.equal(proxy.upstreams[0]!.server_identity, 'secure-filesystem-server');
    assert.deepEqual(proxy.timeouts, { connection_timeout: 60, request_timeout: 60 });

    const globalSecurity = plugins.security['_global']!;
    assert.deepEqual(globalSecurity.map((e) => [e.handler, e.kind, e.enabled, e.priority, e.critical]), [
      ['basic_pii_filter', 'security', true, 50, true],
      ['basic_secrets_filter', 'security', true, 50, true],
    ]);
    // Common keys are taken out before the plugin's own schema sees the options.
    assert.deepEqual(globalSecurity[0]!.options, {
      action: 'redact',
      pii_types: { email: { enabled: true }, phone: { enabled: true }, national_id: { enabled: true } },
      scan_base64: false,
    });
    assert.equal(plugins.security['filesystem']![0]!.priority, 20);
    assert.deepEqual(plugins.middleware['filesystem']![0]!.options, { tools: [{ tool: 'read_file' }, { tool: 'list_directory', display_name: 'ls' }] });
    assert.equal(plugins.auditing['_global']![0]!.critical, false);
    assert.deepEqual(plugins.middleware['_global'], []);

    assert.equal(logging.level, 'INFO');
    assert.deepEqual(logging.handlers, ['stderr', 'file']);
    assert.equal(logging.file_path, path.join(fixtures, 'logs/gatekit.log'));
  });

  it('loads the same configuration written as JSON to the same result', () => {
    const fromYaml = load('reference.yaml');
    const fromJson = load('reference.json');
    assert.deepEqual(fromJson.config, fromYaml.config);
    assert.equal(fromJson.configPath, path.join(fixtures, 'reference.json'));
  });

  it('applies every default to a minimal configuration', () => {
    const { config } = load('minimal.yaml');
    assert.deepEqual(config.proxy.upstreams, [
      {
        name: 'everything',
        enabled: true,
        command: ['npx', '-y', '@modelcontextprotocol/server-everything'],
        env: {},
        restart_on_failure: true,
        max_restart_attempts: 3,
      },
    ]);
    assert.deepEqual(config.proxy.timeouts, { connection_timeout: 60, request_timeout: 60 });
    for (const section of PLUGIN_SECTIONS) assert.deepEqual(config.plugins[section], { _global: [] });
    assert.deepEqual(config.logging, {
      level: 'INFO',
      handlers: ['stderr'],
      max_file_size_mb: 10,
      backup_count: 5,
      format: '%(asctime)s [%(levelname)s] %(name)s: %(message)s',
      date_format: '%Y-%m-%d %H:%M:%S',
    });
  });

  it('defaults a plugin entry without config to enabled, priority 50, critical, plugin defaults', () => {
    const { config } = parseConfigText(minimal('plugins:\n  security:\n    _global:\n      - handler: basic_prompt_injection_defense\n'), { registry });
    assert.deepEqual(config.plugins.security['_global'], [
      { handler: 'basic_prompt_injection_defense', kind: 'security', enabled: true, priority: 50, critical: true, options: { action: 'redact', sensitivity: 'standard' } },
    ]);
  });

  it("keeps a plugin's own default priority and criticality when its entry has a config that sets neither", () => {
    const { config } = parseConfigText(
      minimal('plugins:\n  middleware:\n    _global:\n      - handler: call_trace\n        config: { enabled: true }\n  auditing:\n    _global:\n      - handler: audit_otel\n        config: { endpoint: "http://127.0.0.1:4318" }\n'),
      { registry: builtinPluginRegistry },
    );
    assert.equal(config.plugins.middleware['_global']![0]!.priority, 90, 'call_trace runs at its own 90, not the common 50');
    assert.equal(config.plugins.auditing['_global']![0]!.critical, false, 'audit_otel fails open unless asked');
  });

  it('keeps a server-level entry that switches a plugin off', () => {
    const { config } = parseConfigText(minimal('plugins:\n  security:\n    echo:\n      - handler: basic_pii_filter\n        config: {enabled: false}\n'), { registry });
    assert.equal(config.plugins.security['echo']![0]!.enabled, false);
  });

  it('expands ~, ${VAR}, $VAR and $$ in env and cwd, and resolves cwd against the config folder', () => {
    const loaded = load('env-and-cwd.yaml');
    const [github, local] = loaded.config.proxy.upstreams;
    assert.deepEqual(github!.env, { GITHUB_TOKEN: '', CACHE_DIR: '/home/tester/.cache/gh', GREETING: 'cost: $5 for tester' });
    assert.equal(github!.cwd, '/home/tester/work/demo');
    assert.equal(local!.cwd, path.join(fixtures, 'servers/local'));
    assert.deepEqual(loaded.warnings, ["proxy.upstreams[0].env.GITHUB_TOKEN: variable 'GH_TOKEN' is not set; it expands to an empty string."]);
  });

  it('takes variables from process.env when no env is given', () => {
    const name = 'GATEKIT_CONFIG_TEST_VARIABLE';
    process.env[name] = 'from-process';
    try {
      const { config } = parseConfigText(minimal().replace('["node", "echo.js"]', `["node", "echo.js"]\n      env: {X: "\${${name}}"}`), { registry });
      assert.equal(config.proxy.upstreams[0]!.env['X'], 'from-process');
    } finally {
      delete process.env[name];
    }
  });

  it('splits a one-string command on whitespace, honouring quotes, without a shell', () => {
    const { config } = load('env-and-cwd.yaml');
    assert.deepEqual(config.proxy.upstreams[0]!.command, ['npx', '-y', '@modelcontextprotocol/server-github']);
    const odd = parseConfigText(minimal().replace('["node", "echo.js"]', `'node "C:\\My Tools\\s.js" --x=''a b'' $HOME; rm -rf /'`), { registry, env });
    assert.deepEqual(odd.config.proxy.upstreams[0]!.command, ['node', 'C:\\My Tools\\s.js', '--x=a b', '$HOME;', 'rm', '-rf', '/']);
  });

  it('ignores _-prefixed keys in plugin sections and follows YAML anchors, aliases and merge keys', () => {
    const { config } = load('anchors.yaml');
    const [alpha, beta] = config.proxy.upstreams;
    assert.deepEqual(alpha!.command, ['node', 'alpha.js']);
    assert.equal(alpha!.restart_on_failure, false, 'PyYAML reads "no" as false');
    assert.deepEqual({ ...beta, command: beta!.command }, { ...alpha, name: 'beta', command: ['node', 'beta.js'] });
    assert.deepEqual(Object.keys(config.plugins.security).sort(), ['_global', 'beta']);
    assert.deepEqual(config.plugins.security['_global']![0]!.options, { action: 'redact', pii_types: { email: { enabled: true } }, scan_base64: false });
    assert.equal((config.plugins.security['beta']![0]!.options as { action: string }).action, 'block');
  });

  it('reads PyYAML booleans (yes/no/on/off) but leaves y and n as strings', () => {
    const { config } = parseConfigText(minimal('      restart_on_failure: off\n      server_identity: y\n'), { registry });
    assert.equal(config.proxy.upstreams[0]!.restart_on_failure, false);
    assert.equal(config.proxy.upstreams[0]!.server_identity, 'y');
  });

  it('resolves sandbox paths (relative to the config folder, ~ and variables expanded) and leaves an off sandbox out', () => {
    const text = `proxy:
  transport: stdio
  upstreams:
    - name: boxed
      command: [x]
      sandbox: {enabled: true, paths: [data, "~/work", "\${PROJECT}/../up", "/abs/line\\nbreak"], network: false}
    - name: open
      command: [x]
      sandbox: {enabled: false, paths: [data]}
`;
    const { config } = parseConfigText(text, { registry, env, configDir: '/cfg' });
    assert.deepEqual(config.proxy.upstreams[0]!.sandbox, { paths: ['/cfg/data', '/home/tester/work', '/cfg/up', '/abs/line\nbreak'], network: false });
    assert.equal(config.proxy.upstreams[1]!.sandbox, undefined);
  });

  it('accepts the keys Gatekit writes (enabled, transport, logging rotation) and empty sections', () => {
    const text = `proxy:
  transport: stdio
  hot_reload: disabled
  timeouts:
  upstreams:
    - name: off-server
      enabled: false
      transport: stdio
      command: [x]
      server_identity: "  padded  "
      sandbox: {enabled: false, paths: [], network: true}
plugins:
  security:
  auditing:
logging:
  level: warning
`;
    const { config } = parseConfigText(text, { registry });
    const upstream = config.proxy.upstreams[0]!;
    assert.equal(upstream.enabled, false);
    assert.equal(upstream.server_identity, 'padded');
    assert.deepEqual(config.proxy.timeouts, { connection_timeout: 60, request_timeout: 60 });
    assert.deepEqual(config.plugins.security, { _global: [] });
    assert.equal(config.logging.level, 'WARNING');
  });

  it('sniffs JSON without an extension, strips a BOM, allows comments and $schema', () => {
    const json = '\uFEFF{ // a comment\n "$schema": "./gatekit.schema.json", "proxy": {"transport": "stdio", "upstreams": [{"name": "a", "command": "node a.js",}]}}';
    const { config, configDir, configPath } = parseConfigText(json, { registry });
    assert.deepEqual(config.proxy.upstreams[0]!.command, ['node', 'a.js']);
    assert.equal(configDir, process.cwd());
    assert.equal(configPath, undefined);
  });

  it('reads an extension-less YAML flow mapping that only looks like JSON', () => {
    const { config } = parseConfigText('{proxy: {transport: stdio, upstreams: [{name: a, command: [x]}]}}', { registry });
    assert.deepEqual(config.proxy.upstreams[0]!.command, ['x']);
  });

  it('validates a settings object without modifying it, resolving paths against the given folder', () => {
    const settings = deepFreeze({
      proxy: { transport: 'stdio', upstreams: [{ name: 'a', command: 'node a.js', cwd: 'srv' }] },
      plugins: { security: { _comment: 'ignored', _global: [{ handler: 'basic_pii_filter' }] } },
      logging: { level: 'debug', handlers: ['file'], file_path: '~/gatekit.log' },
    });
    const loaded = validateConfigObject(settings, { configDir: '/workspace', registry, env, writableRoots: ['/home/tester'] });
    assert.equal(loaded.configPath, undefined);
    assert.equal(loaded.configDir, '/workspace');
    assert.equal(loaded.config.proxy.upstreams[0]!.cwd, '/workspace/srv');
    assert.equal(loaded.config.logging.file_path, '/home/tester/gatekit.log');
    assert.equal(loaded.config.logging.level, 'DEBUG');
    assert.equal(loaded.config.plugins.security['_global']![0]!.handler, 'basic_pii_filter');
  });

  it('warns about a handler listed twice in one scope', () => {
    const loaded = parseConfigText(minimal('plugins:\n  auditing:\n    _global:\n      - handler: audit_csv\n      - handler: audit_csv\n        config: {output_file: b.csv}\n'), { registry });
    assert.equal(loaded.config.plugins.auditing['_global']!.length, 2);
    assert.match(loaded.warnings[0]!, /plugins\.auditing\._global\[1\]: handler 'audit_csv' appears more than once/);
  });

  it('loads the reference example with the built-in plugins once they are all registered', function () {
    const needed = ['basic_pii_filter', 'basic_secrets_filter', 'tool_manager', 'audit_jsonl'];
    if (!needed.every((handler) => builtinPluginRegistry.find(handler) !== undefined)) this.skip();
    const { config } = loadConfigFile(path.join(fixtures, 'reference.yaml'), { env });
    assert.deepEqual(config.plugins.security['_global']!.map((e) => e.handler), ['basic_pii_filter', 'basic_secrets_filter']);
    assert.equal(config.plugins.middleware['filesystem']![0]!.priority, 25);
  });

  it('uses the real plugin registry by default', () => {
    // Whatever is registered: a config without plugins must load with it, and an unknown handler
    // must be reported with the registry's own handler list.
    assert.equal(parseConfigText(minimal()).config.proxy.upstreams.length, 1);
    assert.throws(() => parseConfigText(minimal('plugins:\n  security:\n    _global:\n      - handler: surely_not_a_plugin\n')), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, -32002);
      return true;
    });
  });
});
