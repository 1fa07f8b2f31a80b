// Tests of audit_jsonl: options, one parseable object per event, event types, bodies, sensitive content.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { errorEventType, toAuditRecord } from '../../../../src/plugins/auditing/audit-record';
import { auditJsonl, formatJsonlLine, TRUNCATION_MARKER, truncateBody, type JsonlAuditOptions } from '../../../../src/plugins/auditing/audit_jsonl';
import type { AuditEvent, PipelineStage } from '../../../../src/plugins/types';
import {
  createAuditor,
  errorResponseEvent,
  notificationEvent,
  pipeline,
  requestEvent,
  responseEvent,
  stage,
  tempDir,
  testEnv,
  type LoggedRecord,
} from './helpers';

const SECRET = 'AKIAIOSFODNN7EXAMPLE';

function options(overrides: Record<string, unknown> = {}): JsonlAuditOptions {
  return auditJsonl.configSchema.parse(overrides);
}

function parsed(event: AuditEvent, overrides: Record<string, unknown> = {}): LoggedRecord {
  return JSON.parse(formatJsonlLine(event, options(overrides))) as LoggedRecord;
}

/**
 * The record as the plugin first wrote it: an object in field order through JSON.stringify. The
 * hand-written serializer must match it byte for byte (files written before stay comparable).
 */
