// What a team sees of Gatekit in its trace and log backend, as text: `npx tsx test/process/audit-otel-traces.ts`
// (after `npm run build`) runs the built gateway with audit_otel in front of server-everything and
// two fixture servers, makes one agent turn's calls under the client's traceparent, receives the
// export with the test receiver and prints the span tree, the log lines and the metrics (the README's
// "Team audit with OpenTelemetry" shows its output). `renderTeamView` is also checked by the tests.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { connectSdk, fixtureServer, realServer, writeConfig } from './harness';
import { OtlpReceiver, type ReceivedLog, type ReceivedPoint, type ReceivedSpan } from './audit-otel-receiver';

/** The spans as a tree per trace (children under their parent, by start time), one exchange per line. */
export function renderSpanTree(spans: readonly ReceivedSpan[]): string[] {
  const lines: string[] = [];
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const span of [...spans].sort((a, b) => (a.startNs < b.startNs ? -1 : 1))) {
    const list = byTrace.get(span.traceId) ?? [];
    list.push(span);
    byTrace.set(span.traceId, list);
  }
  for (const [traceId, list] of byTrace) {
    const ids = new Set(list.map((s) => s.spanId));
    const remoteParents = [...new Set(list.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => s.parentSpanId!))];
    lines.push(`trace ${traceId}${remoteParents.length ? ` (continued from the client's span ${remoteParents.join(', ')})` : ' (started by the gateway)'}`);
    const roots = list.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    const walk = (span: ReceivedSpan, prefix: string, last: boolean): void => {
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${describeSpan(span)}`);
      const children = list.filter((s) => s.parentSpanId === span.spanId);
      children.forEach((child, i) => walk(child, prefix + (last ? '   ' : '│  '), i === children.length - 1));
    };
    roots.forEach((root, i) => walk(root, '', i === roots.length - 1));
  }
  return lines;
}

function describeSpan(span: ReceivedSpan): string {
  const a = span.attributes;
  const ms = Number(span.endNs - span.startNs) / 1e6;
  const decision = shown(a['gatekit.decision']);
  const by = a['gatekit.plugin'] !== undefined ? ` by ${shown(a['gatekit.plugin'])}` : '';
  const sizes = a['gatekit.request.size'] !== undefined ? `  ${shown(a['gatekit.request.size'])} B → ${shown(a['gatekit.response.size'])} B` : '';
  return `${span.name.padEnd(22)} ${shown(a['gatekit.server']).padEnd(10)} ${(decision + by).padEnd(36)} ${ms.toFixed(1).padStart(6)} ms${sizes}${span.status.code === 2 ? '  [ERROR]' : ''}  span ${span.spanId}`;
}

/** An attribute value as text ('–' when absent). */
function shown(value: unknown): string {
  return value === undefined ? '–' : typeof value === 'string' ? value : JSON.stringify(value);
}

/** Log records as a log viewer lists them: time, severity, body, the fields a team filters on. */
export function renderLogLines(logs: readonly ReceivedLog[]): string[] {
  return [...logs]
    .sort((a, b) => (a.timeNs < b.timeNs ? -1 : 1))
    .map((log) => {
      const a = log.attributes;
      const fields = ['gatekit.server', 'gatekit.decision', 'gatekit.plugin', 'gatekit.reason'].filter((k) => a[k] !== undefined).map((k) => `${k.slice(8)}=${String(a[k])}`);
      return `${new Date(Number(log.timeNs / 1_000_000n)).toISOString()} ${log.severityText.padEnd(5)} ${String(log.body).padEnd(26)} ${fields.join(' ')}  trace=${log.traceId?.slice(0, 8) ?? '-'}… span=${log.spanId ?? '-'}`;
    });
}

/** Counters and latency histograms by their attributes. */
export function renderMetrics(points: readonly ReceivedPoint[]): string[] {
  return points
    .filter((p) => p.value !== 0 || p.kind === 'histogram')
    .map((p) => {
      const attrs = Object.entries(p.attributes).map(([k, v]) => `${k}=${String(v)}`).join(' ');
      const value = p.kind === 'histogram' ? `count=${p.count} sum=${p.sum!.toFixed(4)} ${p.unit ?? ''}` : String(p.value);
      return `${p.metric.padEnd(22)} ${value.padEnd(28)} ${attrs}`;
    });
}

export function renderTeamView(receiver: OtlpReceiver): string {
  return [
    '# Traces (one span per exchange; the gateway span is the child of the client\'s and the parent the server sees)',
    ...renderSpanTree(receiver.spans()),
    '',
    '# Log records (one per exchange, in its span)',
    ...renderLogLines(receiver.logs()),
    '',
    '# Metrics',
    ...renderMetrics(receiver.points()),
  ].join('\n');
}

async function main(): Promise<void> {
  const receiver = await OtlpReceiver.start();
  const config = writeConfig(
    [
      { name: 'everything', command: realServer('everything') },
      { name: 'alpha', command: fixtureServer('--name', 'alpha') },
      { name: 'beta', command: fixtureServer('--name', 'beta') },
    ],
    {
      plugins: {
        security: { _global: [{ handler: 'basic_secrets_filter', config: { action: 'redact' } }], beta: [{ handler: 'basic_secrets_filter', config: { action: 'block' } }] },
        auditing: { _global: [{ handler: 'audit_otel', config: { endpoint: receiver.endpoint, batch_delay_ms: 50, resource_attributes: { 'deployment.environment': 'dev-laptop', team: 'platform' } } }] },
      },
    },
  );
  const session = await connectSdk(config);
  const turn = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
  const token = `ghp_${'A1b2C3d4E5'.repeat(3)}f6G7h8`;
  try {
    await session.client.listTools({ _meta: turn });
    await session.client.callTool({ name: 'everything__echo', arguments: { message: 'build passed' }, _meta: turn });
    await session.client.callTool({ name: 'alpha__echo', arguments: { text: `deploy with ${token}` }, _meta: turn });
    await session.client.callTool({ name: 'beta__echo', arguments: { text: `deploy with ${token}` }, _meta: turn }).catch(() => undefined);
    await session.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } });
  } finally {
    await session.close();
    rmSync(path.dirname(config), { recursive: true, force: true });
  }
  process.stdout.write(`${renderTeamView(receiver)}\n`);
  await receiver.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
