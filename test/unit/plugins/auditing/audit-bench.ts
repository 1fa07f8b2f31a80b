// Throughput of the audit plugins (not part of the test run): `npx tsx test/unit/plugins/auditing/audit-bench.ts`.
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { auditCsv } from '../../../../src/plugins/auditing/audit_csv';
import { auditHumanReadable } from '../../../../src/plugins/auditing/audit_human_readable';
import { auditJsonl } from '../../../../src/plugins/auditing/audit_jsonl';
import type { PluginDefinition } from '../../../../src/plugins/types';
import { createAuditor, requestEvent, responseEvent, stage, pipeline, tempDir, testEnv } from './helpers';

async function measure(name: string, definition: PluginDefinition, options: Record<string, unknown>, print = true): Promise<void> {
  const tmp = tempDir('gatekit-audit-bench-');
  try {
    const env = testEnv(tmp.dir);
    const auditor = createAuditor(definition, { output_file: path.join(tmp.dir, 'audit.log'), ...options }, env);
    const events = [
      requestEvent({ pipeline: pipeline({ stages: [stage(), stage({ handler: 'basic_secrets_filter' })] }) }),
      responseEvent({ pipeline: pipeline({ stages: [stage(), stage({ handler: 'basic_secrets_filter' })] }) }, {
        content: [{ type: 'text', text: 'lorem ipsum '.repeat(40) }],
      }),
    ];
    const sequential = 20000;
    let start = performance.now();
    for (let i = 0; i < sequential; i++) await auditor.record(events[i % 2]!);
    const sequentialMs = performance.now() - start;

    const burst = 100;
    const rounds = 400;
    start = performance.now();
    for (let r = 0; r < rounds; r++) {
      await Promise.all(Array.from({ length: burst }, (_, i) => Promise.resolve(auditor.record(events[i % 2]!))));
    }
    const concurrentMs = performance.now() - start;
    await auditor.close!();
    if (!print) return;
    console.log(
      `${name.padEnd(34)} sequential ${((sequentialMs * 1000) / sequential).toFixed(1).padStart(6)} µs/record` +
        `   bursts of ${burst}: ${Math.round((burst * rounds) / (concurrentMs / 1000)).toLocaleString('en-US').padStart(9)} records/s`,
    );
  } finally {
    tmp.dispose();
  }
}

async function main(): Promise<void> {
  // Compiles the hot paths first, so the first plugin measured is not charged for it.
  await measure('warm-up', auditJsonl, {}, false);
  await measure('audit_jsonl', auditJsonl, {});
  await measure('audit_jsonl (bodies)', auditJsonl, { include_request_body: true, include_response_body: true });
  await measure('audit_csv', auditCsv, {});
  await measure('audit_human_readable', auditHumanReadable, {});
}

void main();
