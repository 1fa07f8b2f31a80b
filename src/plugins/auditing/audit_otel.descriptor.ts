// `audit_otel`'s descriptor: its options and display facts (the exporter is in the otel chunk,
// src/gateway/chunks/otel.ts, loaded only when a config names this plugin).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

/** HTTP header names (RFC 9110 tokens); values without control characters (no header splitting). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;
const MAX_HEADER_BYTES = 16384;

const headers = z
  .record(z.string().regex(HEADER_NAME, 'a header name is letters, digits and !#$%&\'*+.^_`|~-'), z.string().max(8192).regex(HEADER_VALUE, 'a header value may not hold control characters or line breaks'))
  .refine((h) => Object.keys(h).length <= 64, 'at most 64 headers')
  .refine((h) => Object.entries(h).reduce((n, [k, v]) => n + k.length + v.length, 0) <= MAX_HEADER_BYTES, `headers may hold at most ${MAX_HEADER_BYTES} characters in all`)
  .default({});

/** The collector's base URL: http(s) only, since the exporter would otherwise be handed a file or data URL. */
const endpoint = z
  .string()
  .max(2048)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'endpoint must be an http:// or https:// URL, e.g. http://localhost:4318')
  .default('http://localhost:4318');

const configSchema = z.strictObject({
  endpoint: endpoint.describe('OTLP/HTTP base URL; signals go to `<endpoint>/v1/traces`, `/v1/logs`, `/v1/metrics`.'),
  headers: headers.describe('Sent with every export. Keep secrets out of the repository: the exporters also read OTEL_EXPORTER_OTLP_HEADERS.'),
  service_name: z.string().min(1).max(256).default('gatekit-gateway').describe('The `service.name` resource attribute.'),
  resource_attributes: z
    .record(z.string().min(1).max(256), z.string().max(1024))
    .refine((a) => Object.keys(a).length <= 64, 'at most 64 resource attributes')
    .default({})
    .describe('Extra resource attributes (team, environment, developer).'),
  include_request_body: z.boolean().default(false).describe('Record request bodies (as the filters left them: redacted).'),
  include_response_body: z.boolean().default(false).describe('Record response bodies (as the filters left them: redacted).'),
  include_notification_body: z.boolean().default(false).describe('Record notification bodies (as the filters left them: redacted).'),
  max_body_size: z.int().min(0).max(1048576).default(10240).describe('Characters of a body recorded before it is cut (0: unlimited).'),
  max_queue_size: z.int().min(1).max(100000).default(2048).describe('Records waiting for the collector, per signal; past this, new ones are dropped and counted.'),
  max_batch_size: z.int().min(1).max(100000).default(512).describe('Most records sent in one export.'),
  batch_delay_ms: z.int().min(10).max(60000).default(1000).describe('How long records wait to fill a batch.'),
  export_timeout_ms: z
    .int()
    .min(100)
    .max(60000)
    .default(10000)
    .describe("One export's deadline, retries included (the OTLP exporter retries 429/502/503/504 and network errors with backoff)."),
  metrics_interval_ms: z.int().min(100).max(3600000).default(60000).describe('How often metrics are exported.'),
  trace_context: z.boolean().default(true).describe("Continue a client's `_meta.traceparent` and pass the gateway's span to the server."),
});

/** Parsed `audit_otel` options. */
export type OtelAuditOptions = z.output<typeof configSchema>;

/** Every exchange as an OpenTelemetry span, log record and metrics, exported over OTLP/HTTP. */
export const auditOtelDescriptor: PluginDescriptor<OtelAuditOptions> = {
  handler: 'audit_otel',
  kind: 'auditing',
  displayName: 'OpenTelemetry',
  description: 'Export every MCP exchange as an OpenTelemetry span, log record and metrics to an OTLP/HTTP collector, continuing the trace context of requests.',
  configSchema,
  // Exporting is best effort unless the entry sets `critical: true` (then unrecordable traffic is refused).
  defaultCritical: false,
};
