// What `audit_otel` makes of each exchange: one span and one log record per request and answer (one
// log record per notification), the metrics of calls, blocks, redactions and latency, and the trace
// context the request carries on. Bundled only in the otel chunk (src/gateway/chunks/otel.ts), which
// hands it the SDK's tracer, logger and meter; this file decides the fields, never how they travel.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, createTraceState, trace, type Attributes, type Context, type Counter, type Histogram, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import type { JsonRpcRequest } from '../../shared/jsonrpc';
import { formatTraceParent, withTraceParent } from '../trace-context';
import type { AuditEvent, AuditingPlugin, ReadonlyRequest } from '../types';
import type { OtelAuditOptions } from './audit_otel.descriptor';
import { cutText, singleLine } from './audit-record';

/** What the exporting side tells the recorder (the otel chunk implements it). */
export interface OtelSignals {
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly meter: Meter;
  /** Why records cannot be delivered now (collector failing, queue full), or undefined when they can. */
  unavailable(): string | undefined;
  /** Flushes what is queued and stops, within `deadlineMs`. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** How a finished exchange is classed (the traffic view's words, plus `completed` by middleware). */
export type OtelDecision = 'allowed' | 'modified' | 'redacted' | 'blocked' | 'error' | 'completed';

/** A request audited and sent, waiting for its answer. */
interface OpenExchange {
  readonly span: Span;
  readonly request: AuditEvent;
  readonly requestText: string | undefined;
}

/** Requests waiting for an answer at most (an answer never comes for a cancelled one): the oldest is closed unanswered past this. */
const MAX_OPEN_EXCHANGES = 4096;
/** Gateway shutdown allows 4.5 s for the upstreams; the collector gets at most this much of what remains. */
const CLOSE_DEADLINE_MS = 3000;
/** Latency buckets in seconds (OpenTelemetry's unit for durations): sub-millisecond policy answers to minute-long tools. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TRUNCATION_MARKER = '...[truncated]';

/** The `audit_otel` plugin instance. */
export class OtelAuditRecorder implements AuditingPlugin {
  private readonly open = new Map<AuditEvent, OpenExchange>();
  private readonly calls: Counter;
  /** Requests whose exchange ended when they were recorded (blocked, answered by a plugin): their answer's record adds nothing. */
  private readonly endedAtRequest = new WeakSet<AuditEvent>();
  private readonly blocks: Counter;
  private readonly redactions: Counter;
  private readonly notifications: Counter;
  private readonly duration: Histogram;

  constructor(
    private readonly options: OtelAuditOptions,
    private readonly signals: OtelSignals,
    private readonly critical: boolean,
  ) {
    const meter = signals.meter;
    this.calls = meter.createCounter('gatekit.calls', { description: 'MCP requests through the gateway, by server, method and decision' });
    this.blocks = meter.createCounter('gatekit.blocks', { description: 'Messages a security plugin blocked, by server and plugin' });
    this.redactions = meter.createCounter('gatekit.redactions', { description: 'Messages a security plugin redacted, by server and plugin' });
    this.notifications = meter.createCounter('gatekit.notifications', { description: 'MCP notifications through the gateway, by server and method' });
    this.duration = meter.createHistogram('gatekit.call.duration', {
      description: 'Round trip of an MCP request through the gateway, from entering it to its answer leaving it',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }

  record(event: AuditEvent): void {
    if (event.type === 'request') this.onRequest(event);
    else if (event.type === 'response') this.onResponse(event);
    else this.onNotification(event);
    // Critical: traffic that cannot be recorded is refused (the record above is queued all the same,
    // so the next export doubles as the probe that lifts the refusal once the collector answers).
    if (this.critical) {
      const why = this.signals.unavailable();
      if (why !== undefined) {
        if (event.type === 'request') this.closeOpen(event, 'error', 'audit unavailable');
        throw new Error(`OpenTelemetry collector unavailable: ${why}`);
      }
    }
  }

  outgoing(request: ReadonlyRequest, audited: AuditEvent): JsonRpcRequest | undefined {
    if (!this.options.trace_context) return undefined;
    const open = this.open.get(audited);
    if (!open) return undefined;
    const context = open.span.spanContext();
    return withTraceParent(request, formatTraceParent(context.traceId, context.spanId, context.traceFlags), context.traceState?.serialize() || undefined);
  }

  async close(): Promise<void> {
    for (const event of [...this.open.keys()]) this.closeOpen(event, 'error', 'gateway shut down before the answer');
    await this.signals.shutdown(CLOSE_DEADLINE_MS);
  }

  private onRequest(event: AuditEvent): void {
    const incoming = (this.options.trace_context ? event.trace : undefined) ?? { invalid: false };
    let parent: Context = ROOT_CONTEXT;
    if (incoming.parent) {
      const { traceId, spanId, flags, traceState } = incoming.parent;
      parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: flags, isRemote: true, ...(traceState ? { traceState: createTraceState(traceState) } : {}) });
    }
    const attributes: Attributes = this.commonAttributes(event);
    if (incoming.invalid) attributes['gatekit.trace.parent_invalid'] = true;
    const span = this.signals.tracer.startSpan(spanName(event), { kind: SpanKind.SERVER, startTime: event.timestamp.getTime() - event.pipeline.durationMs, attributes }, parent);
    const requestText = jsonText(event.message);
    if (this.open.size >= MAX_OPEN_EXCHANGES) {
      const oldest = this.open.keys().next().value;
      if (oldest) this.closeOpen(oldest, 'error', 'no answer');
    }
    this.open.set(event, { span, request: event, requestText });
    const outcome = event.pipeline.outcome;
    // Blocked, answered by middleware or failed: no answer will come from the server, the exchange ends here.
    if (outcome === 'blocked' || outcome === 'error' || outcome === 'completed_by_middleware') {
      this.closeOpen(event, outcome === 'completed_by_middleware' ? 'completed' : outcome, undefined);
      this.endedAtRequest.add(event);
    }
  }

