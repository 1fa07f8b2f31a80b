// `audit_jsonl`: one compact JSON object per line per message, with optional (log-safe) bodies.
import type { AuditEvent, PipelineStage, PluginDefinition, StageOutcome } from '../types';
import { createFileAuditor } from './audit-file';
import { auditJsonlDescriptor, type JsonlAuditOptions } from './audit_jsonl.descriptor';
import {
  answerOf,
  cutText,
  errorEventType,
  eventTypeOf,
  isoTimestamp,
  jsonPrefix,
  loggableReason,
  recordedOutcome,
  recordedReason,
  recordedStageOutcome,
  requestIdOf,
  roundMs,
  stageVerdict,
} from './audit-record';

/** Appended to a body cut at `max_body_size` (Gatekit's marker). */
export const TRUNCATION_MARKER = '...[truncated]';
/** Room left for the JSON around a cut body, as Gatekit reserved it. */
const STRUCTURE_ALLOWANCE = 20;

/**
 * Bounds a body to about `maxSize` characters of JSON (0 = unlimited). An object keeps its
 * leading keys that fit and gains `_truncated: true`; an array keeps its leading items and ends
 * with the marker; anything else (or a container whose first entry is already too big) becomes
 * its JSON text cut and marked.
 */
export function truncateBody(body: unknown, maxSize: number): unknown {
  if (maxSize <= 0) return body;
  // The native serializer is several times faster than the bounded one, so it measures the bodies
  // that can fit; the bounded one only runs for bodies already known to be too big.
  if (!exceedsJsonSize(body, maxSize) && (JSON.stringify(body) ?? '').length <= maxSize) return body;
  const whole = jsonPrefix(body, maxSize);
  if (whole.complete) return body;
  const budget = Math.max(0, maxSize - TRUNCATION_MARKER.length - STRUCTURE_ALLOWANCE);
  if (typeof body === 'string') return cutText(body, budget) + TRUNCATION_MARKER;
  if (Array.isArray(body)) {
    const kept: unknown[] = [];
    let used = 2;
    for (const item of body) {
      const part = jsonPrefix(item, budget);
      if (!part.complete || used + part.text.length + 1 >= budget) break;
      kept.push(item);
      used += part.text.length + 1;
    }
    if (kept.length > 0) {
      kept.push(TRUNCATION_MARKER);
      return kept;
    }
  } else if (body !== null && typeof body === 'object') {
    const kept: Record<string, unknown> = {};
    let keptAny = false;
    let used = 2;
    const record = body as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const part = jsonPrefix(record[key], budget);
      const entryLength = JSON.stringify(key).length + 1 + part.text.length;
      if (!part.complete || used + entryLength + 1 >= budget) break;
      kept[key] = record[key];
      keptAny = true;
      used += entryLength + 1;
    }
    if (keptAny) {
      kept._truncated = true;
      return kept;
    }
  }
  return cutText(whole.text, budget) + TRUNCATION_MARKER;
}

/**
 * Whether the JSON text of `value` is surely longer than `limit`: adds up a lower bound of its
 * length (raw string lengths, minimal punctuation) without building any text, stopping early.
 */
function exceedsJsonSize(value: unknown, limit: number): boolean {
  let total = 0;
  const walk = (node: unknown, depth: number): boolean => {
    if (typeof node === 'string') total += node.length + 2;
    else if (node === null || typeof node !== 'object' || depth > 64) total += 1;
    else if (Array.isArray(node)) {
      total += 2;
      for (const item of node) if (walk(item, depth + 1)) return true;
    } else {
      total += 2;
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        if (item === undefined || typeof item === 'function') continue; // JSON leaves these out
        total += key.length + 3;
        if (walk(item, depth + 1)) return true;
      }
    }
    return total > limit;
  };
  return walk(value, 0);
}

