// `audit_human_readable`: one short line per message for `tail -f`, in Gatekit's layout.
import type { AuditEvent, PluginDefinition } from '../types';
import { createFileAuditor } from './audit-file';
import { auditHumanReadableDescriptor, type HumanReadableAuditOptions } from './audit_human_readable.descriptor';
import { singleLine, toAuditRecord, type AuditRecord } from './audit-record';

/** `2025-01-12 15:30:45 UTC` */
function humanTimestamp(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The verdict part shared by request and notification lines (Gatekit: modified reads ALLOWED). */
function verdict(record: AuditRecord, reason: string, middlewareAnswers: boolean): string | undefined {
  switch (record.outcome) {
    case 'blocked':
      return reason ? `BLOCKED - ${reason}` : 'BLOCKED';
    case 'no_security':
      return 'NO_SECURITY';
    case 'completed_by_middleware':
      if (!middlewareAnswers) return undefined;
      return reason ? `MIDDLEWARE_RESPONSE - ${reason}` : 'MIDDLEWARE_RESPONSE';
    case 'error':
      return reason ? `ERROR - ${reason}` : 'ERROR';
    default:
      return undefined;
  }
}

/**
 * The line of one event (without terminator):
 * - `<time> - REQUEST: <method> - <tool> - <server> - <verdict>` (tool only for tools/call)
 * - `<time> - RESPONSE - <server> - success (0.045s)` / `- error <code>: <message>` / `- <verdict>`
 * - `<time> - NOTIFICATION: <method> - <server> - <verdict>`
 * where the verdict is ALLOWED, NO_SECURITY, BLOCKED - <reason>, MIDDLEWARE_RESPONSE - <reason>
 * or ERROR - <reason>. Every peer-supplied part is flattened to one line.
 */
export function formatHumanReadableLine(event: AuditEvent): string {
  const record = toAuditRecord(event);
  const time = humanTimestamp(record.timestamp);
  const server = singleLine(record.serverName);
  const reason = singleLine(record.reason);
  if (event.type === 'request') {
    const method = singleLine(record.method);
    if (!method) return `${time} - REQUEST: [invalid request - missing method] - ${server}`;
    const base =
      record.tool !== undefined ? `${time} - REQUEST: ${method} - ${singleLine(record.tool)} - ${server}` : `${time} - REQUEST: ${method} - ${server}`;
    return `${base} - ${verdict(record, reason, true) ?? 'ALLOWED'}`;
  }
  if (event.type === 'response') {
    const base = `${time} - RESPONSE - ${server}`;
    const decided = verdict(record, reason, true);
    if (decided) return `${base} - ${decided}`;
    const answer = record.answer;
    if (answer?.status === 'error') {
      return `${base} - error ${answer.errorCode ?? 'unknown'}: ${singleLine(answer.errorMessage ?? 'unknown')}`;
    }
    const duration = record.durationMs !== undefined ? ` (${(record.durationMs / 1000).toFixed(3)}s)` : '';
    return `${base} - success${duration}`;
  }
  const method = singleLine(record.method) || 'unknown';
  return `${time} - NOTIFICATION: ${method} - ${server} - ${verdict(record, reason, false) ?? 'ALLOWED'}`;
}

export type { HumanReadableAuditOptions };

/** Gatekit's human-readable audit log. */
export const auditHumanReadable: PluginDefinition<HumanReadableAuditOptions> = {
  ...auditHumanReadableDescriptor,
  create: (options, env) => createFileAuditor(options, env, formatHumanReadableLine),
};
