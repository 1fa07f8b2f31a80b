// In-process costs of the per-message work (no pipes, no other processes): each detector on small and
// large text, each filter on a tools/call exchange, the audit log, the whole pipeline.
//
//   npx tsx bench/micro.ts [--only NAME_SUBSTRING]
//
// Far less noisy than the process benchmark on a shared machine, so it is what to watch while
// optimising a detector; bench/run.mjs gives the figures that count.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { detectPii, PII_TYPES } from '../src/plugins/security/detect/pii';
import { detectSecrets, SECRET_TYPES } from '../src/plugins/security/detect/secrets';
import { InjectionDetector } from '../src/plugins/security/detect/injection';
import { proseOfLength } from './lib/prose.cjs';
import { createPiiFilter } from '../src/plugins/security/basic_pii_filter';
import { createSecretsFilter } from '../src/plugins/security/basic_secrets_filter';
import { createInjectionDefense } from '../src/plugins/security/basic_prompt_injection_defense';
import { PluginHost, type PluginEntryConfig } from '../src/plugins/pipeline';
import { findPlugin } from '../src/plugins/registry';
import type { JsonRpcRequest, JsonRpcResponse } from '../src/shared/jsonrpc';
import type { InterceptorPlugin, MessageContext } from '../src/plugins/types';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

const MIB = 1024 * 1024;
// Flat, like every string JSON.parse makes (a sliced string would be slower to scan).
const prose = Buffer.from(proseOfLength(MIB)).toString();

/**
 * Runs `fn` for about `ms` after a warm-up and prints the CPU time per call of the least disturbed
 * of ten batches: other jobs on a shared machine only ever add time, so the best batch is the
 * figure that repeats from run to run.
 */
function measure(name: string, fn: () => unknown, ms = 600, unit: 'µs' | 'ms' = 'µs'): void {
  if (only && !name.includes(only)) return;
  const warmUntil = performance.now() + ms / 3;
  while (performance.now() < warmUntil) fn();
  const batches = 10;
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const until = performance.now() + ms / batches;
    const cpu = process.cpuUsage();
    let calls = 0;
    do {
      fn();
      calls++;
    } while (performance.now() < until);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1000 / calls);
  }
  const shown = unit === 'ms' ? `${best.toFixed(2)} ms` : `${(best * 1000).toFixed(2)} µs`;
  console.log(`${name.padEnd(52)} ${shown.padStart(12)}`);
}

const allPii = new Set(PII_TYPES);
const allSecrets = new Set(SECRET_TYPES.filter((t) => t !== 'private_keys'));
const injection = new InjectionDetector({ sensitivity: 'standard', scanBase64: false });

// The strings of a small tools/call exchange: values, keys and names.
const shortStrings = ['hello world', 'text', 'content', 'echo', 'type', 'name', 'arguments', 'read_file'];
const eachShort = (scan: (text: string) => unknown) => (): void => {
  for (const text of shortStrings) scan(text);
};

console.log('detectors');
measure(`  detectPii ${shortStrings.length} short strings`, eachShort((text) => detectPii(text, allPii)));
measure(`  detectSecrets ${shortStrings.length} short strings`, eachShort((text) => detectSecrets(text, allSecrets)));
measure(`  injection.scan ${shortStrings.length} short strings`, eachShort((text) => injection.scan(text)));
for (const [label, text] of [
  ['"hello world"', 'hello world'],
  ['1 KiB prose', prose.slice(0, 1024)],
] as const) {
  measure(`  detectPii ${label}`, () => detectPii(text, allPii));
  measure(`  detectSecrets ${label}`, () => detectSecrets(text, allSecrets));
  measure(`  injection.scan ${label}`, () => injection.scan(text));
}
measure('  detectPii 1 MiB prose', () => detectPii(prose, allPii), 1500, 'ms');
measure('  detectSecrets 1 MiB prose', () => detectSecrets(prose, allSecrets), 1500, 'ms');
measure('  injection.scan 1 MiB prose', () => injection.scan(prose), 1500, 'ms');