function bodyOf(event: AuditEvent, options: JsonlAuditOptions): { key: string; value: unknown } | undefined {
  // Only the log-safe message is ever read: undefined when blocked, the redacted copy when changed.
  const message = event.message;
  if (!message) return undefined;
  if (event.type === 'request') {
    if (!options.include_request_body || !('params' in message) || !message.params) return undefined;
    if (Object.keys(message.params).length === 0) return undefined;
    return { key: 'request_body', value: message.params };
  }
  if (event.type === 'response') {
    if (!options.include_response_body) return undefined;
    if ('result' in message) return { key: 'response_body', value: message.result };
    if ('error' in message) return { key: 'response_body', value: message.error };
    return undefined;
  }
  if (!options.include_notification_body || !('params' in message) || message.params === undefined) return undefined;
  return { key: 'notification_body', value: message.params };
}

// JSON.stringify leaves U+2028/U+2029 raw; some line readers (Python's splitlines) break on them.
const UNICODE_LINE_BREAKS = /[\u2028\u2029]/g;
/** Text JSON writes as it is between quotes: printable ASCII without `"` and `\`. */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function escapeLineBreaks(json: string): string {
  return json.replace(UNICODE_LINE_BREAKS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/** `text` as a JSON string literal, line separators escaped (the common plain case without JSON.stringify). */
function jsonText(text: string): string {
  return PLAIN_JSON_TEXT.test(text) ? `"${text}"` : escapeLineBreaks(JSON.stringify(text));
}

/** A number as JSON writes it (non-finite numbers become null). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** Any value as JSON, line separators escaped; undefined when JSON would leave the key out. */
function jsonValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return jsonText(value);
    case 'number':
      return jsonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default: {
      if (value === null) return 'null';
      const json = JSON.stringify(value) as string | undefined;
      return json === undefined ? undefined : escapeLineBreaks(json);
    }
  }
}

/** `,"key":value`, or nothing where JSON.stringify would leave the key out. */
function member(key: string, value: unknown): string {
  const json = jsonValue(value);
  return json === undefined ? '' : `,"${key}":${json}`;
}

/**
 * Milliseconds rounded to the microsecond, as JSON writes them. `k / 1000` prints as the decimal
 * digits of k with a point three places from the right, trailing zeros dropped: built from the
 * integer, which is cheaper than the shortest-double conversion (five of these per record).
 */
function jsonMilliseconds(ms: number): string {
  const rounded = roundMs(ms);
  const micros = Math.round(rounded * 1000);
  // Below 1e12 µs a double resolves far finer than 0.001, so the three-decimal text is the shortest.
  if (!(micros >= 0 && micros < 1e12 && micros / 1000 === rounded)) return jsonNumber(rounded);
  const fraction = micros % 1000;
  const whole = String((micros - fraction) / 1000);
  if (fraction === 0) return whole;
  if (fraction % 100 === 0) return `${whole}.${fraction / 100}`;
  if (fraction % 10 === 0) return `${whole}.${fraction < 100 ? '0' : ''}${fraction / 10}`;
  return `${whole}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}`;
}

const STAGE_OUTCOMES: readonly StageOutcome[] = ['passed', 'allowed', 'modified', 'blocked', 'completed', 'error'];

/** What follows `processing_time_ms` in a stage without a reason: fixed by its kind and outcome. */
function stageTail(kind: PipelineStage['kind'], outcome: StageOutcome, reason: string | null): string {
  const recorded = recordedStageOutcome(outcome);
  const verdict = stageVerdict(kind, recorded);
  return (
    `,"outcome":"${recorded}","error_type":${verdict.error_type === null ? 'null' : jsonText(verdict.error_type)}` +
    `,"security_evaluated":${verdict.security_evaluated},"reason":${reason === null ? 'null' : jsonText(reason)}` +
    `,"allowed":${verdict.allowed === null ? 'null' : verdict.allowed},"metadata":null}`
  );
}

/** `stageTail(kind, outcome, null)` for every kind and outcome, built once. */
const REASONLESS_STAGE_TAILS: Readonly<Record<PipelineStage['kind'], ReadonlyMap<StageOutcome, string>>> = {
  middleware: new Map(STAGE_OUTCOMES.map((o) => [o, stageTail('middleware', o, null)])),
  security: new Map(STAGE_OUTCOMES.map((o) => [o, stageTail('security', o, null)])),
};

/**
 * `{"plugin":…,"type":…,"processing_time_ms":` per handler and kind: the same few plugins run on
 * every message, and one ready piece makes less garbage than building it each time.
 */
