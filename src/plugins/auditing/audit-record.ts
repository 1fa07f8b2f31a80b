// What every audit format records about one event, in Gatekit's field vocabulary, derived from an
// AuditEvent without ever reaching past its log-safe content; plus the text helpers the formats share.
import type { JsonRpcId, JsonRpcResponse } from '../../shared/jsonrpc';
import type { AuditEvent, PipelineOutcome, PipelineStage, StageOutcome } from '../types';

/** Gatekit's event types (JSONL further splits error responses, see {@link errorEventType}). */
export type AuditEventType =
  | 'REQUEST'
  | 'REQUEST_MODIFIED'
  | 'SECURITY_BLOCK'
  | 'RESPONSE'
  | 'RESPONSE_MODIFIED'
  | 'NOTIFICATION'
  | 'NOTIFICATION_MODIFIED';

/** Gatekit's `pipeline_outcome` values (its enum said `no_security` and had a separate `modified`). */
export type RecordedOutcome = 'allowed' | 'modified' | 'blocked' | 'completed_by_middleware' | 'error' | 'no_security';

/** One plugin's part, shaped like Gatekit's stage metadata (message content is never part of it). */
export interface RecordedStage {
  readonly plugin: string;
  readonly type: 'middleware' | 'security';
  readonly processing_time_ms: number;
  readonly outcome: 'allowed' | 'modified' | 'blocked' | 'completed_by_middleware' | 'error';
  readonly error_type: string | null;
  readonly security_evaluated: boolean;
  readonly reason: string | null;
  readonly allowed: boolean | null;
  /** Plugin metadata stays out of audit logs: it may describe what was found. */
  readonly metadata: null;
}

/** What the client got back, for response events. */
export interface RecordedAnswer {
  readonly status: 'success' | 'error';
  readonly errorCode?: number;
  readonly errorMessage?: string;
}

/** The format-independent content of one audit record. */
export interface AuditRecord {
  /** ISO 8601, UTC. */
  readonly timestamp: string;
  readonly eventType: AuditEventType;
  readonly requestId: JsonRpcId | null;
  readonly serverName: string;
  readonly method: string;
  readonly tool?: string;
  readonly outcome: RecordedOutcome;
  readonly securityEvaluated: boolean;
  readonly modified: boolean;
  /** `[plugin] reason | [plugin] reason`, reduced to `[blocked]`/`[modified]` when content was sensitive. */
  readonly reason: string;
  /** Whole milliseconds from request to response (responses only). */
  readonly durationMs?: number;
  readonly answer?: RecordedAnswer;
  readonly stages: readonly RecordedStage[];
  readonly blockedAtStage: string | null;
  readonly completedBy: string | null;
  readonly totalTimeMs: number;
}

/** Gatekit's `pipeline_outcome` of a pipeline result. */
export function recordedOutcome(outcome: PipelineOutcome, modified: boolean): RecordedOutcome {
  switch (outcome) {
    case 'allowed':
      return modified ? 'modified' : 'allowed';
    case 'no_security_evaluation':
      return modified ? 'modified' : 'no_security';
    default:
      return outcome;
  }
}

/** Gatekit's outcome of one stage. */
export function recordedStageOutcome(outcome: StageOutcome): RecordedStage['outcome'] {
  switch (outcome) {
    case 'passed':
      return 'allowed';
    case 'completed':
      return 'completed_by_middleware';
    default:
      return outcome;
  }
}

/** Milliseconds as recorded: rounded to the microsecond. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * A stage reason as it may be logged. Once a security plugin blocked or changed content, every
 * reason is reduced to its outcome: a reason may quote what was found. The pipeline reduces most
 * of them already; this also covers the ones it keeps (errors, middleware notes).
 */
export function loggableReason(stage: PipelineStage, sensitive: boolean): string {
  if (!stage.reason) return '';
  return sensitive ? `[${recordedStageOutcome(stage.outcome)}]` : stage.reason;
}

/** A stage's `error_type`, `security_evaluated` and `allowed`: what its kind and outcome say. */
export function stageVerdict(kind: PipelineStage['kind'], outcome: RecordedStage['outcome']): Pick<RecordedStage, 'error_type' | 'security_evaluated' | 'allowed'> {
  const security = kind === 'security';
  return {
    error_type: outcome === 'error' ? 'plugin_error' : null,
    security_evaluated: security && outcome !== 'error',
    allowed: !security || outcome === 'error' ? null : outcome !== 'blocked',
  };
}

