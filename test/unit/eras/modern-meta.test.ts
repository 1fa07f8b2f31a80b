import assert from 'node:assert/strict';
import { envelopeOf, isModernVersion, MergedCacheHints, withModernResultFields, withoutEnvelope } from '../../../src/gateway/eras/modern-meta';

describe('the modern era’s per-request envelope', () => {
  it('reads only well-typed fields of a hostile _meta', () => {
    assert.deepEqual(envelopeOf({ _meta: { 'io.modelcontextprotocol/protocolVersion': 42, 'io.modelcontextprotocol/clientInfo': 'x', 'io.modelcontextprotocol/clientCapabilities': [1] } }), {
      protocolVersion: undefined,
      clientInfo: undefined,
      capabilities: {},
      logLevel: undefined,
    });
    assert.equal(envelopeOf({ _meta: { 'io.modelcontextprotocol/logLevel': 'warning' } }).logLevel, 3);
    assert.equal(envelopeOf({ _meta: { 'io.modelcontextprotocol/logLevel': 'toString' } }).logLevel, undefined, 'only the syslog names');
    assert.equal(envelopeOf(null).protocolVersion, undefined);
    assert.equal(envelopeOf({ _meta: 'not an object' }).protocolVersion, undefined);
  });

  it('strips the client envelope and keeps other _meta keys, __proto__ included, as plain keys', () => {
    const params = JSON.parse('{"name":"t","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{},"progressToken":5,"__proto__":{"polluted":true}}}') as Record<string, unknown>;
    const stripped = withoutEnvelope(params)!;
    const meta = stripped._meta as Record<string, unknown>;
    assert.deepEqual(Object.keys(meta).sort(), ['__proto__', 'progressToken']);
    assert.equal(Object.getPrototypeOf(meta), Object.prototype, 'no prototype was set from input');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(withoutEnvelope({ a: 1, _meta: { 'io.modelcontextprotocol/protocolVersion': 'x' } }), { a: 1 });
  });

  it('adds resultType always and the cache fields to cacheable results only, keeping well-formed ones', () => {
    assert.deepEqual(withModernResultFields('tools/call', { content: [] }), { resultType: 'complete', content: [] });
    assert.deepEqual(withModernResultFields('tools/list', { tools: [] }), { resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools: [] });
    assert.deepEqual(withModernResultFields('resources/read', { contents: [], ttlMs: 5000, cacheScope: 'public' }), { resultType: 'complete', ttlMs: 5000, cacheScope: 'public', contents: [] });
    assert.deepEqual(withModernResultFields('tools/list', { tools: [], ttlMs: -1, cacheScope: 'everyone' }), { resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools: [] });
  });

  it('never lets a server choose the resultType (an input_required of its own would ask the client past the relay)', () => {
    const smuggled = withModernResultFields('tools/call', { resultType: 'input_required', inputRequests: { x: { method: 'elicitation/create' } } });
    assert.equal(smuggled.resultType, 'complete');
  });

  it('tells modern versions by date', () => {
    assert.ok(isModernVersion('2026-07-28'));
    assert.ok(isModernVersion('2099-01-01'));
    assert.ok(!isModernVersion('2025-11-25'));
  });

  it('merges caching hints: the shortest ttlMs, private when any is, nothing when one answer has none', () => {
    const merged = (...results: Record<string, unknown>[]) => {
      const hints = new MergedCacheHints();
      for (const result of results) hints.note(result);
      return hints.merged();
    };
    assert.deepEqual(merged({ ttlMs: 60000, cacheScope: 'public' }, { ttlMs: 5000, cacheScope: 'public' }), { ttlMs: 5000, cacheScope: 'public' });
    assert.deepEqual(merged({ ttlMs: 60000, cacheScope: 'public' }, { ttlMs: 90000, cacheScope: 'private' }), { ttlMs: 60000, cacheScope: 'private' });
    assert.deepEqual(merged({ ttlMs: 60000, cacheScope: 'public' }, {}), { }, 'a legacy server says nothing: no hint survives');
    assert.deepEqual(merged({ ttlMs: 60000, cacheScope: 'private' }, {}), { cacheScope: 'private' });
    assert.deepEqual(merged({ ttlMs: -5, cacheScope: 'public' }, { ttlMs: 1e300, cacheScope: 'PUBLIC' }, { ttlMs: '10', cacheScope: null }), {}, 'hostile values count as none');
    assert.deepEqual(merged(), {});
  });
});
