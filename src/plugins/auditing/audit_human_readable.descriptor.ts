// `audit_human_readable`'s descriptor: its options and display facts (the writer is in audit_human_readable.ts).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';
import { AUDIT_FILE_OPTIONS, AUDIT_LOG_OFFERS, fileOptionsShape } from './audit-options';

const configSchema = z.strictObject({
  ...fileOptionsShape('logs/gatekit_audit.log'),
});

/** Parsed `audit_human_readable` options. */
export type HumanReadableAuditOptions = z.output<typeof configSchema>;

/** Gatekit's human-readable audit log. */
export const auditHumanReadableDescriptor: PluginDescriptor<HumanReadableAuditOptions> = {
  handler: 'audit_human_readable',
  kind: 'auditing',
  displayName: 'Human Readable',
  description: 'Log every MCP message as one readable line, for quick inspection and tail -f.',
  configSchema,
  writtenFileOptions: AUDIT_FILE_OPTIONS,
  offers: AUDIT_LOG_OFFERS,
};
