// Tests of the content helpers' memory of clean tokens: it skips repeated work and never changes a verdict.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rememberCleanTokens } from '../../../src/plugins/content';
import { basicSecretsFilter } from '../../../src/plugins/security/basic_secrets_filter';
import { INJECTION_CATEGORIES, InjectionDetector } from '../../../src/plugins/security/detect/injection';
import { detectPii, PII_TYPES } from '../../../src/plugins/security/detect/pii';
import { detectSecrets, SECRET_TYPES } from '../../../src/plugins/security/detect/secrets';
import type { InterceptorPlugin, PluginDecision, PluginEnvironment } from '../../../src/plugins/types';
import type { JsonRpcRequest } from '../../../src/shared/jsonrpc';

describe('rememberCleanTokens', () => {
  /** A detector that finds every "x" and counts its calls per text. */
  function counting() {
    const calls = new Map<string, number>();
    const detect = (text: string) => {
      calls.set(text, (calls.get(text) ?? 0) + 1);
      const found: { start: number }[] = [];
      for (let i = text.indexOf('x'); i >= 0; i = text.indexOf('x', i + 1)) found.push({ start: i });
      return found;
    };
    return { calls, detect: rememberCleanTokens(detect) };
  }

  it('scans a clean token once, and text with findings, spaces or length over 64 every time', () => {
    const { calls, detect } = counting();
    const long = 'a'.repeat(65);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(detect('content'), []);
      assert.deepEqual(detect('tax_id'), [{ start: 2 }]);
      assert.deepEqual(detect('hello world'), []);
      assert.deepEqual(detect(long), []);
    }
    assert.deepEqual(Object.fromEntries(calls), { content: 1, tax_id: 3, 'hello world': 3, [long]: 3 });
  });

  it('starts over once it holds too many tokens, still answering right', () => {
    const { calls, detect } = counting();
    for (let round = 0; round < 2; round++) for (let i = 0; i < 3000; i++) assert.deepEqual(detect(`k${i}`), []);
    // The early tokens were forgotten when the memory filled, so they were scanned again.
    assert.equal(calls.get('k0'), 2);
    assert.ok([...calls.values()].every((n) => n <= 2));
  });
});

describe('filters with remembered tokens', () => {
  const env: PluginEnvironment = { configDir: '/tmp', resolvePath: (p) => p, log: () => undefined };
  // Tokens some detector flags (an IP, a GitHub token, credential files, a phone-like run) among clean ones.
  const tokens = ['content', 'text', 'type', 'name', 'echo', '10.1.2.3', 'ghp_R8kq2ZxW4mT9vLp0sNc7YbF3hJd6uQa1eGi5', 'AKIAZ7QW3RT5YU2OP4LK', 'id_rsa', '.ssh/id_rsa', '+14155552671', 'image/png', 'a-b_c.d'];
  const injection = new InjectionDetector({ sensitivity: 'strict', categories: Object.fromEntries(INJECTION_CATEGORIES.map((c) => [c, true])) as never, scanBase64: false });
  const detectors: [string, (text: string) => unknown[]][] = [
    ['pii', (text) => detectPii(text, new Set(PII_TYPES))],
    ['secrets', (text) => detectSecrets(text, new Set(SECRET_TYPES), { entropy: { threshold: 4, minLength: 10 } })],
    ['injection', (text) => injection.scan(text, { toolDefinition: true })],
  ];

  it('gives the findings of the detector itself, whatever it has seen before', () => {
    for (const [name, detect] of detectors) {
      const remembering = rememberCleanTokens(detect);
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })), { maxLength: 20 }), (texts) => {
          for (const text of texts) assert.deepEqual(remembering(text), detect(text), `${name}: ${text}`);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('redacts a secret token as often as it comes, among remembered clean ones', () => {
    const filter = basicSecretsFilter.create(basicSecretsFilter.configSchema.parse({}), env) as InterceptorPlugin;
    for (let id = 0; id < 3; id++) {
      const request: JsonRpcRequest = { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: tokens[6]! } } };
      const decision = filter.onRequest!(request, { serverName: 's', origin: 'client' }) as PluginDecision<JsonRpcRequest>;
      assert.equal(JSON.stringify(decision.modified?.params), '{"name":"echo","arguments":{"text":"[SECRET REDACTED by Gatekit]"}}');
    }
  });
});
