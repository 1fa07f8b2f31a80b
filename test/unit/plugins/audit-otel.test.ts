// audit_otel without a gateway process: W3C trace context read strictly from hostile `_meta`, the
// exchange's `outgoing` hook (untouched without one), hostile configurations refused with their
// path, and the recorder's spans, logs and critical behaviour against the SDK's in-memory exporters.
import * as assert from 'node:assert/strict';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as z from 'zod';
import { ConfigError } from '../../../src/config/errors';
import { validateConfigObject } from '../../../src/config/loader';
import { OtelAuditRecorder, type OtelSignals } from '../../../src/plugins/auditing/audit_otel-recorder';
import { auditOtelDescriptor, type OtelAuditOptions } from '../../../src/plugins/auditing/audit_otel.descriptor';
import { exchangeRequest } from '../../../src/plugins/exchange';
import { PluginHost, type PluginsByKind } from '../../../src/plugins/pipeline';
import { findPlugin } from '../../../src/plugins/registry';
import { formatTraceParent, incomingTrace, parseTraceParent, parseTraceState, withTraceParent } from '../../../src/plugins/trace-context';
import type { AuditEvent, AuditingPlugin, PluginDefinition, PluginEnvironment, ReadonlyRequest } from '../../../src/plugins/types';
import { makeResult, type JsonRpcRequest } from '../../../src/shared/jsonrpc';
import { withReplacedId } from '../../../src/gateway/transport/raw-text';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = `00-${TRACE}-${SPAN}-01`;

const call = (meta?: unknown, extra: Record<string, unknown> = {}): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hi' }, ...(meta === undefined ? {} : { _meta: meta }), ...extra },
});