function recordedStages(stages: readonly PipelineStage[], sensitive: boolean): RecordedStage[] {
  return stages.map((stage) => {
    const outcome = recordedStageOutcome(stage.outcome);
    const verdict = stageVerdict(stage.kind, outcome);
    const reason = loggableReason(stage, sensitive);
    return {
      plugin: stage.handler,
      type: stage.kind,
      processing_time_ms: roundMs(stage.durationMs),
      outcome,
      error_type: verdict.error_type,
      security_evaluated: verdict.security_evaluated,
      reason: reason || null,
      allowed: verdict.allowed,
      metadata: null,
    };
  });
}

/** Gatekit's event type (before JSONL splits error responses). */
export function eventTypeOf(event: AuditEvent): AuditEventType {
  if (event.pipeline.outcome === 'blocked') return 'SECURITY_BLOCK';
  const modified = event.pipeline.modified;
  switch (event.type) {
    case 'request':
      return modified ? 'REQUEST_MODIFIED' : 'REQUEST';
    case 'response':
      return modified ? 'RESPONSE_MODIFIED' : 'RESPONSE';
    default:
      return modified ? 'NOTIFICATION_MODIFIED' : 'NOTIFICATION';
  }
}

const SUCCESS: RecordedAnswer = Object.freeze({ status: 'success' });

/**
 * The answer a response event stands for: the (log-safe) response itself, or, when the pipeline
 * replaced it (blocked, failed), the error the client received instead. Only its code and message
 * are recorded, never its data.
 */
export function answerOf(event: AuditEvent): RecordedAnswer | undefined {
  if (event.type !== 'response') return undefined;
  const response = (event.message as JsonRpcResponse | undefined) ?? event.pipeline.response;
  if (!response) return undefined;
  if ('error' in response) {
    const { code, message } = response.error;
    return {
      status: 'error',
      ...(typeof code === 'number' ? { errorCode: code } : {}),
      errorMessage: typeof message === 'string' ? message : '',
    };
  }
  return SUCCESS;
}

/** The id a request or response record carries (the client's), or null. */
export function requestIdOf(event: AuditEvent): JsonRpcId | null {
  if (event.requestId !== undefined) return event.requestId;
  const message = event.message;
  return message && 'id' in message && message.id !== null ? message.id : null;
}

/**
 * The last timestamp formatted, and its text: records come in bursts within one millisecond, and
 * `toISOString` costs more than the rest of a record. A pure cache; it holds no state that matters.
 */
let lastTimestampMs = Number.NaN;
let lastTimestampText = '';

/** `date.toISOString()`, reusing the text of the previous call within the same millisecond. */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastTimestampMs) {
    lastTimestampText = date.toISOString();
    lastTimestampMs = ms;
  }
  return lastTimestampText;
}

/**
 * `[Plugin Name] reason | [Plugin Name] reason` over the stages with a (loggable) reason, named by
 * each plugin's display name as the original Gatekit wrote them (the handler stays in `stages`);
 * the outcome when none has one.
 */
export function recordedReason(pipeline: AuditEvent['pipeline'], outcome: RecordedOutcome): string {
  let reason = '';
  for (const stage of pipeline.stages) {
    const stageReason = loggableReason(stage, pipeline.sensitive);
    if (stageReason) reason += `${reason ? ' | ' : ''}[${stage.displayName ?? stage.handler}] ${stageReason}`;
  }
  return reason || outcome;
}

/** Maps an audit event to Gatekit's record fields. Reads content only from `event.message`. */
export function toAuditRecord(event: AuditEvent): AuditRecord {
  const pipeline = event.pipeline;
  const outcome = recordedOutcome(pipeline.outcome, pipeline.modified);
  const record: { -readonly [K in keyof AuditRecord]: AuditRecord[K] } = {
    timestamp: isoTimestamp(event.timestamp),
    eventType: eventTypeOf(event),
    requestId: event.type === 'notification' ? null : requestIdOf(event),
    serverName: event.serverName,
    method: event.method,
    outcome,
    securityEvaluated: pipeline.securityEvaluated,
    modified: pipeline.modified,
    reason: recordedReason(pipeline, outcome),
    stages: recordedStages(pipeline.stages, pipeline.sensitive),
    blockedAtStage: pipeline.outcome === 'blocked' ? (pipeline.decidedBy ?? null) : null,
    completedBy: pipeline.outcome === 'completed_by_middleware' ? (pipeline.decidedBy ?? null) : null,
    totalTimeMs: roundMs(pipeline.durationMs),
  };
  if (event.tool !== undefined) record.tool = event.tool;
  if (event.durationMs !== undefined) record.durationMs = Math.round(event.durationMs);
  const answer = answerOf(event);
  if (answer) record.answer = answer;
  return record;
}

