// Tests of audit_human_readable: Gatekit's one-line layout for each event type, and line forging.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { auditHumanReadable, formatHumanReadableLine } from '../../../../src/plugins/auditing/audit_human_readable';
import { createAuditor, errorResponseEvent, notificationEvent, pipeline, requestEvent, responseEvent, stage, tempDir, testEnv } from './helpers';

const LINE =
  /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC - (REQUEST: \S+( - \S+)? - \S+|RESPONSE - \S+|NOTIFICATION: \S+ - \S+) - ((ALLOWED|NO_SECURITY|BLOCKED|MIDDLEWARE_RESPONSE|ERROR)( - .+)?|success( \(\d+\.\d{3}s\))?|error -?\d+: .*)$/;
const blocked = pipeline({
  outcome: 'blocked',
  sensitive: true,
  decidedBy: 'basic_secrets_filter',
  stages: [stage({ handler: 'basic_secrets_filter', outcome: 'blocked', reason: '[blocked]' })],
});

describe('audit_human_readable', () => {
  it("has Gatekit's keys and defaults, strictly", () => {
    assert.deepEqual(auditHumanReadable.configSchema.parse({}), { output_file: 'logs/gatekit_audit.log', max_file_size_mb: 10, backup_count: 5 });
    assert.equal(auditHumanReadable.configSchema.safeParse({ format: 'x' }).success, false);
  });

  it('writes request lines: method, tool, server, verdict', () => {
    assert.equal(formatHumanReadableLine(requestEvent()), '2025-01-12 15:30:45 UTC - REQUEST: tools/call - echo - gh - ALLOWED');
    assert.equal(
      formatHumanReadableLine(requestEvent({ pipeline: blocked, message: undefined })),
      '2025-01-12 15:30:45 UTC - REQUEST: tools/call - echo - gh - BLOCKED - [basic_secrets_filter] [blocked]',
    );
    assert.equal(
      formatHumanReadableLine(requestEvent({ method: 'tools/list', tool: undefined, pipeline: pipeline({ outcome: 'no_security_evaluation', securityEvaluated: false }) })),
      '2025-01-12 15:30:45 UTC - REQUEST: tools/list - gh - NO_SECURITY',
    );
    assert.equal(
      formatHumanReadableLine(
        requestEvent({
          pipeline: pipeline({
            outcome: 'completed_by_middleware',
            stages: [stage({ handler: 'tool_manager', kind: 'middleware', outcome: 'completed', reason: "Tool 'echo' hidden by allowlist policy" })],
          }),
        }),
      ),
      "2025-01-12 15:30:45 UTC - REQUEST: tools/call - echo - gh - MIDDLEWARE_RESPONSE - [tool_manager] Tool 'echo' hidden by allowlist policy",
    );
    assert.equal(
      formatHumanReadableLine(requestEvent({ pipeline: pipeline({ outcome: 'error', stages: [stage({ outcome: 'error', reason: "Plugin 'x' failed: boom" })] }) })),
      "2025-01-12 15:30:45 UTC - REQUEST: tools/call - echo - gh - ERROR - [basic_pii_filter] Plugin 'x' failed: boom",
    );
    // Gatekit showed a modified request as ALLOWED.
    assert.match(formatHumanReadableLine(requestEvent({ pipeline: pipeline({ modified: true }) })), / - ALLOWED$/);
  });

  it('writes response lines: success with seconds, error code and message, or the verdict', () => {
    assert.equal(formatHumanReadableLine(responseEvent()), '2025-01-12 15:30:45 UTC - RESPONSE - gh - success (0.045s)');
    assert.equal(
      formatHumanReadableLine(errorResponseEvent(-32601, "Tool 'x' is not available")),
      "2025-01-12 15:30:45 UTC - RESPONSE - gh - error -32601: Tool 'x' is not available",
    );
    assert.equal(
      formatHumanReadableLine(responseEvent({ pipeline: blocked, message: undefined })),
      '2025-01-12 15:30:45 UTC - RESPONSE - gh - BLOCKED - [basic_secrets_filter] [blocked]',
    );
    assert.equal(
      formatHumanReadableLine(responseEvent({ pipeline: pipeline({ outcome: 'no_security_evaluation', securityEvaluated: false }) })),
      '2025-01-12 15:30:45 UTC - RESPONSE - gh - NO_SECURITY',
    );
  });

  it('writes notification lines', () => {
    assert.equal(formatHumanReadableLine(notificationEvent()), '2025-01-12 15:30:45 UTC - NOTIFICATION: notifications/progress - gh - ALLOWED');
    assert.equal(
      formatHumanReadableLine(notificationEvent({ pipeline: blocked, message: undefined })),
      '2025-01-12 15:30:45 UTC - NOTIFICATION: notifications/progress - gh - BLOCKED - [basic_secrets_filter] [blocked]',
    );
  });

  it('cannot be made to forge lines or colour the terminal', () => {
    const line = formatHumanReadableLine(
      requestEvent({
        tool: 'evil\n2025-01-01 00:00:00 UTC - REQUEST: tools/call - fake - gh - ALLOWED',
        pipeline: pipeline({ outcome: 'blocked', stages: [stage({ outcome: 'blocked', reason: '\u001b[31mred\u001b[0m\r\ntext\u2028more' })] }),
      }),
    );
    assert.equal(/[\r\n\u001b\u2028]/.test(line), false);
    assert.ok(line.endsWith('BLOCKED - [basic_pii_filter] red text more'), line);
  });

  describe('file', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeEach(() => (tmp = tempDir()));
    afterEach(() => tmp.dispose());

    it('writes one matching line per event', async () => {
      const auditor = createAuditor(auditHumanReadable, { output_file: 'logs/audit.log' }, testEnv(tmp.dir));
      const events = [requestEvent(), responseEvent(), errorResponseEvent(-32000, 'blocked'), notificationEvent(), requestEvent({ pipeline: blocked, message: undefined })];
      for (const event of events) await auditor.record(event);
      await auditor.close!();
      const lines = readFileSync(path.join(tmp.dir, 'logs', 'audit.log'), 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, events.length);
      for (const line of lines) assert.match(line, LINE);
    });
  });
});
