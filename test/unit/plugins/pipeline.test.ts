// The pipeline's semantics: scope merging, ordering, fail-closed, block/redact answers, log reduction.
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { PluginHost, effectiveEntries, type PluginEntryConfig, type PluginsByKind } from '../../../src/plugins/pipeline';
import { findPlugin } from '../../../src/plugins/registry';
import type { AuditEvent, InterceptorPlugin, PluginDefinition, PluginEnvironment, PluginKind } from '../../../src/plugins/types';
import type { JsonRpcRequest, JsonRpcResponse } from '../../../src/shared/jsonrpc';

const env: PluginEnvironment = { configDir: '/tmp', resolvePath: (p) => p, log: () => undefined };
const entry = (handler: string, kind: PluginKind, extra: Partial<PluginEntryConfig> = {}): PluginEntryConfig => ({
  handler,
  kind,
  enabled: true,
  priority: 50,
  critical: true,
  options: {},
  ...extra,
});

/** Test plugins that record the order they run in and can be told to throw or block. */
function recorder(trace: string[]) {
  const make = (handler: string, kind: 'middleware' | 'security', behaviour: 'pass' | 'throw' | 'block' = 'pass'): PluginDefinition<unknown> => ({
    handler,
    kind,
    displayName: `Test ${handler}`,
    description: 'test plugin',
    configSchema: z.unknown(),
    create: (): InterceptorPlugin => ({
      onRequest: () => {
        trace.push(`req:${handler}`);
        if (behaviour === 'throw') throw new Error('boom');
        return behaviour === 'block' ? { allowed: false, reason: 'blocked in test' } : undefined;
      },
      onResponse: (response) => {
        trace.push(`res:${handler}`);
        return behaviour === 'block' ? { allowed: false, reason: 'blocked in test' } : { modified: response };
      },
    }),
  });
  const defs = new Map<string, PluginDefinition<unknown>>([
    ['mw_a', make('mw_a', 'middleware')],
    ['sec_a', make('sec_a', 'security')],
    ['sec_b', make('sec_b', 'security')],
    ['thrower', make('thrower', 'security', 'throw')],
    ['blocker', make('blocker', 'security', 'block')],
  ]);
  return { find: (h: string) => defs.get(h) ?? findPlugin(h) };
}

const request: JsonRpcRequest = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'mail me at jane@acme-corp.io' } } };
const ctx = { serverName: 'fs', origin: 'client' as const, requestId: 7 };