const stageHeads = new Map<string, Map<string, string>>();
const MAX_STAGE_HEADS = 256;

function stageHead(handler: string, kind: string): string {
  let byKind = stageHeads.get(kind);
  if (!byKind) stageHeads.set(kind, (byKind = new Map<string, string>()));
  let head = byKind.get(handler);
  if (head === undefined) {
    head = `{"plugin":${jsonText(handler)},"type":${jsonText(kind)},"processing_time_ms":`;
    if (byKind.size >= MAX_STAGE_HEADS) byKind.clear();
    byKind.set(handler, head);
  }
  return head;
}

function jsonStage(stage: PipelineStage, sensitive: boolean): string {
  const reason = loggableReason(stage, sensitive);
  const tail = reason ? undefined : REASONLESS_STAGE_TAILS[stage.kind]?.get(stage.outcome);
  return stageHead(stage.handler, stage.kind) + jsonMilliseconds(stage.durationMs) + (tail ?? stageTail(stage.kind, stage.outcome, reason || null));
}

/**
 * The JSON Lines record of one event (without the line terminator): the fields of
 * {@link toAuditRecord}, written straight from the event in the order (and byte for byte) that
 * JSON.stringify gives the record object, at a fraction of its cost and garbage. Two of these are
 * written for every call that passes a gateway with an audit log.
 */
export function formatJsonlLine(event: AuditEvent, options: JsonlAuditOptions): string {
  const pipeline = event.pipeline;
  const outcome = recordedOutcome(pipeline.outcome, pipeline.modified);
  const answer = answerOf(event);
  let eventType: string = eventTypeOf(event);
  if (eventType === 'RESPONSE' && answer?.status === 'error') eventType = errorEventType(answer.errorCode);
  let line =
    `{"timestamp":${jsonText(isoTimestamp(event.timestamp))},"event_type":"${eventType}"` +
    member('request_id', event.type === 'notification' ? null : requestIdOf(event)) +
    member('server_name', event.serverName) +
    member('method', event.method);
  if (event.tool !== undefined) line += member('tool', event.tool);
  line += `,"pipeline_outcome":"${outcome}","security_evaluated":${pipeline.securityEvaluated},"modified":${pipeline.modified}`;
  if (answer) {
    line += `,"response_status":"${answer.status}"`;
    if (answer.status === 'error') {
      line += `,"error_code":${answer.errorCode === undefined ? 'null' : jsonNumber(answer.errorCode)}`;
      line += `,"error_message":${jsonText(answer.errorMessage ?? '')}`;
    }
  }
  if (event.durationMs !== undefined) line += `,"duration_ms":${jsonNumber(Math.round(event.durationMs))}`;
  const blockedAt = pipeline.outcome === 'blocked' ? (pipeline.decidedBy ?? null) : null;
  const completedBy = pipeline.outcome === 'completed_by_middleware' ? (pipeline.decidedBy ?? null) : null;
  line +=
    `,"pipeline":{"pipeline_outcome":"${outcome}","blocked_at_stage":${blockedAt === null ? 'null' : jsonText(blockedAt)}` +
    `,"completed_by":${completedBy === null ? 'null' : jsonText(completedBy)},"total_time_ms":${jsonMilliseconds(pipeline.durationMs)}` +
    `,"had_security_plugin":${pipeline.securityEvaluated},"stages":[`;
  const stages = pipeline.stages;
  for (let i = 0; i < stages.length; i++) line += (i > 0 ? ',' : '') + jsonStage(stages[i]!, pipeline.sensitive);
  line += `]},"reason":${jsonText(recordedReason(pipeline, outcome))}`;
  const body = bodyOf(event, options);
  if (body) line += member(body.key, truncateBody(body.value, options.max_body_size));
  return line + '}';
}

export type { JsonlAuditOptions };

/** Gatekit's JSON Lines audit log. */
export const auditJsonl: PluginDefinition<JsonlAuditOptions> = {
  ...auditJsonlDescriptor,
  create: (options, env) => createFileAuditor(options, env, (event) => formatJsonlLine(event, options), undefined, options.chain),
};
