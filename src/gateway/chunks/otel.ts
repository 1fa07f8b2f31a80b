// The OpenTelemetry SDK behind `audit_otel` (dist/gateway-otel.js, loaded only when a config names
// the plugin): OTLP/HTTP exporters for traces, logs and metrics, batching with a bounded queue, and
// the accounting that turns a collector that is down into one warning and a count of dropped records
// instead of slowed or blocked traffic.
//
// OTLP/HTTP with JSON bodies (the `exporter-*-otlp-http` packages): every collector's OTLP/HTTP
// receiver accepts it, it needs no protobuf runtime in the bundle, and a team can read a captured
// export. Protobuf is smaller on the wire, which matters little next to the MCP traffic it describes.
import type { Attributes } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type LogRecordProcessor, type ReadableLogRecord, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Context } from '@opentelemetry/api';
import { OtelAuditRecorder, type OtelSignals } from '../../plugins/auditing/audit_otel-recorder';
import type { OtelAuditOptions } from '../../plugins/auditing/audit_otel.descriptor';
import { cutText, singleLine } from '../../plugins/auditing/audit-record';
import type { AuditingPlugin, PluginEnvironment } from '../../plugins/types';
import { gatekitVersion } from '../version';

/** Creates the plugin instance: the SDK pipelines for the three signals and the recorder that feeds them. */
export function createOtelAudit(options: OtelAuditOptions, env: PluginEnvironment): AuditingPlugin {
  return new OtelAuditRecorder(options, new OtlpSignals(options, (message) => env.log(message)), env.critical === true);
}

/** Records handed to the SDK and not yet exported, dropped records, and the one warning per outage. */
class DeliveryAccount {
  /** Spans and log records queued or being exported; new ones are refused past `max_queue_size` per signal. */
  readonly pending = { spans: 0, logs: 0 };
  dropped = 0;
  /** Why each signal's last export failed; a signal's entry is cleared by its next export that succeeds. */
  private readonly failures = new Map<string, string>();
  private warned = false;
  private droppedAtWarning = 0;

  constructor(
    private readonly endpoint: string,
    private readonly log: (message: string) => void,
  ) {}

  drop(count: number, why: string): void {
    this.warnOnce(why);
    this.dropped += count;
  }

  /**
   * Why spans or log records cannot be delivered now, or undefined. Metrics do not count: their next
   * export is up to `metrics_interval_ms` away, and a critical plugin would refuse traffic that long.
   */
  get failing(): string | undefined {
    return this.failures.get('spans') ?? this.failures.get('logs');
  }

  /**
   * An export finished: `count` records of `signal` (`metrics`: points, never counted as dropped,
   * since the next export carries the totals again) left the queue, delivered or not. The outage
   * ends, and the warning is armed again, once every signal's last export succeeded.
   */
  settle(signal: keyof DeliveryAccount['pending'] | 'metrics', count: number, result: ExportResult): void {
    if (signal !== 'metrics') this.pending[signal] = Math.max(0, this.pending[signal] - count);
    if (result.code === ExportResultCode.SUCCESS) {
      this.failures.delete(signal);
      if (this.warned && this.failures.size === 0) {
        this.log(`audit_otel: the collector at ${this.endpoint} accepts records again; ${this.dropped - this.droppedAtWarning} were dropped while it did not (${this.dropped} in all).`);
        this.warned = false;
      }
      return;
    }
    const why = describe(result.error);
    this.failures.set(signal, why);
    if (signal !== 'metrics') this.drop(count, why);
    else this.warnOnce(why);
  }

  private warnOnce(why: string): void {
    if (this.warned) return;
    this.warned = true;
    this.droppedAtWarning = this.dropped;
    this.log(`audit_otel: cannot deliver to the collector at ${this.endpoint} (${why}); dropping audit records and counting them until it accepts them again. MCP traffic is not affected.`);
  }
}

/** An exporter's error as one bounded line (a collector's answer is text we do not control). */
function describe(error: Error | undefined): string {
  const text = error ? `${error.message}${(error as { code?: unknown }).code ? ` ${String((error as { code?: unknown }).code)}` : ''}` : 'export failed';
  return cutText(singleLine(text), 200) || 'export failed';
}

/** The tracer, logger and meter of one `audit_otel` instance, each with its own OTLP exporter. */
class OtlpSignals implements OtelSignals {
  readonly tracer;
  readonly logger;
  readonly meter;
  private readonly account: DeliveryAccount;
  private readonly tracerProvider: BasicTracerProvider;
  private readonly loggerProvider: LoggerProvider;
  private readonly meterProvider: MeterProvider;
  private readonly maxQueue: number;
  private stopped: Promise<void> | undefined;

