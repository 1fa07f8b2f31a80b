// `audit_jsonl`: one compact JSON object per line per message, with optional (log-safe) bodies.
import { z } from 'zod';
import type { AuditEvent, PluginDefinition } from '../types';
import { createFileAuditor, fileOptionsShape } from './audit-file';
import { cutText, errorEventType, jsonPrefix, toAuditRecord } from './audit-record';

const configSchema = z.strictObject({
  ...fileOptionsShape('logs/gatekit_audit.jsonl'),
  include_request_body: z.boolean().default(false),
  include_response_body: z.boolean().default(false),
  include_notification_body: z.boolean().default(false),
  max_body_size: z
    .int()
    .min(0)
    .max(1048576)
    .refine((size) => size === 0 || size >= 50, 'max_body_size must be 0 (unlimited) or at least 50')
    .default(10240),
});

/** Parsed `audit_jsonl` options. */
export type JsonlAuditOptions = z.output<typeof configSchema>;

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

/** The JSON Lines record of one event (without the line terminator). */
export function formatJsonlLine(event: AuditEvent, options: JsonlAuditOptions): string {
  const record = toAuditRecord(event);
  const answer = record.answer;
  const eventType = record.eventType === 'RESPONSE' && answer?.status === 'error' ? errorEventType(answer.errorCode) : record.eventType;
  const entry: Record<string, unknown> = {
    timestamp: record.timestamp,
    event_type: eventType,
    request_id: record.requestId,
    server_name: record.serverName,
    method: record.method,
  };
  if (record.tool !== undefined) entry.tool = record.tool;
  entry.pipeline_outcome = record.outcome;
  entry.security_evaluated = record.securityEvaluated;
  entry.modified = record.modified;
  if (answer) {
    entry.response_status = answer.status;
    if (answer.status === 'error') {
      entry.error_code = answer.errorCode ?? null;
      entry.error_message = answer.errorMessage ?? '';
    }
  }
  if (record.durationMs !== undefined) entry.duration_ms = record.durationMs;
  entry.pipeline = {
    pipeline_outcome: record.outcome,
    blocked_at_stage: record.blockedAtStage,
    completed_by: record.completedBy,
    total_time_ms: record.totalTimeMs,
    had_security_plugin: record.securityEvaluated,
    stages: record.stages,
  };
  entry.reason = record.reason;
  const body = bodyOf(event, options);
  if (body) entry[body.key] = truncateBody(body.value, options.max_body_size);
  return JSON.stringify(entry).replace(UNICODE_LINE_BREAKS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/** Gatekit's JSON Lines audit log. */
export const auditJsonl: PluginDefinition<JsonlAuditOptions> = {
  handler: 'audit_jsonl',
  kind: 'auditing',
  displayName: 'JSON Lines',
  description: 'Log every MCP message as one JSON object per line, optionally with (redacted) bodies.',
  configSchema,
  create: (options, env) => createFileAuditor(options, env, (event) => formatJsonlLine(event, options)),
};
