// The built gateway exports each exchange to an OTLP/HTTP receiver started here (audit_otel): span,
// log record and metrics field by field, in front of a real server (server-everything) and the
// fixture server; trace context continued end to end; a redacted secret never reaching the
// collector; a collector that is down or slow never slowing or blocking MCP traffic.
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { connectSdk, eventually, fixtureServer, RawSession, realServer, textOf, writeConfig, type UpstreamEntry } from './harness';
import { OtlpReceiver, type ReceivedSpan } from './audit-otel-receiver';
import { renderSpanTree } from './audit-otel-traces';

const SECRET = `ghp_${'A1b2C3d4E5'.repeat(3)}f6G7h8`;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const CLIENT_PARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

/** Options for audit_otel that export quickly (tests wait for events, never for time). */
function otel(endpoint: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { handler: 'audit_otel', config: { endpoint, batch_delay_ms: 20, metrics_interval_ms: 200, export_timeout_ms: 2000, ...extra } };
}

function configWith(upstreams: UpstreamEntry[], auditing: Record<string, unknown>[] | undefined, security: Record<string, unknown> = {}): string {
  return writeConfig(upstreams, { plugins: { ...(auditing ? { auditing: { _global: auditing } } : {}), security } });
}

/** A loopback port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const upstreams: UpstreamEntry[] = [
  { name: 'alpha', command: fixtureServer('--name', 'alpha') },
  { name: 'beta', command: fixtureServer('--name', 'beta') },
  { name: 'everything', command: realServer('everything') },
];

describe('process: audit_otel', function () {
  this.timeout(90000);
  let receiver: OtlpReceiver;
  const dirs: string[] = [];
  beforeEach(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterEach(async () => {
    await receiver.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const track = (config: string) => {
    dirs.push(path.dirname(config));
    return config;
  };

  it('exports each exchange as a span, a log record and metrics, without the content a security plugin redacted or blocked', async () => {
    const config = track(
      configWith(
        upstreams,
        [otel(receiver.endpoint, { include_request_body: true, include_response_body: true, headers: { 'x-team-key': 'k1' }, resource_attributes: { 'deployment.environment': 'ci' } })],
        {
          _global: [{ handler: 'basic_secrets_filter', config: { action: 'redact' } }],
          beta: [{ handler: 'basic_secrets_filter', config: { action: 'block' } }],
        },
      ),
    );
    const session = await connectSdk(config);
    try {
      assert.ok((await session.client.listTools()).tools.length > 0);
      assert.match(textOf(await session.client.callTool({ name: 'everything__echo', arguments: { message: 'hello team' } })), /hello team/);
      const redacted = textOf(await session.client.callTool({ name: 'alpha__echo', arguments: { text: `token ${SECRET}` } }));
      assert.ok(!redacted.includes(SECRET), 'the client gets the redacted text');
      await assert.rejects(session.client.callTool({ name: 'beta__echo', arguments: { text: `token ${SECRET}` } }), /Request blocked/);
    } finally {
      await session.close();
    }
    const spans = receiver.spans();
    const logs = receiver.logs();
    assert.ok(!receiver.allText().includes(SECRET), 'the secret never reached the collector');
    assert.ok(!receiver.allText().includes(SECRET.slice(4, 20)), 'not even a part of it');
    assert.equal(receiver.bodies[0]!.headers['x-team-key'], 'k1', 'configured headers go with every export');
    assert.match(String(receiver.bodies[0]!.headers['content-type']), /application\/json/);

    const call = (server: string): ReceivedSpan => {
      const found = spans.find((s) => s.name === 'tools/call echo' && s.attributes['gatekit.server'] === server);
      assert.ok(found, `a span for ${server}'s echo among ${spans.map((s) => s.name).join(', ')}`);
      return found;
    };
    const everything = call('everything');
    assert.equal(everything.kind, 2, 'SPAN_KIND_SERVER');
    assert.match(everything.traceId, /^[0-9a-f]{32}$/);
    assert.match(everything.spanId, /^[0-9a-f]{16}$/);
    assert.equal(everything.parentSpanId, undefined, 'a request without traceparent starts a trace');
    assert.ok(everything.endNs >= everything.startNs);
    assert.equal(everything.status.code ?? 0, 0, 'STATUS_CODE_UNSET');
    const a = everything.attributes;
    assert.equal(a['mcp.method.name'], 'tools/call');
    assert.equal(a['gen_ai.tool.name'], 'echo');
    assert.equal(a['gen_ai.operation.name'], 'execute_tool');
    assert.equal(a['gatekit.origin'], 'client');
    assert.equal(a['gatekit.decision'], 'allowed');
    assert.equal(a['gatekit.plugin'], undefined);
    assert.equal(typeof a['jsonrpc.request.id'], 'string');
    assert.ok(typeof a['gatekit.request.size'] === 'number' && a['gatekit.request.size'] > 20);
    assert.ok(typeof a['gatekit.response.size'] === 'number' && a['gatekit.response.size'] > 20);
    assert.ok(typeof a['gatekit.duration_ms'] === 'number' && a['gatekit.duration_ms'] >= 0);
    assert.match(String(a['gatekit.request.body']), /hello team/);
    assert.match(String(a['gatekit.response.body']), /hello team/);
    assert.equal(everything.resource['service.name'], 'gatekit-gateway');
    assert.equal(everything.resource['deployment.environment'], 'ci');
    assert.equal(typeof everything.resource['service.version'], 'string');

    const alpha = call('alpha');
    assert.equal(alpha.attributes['gatekit.decision'], 'redacted');
    assert.equal(alpha.attributes['gatekit.plugin'], 'basic_secrets_filter');
    assert.equal(alpha.attributes['gatekit.reason'], '[modified]', 'a redaction reason is reduced to the outcome');
    assert.match(String(alpha.attributes['gatekit.request.body']), /REDACTED|\[/);

    const beta = call('beta');
    assert.equal(beta.attributes['gatekit.decision'], 'blocked');
    assert.equal(beta.attributes['gatekit.plugin'], 'basic_secrets_filter');
    assert.equal(beta.attributes['gatekit.reason'], '[blocked]');
    assert.equal(beta.attributes['gatekit.request.body'], undefined, 'a blocked request has no body to show');
    assert.equal(beta.attributes['gatekit.request.size'], undefined);
    assert.equal(beta.status.code, 2, 'STATUS_CODE_ERROR');

    // One log record per exchange, in the exchange's span, with the same fields.
    for (const span of [everything, alpha, beta]) {
      const log = logs.find((l) => l.spanId === span.spanId);
      assert.ok(log, `a log record for span ${span.name} on ${String(span.attributes['gatekit.server'])}`);
      assert.equal(log.traceId, span.traceId);
      assert.equal(log.body, `tools/call echo ${String(span.attributes['gatekit.decision'])}`);
      assert.deepEqual(log.attributes, span.attributes);
      assert.equal(log.severityText, span === everything ? 'INFO' : 'WARN');
      assert.equal(log.severityNumber, span === everything ? 9 : 13);
    }
    // A list fans out: one span per server.
    assert.deepEqual(spans.filter((s) => s.name === 'tools/list').map((s) => s.attributes['gatekit.server']).sort(), ['alpha', 'beta', 'everything']);

    const points = receiver.points();
    const point = (metric: string, attrs: Record<string, unknown>) =>
      points.filter((p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
    const calls = (server: string, decision: string) => point('gatekit.calls', { 'gatekit.server': server, 'mcp.method.name': 'tools/call', 'gatekit.decision': decision })[0]?.value;
    assert.equal(calls('everything', 'allowed'), 1);
    assert.equal(calls('alpha', 'redacted'), 1);
    assert.equal(calls('beta', 'blocked'), 1);
    assert.equal(point('gatekit.blocks', { 'gatekit.server': 'beta', 'gatekit.plugin': 'basic_secrets_filter' })[0]?.value, 1);
    assert.equal(point('gatekit.redactions', { 'gatekit.server': 'alpha', 'gatekit.plugin': 'basic_secrets_filter' })[0]?.value, 1);
    assert.equal(point('gatekit.blocks', { 'gatekit.server': 'alpha' }).length, 0);
    const latency = point('gatekit.call.duration', { 'gatekit.server': 'everything', 'mcp.method.name': 'tools/call' })[0];
    assert.ok(latency, 'a latency histogram per server and method');
    assert.equal(latency.unit, 's');
    assert.equal(latency.count, 1);
    assert.ok(latency.sum! > 0 && latency.sum! < 60);
    assert.equal(latency.bucketCounts!.reduce((x, y) => x + y, 0), 1);
    assert.equal(point('gatekit.audit.dropped', {})[0]?.value, 0);
  });

  it('continues a client traceparent: the gateway span is its child and the server sees the gateway span as parent', async () => {
    const config = track(configWith(upstreams, [otel(receiver.endpoint)]));
    const session = await connectSdk(config);
    let continued: Record<string, string>;
    let started: Record<string, string>;
    try {
      const meta = { traceparent: CLIENT_PARENT, tracestate: 'team=alpha,vendor=x1', baggage: 'user.id=dev42', progressToken: 'p1' };
      continued = JSON.parse(textOf(await session.client.callTool({ name: 'alpha__echo_meta', arguments: {}, _meta: meta }))) as Record<string, string>;
      started = JSON.parse(textOf(await session.client.callTool({ name: 'alpha__echo_meta', arguments: {} }))) as Record<string, string>;
    } finally {
      await session.close();
    }
    const spans = receiver.spans().filter((s) => s.name === 'tools/call echo_meta');
    assert.equal(spans.length, 2);
    const child = spans.find((s) => s.traceId === CLIENT_TRACE);
    assert.ok(child, 'the gateway span continues the client trace');
    assert.equal(child.parentSpanId, CLIENT_SPAN);
    assert.equal(continued.traceparent, `00-${CLIENT_TRACE}-${child.spanId}-01`, 'the server sees the gateway span as its parent');
    assert.equal(continued.tracestate, 'team=alpha,vendor=x1');
    assert.equal(continued.baggage, 'user.id=dev42', 'baggage passes untouched');

    const tree = renderSpanTree(receiver.spans());
    assert.ok(tree.includes(`trace ${CLIENT_TRACE} (continued from the client's span ${CLIENT_SPAN})`), tree.join('\n'));
    assert.ok(tree.some((line) => line.startsWith('└─ tools/call echo_meta') && line.includes(child.spanId)), tree.join('\n'));

    const root = spans.find((s) => s !== child)!;
    assert.equal(root.parentSpanId, undefined);
    assert.notEqual(root.traceId, CLIENT_TRACE);
    assert.equal(started.traceparent, `00-${root.traceId}-${root.spanId}-01`, 'without a traceparent the gateway starts the trace');
  });

  it('ignores malformed traceparent values: a new trace, ours to the server, and the value never exported or logged', async () => {
    const config = track(configWith(upstreams, [otel(receiver.endpoint)]));
    const bad: unknown[] = [
      `00-${CLIENT_TRACE}-${CLIENT_SPAN}`,
      `00-${CLIENT_TRACE.toUpperCase()}-${CLIENT_SPAN}-01`,
      `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`,
      `00-${CLIENT_TRACE}-${'0'.repeat(16)}-01`,
      `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01-extra`,
      `ff-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
      `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01\n\u001b[31mforged log line`,
      12345,
      { traceId: CLIENT_TRACE },
      [CLIENT_PARENT],
    ];
    const session = await connectSdk(config);
    const seen: Record<string, unknown>[] = [];
    try {
      for (const traceparent of bad) {
        seen.push(JSON.parse(textOf(await session.client.callTool({ name: 'alpha__echo_meta', arguments: {}, _meta: { traceparent } }))) as Record<string, unknown>);
      }
    } finally {
      await session.close();
    }
    const spans = receiver.spans().filter((s) => s.name === 'tools/call echo_meta');
    assert.equal(spans.length, bad.length);
    for (const [i, span] of spans.entries()) {
      assert.equal(span.parentSpanId, undefined);
      assert.notEqual(span.traceId, CLIENT_TRACE);
      assert.equal(span.attributes['gatekit.trace.parent_invalid'], true);
      assert.ok(seen.some((m) => m.traceparent === `00-${span.traceId}-${span.spanId}-01`), `the server got span ${i}'s own traceparent`);
    }
    assert.ok(!receiver.allText().includes('forged log line'));
    assert.ok(!session.stderr.join('\n').includes('forged'));
  });

  it('leaves requests untouched without audit_otel: the server sees the client _meta as sent, and none added', async () => {
    const config = track(configWith(upstreams, undefined, { _global: [{ handler: 'basic_secrets_filter', config: {} }] }));
    const session = await connectSdk(config);
    try {
      const meta = { traceparent: CLIENT_PARENT, tracestate: 'a=b' };
      assert.deepEqual(JSON.parse(textOf(await session.client.callTool({ name: 'alpha__echo_meta', arguments: {}, _meta: meta }))), meta);
      const none = JSON.parse(textOf(await session.client.callTool({ name: 'alpha__echo_meta', arguments: {} }))) as Record<string, unknown> | null;
      assert.equal(none?.traceparent, undefined);
    } finally {
      await session.close();
    }
    assert.equal(receiver.bodies.length, 0);
  });

  it('collector down: traffic answers, one warning for the outage, dropped records counted and reported once it is back', async () => {
    const port = await closedPort();
    const config = track(configWith(upstreams, [otel(`http://127.0.0.1:${port}`, { export_timeout_ms: 300 })]));
    const session = await connectSdk(config);
    let late: OtlpReceiver | undefined;
    try {
      for (let i = 0; i < 20; i++) assert.equal(textOf(await session.client.callTool({ name: 'alpha__echo', arguments: { text: `n${i}` } })), `n${i}`);
      await eventually(() => session.stderr.some((l) => l.includes('cannot deliver')), 15000, 'the warning');
      for (let i = 0; i < 5; i++) await session.client.callTool({ name: 'alpha__echo', arguments: { text: `m${i}` } });
      late = await OtlpReceiver.start(port);
      await eventually(() => session.stderr.some((l) => l.includes('accepts records again')), 20000, 'the recovery');
      assert.equal(textOf(await session.client.callTool({ name: 'alpha__echo', arguments: { text: 'after' } })), 'after');
    } finally {
      await session.close();
    }
    try {
      const warnings = session.stderr.filter((l) => l.includes('audit_otel: cannot deliver'));
      assert.equal(warnings.length, 1, session.stderr.join('\n'));
      assert.match(warnings[0]!, new RegExp(`collector at http://127\\.0\\.0\\.1:${port} \\(`));
      const recovered = session.stderr.find((l) => l.includes('accepts records again'))!;
      const dropped = Number(/; (\d+) were dropped/.exec(recovered)?.[1]);
      assert.ok(dropped > 0, `records were dropped: ${recovered}`);
      const counted = late!.points().find((p) => p.metric === 'gatekit.audit.dropped')?.value;
      assert.ok(counted !== undefined && counted >= dropped, `the dropped counter reached the collector: ${counted}`);
      assert.ok(late!.spans().some((s) => s.name === 'tools/call echo'), 'records flow again once the collector is back');
    } finally {
      await late?.close();
    }
  });

  it('collector slow: the queue stays bounded, the rest is dropped and counted, traffic unaffected', async () => {
    receiver.mode = 'hold';
    const maxQueue = 8;
    const config = track(configWith(upstreams, [otel(receiver.endpoint, { max_queue_size: maxQueue, max_batch_size: 4, export_timeout_ms: 60000 })]));
    const session = await connectSdk(config);
    const calls = 40;
    try {
      for (let i = 0; i < calls; i++) assert.equal(textOf(await session.client.callTool({ name: 'alpha__echo', arguments: { text: `n${i}` } })), `n${i}`);
      await eventually(() => session.stderr.some((l) => l.includes('export queue is full')), 15000, 'the warning');
      receiver.mode = 'ok';
      receiver.release();
    } finally {
      await session.close();
    }
    const spans = new Set(receiver.spans().map((s) => s.spanId));
    assert.ok(spans.size <= maxQueue, `at most ${maxQueue} spans were held for the collector, got ${spans.size}`);
    const dropped = receiver.points().find((p) => p.metric === 'gatekit.audit.dropped')?.value ?? 0;
    assert.ok(dropped >= calls * 2 - 2 * maxQueue, `dropped spans and logs counted: ${dropped}`);
    assert.equal(session.stderr.filter((l) => l.includes('audit_otel: cannot deliver')).length, 1);
  });

  it('refuses hostile collector settings at start with their path, and exports nothing', async () => {
    const hostile: Record<string, unknown>[] = [
      { endpoint: 'file:///etc/passwd' },
      { endpoint: receiver.endpoint, headers: { 'x-key': 'v'.repeat(9000) } },
      { endpoint: receiver.endpoint, headers: { 'x-key': 'a\r\nInjected: 1' } },
      { endpoint: receiver.endpoint, headers: { 'x-key': { nested: true } } },
      { endpoint: receiver.endpoint, max_queue_size: 'many' },
    ];
    for (const config of hostile) {
      const raw = new RawSession(track(configWith(upstreams, [{ handler: 'audit_otel', config }])));
      const response = await raw.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
      const error = response.error as { code: number; message: string };
      assert.equal(error.code, -32001, JSON.stringify(config).slice(0, 80));
      assert.match(error.message, /plugins\.auditing\._global\[0\]\.config\.(endpoint|headers|max_queue_size)/);
      assert.ok(!error.message.includes('Injected: 1\n'), 'no header text echoed with its line break');
      assert.equal((await raw.exited).code, 1);
    }
    assert.equal(receiver.bodies.length, 0);
  });

  it('critical: true refuses traffic while the collector cannot take records, and serves again once it can', async () => {
    const port = await closedPort();
    const entry = otel(`http://127.0.0.1:${port}`, { export_timeout_ms: 300, critical: true });
    const config = track(configWith(upstreams, [entry]));
    const session = await connectSdk(config);
    let late: OtlpReceiver | undefined;
    try {
      // Calls pass until an export of spans or log records has failed; from then on they are refused.
      let refusal = '';
      await eventually(async () => {
        try {
          await session.client.callTool({ name: 'alpha__echo', arguments: { text: 'until refused' } });
          return false;
        } catch (err) {
          refusal = String(err);
          return true;
        }
      }, 15000, 'a refused call');
      assert.match(refusal, /-32603.*audit log could not be written.*collector unavailable/);
      assert.ok(session.stderr.some((l) => l.includes('cannot deliver')));
      late = await OtlpReceiver.start(port);
      await eventually(async () => {
        try {
          await session.client.callTool({ name: 'alpha__echo', arguments: { text: 'probe' } });
          return true;
        } catch {
          return false;
        }
      }, 20000, 'traffic served again');
    } finally {
      await session.close();
      await late?.close();
    }
  });
});