  private onResponse(event: AuditEvent): void {
    // The record of the answer a plugin made (audit parity with the original): the exchange already
    // ended, span, log and counts included, when its request was recorded.
    if (event.answers && this.endedAtRequest.has(event.answers)) return;
    const open = event.answers ? this.open.get(event.answers) : undefined;
    if (event.answers) this.open.delete(event.answers);
    const span = open?.span ?? this.signals.tracer.startSpan(spanName(event), { kind: SpanKind.SERVER, startTime: event.timestamp.getTime() - (event.durationMs ?? 0), attributes: this.commonAttributes(event) });
    const requestPipeline = open?.request.pipeline;
    const answer = event.message as { readonly error?: { readonly code?: unknown } } | undefined;
    const decision: OtelDecision =
      event.pipeline.outcome === 'blocked'
        ? 'blocked'
        : event.pipeline.outcome === 'error' || answer?.error !== undefined
          ? 'error'
          : event.pipeline.sensitive || requestPipeline?.sensitive
            ? 'redacted'
            : event.pipeline.modified || requestPipeline?.modified
              ? 'modified'
              : 'allowed';
    const plugin = event.pipeline.decidedBy ?? requestPipeline?.decidedBy;
    const reason = [requestPipeline?.reason, event.pipeline.reason].filter((r) => r).join('; ');
    const responseText = jsonText(event.message);
    const attributes: Attributes = {};
    if (typeof answer?.error?.code === 'number') {
      attributes['rpc.response.status_code'] = String(answer.error.code);
      attributes['error.type'] = String(answer.error.code);
    }
    if (responseText !== undefined) attributes['gatekit.response.size'] = Buffer.byteLength(responseText);
    if (this.options.include_response_body && responseText !== undefined) attributes['gatekit.response.body'] = this.body(responseText);
    this.finish(span, open?.request ?? event, open?.requestText, decision, plugin, reason, event.durationMs, attributes, event.timestamp);
  }

  private onNotification(event: AuditEvent): void {
    const attributes = this.commonAttributes(event);
    const outcome = event.pipeline.outcome;
    const decision: OtelDecision = outcome === 'blocked' ? 'blocked' : outcome === 'error' ? 'error' : event.pipeline.sensitive ? 'redacted' : event.pipeline.modified ? 'modified' : 'allowed';
    attributes['gatekit.decision'] = decision;
    if (event.pipeline.decidedBy) attributes['gatekit.plugin'] = event.pipeline.decidedBy;
    if (event.pipeline.reason) attributes['gatekit.reason'] = logText(event.pipeline.reason);
    const text = jsonText(event.message);
    if (text !== undefined) attributes['gatekit.message.size'] = Buffer.byteLength(text);
    if (this.options.include_notification_body && text !== undefined) attributes['gatekit.message.body'] = this.body(text);
    this.signals.logger.emit({ timestamp: event.timestamp, severityNumber: severityOf(decision), severityText: severityTextOf(decision), body: `${event.method} ${decision}`, attributes });
    this.notifications.add(1, { 'gatekit.server': event.serverName, 'mcp.method.name': event.method, 'gatekit.decision': decision });
    this.countPolicy(event.serverName, decision, event.pipeline.decidedBy);
  }

