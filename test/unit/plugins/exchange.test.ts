// The one exchange: request hooks → audit → send → response hooks → audit → one traffic record, in
// both directions, with real plugins (the registry's) and small test plugins where a case needs one.
import { strict as assert } from 'node:assert';
import * as z from 'zod';
import { exchangeNotification, exchangeRequest, Unsent, type RequestExchange } from '../../../src/plugins/exchange';
import { PluginHost, type PluginEntryConfig, type PluginsByKind } from '../../../src/plugins/pipeline';
import { findPlugin } from '../../../src/plugins/registry';
import type { AuditEvent, InterceptorPlugin, PluginDefinition, PluginEnvironment, PluginKind } from '../../../src/plugins/types';
import { makeResult, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../../../src/shared/jsonrpc';
import { ToolListTrace } from '../../../src/gateway/tool-inventory';
import { withReplacedId } from '../../../src/gateway/transport/raw-text';

const env: PluginEnvironment = { configDir: '/tmp', resolvePath: (p) => p, log: () => undefined };
/** An entry as the config loader makes it: options parsed by the plugin's own schema. */
function entry(handler: string, kind: PluginKind, config: Record<string, unknown> = {}): PluginEntryConfig {
  const definition = registry.find(handler)!;
  return { handler, kind, enabled: true, priority: 50, critical: true, options: definition.configSchema.parse(config) };
}

const audited: AuditEvent[] = [];
let auditFails = false;
const definitions = new Map<string, PluginDefinition<unknown>>([
  [
    'memory_audit',
    {
      handler: 'memory_audit',
      kind: 'auditing',
      displayName: 'Memory audit',
      description: 'records events in memory',
      configSchema: z.unknown(),
      create: () => ({
        record: (event: AuditEvent) => {
          if (auditFails) throw new Error('disk full');
          audited.push(event);
        },
      }),
    },
  ],
  [
    'renamer',
    {
      handler: 'renamer',
      kind: 'middleware',
      displayName: 'Renamer',
      description: 'renames echo to say in tools/list, hides slow',
      configSchema: z.unknown(),
      create: (): InterceptorPlugin => ({
        onResponse: (response) => {
          if (!('result' in response) || !Array.isArray(response.result.tools)) return undefined;
          const tools = (response.result.tools as Record<string, unknown>[]).filter((t) => t.name !== 'slow').map((t) => (t.name === 'echo' ? { ...t, name: 'say' } : t));
          return { modified: { ...response, result: { ...response.result, tools } }, reason: 'renamed' };
        },
      }),
    },
  ],
]);
const registry = { find: (handler: string) => definitions.get(handler) ?? findPlugin(handler) };

function pipeline(plugins: PluginsByKind) {
  return new PluginHost(plugins, registry, env).pipelineFor('fs');
}

const request: JsonRpcRequest = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'mail me at jane@acme-corp.io' } } };
const filters: PluginsByKind = { security: { _global: [entry('basic_pii_filter', 'security', { action: 'redact' })] }, auditing: { _global: [entry('memory_audit', 'auditing')] } };

function exchangeOf(plugins: PluginsByKind, extra: Partial<RequestExchange> = {}): RequestExchange {
  return { pipeline: pipeline(plugins), direction: 'client_to_server', startedAt: performance.now(), recordTraffic: true, underId: withReplacedId, ...extra };
}

