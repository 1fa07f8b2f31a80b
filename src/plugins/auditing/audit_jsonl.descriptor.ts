// `audit_jsonl`'s descriptor: its options and display facts (the writer is in audit_jsonl.ts).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';
import { AUDIT_FILE_OPTIONS, AUDIT_LOG_OFFERS, fileOptionsShape } from './audit-options';

const configSchema = z.strictObject({
  ...fileOptionsShape('logs/gatekit_audit.jsonl'),
  include_request_body: z.boolean().default(false).describe('Record request bodies (as the filters left them: redacted).'),
  include_response_body: z.boolean().default(false).describe('Record response bodies (as the filters left them: redacted).'),
  include_notification_body: z.boolean().default(false).describe('Record notification bodies (as the filters left them: redacted).'),
  max_body_size: z
    .int()
    .min(0)
    .max(1048576)
    .refine((size) => size === 0 || size >= 50, 'max_body_size must be 0 (unlimited) or at least 50')
    .default(10240)
    .describe('Characters of a body recorded before it is cut (0: unlimited).'),
  chain: z.boolean().default(false).describe('Tamper-evident log: each record carries `prev_sha256`, the sha256 of the previous line (docs/auditing.md).'),
});

/** Parsed `audit_jsonl` options. */
export type JsonlAuditOptions = z.output<typeof configSchema>;

/** Gatekit's JSON Lines audit log. */
export const auditJsonlDescriptor: PluginDescriptor<JsonlAuditOptions> = {
  handler: 'audit_jsonl',
  kind: 'auditing',
  displayName: 'JSON Lines',
  description: 'Log every MCP message as one JSON object per line, optionally with (redacted) bodies.',
  configSchema,
  writtenFileOptions: AUDIT_FILE_OPTIONS,
  offers: AUDIT_LOG_OFFERS,
};