describe('plugin pipeline', () => {
  it('merges _global with the server list: same handler replaces, enabled:false switches the global one off for that server only', () => {
    const scopes = {
      _global: [entry('basic_pii_filter', 'security'), entry('basic_secrets_filter', 'security')],
      fs: [entry('basic_pii_filter', 'security', { enabled: false })],
      gh: [entry('basic_secrets_filter', 'security', { priority: 10 })],
    };
    assert.deepEqual(effectiveEntries(scopes, 'fs').map((e) => e.handler), ['basic_secrets_filter']);
    assert.deepEqual(effectiveEntries(scopes, 'gh').map((e) => [e.handler, e.priority]), [
      ['basic_pii_filter', 50],
      ['basic_secrets_filter', 10],
    ]);
    assert.deepEqual(effectiveEntries(scopes, 'constructor').map((e) => e.handler), ['basic_pii_filter', 'basic_secrets_filter']);
  });

  it('runs requests by priority (middleware first on ties) and responses in reverse', async () => {
    const trace: string[] = [];
    const plugins: PluginsByKind = {
      middleware: { _global: [entry('mw_a', 'middleware')] },
      security: { _global: [entry('sec_b', 'security', { priority: 10 }), entry('sec_a', 'security')] },
    };
    const pipeline = new PluginHost(plugins, recorder(trace), env).pipelineFor('fs');
    await pipeline.processRequest(request, ctx);
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: 7, result: { content: [] } };
    await pipeline.processResponse(response, { ...ctx, request });
    assert.deepEqual(trace, ['req:sec_b', 'req:mw_a', 'req:sec_a', 'res:sec_a', 'res:mw_a', 'res:sec_b']);
  });

  it('fails closed with -32603 when a critical plugin throws, and skips a non-critical one', async () => {
    const critical = new PluginHost({ security: { _global: [entry('thrower', 'security')] } }, recorder([]), env).pipelineFor('fs');
    const failed = await critical.processRequest(request, ctx);
    assert.equal(failed.outcome, 'error');
    assert.equal((failed.response as { error: { code: number } }).error.code, -32603);
    const lenient = new PluginHost({ security: { _global: [entry('thrower', 'security', { critical: false })] } }, recorder([]), env).pipelineFor('fs');
    const passed = await lenient.processRequest(request, ctx);
    assert.equal(passed.outcome, 'no_security_evaluation', 'the failed plugin evaluated nothing');
    assert.equal(passed.stages[0]?.outcome, 'error');
    assert.equal(passed.response, undefined);
  });

  it('answers a blocked request with -32000 "Request blocked: <plugin>" and a blocked response with "Response blocked by security handler"', async () => {
    const pipeline = new PluginHost({ security: { _global: [entry('blocker', 'security')] } }, recorder([]), env).pipelineFor('fs');
    const blocked = await pipeline.processRequest(request, ctx);
    assert.deepEqual((blocked.response as { error: unknown }).error, { code: -32000, message: 'Request blocked: Test blocker', data: { plugin: 'blocker', reason: 'blocked in test' } });
    const response = await pipeline.processResponse({ jsonrpc: '2.0', id: 7, result: {} }, { ...ctx, request });
    assert.equal((response.response as { error: { message: string } }).error.message, 'Response blocked by security handler');
  });

  it('reduces stage reasons to the outcome once a security plugin changed content, and names who redacted', async () => {
    const pipeline = new PluginHost({ security: { _global: [entry('basic_pii_filter', 'security', { options: findPlugin('basic_pii_filter')!.configSchema.parse({}) })] } }, { find: findPlugin }, env).pipelineFor('fs');
    const result = await pipeline.processRequest(request, ctx);
    assert.equal(result.sensitive, true);
    assert.equal(result.reason, '[modified]');
    assert.deepEqual(result.stages.map((s) => s.reason), ['[modified]']);
    assert.equal(result.decidedBy, 'basic_pii_filter');
    assert.doesNotMatch(JSON.stringify(result.message), /jane@acme-corp\.io/);
  });

  it('runs auditing in definition order and rejects when a critical auditor fails', async () => {
    const order: string[] = [];
    const auditor = (name: string, fail: boolean): PluginDefinition<unknown> => ({
      handler: name,
      kind: 'auditing',
      displayName: name,
      description: 'test auditor',
      configSchema: z.unknown(),
      create: () => ({
        record: (_event: AuditEvent) => {
          order.push(name);
          if (fail) throw new Error('disk full');
        },
      }),
    });
    const defs = new Map([
      ['second', auditor('second', false)],
      ['first', auditor('first', true)],
    ]);
    const plugins: PluginsByKind = { auditing: { _global: [entry('second', 'auditing', { critical: false }), entry('first', 'auditing')] } };
    const pipeline = new PluginHost(plugins, { find: (h) => defs.get(h) }, env).pipelineFor('fs');
    const event = { type: 'request', timestamp: new Date(), serverName: 'fs', origin: 'client', method: 'ping', pipeline: await pipeline.processRequest(request, ctx) } as AuditEvent;
    await assert.rejects(pipeline.audit(event), /first.*disk full/);
    assert.deepEqual(order, ['second', 'first']);
  });

  describe('hooks that answer with a promise', () => {
    type Step = { handler: string; answer: 'sync' | 'async' | 'reject' | 'throw'; critical?: boolean };
    /** Security plugins that each append their name to a text argument, synchronously or through a promise. */
    function chain(steps: Step[], logs: string[] = []) {
      const defs = new Map<string, PluginDefinition<unknown>>();
      for (const step of steps) {
        defs.set(step.handler, {
          handler: step.handler,
          kind: 'security',
          displayName: step.handler,
          description: 'test plugin',
          configSchema: z.unknown(),
          create: (): InterceptorPlugin => ({
            onRequest: (req) => {
              if (step.answer === 'throw') throw new Error(`${step.handler} broke`);
              if (step.answer === 'reject') return Promise.reject(new Error(`${step.handler} broke`));
              const text = `${(req.params!.arguments as { text: string }).text}>${step.handler}`;
              const decision = { allowed: true, modified: { ...req, params: { ...req.params, arguments: { text } } }, reason: step.handler };
              return step.answer === 'async' ? Promise.resolve(decision) : decision;
            },
          }),
        });
      }
      const security = steps.map((step) => entry(step.handler, 'security', { critical: step.critical ?? true }));
      const logEnv: PluginEnvironment = { ...env, log: (m) => logs.push(m) };
      return new PluginHost({ security: { _global: security } }, { find: (h) => defs.get(h) }, logEnv).pipelineFor('fs');
    }
    const textOf = (r: { message: JsonRpcRequest }) => (r.message.params!.arguments as { text: string }).text;

    it('gives each hook the previous one\'s output whether they answer at once or later', async () => {
      for (const answers of [['sync', 'async', 'sync'], ['async', 'sync', 'async'], ['sync', 'sync', 'sync'], ['async', 'async', 'async']] as const) {
        const pipeline = chain(answers.map((answer, i) => ({ handler: `p${i}`, answer })));
        const result = await pipeline.processRequest(request, ctx);
        assert.equal(textOf(result), `${(request.params!.arguments as { text: string }).text}>p0>p1>p2`, answers.join());
        assert.deepEqual(result.stages.map((s) => [s.handler, s.outcome]), [['p0', 'modified'], ['p1', 'modified'], ['p2', 'modified']]);
        assert.equal(result.outcome, 'allowed');
        assert.equal(result.decidedBy, 'p0');
        assert.ok(result.stages.every((s) => s.durationMs >= 0) && result.durationMs >= 0);
      }
    });

    it('fails closed on a rejected or thrown hook of a critical plugin, before or after an asynchronous one', async () => {
      for (const failing of ['reject', 'throw'] as const) {
        const pipeline = chain([{ handler: 'p0', answer: 'async' }, { handler: 'bad', answer: failing }, { handler: 'p2', answer: 'sync' }]);
        const result = await pipeline.processRequest(request, ctx);
        assert.equal(result.outcome, 'error', failing);
        assert.equal(result.response && 'error' in result.response ? result.response.error.code : undefined, -32603);
        assert.deepEqual(result.stages.map((s) => s.outcome), ['modified', 'error']);
      }
    });

    it('skips a non-critical hook that rejects or throws and logs it, continuing with the message so far', async () => {
      for (const failing of ['reject', 'throw'] as const) {
        const logs: string[] = [];
        const pipeline = chain([{ handler: 'bad', answer: failing, critical: false }, { handler: 'p1', answer: 'async' }, { handler: 'p2', answer: 'sync' }], logs);
        const result = await pipeline.processRequest(request, ctx);
        assert.equal(result.outcome, 'allowed', failing);
        assert.match(textOf(result), />p1>p2$/);
        assert.deepEqual(result.stages.map((s) => s.outcome), ['error', 'modified', 'modified']);
        assert.equal(logs.length, 1);
        assert.match(logs[0]!, /bad broke/);
      }
    });
  });

  it('with one auditor: resolves after its record, rejects for a critical failure, logs and resolves for another', async () => {
    const logs: string[] = [];
    const outcomes: Record<string, 'ok' | 'throw' | 'reject' | 'late'> = { sync_ok: 'ok', throws: 'throw', rejects: 'reject', late: 'late' };
    let lateDone = false;
    const auditor = (name: string): PluginDefinition<unknown> => ({
      handler: name,
      kind: 'auditing',
      displayName: name,
      description: 'test auditor',
      configSchema: z.unknown(),
      create: () => ({
        record: (_event: AuditEvent): void | Promise<void> => {
          switch (outcomes[name]) {
            case 'throw':
              throw new Error('disk full');
            case 'reject':
              return Promise.reject(new Error('disk full'));
            case 'late':
              return new Promise<void>((resolve) =>
                setImmediate(() => {
                  lateDone = true;
                  resolve();
                }),
              );
            default:
              return undefined;
          }
        },
      }),
    });
    const logEnv: PluginEnvironment = { ...env, log: (m) => logs.push(m) };
    const single = (name: string, critical: boolean) =>
      new PluginHost({ auditing: { _global: [entry(name, 'auditing', { critical })] } }, { find: (h) => (h === name ? auditor(name) : undefined) }, logEnv).pipelineFor('fs');
    const event = { type: 'request', timestamp: new Date(), serverName: 'fs', origin: 'client', method: 'ping', pipeline: await single('sync_ok', true).processRequest(request, ctx) } as AuditEvent;
    await single('sync_ok', true).audit(event);
    await single('late', true).audit(event);
    assert.equal(lateDone, true);
    for (const name of ['throws', 'rejects']) {
      await assert.rejects(single(name, true).audit(event), /disk full/, name);
      const before = logs.length;
      await single(name, false).audit(event);
      assert.equal(logs.length, before + 1, name);
    }
  });
});
