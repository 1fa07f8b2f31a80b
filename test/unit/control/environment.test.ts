// The config an extension passes to the gateways it starts, read from the environment.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { configFromEnvironment } from '../../../src/gateway/control/environment';

describe('configuration from the extension', () => {
  it('reads GATEKIT_CONFIG_JSON as if it were the file GATEKIT_CONFIG_BASE', () => {
    const base = path.resolve('/projects/app/gatekit.yaml');
    const config = { proxy: { transport: 'stdio', upstreams: [{ name: 'm', command: ['node', 'm.js'], cwd: 'sub' }] } };
    const loaded = configFromEnvironment({ GATEKIT_CONFIG_JSON: JSON.stringify(config), GATEKIT_CONFIG_BASE: base });
    assert.equal(loaded?.configPath, base);
    assert.equal(loaded?.configDir, path.dirname(base));
    assert.equal(loaded?.config.proxy.upstreams[0]?.cwd, path.resolve('/projects/app/sub'));
  });

  it('is undefined without the variable and a configuration error for broken JSON', () => {
    assert.equal(configFromEnvironment({}), undefined);
    assert.throws(() => configFromEnvironment({ GATEKIT_CONFIG_JSON: '{' }), (error: Error) => error.name === 'ConfigError' && /not valid JSON/.test(error.message));
    assert.throws(() => configFromEnvironment({ GATEKIT_CONFIG_JSON: '{"proxy":{}}' }), (error: Error) => error.name === 'ConfigError');
  });
});