  /** Ends the exchange opened by request `event` without an answer from the server. */
  private closeOpen(event: AuditEvent, decision: OtelDecision, why: string | undefined): void {
    const open = this.open.get(event);
    if (!open) return;
    this.open.delete(event);
    const reason = why ?? event.pipeline.reason;
    this.finish(open.span, event, open.requestText, decision, event.pipeline.decidedBy, reason, undefined, {}, new Date());
  }

  /** Sets the exchange's outcome on its span, ends it, and emits its log record and metrics. */
  private finish(span: Span, request: AuditEvent, requestText: string | undefined, decision: OtelDecision, plugin: string | undefined, reason: string, durationMs: number | undefined, extra: Attributes, end: Date): void {
    const attributes: Attributes = this.commonAttributes(request);
    attributes['gatekit.decision'] = decision;
    if (plugin) attributes['gatekit.plugin'] = plugin;
    if (reason) attributes['gatekit.reason'] = logText(reason);
    if (requestText !== undefined) attributes['gatekit.request.size'] = Buffer.byteLength(requestText);
    if (this.options.include_request_body && requestText !== undefined) attributes['gatekit.request.body'] = this.body(requestText);
    Object.assign(attributes, extra);
    const seconds = (durationMs ?? end.getTime() - request.timestamp.getTime() + request.pipeline.durationMs) / 1000;
    attributes['gatekit.duration_ms'] = Math.round(seconds * 1e6) / 1e3;
    span.setAttributes(attributes);
    if (decision === 'blocked' || decision === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: decision });
    span.end(durationMs !== undefined ? request.timestamp.getTime() - request.pipeline.durationMs + durationMs : end);
    const summary = request.tool !== undefined ? `${request.method} ${request.tool} ${decision}` : `${request.method} ${decision}`;
    this.signals.logger.emit({
      timestamp: end,
      severityNumber: severityOf(decision),
      severityText: severityTextOf(decision),
      body: summary,
      attributes,
      context: trace.setSpan(ROOT_CONTEXT, span),
    });
    const metric = { 'gatekit.server': request.serverName, 'mcp.method.name': request.method, 'gatekit.decision': decision };
    this.calls.add(1, metric);
    this.duration.record(seconds, metric);
    this.countPolicy(request.serverName, decision, plugin);
  }

  private countPolicy(server: string, decision: OtelDecision, plugin: string | undefined): void {
    if (decision === 'blocked') this.blocks.add(1, { 'gatekit.server': server, 'gatekit.plugin': plugin ?? 'unknown' });
    else if (decision === 'redacted') this.redactions.add(1, { 'gatekit.server': server, 'gatekit.plugin': plugin ?? 'unknown' });
  }

  /** Attributes every record of an exchange carries (MCP semantic conventions where they name the field). */
  private commonAttributes(event: AuditEvent): Attributes {
    const attributes: Attributes = {
      'mcp.method.name': event.method,
      'gatekit.server': event.serverName,
      'gatekit.origin': event.origin,
    };
    if (event.tool !== undefined) {
      attributes['gen_ai.tool.name'] = event.tool;
      attributes['gen_ai.operation.name'] = 'execute_tool';
    }
    if (event.requestId !== undefined) attributes['jsonrpc.request.id'] = String(event.requestId);
    return attributes;
  }

  /** A body as exported: the (already redacted) JSON, cut at `max_body_size` characters (0: whole). */
  private body(text: string): string {
    const max = this.options.max_body_size;
    return max > 0 && text.length > max ? cutText(text, max) + TRUNCATION_MARKER : text;
  }
}

/** `{method} {target}` as the MCP semantic conventions name spans (`tools/call get_weather`). */
function spanName(event: AuditEvent): string {
  return event.tool !== undefined ? `${event.method} ${event.tool}` : event.method;
}

/** The JSON of a message that is safe to log, or undefined when there is none (blocked) or it has no JSON form. */
function jsonText(message: unknown): string | undefined {
  if (message === undefined) return undefined;
  try {
    return JSON.stringify(message);
  } catch {
    return undefined;
  }
}

/** A reason as exported: one line, bounded (reasons may quote server text). */
function logText(text: string): string {
  return cutText(singleLine(text), 1024);
}

function severityOf(decision: OtelDecision): SeverityNumber {
  return decision === 'error' ? SeverityNumber.ERROR : decision === 'blocked' || decision === 'redacted' ? SeverityNumber.WARN : SeverityNumber.INFO;
}

function severityTextOf(decision: OtelDecision): string {
  return decision === 'error' ? 'ERROR' : decision === 'blocked' || decision === 'redacted' ? 'WARN' : 'INFO';
}
