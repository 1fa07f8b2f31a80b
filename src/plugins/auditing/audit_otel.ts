// `audit_otel`: every exchange as an OpenTelemetry span, log record and metrics over OTLP/HTTP. The
// SDK and the recorder live in the otel chunk (dist/gateway-otel.js), loaded when an instance is
// created, so gateway-core.js carries only this file and the descriptor.
import { loadChunk } from '../../gateway/chunks';
import type * as otelChunk from '../../gateway/chunks/otel';
import type { PluginDefinition } from '../types';
import { auditOtelDescriptor, type OtelAuditOptions } from './audit_otel.descriptor';

export const auditOtel: PluginDefinition<OtelAuditOptions> = {
  ...auditOtelDescriptor,
  create: (options, env) => loadChunk<typeof otelChunk>('otel').createOtelAudit(options, env),
};