  constructor(options: OtelAuditOptions, log: (message: string) => void) {
    const base = options.endpoint.replace(/\/+$/, '');
    this.account = new DeliveryAccount(base, log);
    this.maxQueue = options.max_queue_size;
    const resourceAttributes: Attributes = { ...options.resource_attributes, 'service.name': options.service_name, 'service.version': gatekitVersion, 'process.pid': process.pid };
    const resource = resourceFromAttributes(resourceAttributes);
    const exporterOptions = (signal: string) => ({
      url: `${base}/v1/${signal}`,
      headers: { ...options.headers },
      timeoutMillis: options.export_timeout_ms,
      // Memory is bounded by the queue (in-flight batches count against it), not by this.
      concurrencyLimit: 16,
    });
    const batch = {
      maxQueueSize: options.max_queue_size,
      maxExportBatchSize: Math.min(options.max_batch_size, options.max_queue_size),
      scheduledDelayMillis: options.batch_delay_ms,
      // Past the exporter's own deadline (retries included): a batch the processor gave up on would
      // still hold the exporter's one slot, and the next batch would fail at once for nothing.
      exportTimeoutMillis: options.export_timeout_ms + 1000,
    };
    const spanExporter = accountedExporter(new OTLPTraceExporter(exporterOptions('traces')), this.account, 'spans');
    this.tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new BoundedSpanProcessor(new BatchSpanProcessor(spanExporter, batch), this.account, this.maxQueue)] });
    const logExporter = accountedExporter(new OTLPLogExporter(exporterOptions('logs')), this.account, 'logs');
    this.loggerProvider = new LoggerProvider({ resource, processors: [new BoundedLogProcessor(new BatchLogRecordProcessor({ exporter: logExporter, ...batch }), this.account, this.maxQueue)] });
    const metricExporter = accountedExporter(new OTLPMetricExporter(exporterOptions('metrics')), this.account, 'metrics');
    this.meterProvider = new MeterProvider({
      resource,
      readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: options.metrics_interval_ms, exportTimeoutMillis: Math.min(options.export_timeout_ms, options.metrics_interval_ms) })],
    });
    this.tracer = this.tracerProvider.getTracer('gatekit', gatekitVersion);
    this.logger = this.loggerProvider.getLogger('gatekit', gatekitVersion);
    this.meter = this.meterProvider.getMeter('gatekit', gatekitVersion);
    const account = this.account;
    this.meter
      .createObservableCounter('gatekit.audit.dropped', { description: 'Audit records (spans and log records) dropped because the collector could not take them' })
      .addCallback((result) => result.observe(account.dropped));
  }

  unavailable(): string | undefined {
    if (this.account.failing !== undefined) return this.account.failing;
    const { spans, logs } = this.account.pending;
    return spans >= this.maxQueue || logs >= this.maxQueue ? 'the export queue is full' : undefined;
  }

  shutdown(deadlineMs: number): Promise<void> {
    this.stopped ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
        timer.unref();
      });
      // Spans and logs first, so the metrics' last export counts what they dropped.
      const flushing = Promise.allSettled([this.tracerProvider.shutdown(), this.loggerProvider.shutdown()]).then(() => this.meterProvider.shutdown());
      await Promise.race([flushing.catch(() => undefined), deadline]);
      clearTimeout(timer);
    })();
    return this.stopped;
  }
}

type Exported = ReadableSpan | ReadableLogRecord | ResourceMetrics;

/** Wraps an OTLP exporter so that every result is settled in the account (the SDK drops failed batches silently). */
function accountedExporter<E extends SpanExporter | LogRecordExporter | PushMetricExporter>(exporter: E, account: DeliveryAccount, signal: 'spans' | 'logs' | 'metrics'): E {
  const inner = exporter as unknown as { export(items: Exported | Exported[], done: (result: ExportResult) => void): void };
  const original = inner.export.bind(inner);
  inner.export = (items, done) => {
    const count = Array.isArray(items) ? items.length : 1;
    original(items, (result) => {
      account.settle(signal, count, result);
      done(result);
    });
  };
  return exporter;
}

/** Refuses spans past the queue bound before the SDK sees them, so each dropped one is counted. */
class BoundedSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly account: DeliveryAccount,
    private readonly max: number,
  ) {}
  onStart(span: Span, context: Context): void {
    this.inner.onStart(span, context);
  }
  onEnd(span: ReadableSpan): void {
    if (this.account.pending.spans >= this.max) return this.account.drop(1, 'the export queue is full');
    this.account.pending.spans++;
    this.inner.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The same bound for log records. */
class BoundedLogProcessor implements LogRecordProcessor {
  constructor(
    private readonly inner: LogRecordProcessor,
    private readonly account: DeliveryAccount,
    private readonly max: number,
  ) {}
  onEmit(record: SdkLogRecord, context?: Context): void {
    if (this.account.pending.logs >= this.max) return this.account.drop(1, 'the export queue is full');
    this.account.pending.logs++;
    this.inner.onEmit(record, context);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