describe('exchange', () => {
  beforeEach(() => {
    audited.length = 0;
    auditFails = false;
  });

  it('runs request hooks, audit, send, response hooks, audit, and returns the answer with one record', async () => {
    const sent: JsonRpcRequest[] = [];
    const { answer, record } = await exchangeRequest(exchangeOf(filters), request, (message) => {
      sent.push(message);
      return Promise.resolve({ message: makeResult(7, { content: [{ type: 'text', text: 'write to bob@acme-corp.io' }] }) });
    });
    assert.equal(sent.length, 1);
    assert.ok(!JSON.stringify(sent[0]).includes('jane@acme-corp.io'), 'the upstream got the redacted request');
    assert.ok(answer && 'result' in answer && !JSON.stringify(answer).includes('bob@acme-corp.io'), 'the client gets the redacted answer');
    assert.deepEqual(audited.map((e) => e.type), ['request', 'response']);
    assert.equal(record?.direction, 'client_to_server');
    assert.equal(record?.decision, 'redacted');
    assert.equal(record?.tool, 'echo');
    assert.equal(record?.plugin, 'basic_pii_filter');
  });

  it('answers a blocked request itself: nothing is sent, the record shows no request', async () => {
    const blocking: PluginsByKind = { security: { _global: [entry('basic_pii_filter', 'security', { action: 'block' })] } };
    let sends = 0;
    const { answer, record } = await exchangeRequest(exchangeOf(blocking), request, () => {
      sends++;
      return Promise.resolve({ message: makeResult(7, {}) });
    });
    assert.equal(sends, 0);
    assert.ok(answer && 'error' in answer && answer.id === 7);
    assert.equal(record?.decision, 'blocked');
    assert.equal(record?.request, undefined);
  });

  it('fails closed when a critical audit log cannot record the request', async () => {
    auditFails = true;
    let sends = 0;
    const { answer } = await exchangeRequest(exchangeOf(filters), request, () => {
      sends++;
      return Promise.resolve({ message: makeResult(7, {}) });
    });
    assert.equal(sends, 0);
    assert.ok(answer && 'error' in answer && /audit log could not be written/.test(answer.error.message));
  });

  it('answers under the id of the request it started with, whatever id the receiver used', async () => {
    const { answer } = await exchangeRequest(exchangeOf(filters), request, () => Promise.resolve({ message: makeResult(41, { ok: true }) }));
    assert.equal(answer?.id, 7);
    const unfiltered = await exchangeRequest(exchangeOf({}), request, () => Promise.resolve({ message: makeResult(41, { ok: true }) }));
    assert.equal(unfiltered.answer?.id, 7);
  });

  it('ends without a response stage nor record when the send is refused (Unsent)', async () => {
    const refusal: JsonRpcResponse = { jsonrpc: '2.0', id: 7, error: { code: -32004, message: 'Request was cancelled' } };
    const refused = await exchangeRequest(exchangeOf(filters), request, () => new Unsent(refusal));
    assert.deepEqual(refused, { answer: refusal, record: undefined });
    assert.deepEqual(audited.map((e) => e.type), ['request']);
    const gone = await exchangeRequest(exchangeOf({}), request, () => Promise.resolve(new Unsent(undefined)));
    assert.deepEqual(gone, { answer: undefined, record: undefined });
  });

  it('builds no record when no one listens, and passes a server without plugins straight through', async () => {
    const response = makeResult(7, { ok: true });
    const { answer, record } = await exchangeRequest(exchangeOf({}, { recordTraffic: false }), request, () => Promise.resolve({ message: response }));
    assert.equal(answer, response);
    assert.equal(record, undefined);
    const listened = await exchangeRequest(exchangeOf({}), request, () => Promise.resolve({ message: response }));
    assert.equal(listened.record?.decision, 'allowed');
  });

  it('keeps the answer\'s text as received while no plugin replaced the answer, and drops it when one did', async () => {
    const raw = [Buffer.from('{"jsonrpc":"2.0","id":7,"result":{"ok":true}}')];
    const clean = makeResult(7, { ok: true });
    const kept = await exchangeRequest(exchangeOf(filters), request, () => Promise.resolve({ message: clean, raw }));
    assert.equal(kept.answer, clean);
    assert.equal(kept.raw, raw);
    const unfiltered = await exchangeRequest(exchangeOf({}), request, () => Promise.resolve({ message: clean, raw }));
    assert.equal(unfiltered.raw, raw);
    const redacted = await exchangeRequest(exchangeOf(filters), request, () => Promise.resolve({ message: makeResult(7, { text: 'jane@acme-corp.io' }), raw }));
    assert.ok(redacted.answer && !JSON.stringify(redacted.answer).includes('jane@acme-corp.io'));
    assert.equal(redacted.raw, undefined, 'a redacted answer is never written from the text it came in');
  });

  it('delivers a notification, audits it, and records it only when a plugin changed or blocked it', async () => {
    const notification: JsonRpcNotification = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'reach me at jane@acme-corp.io' } };
    const delivered: JsonRpcNotification[] = [];
    const record = await exchangeNotification(pipeline(filters), 'notification_to_client', notification, (n) => delivered.push(n), true);
    assert.equal(delivered.length, 1);
    assert.ok(!JSON.stringify(delivered[0]).includes('jane@acme-corp.io'));
    assert.equal(record?.direction, 'notification_to_client');
    assert.equal(record?.decision, 'redacted');
    assert.deepEqual(audited.map((e) => e.type), ['notification']);
    const plain = await exchangeNotification(pipeline(filters), 'notification_to_server', { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, (n) => delivered.push(n), true);
    assert.equal(plain, undefined);
    assert.equal(delivered.length, 2);
  });

  it('tells the response observer of each change, and the tool inventory follows the tools through them', async () => {
    const trace = new ToolListTrace();
    const listRequest: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    const schema = { type: 'object' };
    const tools = [
      { name: 'echo', description: 'Echo', inputSchema: { ...schema } },
      { name: 'slow', inputSchema: { ...schema } },
      { name: 'whoami', inputSchema: { ...schema } },
    ];
    const plugins: PluginsByKind = { middleware: { _global: [entry('renamer', 'middleware')] } };
    const host = new PluginHost(plugins, registry, env);
    const { answer } = await exchangeRequest(
      { pipeline: host.pipelineFor('fs'), direction: 'client_to_server', startedAt: performance.now(), recordTraffic: false, underId: withReplacedId, observeResponse: trace.observe },
      listRequest,
      () => Promise.resolve({ message: makeResult(1, { tools }) }),
    );
    assert.ok(answer && 'result' in answer);
    const inventory = new Map(trace.inventory('fs', tools, host, [{ name: 'bad', reason: 'left out' }]).tools.map((t) => [t.name, t]));
    assert.equal(inventory.get('echo')?.visibility, 'renamed');
    assert.equal(inventory.get('echo')?.exposedName, 'fs__say');
    assert.equal(inventory.get('slow')?.visibility, 'hidden');
    assert.equal(inventory.get('slow')?.reason, 'hidden by renamer');
    assert.equal(inventory.get('whoami')?.visibility, 'visible');
    assert.equal(inventory.get('bad')?.visibility, 'blocked');
  });
});