describe('trace context in _meta', () => {
  it('accepts only version 00, lowercase hex, non-zero ids, exactly 55 characters', () => {
    assert.deepEqual(parseTraceParent(PARENT), { traceId: TRACE, spanId: SPAN, flags: 1 });
    assert.deepEqual(parseTraceParent(`00-${TRACE}-${SPAN}-00`), { traceId: TRACE, spanId: SPAN, flags: 0 });
    const bad: unknown[] = [
      `00-${TRACE}-${SPAN}`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN.toUpperCase()}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `01-${TRACE}-${SPAN}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      ` ${PARENT}`,
      `${PARENT} `,
      `${PARENT}\n`,
      `00-${TRACE}-${SPAN}-0g`,
      `00_${TRACE}_${SPAN}_01`,
      'x'.repeat(1_000_000),
      '',
      55,
      null,
      { toString: () => PARENT },
      [PARENT],
      true,
    ];
    for (const value of bad) assert.equal(parseTraceParent(value), undefined, `refused: ${JSON.stringify(value)?.slice(0, 60)}`);
  });

  it('keeps a well-formed tracestate and drops one that is not', () => {
    assert.equal(parseTraceState('team=alpha, vendor=x1'), 'team=alpha,vendor=x1');
    assert.equal(parseTraceState('tenant@vendor=v'), 'tenant@vendor=v');
    for (const bad of ['', 'no-equals', 'UPPER=x', 'a=b\nc=d', 'a=b=c', 'a=', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','), `a=${'x'.repeat(600)}`, 42, null]) {
      assert.equal(parseTraceState(bad), undefined, `refused: ${String(bad).slice(0, 40)}`);
    }
  });

  it('reads _meta as own keys of plain objects only, and says when a traceparent was refused without echoing it', () => {
    assert.deepEqual(incomingTrace(call({ traceparent: PARENT, tracestate: 'a=b' })), { parent: { traceId: TRACE, spanId: SPAN, flags: 1, traceState: 'a=b' } });
    assert.deepEqual(incomingTrace(call({ traceparent: PARENT, tracestate: 'bad state' })), { parent: { traceId: TRACE, spanId: SPAN, flags: 1 } });
    assert.deepEqual(incomingTrace(call({ traceparent: 'forged\nline' })), { invalid: true });
    assert.deepEqual(incomingTrace(call()), { invalid: false });
    assert.deepEqual(incomingTrace(call([PARENT])), { invalid: false });
    assert.deepEqual(incomingTrace(call('traceparent')), { invalid: false });
    assert.deepEqual(incomingTrace(call(null)), { invalid: false });
    // A traceparent inherited from a prototype is not the request's.
    const inherited = JSON.parse(`{"__proto__": {"traceparent": "${PARENT}"}}`) as Record<string, unknown>;
    assert.deepEqual(incomingTrace(call(inherited)), { invalid: false });
    assert.deepEqual(incomingTrace({ jsonrpc: '2.0', id: 1, method: 'ping', params: [PARENT] as unknown as Record<string, unknown> }), { invalid: false });
    assert.deepEqual(incomingTrace({ jsonrpc: '2.0', id: 1, method: 'ping' }), { invalid: false });
  });

  it('writes the gateway span into a copy: other keys kept, input untouched, __proto__ stays a key', () => {
    const meta = JSON.parse(`{"traceparent": "${PARENT}", "tracestate": "x=1", "baggage": "k=v", "progressToken": 3, "__proto__": {"polluted": true}}`) as Record<string, unknown>;
    const request = call(meta);
    const before = JSON.stringify(request);
    const ours = formatTraceParent('a'.repeat(32), 'b'.repeat(16), 1);
    const next = withTraceParent(request, ours, 'x=1');
    assert.equal(JSON.stringify(request), before, 'the request passed in is not changed');
    const nextMeta = next.params!._meta as Record<string, unknown>;
    assert.equal(nextMeta.traceparent, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
    assert.equal(nextMeta.tracestate, 'x=1');
    assert.equal(nextMeta.baggage, 'k=v');
    assert.equal(nextMeta.progressToken, 3);
    assert.ok(Object.hasOwn(nextMeta, '__proto__'), '__proto__ is still an own key');
    assert.equal((nextMeta as { polluted?: unknown }).polluted, undefined, 'and never became the prototype');
    assert.equal(Object.getPrototypeOf(nextMeta), Object.prototype);
    assert.deepEqual(next.params!.arguments, { text: 'hi' });
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    // A tracestate not carried on (the client's was malformed) is dropped, not passed beside our parent.
    assert.equal(Object.hasOwn(withTraceParent(request, ours, undefined).params!._meta as object, 'tracestate'), false);
    // Without params the request gains {_meta}; params that are not an object are left alone.
    assert.deepEqual(withTraceParent({ jsonrpc: '2.0', id: 2, method: 'ping' }, ours, undefined).params, { _meta: { traceparent: ours } });
    const arrayParams = { jsonrpc: '2.0', id: 3, method: 'x', params: [1] } as unknown as ReadonlyRequest;
    assert.equal(withTraceParent(arrayParams, ours, undefined), arrayParams);
    assert.equal(formatTraceParent(TRACE, SPAN, 0x1ff), `00-${TRACE}-${SPAN}-ff`);
  });
});

describe('the exchange hook for outgoing requests', () => {
  const env: PluginEnvironment = { configDir: '/tmp', resolvePath: (p) => p, log: (m) => logged.push(m) };
  const logged: string[] = [];
  const seen: AuditEvent[] = [];
  const auditor = (name: string, outgoing?: AuditingPlugin['outgoing']): PluginDefinition<unknown> => ({
    handler: name,
    kind: 'auditing',
    displayName: name,
    description: name,
    configSchema: z.unknown(),
    create: () => ({ record: (event: AuditEvent) => void seen.push(event), ...(outgoing ? { outgoing } : {}) }),
  });
  const definitions = new Map<string, PluginDefinition<unknown>>([
    ['plain', auditor('plain')],
    ['tagger', auditor('tagger', (request) => withTraceParent(request, PARENT, undefined))],
    ['thrower', auditor('thrower', () => {
      throw new Error('hook failed');
    })],
  ]);
  const registry = { find: (handler: string) => definitions.get(handler) ?? findPlugin(handler) };
  const auditing = (...handlers: string[]): PluginsByKind => ({
    auditing: { _global: handlers.map((handler) => ({ handler, kind: 'auditing' as const, enabled: true, priority: 50, critical: false, options: {} })) },
  });
  async function sendThrough(plugins: PluginsByKind, request: JsonRpcRequest): Promise<JsonRpcRequest> {
    const pipeline = new PluginHost(plugins, registry, env).pipelineFor('alpha');
    let sent: JsonRpcRequest | undefined;
    await exchangeRequest({ pipeline, direction: 'client_to_server', startedAt: performance.now(), recordTraffic: false, underId: withReplacedId }, request, (message) => {
      sent = message;
      return Promise.resolve({ message: makeResult(message.id, {}) });
    });
    return sent!;
  }
  beforeEach(() => {
    seen.length = 0;
    logged.length = 0;
  });

  it('sends the very request object when no auditing plugin has the hook', async () => {
    const request = call({ traceparent: 'client-value' });
    assert.equal(await sendThrough(auditing('plain'), request), request);
    assert.equal(await sendThrough({}, request), request);
  });

  it('sends what the hook returns, and pairs the response event with its request event', async () => {
    const sent = await sendThrough(auditing('plain', 'tagger'), call());
    assert.equal((sent.params!._meta as Record<string, unknown>).traceparent, PARENT);
    const [requestEvent, , responseEvent] = seen;
    assert.equal(requestEvent?.type, 'request');
    assert.equal(responseEvent?.type, 'response');
    assert.equal(responseEvent?.answers, requestEvent, 'the response event names the request event it answers');
  });

  it('gives the request event the trace context only when a plugin carries it on, and keeps a blocked request in its trace without its tracestate', async () => {
    await sendThrough(auditing('plain'), call({ traceparent: PARENT }));
    assert.equal(seen[0]?.trace, undefined, 'no plugin with the hook: nothing parsed');
    seen.length = 0;
    const blocking: PluginsByKind = {
      ...auditing('tagger'),
      security: { _global: [{ handler: 'basic_secrets_filter', kind: 'security', enabled: true, priority: 50, critical: true, options: findPlugin('basic_secrets_filter')!.configSchema.parse({ action: 'block' }) }] },
    };
    const secret = `ghp_${'A1b2C3d4E5'.repeat(3)}f6G7h8`;
    const pipeline = new PluginHost(blocking, registry, env).pipelineFor('alpha');
    let sends = 0;
    await exchangeRequest({ pipeline, direction: 'client_to_server', startedAt: performance.now(), recordTraffic: false, underId: withReplacedId }, call({ traceparent: PARENT, tracestate: 'k=v' }, { arguments: { text: secret } }), () => {
      sends++;
      return Promise.resolve({ message: makeResult(1, {}) });
    });
    assert.equal(sends, 0);
    assert.equal(seen[0]?.pipeline.outcome, 'blocked');
    assert.equal(seen[0]?.message, undefined);
    assert.deepEqual(seen[0]?.trace, { parent: { traceId: TRACE, spanId: SPAN, flags: 1 } });
  });

  it('a hook that throws is logged and the request goes out as it was', async () => {
    const request = call();
    assert.equal(await sendThrough(auditing('thrower'), request), request);
    assert.ok(logged.some((l) => l.includes('hook failed')));
  });
});

describe('audit_otel configuration', () => {
  const validate = (config: Record<string, unknown>, critical?: boolean) =>
    validateConfigObject(
      {
        proxy: { transport: 'stdio', upstreams: [{ name: 'alpha', command: ['node', 'x.js'] }] },
        plugins: { auditing: { _global: [{ handler: 'audit_otel', config: { ...config, ...(critical === undefined ? {} : { critical }) } }] } },
      },
      { configDir: '/tmp' },
    );
  const refused = (config: Record<string, unknown>, pattern: RegExp) => {
    let caught: unknown;
    try {
      validate(config);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, `refused: ${JSON.stringify(config).slice(0, 80)}`);
    assert.match(caught.message, /plugins\.auditing\._global\[0\]/);
    assert.match(caught.message, pattern);
  };
  const entryOf = (config: Record<string, unknown>, critical?: boolean) => validate(config, critical).config.plugins.auditing!._global![0]!;

  it('is best effort unless critical: true is written', () => {
    assert.equal(entryOf({}).critical, false);
    assert.equal(entryOf({}, true).critical, true);
    const options = entryOf({}).options as OtelAuditOptions;
    assert.equal(options.endpoint, 'http://localhost:4318');
    assert.equal(options.trace_context, true);
    assert.equal(options.include_request_body, false);
  });

  it('refuses endpoints that are not http(s) URLs', () => {
    for (const endpoint of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/plain,x', 'ftp://collector', 'localhost:4318', 'http://', '', `http://${'a'.repeat(3000)}.example`]) {
      refused({ endpoint }, /endpoint/);
    }
    refused({ endpoint: 4318 }, /endpoint/);
    assert.equal((entryOf({ endpoint: 'https://otel.example.com:4318/base' }).options as OtelAuditOptions).endpoint, 'https://otel.example.com:4318/base');
  });

  it('refuses header names and values that could split or flood a request', () => {
    refused({ headers: { 'x-key': 'a\r\nInjected: 1' } }, /headers/);
    refused({ headers: { 'bad name': 'v' } }, /headers/);
    refused({ headers: { 'x-key': 42 } }, /headers/);
    refused({ headers: { 'x-key': 'v'.repeat(9000) } }, /headers/);
    refused({ headers: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`x-h${i}`, 'v'])) }, /headers/);
    refused({ headers: Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`x-h${i}`, 'v'.repeat(8000)])) }, /headers/);
    refused({ headers: ['x-key: v'] }, /headers/);
    refused({ resource_attributes: { team: 7 } }, /resource_attributes/);
    refused({ max_queue_size: 0 }, /max_queue_size/);
    refused({ max_queue_size: 1e9 }, /max_queue_size/);
    refused({ unknown_key: 1 }, /unknown_key/);
    const headers = JSON.parse('{"__proto__": "v", "x-team": "t"}') as Record<string, unknown>;
    const parsed = (entryOf({ headers }).options as OtelAuditOptions).headers;
    assert.equal(parsed['x-team'], 't');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype, 'a header named __proto__ never becomes a prototype');
  });

  it('is registered with its descriptor', () => {
    assert.equal(findPlugin('audit_otel')?.configSchema, auditOtelDescriptor.configSchema);
  });
});

