// Remote servers in the VS Code settings: a `gatekit.upstreams` entry of type http/sse becomes a
// Gatekit remote upstream, its `${input:…}` header secrets arriving at the gateway unchanged.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildEffectiveConfig, type VariableSources } from '../../src/extension/effective-config';
import { validateConfigObject } from '../../src/config/loader';

const sources: VariableSources = {
  workspaceFolders: [{ name: 'app', path: path.resolve('/projects/app') }],
  userHome: path.resolve('/home/dev'),
  env: { HOST_FROM_ENV: 'api.example.com' },
  inputs: new Map([['token', 'pa$$word-${NOT_A_VAR}']]),
};

function build(upstreams: unknown[]) {
  return buildEffectiveConfig({ upstreams, plugins: {}, configFile: '' }, sources, { defaultConfigBase: path.resolve('/storage/gatekit.json'), readFile: () => { throw new Error('ENOENT'); } });
}

describe('remote servers in gatekit.upstreams', () => {
  it('become transport: http upstreams whose header secrets reach the gateway unchanged', () => {
    const result = build([{ name: 'gh', type: 'http', url: 'https://${env:HOST_FROM_ENV}/mcp', headers: { Authorization: 'Bearer ${input:token}' }, tls_verify: true }]);
    assert.equal(result.state, 'ready', JSON.stringify(result.problems));
    const [upstream] = (result.config!.proxy as { upstreams: Record<string, unknown>[] }).upstreams;
    assert.deepEqual({ ...upstream, headers: undefined }, { name: 'gh', transport: 'http', url: 'https://api.example.com/mcp', headers: undefined, tls_verify: true });
    // The gateway expands ${VAR} and $VAR in header values: what it resolves is the stored secret, byte for byte.
    const loaded = validateConfigObject(result.config, { configDir: path.resolve('/storage'), env: {} });
    assert.equal(loaded.config.proxy.upstreams[0]!.remote!.headers['Authorization'], 'Bearer pa$$word-${NOT_A_VAR}');
  });

  it('keeps sse as sse, and reports a url the gateway would refuse at its setting', () => {
    const sse = build([{ name: 'old', type: 'sse', url: 'http://localhost:3001/sse' }]);
    assert.equal(sse.state, 'ready', JSON.stringify(sse.problems));
    assert.equal((sse.config!.proxy as { upstreams: { transport: string }[] }).upstreams[0]!.transport, 'sse');
    const plain = build([{ name: 'far', type: 'http', url: 'http://example.com/mcp' }]);
    assert.equal(plain.state, 'invalid');
    assert.match(plain.problems.map((p) => `${p.path}: ${p.message}`).join('\n'), /gatekit\.upstreams\[0\]\.url: plain http:\/\//);
  });
});
