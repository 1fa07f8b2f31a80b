import assert from 'node:assert/strict';
import { checkRequestHeaders, mirroredParams } from '../../../src/gateway/http-server/modern-headers';

const b64 = (text: string) => `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;

describe('modern HTTP request headers against the body (SEP-2243)', () => {
  const region = mirroredParams({ type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, n: { type: 'integer', 'x-mcp-header': 'N' }, flag: { type: 'boolean', 'x-mcp-header': 'Flag' } } });

  it('reads x-mcp-header only on primitive properties reached through properties keys', () => {
    assert.deepEqual(
      mirroredParams({
        type: 'object',
        properties: {
          a: { type: 'string', 'x-mcp-header': 'A' },
          nested: { type: 'object', properties: { b: { type: 'integer', 'x-mcp-header': 'B' } } },
          n: { type: 'number', 'x-mcp-header': 'Num' },
          bad: { type: 'string', 'x-mcp-header': 'has space' },
          list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } },
        },
      }).map((p) => [p.header, p.path.join('.')]),
      [
        ['A', 'a'],
        ['B', 'nested.b'],
      ],
    );
    assert.deepEqual(mirroredParams(JSON.parse('{"properties":{"__proto__":{"type":"string","x-mcp-header":"P"}}}')).map((p) => p.path), [['__proto__']]);
    assert.deepEqual(mirroredParams('not a schema'), []);
  });

  it('accepts matching headers, trimmed, Base64 decoded, integers compared as numbers', () => {
    const headers = { 'mcp-method': 'tools/call', 'mcp-name': ` ${b64('tool')} `, 'mcp-param-region': 'us-west1', 'mcp-param-n': '42.0', 'mcp-param-flag': 'true' };
    assert.equal(checkRequestHeaders(headers, 'tools/call', { name: 'tool', arguments: { region: 'us-west1', n: 42, flag: true } }, region), undefined);
    assert.equal(checkRequestHeaders({ 'mcp-method': 'resources/read', 'mcp-name': 'file:///a b' }, 'resources/read', { uri: 'file:///a b' }, []), undefined);
    assert.equal(checkRequestHeaders({ 'mcp-method': 'tools/list' }, 'tools/list', undefined, []), undefined);
  });

  it('refuses every disagreement with -32020 (what an intermediary routes on must be what runs)', () => {
    const call = { name: 'tool', arguments: { region: 'us-west1' } };
    const refusals = [
      checkRequestHeaders({}, 'tools/list', undefined, []),
      checkRequestHeaders({ 'mcp-method': 'prompts/list' }, 'tools/list', undefined, []),
      checkRequestHeaders({ 'mcp-method': 'tools/call' }, 'tools/call', call, region),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'other' }, 'tools/call', call, region),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool' }, 'tools/call', call, region),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool', 'mcp-param-region': 'eu' }, 'tools/call', call, region),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool', 'mcp-param-region': '=?base64?dXMtd2VzdDE?=' }, 'tools/call', call, region),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool', 'mcp-param-region': 'us-west1', 'mcp-param-n': '7' }, 'tools/call', call, region),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'to\u00e9ol' }, 'tools/call', call, []),
      checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool', 'mcp-param-unknown': '=?base64?!!!?=' }, 'tools/call', call, []),
      checkRequestHeaders({ 'mcp-method': 'resources/read', 'mcp-name': 'x' }, 'resources/read', { uri: 42 }, []),
    ];
    refusals.forEach((refusal, i) => {
      assert.equal(refusal?.code, -32020, `case ${i}`);
      assert.equal(refusal?.status, 400, `case ${i}`);
    });
  });

  it('treats a value without the complete sentinel as literal text', () => {
    const literal = 'SGVsbG8=';
    assert.equal(checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool', 'mcp-param-region': literal }, 'tools/call', { name: 'tool', arguments: { region: literal } }, region), undefined);
    const half = '=?base64?SGVsbG8=';
    assert.equal(checkRequestHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'tool', 'mcp-param-region': half }, 'tools/call', { name: 'tool', arguments: { region: half } }, region), undefined);
  });
});