const request: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello world' } } };
const response: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello world' }] } };
const bigResponse: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: prose }] } };
const ctx: MessageContext = { serverName: 'bench', origin: 'client', requestId: 1 };
const responseCtx: MessageContext = { ...ctx, request, durationMs: 1 };

const filters: [string, InterceptorPlugin][] = [
  ['pii', createPiiFilter({ action: 'redact', pii_types: Object.fromEntries(PII_TYPES.map((t) => [t, { enabled: true }])), scan_base64: false } as never)],
  ['secrets', findPlugin('basic_secrets_filter')!.create(findPlugin('basic_secrets_filter')!.configSchema.parse({ action: 'redact' }), undefined as never) as InterceptorPlugin],
  ['injection', findPlugin('basic_prompt_injection_defense')!.create(findPlugin('basic_prompt_injection_defense')!.configSchema.parse({ action: 'redact' }), undefined as never) as InterceptorPlugin],
];
void createSecretsFilter;
void createInjectionDefense;
console.log('filters on one tools/call exchange');
for (const [name, filter] of filters) {
  measure(`  ${name} request + response`, () => {
    void filter.onRequest!(request, ctx);
    void filter.onResponse!(response, responseCtx);
  });
}
for (const [name, filter] of filters) measure(`  ${name} 1 MiB response`, () => filter.onResponse!(bigResponse, responseCtx), 1500, 'ms');

async function pipelines(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-micro-'));
  try {
    const entry = (handler: string, options: Record<string, unknown>): PluginEntryConfig => {
      const definition = findPlugin(handler)!;
      return { handler, kind: definition.kind, enabled: true, priority: 50, critical: true, options: definition.configSchema.parse(options) };
    };
    const env = { configDir: tmp, resolvePath: (p: string) => path.resolve(tmp, p), log: () => undefined };
    const security = [entry('basic_pii_filter', { action: 'redact' }), entry('basic_secrets_filter', { action: 'redact' }), entry('basic_prompt_injection_defense', { action: 'redact' })];
    const auditing = [entry('audit_jsonl', { output_file: path.join(tmp, 'audit.jsonl') })];
    const variants: [string, PluginHost][] = [
      ['3 filters', new PluginHost({ security: { _global: security } }, { find: findPlugin }, env)],
      ['audit only', new PluginHost({ auditing: { _global: auditing } }, { find: findPlugin }, env)],
      ['3 filters + audit', new PluginHost({ security: { _global: security }, auditing: { _global: auditing } }, { find: findPlugin }, env)],
    ];
    console.log('pipeline on one tools/call exchange (as the router runs it)');
    for (const [name, host] of variants) {
      if (only && !`  pipeline ${name}`.includes(only)) continue;
      const pipeline = host.pipelineFor('bench');
      const exchange = async (): Promise<void> => {
        const pre = await pipeline.processRequest(request, ctx);
        if (pipeline.audits) await pipeline.audit({ type: 'request', timestamp: new Date(), serverName: 'bench', origin: 'client', requestId: 1, method: 'tools/call', tool: 'echo', message: pre.message, pipeline: pre });
        const post = await pipeline.processResponse(response, responseCtx);
        if (pipeline.audits) await pipeline.audit({ type: 'response', timestamp: new Date(), serverName: 'bench', origin: 'client', requestId: 1, method: 'tools/call', tool: 'echo', message: post.message, pipeline: post, durationMs: 1 });
      };
      for (let i = 0; i < 20000; i++) await exchange();
      const rounds = 50000;
      const started = performance.now();
      for (let i = 0; i < rounds; i++) await exchange();
      console.log(`${`  pipeline ${name}`.padEnd(52)} ${`${(((performance.now() - started) / rounds) * 1000).toFixed(2)} µs`.padStart(12)}`);
      await host.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void pipelines();
