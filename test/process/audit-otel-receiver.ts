// An OTLP/HTTP receiver for tests: a loopback node:http server that takes what an OpenTelemetry
// collector would (JSON bodies on /v1/traces, /v1/logs, /v1/metrics), keeps every body as received,
// and flattens spans, log records and metric points into plain objects a test can check field by field.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

/** A span as exported, attributes as a plain object. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export interface ReceivedLog {
  timeNs: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  traceId: string | undefined;
  spanId: string | undefined;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export interface ReceivedPoint {
  metric: string;
  unit: string | undefined;
  kind: 'sum' | 'histogram' | 'gauge';
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

/** How the receiver answers: `ok` (200), `unavailable` (503, which the exporter retries), or `hold` (never answers until released). */
export type ReceiverMode = 'ok' | 'unavailable' | 'hold';

export class OtlpReceiver {
  /** Every body received, by path, as text (what went over the wire). */
  readonly bodies: { path: string; headers: IncomingMessage['headers']; text: string }[] = [];
  mode: ReceiverMode = 'ok';
  private readonly held: ServerResponse[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server) {}

  static async start(port = 0): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => receiver.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers every held request (with 200). */
  release(): void {
    for (const res of this.held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Waits until `check` holds, re-checking as bodies arrive (deadline: `ms`). */
  async until(check: () => boolean, what: string, ms = 15000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  spans(): ReceivedSpan[] {
    const out: ReceivedSpan[] = [];
    for (const body of this.json('/v1/traces')) {
      for (const rs of body.resourceSpans ?? []) {
        const resource = attributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            out.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              startNs: BigInt(s.startTimeUnixNano),
              endNs: BigInt(s.endTimeUnixNano),
              status: s.status ?? {},
              attributes: attributes(s.attributes),
              resource,
            });
          }
        }
      }
    }
    return out;
  }

  logs(): ReceivedLog[] {
    const out: ReceivedLog[] = [];
    for (const body of this.json('/v1/logs')) {
      for (const rl of body.resourceLogs ?? []) {
        const resource = attributes(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? []) {
          for (const l of sl.logRecords ?? []) {
            out.push({
              timeNs: BigInt(l.timeUnixNano),
              severityNumber: l.severityNumber,
              severityText: l.severityText,
              body: l.body ? anyValue(l.body) : undefined,
              traceId: l.traceId || undefined,
              spanId: l.spanId || undefined,
              attributes: attributes(l.attributes),
              resource,
            });
          }
        }
      }
    }
    return out;
  }

  /** Metric points of the last export that carried each metric (cumulative temporality: the latest is the total). */
  points(): ReceivedPoint[] {
    const latest = new Map<string, ReceivedPoint[]>();
    for (const body of this.json('/v1/metrics')) {
      for (const rm of body.resourceMetrics ?? []) {
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) {
            const points: ReceivedPoint[] = [];
            for (const kind of ['sum', 'histogram', 'gauge'] as const) {
              for (const p of m[kind]?.dataPoints ?? []) {
                const point: ReceivedPoint = { metric: m.name, unit: m.unit || undefined, kind, attributes: attributes(p.attributes) };
                if (kind === 'histogram') {
                  point.count = Number(p.count);
                  point.sum = Number(p.sum);
                  point.bucketCounts = (p.bucketCounts ?? []).map(Number);
                  point.explicitBounds = p.explicitBounds ?? [];
                } else point.value = Number(p.asInt ?? p.asDouble ?? 0);
                points.push(point);
              }
            }
            latest.set(m.name, points);
          }
        }
      }
    }
    return [...latest.values()].flat();
  }

  /** Everything received as one text (to prove what never went over the wire). */
  allText(): string {
    return this.bodies.map((b) => b.text).join('\n');
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- OTLP JSON, read field by field above
  private json(path: string): any[] {
    return this.bodies.filter((b) => b.path === path).map((b) => JSON.parse(b.text));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (this.mode === 'unavailable') {
        res.writeHead(503).end();
        return;
      }
      this.bodies.push({ path: req.url ?? '', headers: req.headers, text: Buffer.concat(chunks).toString('utf8') });
      for (const wake of this.waiters.splice(0)) wake();
      if (this.mode === 'hold') this.held.push(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  }
}

function anyValue(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}