function referenceLine(event: AuditEvent, opts: JsonlAuditOptions): string {
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
  const message = event.message as Record<string, unknown> | undefined;
  if (message) {
    if (event.type === 'request' && opts.include_request_body && message.params && Object.keys(message.params).length > 0) {
      entry.request_body = truncateBody(message.params, opts.max_body_size);
    } else if (event.type === 'response' && opts.include_response_body && ('result' in message || 'error' in message)) {
      entry.response_body = truncateBody('result' in message ? message.result : message.error, opts.max_body_size);
    } else if (event.type === 'notification' && opts.include_notification_body && message.params !== undefined) {
      entry.notification_body = truncateBody(message.params, opts.max_body_size);
    }
  }
  return JSON.stringify(entry).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

describe('audit_jsonl', () => {
  describe('options', () => {
    it("has Gatekit's keys and defaults", () => {
      assert.deepEqual(options(), {
        output_file: 'logs/gatekit_audit.jsonl',
        max_file_size_mb: 10,
        backup_count: 5,
        include_request_body: false,
        include_response_body: false,
        include_notification_body: false,
        max_body_size: 10240,
        chain: false,
      });
    });

    it('rejects unknown keys and out-of-range sizes', () => {
      assert.equal(auditJsonl.configSchema.safeParse({ include_bodies: true }).success, false);
      assert.equal(auditJsonl.configSchema.safeParse({ max_body_size: 49 }).success, false);
      assert.equal(auditJsonl.configSchema.safeParse({ max_body_size: 1048577 }).success, false);
      assert.equal(auditJsonl.configSchema.safeParse({ max_file_size_mb: 0 }).success, false);
      assert.equal(auditJsonl.configSchema.safeParse({ backup_count: -1 }).success, false);
      assert.equal(auditJsonl.configSchema.safeParse({ max_body_size: 0 }).success, true);
      assert.equal(auditJsonl.configSchema.safeParse({ max_body_size: 50 }).success, true);
    });
  });

  describe('records', () => {
    it('records a plain request with the common fields', () => {
      const record = parsed(requestEvent({ pipeline: pipeline({ stages: [stage({ reason: 'No PII detected' })] }) }));
      assert.deepEqual(
        { ...record, pipeline: undefined },
        {
          timestamp: '2025-01-12T15:30:45.123Z',
          event_type: 'REQUEST',
          request_id: 7,
          server_name: 'gh',
          method: 'tools/call',
          tool: 'echo',
          pipeline_outcome: 'allowed',
          security_evaluated: true,
          modified: false,
          pipeline: undefined,
          reason: '[basic_pii_filter] No PII detected',
        },
      );
      assert.deepEqual(record.pipeline, {
        pipeline_outcome: 'allowed',
        blocked_at_stage: null,
        completed_by: null,
        total_time_ms: 0.5,
        had_security_plugin: true,
        stages: [
          {
            plugin: 'basic_pii_filter',
            type: 'security',
            processing_time_ms: 0.25,
            outcome: 'allowed',
            error_type: null,
            security_evaluated: true,
            reason: 'No PII detected',
            allowed: true,
            metadata: null,
          },
        ],
      });
    });

    it('names every event type', () => {
      const modified = pipeline({ modified: true, stages: [stage({ handler: 'tool_manager', kind: 'middleware', outcome: 'modified', reason: 'Renamed 1 tools' })] });
      const blocked = pipeline({ outcome: 'blocked', sensitive: true, decidedBy: 'basic_secrets_filter', stages: [stage({ outcome: 'blocked', reason: '[blocked]' })] });
      const cases: [AuditEvent, string][] = [
        [requestEvent(), 'REQUEST'],
        [requestEvent({ pipeline: modified }), 'REQUEST_MODIFIED'],
        [requestEvent({ pipeline: blocked, message: undefined }), 'SECURITY_BLOCK'],
        [responseEvent(), 'RESPONSE'],
        [responseEvent({ pipeline: modified }), 'RESPONSE_MODIFIED'],
        [responseEvent({ pipeline: blocked, message: undefined }), 'SECURITY_BLOCK'],
        [notificationEvent(), 'NOTIFICATION'],
        [notificationEvent({ pipeline: modified }), 'NOTIFICATION_MODIFIED'],
        [notificationEvent({ pipeline: blocked, message: undefined }), 'SECURITY_BLOCK'],
        [errorResponseEvent(-32700, 'Parse error'), 'PARSE_ERROR'],
        [errorResponseEvent(-32600, 'Invalid'), 'INVALID_REQUEST_ERROR'],
        [errorResponseEvent(-32601, 'Not found'), 'METHOD_NOT_FOUND_ERROR'],
        [errorResponseEvent(-32602, 'Bad params'), 'INVALID_PARAMS_ERROR'],
        [errorResponseEvent(-32603, 'Internal'), 'INTERNAL_ERROR'],
        [errorResponseEvent(-32004, 'Upstream down'), 'UPSTREAM_ERROR'],
        [errorResponseEvent(42, 'Mine'), 'APPLICATION_ERROR'],
      ];
      for (const [event, type] of cases) assert.equal(parsed(event).event_type, type, type);
    });

    it('maps outcomes to Gatekit values (no_security, modified, completed_by_middleware)', () => {
      assert.equal(parsed(requestEvent({ pipeline: pipeline({ outcome: 'no_security_evaluation', securityEvaluated: false }) })).pipeline_outcome, 'no_security');
      assert.equal(parsed(requestEvent({ pipeline: pipeline({ modified: true }) })).pipeline_outcome, 'modified');
      const completed = parsed(
        requestEvent({
          pipeline: pipeline({
            outcome: 'completed_by_middleware',
            decidedBy: 'tool_manager',
            stages: [stage({ handler: 'tool_manager', kind: 'middleware', outcome: 'completed', reason: "Tool 'x' hidden by allowlist policy" })],
          }),
        }),
      );
      assert.equal(completed.pipeline_outcome, 'completed_by_middleware');
      assert.equal(completed.pipeline.completed_by, 'tool_manager');
      assert.equal(completed.pipeline.stages[0].outcome, 'completed_by_middleware');
      assert.equal(completed.pipeline.stages[0].allowed, null);
      assert.equal(completed.reason, "[tool_manager] Tool 'x' hidden by allowlist policy");
    });

    it('records response status, error details and whole-millisecond duration', () => {
      const ok = parsed(responseEvent());
      assert.equal(ok.response_status, 'success');
      assert.equal(ok.duration_ms, 45);
      assert.equal('error_code' in ok, false);
      const failed = parsed(errorResponseEvent(-32601, "Tool 'x' is not available"));
      assert.equal(failed.response_status, 'error');
      assert.equal(failed.error_code, -32601);
      assert.equal(failed.error_message, "Tool 'x' is not available");
    });

    it('records what the client got for a blocked response, without the error data', () => {
      const record = parsed(
        responseEvent({
          message: undefined,
          pipeline: pipeline({
            outcome: 'blocked',
            sensitive: true,
            decidedBy: 'basic_secrets_filter',
            response: { jsonrpc: '2.0', id: 7, error: { code: -32000, message: 'Response blocked by security handler', data: { reason: `found ${SECRET}` } } },
            stages: [stage({ handler: 'basic_secrets_filter', outcome: 'blocked', reason: `found ${SECRET}` })],
          }),
        }),
        { include_response_body: true },
      );
      assert.equal(record.event_type, 'SECURITY_BLOCK');
      assert.equal(record.error_code, -32000);
      assert.equal(record.error_message, 'Response blocked by security handler');
      assert.equal(record.pipeline.blocked_at_stage, 'basic_secrets_filter');
      assert.equal(record.reason, '[basic_secrets_filter] [blocked]');
      assert.equal('response_body' in record, false);
    });

    it('uses null request_id for notifications and the client id for requests', () => {
      assert.equal(parsed(notificationEvent()).request_id, null);
      assert.equal(parsed(requestEvent({ requestId: 'client-1' })).request_id, 'client-1');
    });

    it('keeps each record on one line even with line separators in content', () => {
      const line = formatJsonlLine(requestEvent({ tool: 'a\u2028b\nc' }), options());
      assert.equal(/[\n\r\u2028\u2029]/.test(line), false);
      assert.equal((JSON.parse(line) as { tool: string }).tool, 'a\u2028b\nc');
    });
  });

  describe('serialization', () => {
    // Text with the characters JSON escapes or that break lines: quotes, backslashes, controls, U+2028/9, lone surrogates.
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: fc.constantFrom('a', ' ', '"', '\\', '\n', '\u0001', '\u007f', 'é', '\u2028', '\u2029', '\ud800', '😀'), maxLength: 12 }),
    );
    // Whole microseconds, as most measured durations round: every digit pattern after the point.
    const micros = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 2 ** 40 })).map((k) => k / 1000);
    const stageArb = fc.record({
      handler: text,
      kind: fc.constantFrom('middleware', 'security'),
      outcome: fc.constantFrom('passed', 'allowed', 'modified', 'blocked', 'completed', 'error'),
      reason: text,
      durationMs: fc.oneof(fc.double({ min: 0, max: 1e4, noNaN: true }), micros, fc.constantFrom(0, -0, -0.0004, -1.5, 1e15, Number.NaN, Number.POSITIVE_INFINITY)),
    }) as fc.Arbitrary<PipelineStage>;
    const body = fc.jsonValue({ maxDepth: 3 });
    const eventArb = fc
      .record({
        type: fc.constantFrom('request', 'response', 'notification'),
        requestId: fc.option(fc.oneof(fc.integer(), text), { nil: undefined }),
        serverName: text,
        method: text,
        tool: fc.option(text, { nil: undefined }),
        durationMs: fc.option(fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e9 }), fc.constant(Number.NaN)), { nil: undefined }),
        blocked: fc.boolean(),
        kind: fc.constantFrom('result', 'error', 'params'),
        payload: body,
        code: fc.oneof(fc.integer({ min: -32800, max: 100 }), fc.constant('x')),
        errorText: fc.oneof(text, fc.constant(5)),
        outcome: fc.constantFrom('allowed', 'no_security_evaluation', 'blocked', 'completed_by_middleware', 'error'),
        decidedBy: fc.option(text, { nil: undefined }),
        modified: fc.boolean(),
        securityEvaluated: fc.boolean(),
        sensitive: fc.boolean(),
        stages: fc.array(stageArb, { maxLength: 4 }),
        total: fc.oneof(fc.double({ min: 0, max: 1e5, noNaN: true }), micros),
        time: fc.integer({ min: 0, max: 4102444800000 }),
      })
      .map((r): AuditEvent => {
        const message =
          r.kind === 'params'
            ? { jsonrpc: '2.0' as const, id: 1, method: r.method, params: r.payload as Record<string, unknown> }
            : r.kind === 'result'
              ? { jsonrpc: '2.0' as const, id: 1, result: r.payload as Record<string, unknown> }
              : { jsonrpc: '2.0' as const, id: 1, error: { code: r.code as number, message: r.errorText as string } };
        return {
          type: r.type as AuditEvent['type'],
          timestamp: new Date(r.time),
          serverName: r.serverName,
          origin: 'client',
          ...(r.requestId !== undefined ? { requestId: r.requestId } : {}),
          method: r.method,
          ...(r.tool !== undefined ? { tool: r.tool } : {}),
          ...(r.blocked ? {} : { message }),
          pipeline: pipeline({
            outcome: r.outcome as AuditEvent['pipeline']['outcome'],
            ...(r.decidedBy !== undefined ? { decidedBy: r.decidedBy } : {}),
            modified: r.modified,
            securityEvaluated: r.securityEvaluated,
            sensitive: r.sensitive,
            stages: r.stages,
            durationMs: r.total,
          }),
          ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
        };
      });
    const optionsArb = fc
      .record({
        include_request_body: fc.boolean(),
        include_response_body: fc.boolean(),
        include_notification_body: fc.boolean(),
        max_body_size: fc.constantFrom(0, 50, 200, 10240),
      })
      .map((o) => options(o));

    it('writes every record byte for byte as JSON.stringify of the record object would', () => {
      fc.assert(
        fc.property(eventArb, optionsArb, (event, opts) => {
          assert.equal(formatJsonlLine(event, opts), referenceLine(event, opts));
        }),
        { numRuns: 3000 },
      );
    });

    it('writes stage and total times as JSON does, for every number of microseconds up to 100 ms', () => {
      for (let k = 0; k <= 100_000; k += 1) {
        const event = requestEvent({ pipeline: pipeline({ durationMs: k / 1000 + 1e-7, stages: [stage({ durationMs: k / 1000 })] }) });
        const line = formatJsonlLine(event, options());
        if (line !== referenceLine(event, options())) assert.equal(line, referenceLine(event, options()), `${k} µs`);
      }
    });

    it('formats records of the same millisecond and of different ones with their own timestamps', () => {
      const at = (iso: string) => parsed(requestEvent({ timestamp: new Date(iso) })).timestamp as string;
      assert.equal(at('2025-01-12T15:30:45.123Z'), '2025-01-12T15:30:45.123Z');
      assert.equal(at('2025-01-12T15:30:45.123Z'), '2025-01-12T15:30:45.123Z');
      assert.equal(at('2025-01-12T15:30:45.124Z'), '2025-01-12T15:30:45.124Z');
    });
  });

  describe('bodies', () => {
    it('leaves bodies out by default', () => {
      for (const event of [requestEvent(), responseEvent(), notificationEvent()]) {
        const record = parsed(event);
        assert.equal('request_body' in record || 'response_body' in record || 'notification_body' in record, false);
      }
    });

    it('includes each kind of body when asked', () => {
      const all = { include_request_body: true, include_response_body: true, include_notification_body: true };
      assert.deepEqual(parsed(requestEvent(), all).request_body, { name: 'echo', arguments: { text: 'hi' } });
      assert.deepEqual(parsed(responseEvent(), all).response_body, { content: [{ type: 'text', text: 'hi' }] });
      assert.deepEqual(parsed(errorResponseEvent(-32601, 'nope'), all).response_body, { code: -32601, message: 'nope' });
      assert.deepEqual(parsed(notificationEvent(), all).notification_body, { progress: 1, total: 2 });
      // Each switch covers only its own kind.
      assert.equal('response_body' in parsed(responseEvent(), { include_request_body: true }), false);
    });

    it('truncates bodies over max_body_size, keeping structure where it can', () => {
      const big = { name: 'echo', arguments: { text: 'z'.repeat(500) } };
      const record = parsed(requestEvent({}, big), { include_request_body: true, max_body_size: 100 });
      assert.deepEqual(record.request_body, { name: 'echo', _truncated: true });
      const unlimited = parsed(requestEvent({}, big), { include_request_body: true, max_body_size: 0 });
      assert.deepEqual(unlimited.request_body, big);
    });

    it('truncateBody: strings, arrays, objects, and containers whose first entry is too big', () => {
      assert.equal(truncateBody('short', 50), 'short');
      const cutString = truncateBody('a'.repeat(200), 60) as string;
      assert.equal(cutString, 'a'.repeat(60 - TRUNCATION_MARKER.length - 20) + TRUNCATION_MARKER);
      assert.deepEqual(truncateBody([1, 2, 3, 'x'.repeat(100)], 60), [1, 2, 3, TRUNCATION_MARKER]);
      const oneHugeKey = truncateBody({ text: 'q'.repeat(1000) }, 60) as string;
      assert.equal(typeof oneHugeKey, 'string');
      assert.ok(oneHugeKey.startsWith('{"text":"qqq') && oneHugeKey.endsWith(TRUNCATION_MARKER));
      assert.ok(oneHugeKey.length <= 60);
      // A multi-megabyte body comes out bounded.
      const huge = { content: [{ type: 'text', text: 'w'.repeat(8 * 1024 * 1024) }] };
      assert.ok(JSON.stringify(truncateBody(huge, 10240)).length <= 10240);
    });
  });

  describe('sensitive content', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeEach(() => (tmp = tempDir()));
    afterEach(() => tmp.dispose());

    it('never writes the original text of blocked or redacted content, even with every body enabled', async () => {
      const env = testEnv(tmp.dir);
      const auditor = createAuditor(
        auditJsonl,
        { output_file: 'logs/audit.jsonl', include_request_body: true, include_response_body: true, include_notification_body: true, max_body_size: 0 },
        env,
      );
      // Stage reasons as a plugin wrote them, before any reduction: the auditor must reduce them itself.
      const blockedRequest = requestEvent({
        message: undefined,
        pipeline: pipeline({
          outcome: 'blocked',
          sensitive: true,
          reason: `secret ${SECRET}`,
          decidedBy: 'basic_secrets_filter',
          stages: [
            stage({ handler: 'tool_manager', kind: 'middleware', outcome: 'passed', reason: `note about ${SECRET}` }),
            stage({ handler: 'basic_secrets_filter', outcome: 'blocked', reason: `AWS key ${SECRET} found` }),
          ],
        }),
      });
      const redactedResponse = responseEvent(
        {
          pipeline: pipeline({
            modified: true,
            sensitive: true,
            reason: `redacted ${SECRET}`,
            stages: [stage({ handler: 'basic_secrets_filter', outcome: 'modified', reason: `redacted ${SECRET}` })],
          }),
        },
        { content: [{ type: 'text', text: 'key: [SECRET REDACTED by Gatekit]' }] },
      );
      const blockedNotification = notificationEvent({
        message: undefined,
        pipeline: pipeline({ outcome: 'blocked', sensitive: true, stages: [stage({ outcome: 'blocked', reason: SECRET })] }),
      });
      await auditor.record(blockedRequest);
      await auditor.record(redactedResponse);
      await auditor.record(blockedNotification);
      await auditor.close!();
      const text = readFileSync(path.join(tmp.dir, 'logs', 'audit.jsonl'), 'utf8');
      assert.equal(text.includes(SECRET), false, 'the secret reached the audit log');
      const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as LoggedRecord);
      assert.equal(lines.length, 3);
      assert.equal(lines[0]!.reason, '[tool_manager] [allowed] | [basic_secrets_filter] [blocked]');
      assert.equal('request_body' in lines[0]!, false);
      assert.deepEqual(
        lines[0]!.pipeline.stages.map((s: { reason: string }) => s.reason),
        ['[allowed]', '[blocked]'],
      );
      assert.equal(lines[1]!.event_type, 'RESPONSE_MODIFIED');
      assert.deepEqual(lines[1]!.response_body, { content: [{ type: 'text', text: 'key: [SECRET REDACTED by Gatekit]' }] });
      assert.equal(lines[1]!.reason, '[basic_secrets_filter] [modified]');
      assert.equal('notification_body' in lines[2]!, false);
    });

    it('writes through env.resolvePath, creating the folder', async () => {
      const env = testEnv(tmp.dir);
      const auditor = createAuditor(auditJsonl, { output_file: 'nested/dir/a.jsonl' }, env);
      await auditor.record(requestEvent());
      await auditor.close!();
      assert.equal(readFileSync(path.join(tmp.dir, 'nested', 'dir', 'a.jsonl'), 'utf8').split('\n').length, 2);
    });
  });
});
