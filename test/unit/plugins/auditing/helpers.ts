// Shared helpers of the audit plugin tests: temp folders, a plugin environment, audit event builders.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JsonRpcMessage } from '../../../../src/shared/jsonrpc';
import type { AuditEvent, AuditingPlugin, PipelineResult, PipelineStage, PluginDefinition, PluginEnvironment } from '../../../../src/plugins/types';

/**
 * One audit log line parsed back from JSON, read by the tests at the paths they assert on (a wrong
 * path fails the assertion).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests walk nested fields of the JSON they had written without narrowing each level
export type LoggedRecord = Record<string, any>;

/** A temp folder removed by `dispose()`. */
export function tempDir(prefix = 'gatekit-audit-'): { dir: string; dispose(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An environment whose config folder is `dir`; log lines are collected. */
export function testEnv(dir: string): PluginEnvironment & { logs: string[] } {
  const logs: string[] = [];
  return {
    configDir: dir,
    resolvePath: (p) => (path.isAbsolute(p) ? p : path.join(dir, p)),
    log: (m) => logs.push(m),
    logs,
  };
}

/** Creates an auditing plugin from raw (Gatekit-style) options. */
export function createAuditor(definition: PluginDefinition, options: unknown, env: PluginEnvironment): AuditingPlugin {
  return definition.create(definition.configSchema.parse(options), env) as AuditingPlugin;
}

/** A pipeline result with sensible defaults. */
export function pipeline(overrides: Partial<PipelineResult<unknown>> = {}): PipelineResult<unknown> {
  return {
    outcome: 'allowed',
    message: undefined,
    modified: false,
    securityEvaluated: true,
    sensitive: false,
    reason: '',
    stages: [],
    durationMs: 0.5,
    ...overrides,
  };
}

export function stage(overrides: Partial<PipelineStage> = {}): PipelineStage {
  return { handler: 'basic_pii_filter', kind: 'security', outcome: 'allowed', reason: '', durationMs: 0.25, ...overrides };
}

export const FIXED_TIME = new Date('2025-01-12T15:30:45.123Z');

export function requestEvent(overrides: Partial<AuditEvent> = {}, params: Record<string, unknown> = { name: 'echo', arguments: { text: 'hi' } }): AuditEvent {
  const message: JsonRpcMessage = { jsonrpc: '2.0', id: 7, method: 'tools/call', params };
  return {
    type: 'request',
    timestamp: FIXED_TIME,
    serverName: 'gh',
    origin: 'client',
    requestId: 7,
    method: 'tools/call',
    tool: 'echo',
    message,
    pipeline: pipeline(),
    ...overrides,
  };
}

export function responseEvent(overrides: Partial<AuditEvent> = {}, result: Record<string, unknown> = { content: [{ type: 'text', text: 'hi' }] }): AuditEvent {
  return {
    type: 'response',
    timestamp: FIXED_TIME,
    serverName: 'gh',
    origin: 'client',
    requestId: 7,
    method: 'tools/call',
    tool: 'echo',
    message: { jsonrpc: '2.0', id: 7, result },
    pipeline: pipeline(),
    durationMs: 45.4,
    ...overrides,
  };
}

export function errorResponseEvent(code: number, message: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return responseEvent({ message: { jsonrpc: '2.0', id: 7, error: { code, message } }, ...overrides });
}

export function notificationEvent(overrides: Partial<AuditEvent> = {}, params: Record<string, unknown> = { progress: 1, total: 2 }): AuditEvent {
  return {
    type: 'notification',
    timestamp: FIXED_TIME,
    serverName: 'gh',
    origin: 'client',
    method: 'notifications/progress',
    message: { jsonrpc: '2.0', method: 'notifications/progress', params },
    pipeline: pipeline(),
    ...overrides,
  };
}

/** Parses RFC 4180 CSV text (quoted cells, doubled quotes) into rows of cells. */
export function parseCsv(text: string, delimiter = ',', quote = '"'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === quote && text[i + 1] === quote) {
        cell += quote;
        i++;
      } else if (c === quote) {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === quote && cell === '') {
      quoted = true;
    } else if (c === delimiter) {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += c;
    }
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