describe('audit_otel recorder', () => {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  let unavailable: string | undefined;
  const signals: OtelSignals = {
    tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test'),
    logger: new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] }).getLogger('test'),
    meter: new MeterProvider().getMeter('test'),
    unavailable: () => unavailable,
    shutdown: () => Promise.resolve(),
  };
  const options = auditOtelDescriptor.configSchema.parse({ include_request_body: true, include_response_body: true, max_body_size: 60 });
  const pipeline = (extra: Partial<AuditEvent['pipeline']> = {}): AuditEvent['pipeline'] => ({
    outcome: 'allowed', message: undefined, modified: false, securityEvaluated: true, sensitive: false, reason: '', stages: [], durationMs: 0.2, ...extra,
  });
  const requestEvent = (request: JsonRpcRequest | undefined, extra: Partial<AuditEvent['pipeline']> = {}): AuditEvent => ({
    type: 'request', timestamp: new Date(), serverName: 'alpha', origin: 'client', requestId: 1, method: 'tools/call', tool: 'echo', ...(request ? { message: request, trace: incomingTrace(request) } : {}), pipeline: pipeline(extra),
  });
  beforeEach(() => {
    spans.reset();
    logs.reset();
    unavailable = undefined;
  });

  it('ends a blocked request at once, without its content, and an answered one at its answer with bodies cut to max_body_size', () => {
    const recorder = new OtelAuditRecorder(options, signals, false);
    recorder.record(requestEvent(undefined, { outcome: 'blocked', sensitive: true, decidedBy: 'basic_secrets_filter', reason: '[blocked]' }));
    assert.equal(spans.getFinishedSpans().length, 1);
    const blocked = spans.getFinishedSpans()[0]!;
    assert.equal(blocked.attributes['gatekit.decision'], 'blocked');
    assert.equal(blocked.attributes['gatekit.request.body'], undefined);

    const request = call({ traceparent: PARENT }, { arguments: { text: 'x'.repeat(200) } });
    const audited = requestEvent(request);
    recorder.record(audited);
    const sent = recorder.outgoing(request, audited)!;
    assert.equal(spans.getFinishedSpans().length, 1, 'the span stays open until the answer');
    const answer = makeResult(1, { content: [{ type: 'text', text: 'y'.repeat(200) }] });
    recorder.record({ type: 'response', timestamp: new Date(), serverName: 'alpha', origin: 'client', requestId: 1, method: 'tools/call', tool: 'echo', message: answer, pipeline: pipeline(), durationMs: 12.5, answers: audited });
    const span = spans.getFinishedSpans()[1]!;
    assert.equal(span.spanContext().traceId, TRACE);
    assert.equal(span.parentSpanContext?.spanId, SPAN);
    assert.equal((sent.params!._meta as Record<string, unknown>).traceparent, `00-${TRACE}-${span.spanContext().spanId}-01`);
    assert.equal(span.attributes['gatekit.duration_ms'], 12.5);
    assert.equal(String(span.attributes['gatekit.request.body']).length, 60 + '...[truncated]'.length);
    assert.ok(String(span.attributes['gatekit.response.body']).endsWith('...[truncated]'));
    assert.equal(span.attributes['gatekit.request.size'], Buffer.byteLength(JSON.stringify(request)));
    assert.equal(logs.getFinishedLogRecords().length, 2);
    assert.equal(logs.getFinishedLogRecords()[1]!.spanContext?.spanId, span.spanContext().spanId);
  });

  it('with trace_context: false, leaves requests alone and starts its own trace', () => {
    const recorder = new OtelAuditRecorder({ ...options, trace_context: false }, signals, false);
    const request = call({ traceparent: PARENT });
    const audited = requestEvent(request);
    recorder.record(audited);
    assert.equal(recorder.outgoing(request, audited), undefined);
  });

  it('closes unanswered spans at close, and throws on records only when critical and the collector cannot take them', async () => {
    const lenient = new OtelAuditRecorder(options, signals, false);
    const critical = new OtelAuditRecorder(options, signals, true);
    unavailable = 'connect ECONNREFUSED';
    assert.doesNotThrow(() => lenient.record(requestEvent(call())));
    assert.throws(() => critical.record(requestEvent(call())), /collector unavailable: connect ECONNREFUSED/);
    const refused = spans.getFinishedSpans().find((s) => s.attributes['gatekit.reason'] === 'audit unavailable');
    assert.ok(refused, 'the refused request is still recorded (and its export probes the collector)');
    unavailable = undefined;
    assert.doesNotThrow(() => critical.record(requestEvent(call())));
    await lenient.close();
    assert.ok(spans.getFinishedSpans().some((s) => s.attributes['gatekit.reason'] === 'gateway shut down before the answer'));
  });
});