/** Gatekit's CSV `error_classification` of a JSON-RPC error code. */
export function classifyErrorCode(code: number | undefined): string {
  if (code === undefined || !Number.isInteger(code)) return 'unknown';
  switch (code) {
    case -32700:
      return 'parse_error';
    case -32600:
      return 'invalid_request';
    case -32601:
      return 'method_not_found';
    case -32602:
      return 'invalid_params';
    case -32603:
      return 'internal_error';
    default:
      return code >= -32099 && code <= -32000 ? 'server_error' : 'application_error';
  }
}

/** Gatekit's JSONL event type for an error response (`PARSE_ERROR`, …, `APPLICATION_ERROR`). */
export function errorEventType(code: number | undefined): string {
  switch (classifyErrorCode(code)) {
    case 'parse_error':
      return 'PARSE_ERROR';
    case 'invalid_request':
      return 'INVALID_REQUEST_ERROR';
    case 'method_not_found':
      return 'METHOD_NOT_FOUND_ERROR';
    case 'invalid_params':
      return 'INVALID_PARAMS_ERROR';
    case 'internal_error':
      return 'INTERNAL_ERROR';
    case 'server_error':
      return 'UPSTREAM_ERROR';
    default:
      return 'APPLICATION_ERROR';
  }
}

// Terminal escape sequences (colours, cursor moves) a peer could plant in a name or reason.
const ANSI_ESCAPE = /\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])/g;
const LINE_BREAKING = /[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g;
const NEEDS_FLATTENING = /[\x00-\x1f\x7f-\x9f\u2028\u2029]|\s\s|^\s|\s$/;

/**
 * Text safe for a one-line log: escape sequences removed, control characters and line breaks
 * turned into spaces, runs of white space collapsed, ends trimmed (so nobody can forge a line).
 */
export function singleLine(text: string): string {
  if (!NEEDS_FLATTENING.test(text)) return text;
  return text.replace(ANSI_ESCAPE, '').replace(LINE_BREAKING, ' ').replace(/\s+/g, ' ').trim();
}

/** A serialization of a value, complete or cut once it passed the limit. */
export interface JsonPrefix {
  /** The whole serialization when `complete`, else a prefix longer than the limit. */
  readonly text: string;
  readonly complete: boolean;
}

const JSON_PREFIX_MAX_DEPTH = 512;

/**
 * Serializes `value` as JSON but stops soon after `limit` characters, so showing or bounding a
 * multi-megabyte body costs only the part that is kept. `spaced` separates like Python's
 * `json.dumps` default (`", "`, `": "`), which Gatekit's trace output used.
 */
export function jsonPrefix(value: unknown, limit: number, spaced = false): JsonPrefix {
  const itemSeparator = spaced ? ', ' : ',';
  const keySeparator = spaced ? ': ' : ':';
  const parts: string[] = [];
  let length = 0;
  const emit = (text: string): void => {
    parts.push(text);
    length += text.length;
  };
  const walk = (node: unknown, depth: number): void => {
    if (typeof node === 'string') {
      const room = limit - length;
      // Escaping only lengthens text, so a slice one past the room already overflows; drop its closing quote.
      if (node.length > room) emit(JSON.stringify(node.slice(0, room + 1)).slice(0, -1));
      else emit(JSON.stringify(node));
      return;
    }
    if (node === null || typeof node !== 'object') {
      emit(typeof node === 'number' || typeof node === 'boolean' ? JSON.stringify(node) : 'null');
      return;
    }
    if (depth >= JSON_PREFIX_MAX_DEPTH) {
      emit('"[nested too deep]"');
      return;
    }
    if (Array.isArray(node)) {
      emit('[');
      for (let i = 0; i < node.length; i++) {
        if (i > 0) emit(itemSeparator);
        walk(node[i], depth + 1);
        if (length > limit) return;
      }
      emit(']');
      return;
    }
    emit('{');
    let first = true;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (item === undefined || typeof item === 'function') continue;
      if (!first) emit(itemSeparator);
      first = false;
      emit(JSON.stringify(key) + keySeparator);
      walk(item, depth + 1);
      if (length > limit) return;
    }
    emit('}');
  };
  walk(value, 0);
  return { text: parts.join(''), complete: length <= limit };
}

/** Cuts text to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}
