import { performance } from 'node:perf_hooks';
import { proseOfLength } from './bench/lib/prose.cjs';
import { createPiiFilter } from './src/plugins/security/basic_pii_filter';
import { findPlugin } from './src/plugins/registry';
import { PII_TYPES } from './src/plugins/security/detect/pii';
import type { JsonRpcRequest, JsonRpcResponse } from './src/shared/jsonrpc';
import type { InterceptorPlugin, MessageContext } from './src/plugins/types';
const MIB = 1024 * 1024;
const prose = Buffer.from(proseOfLength(MIB)).toString();
const curly = Buffer.from(prose.replace(/'/g, '\u2019').replace(/ - /g, ' \u2014 ')).toString();
const cjk = Buffer.from(Array.from({ length: MIB / 2 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('')).toString();
function measure(name: string, fn: () => unknown, ms = 1500): void {
  const warmUntil = performance.now() + ms / 3;
  while (performance.now() < warmUntil) fn();
  let best = Infinity;
  for (let b = 0; b < 10; b++) {
    const until = performance.now() + ms / 10;
    const cpu = process.cpuUsage();
    let calls = 0;
    do { fn(); calls++; } while (performance.now() < until);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1000 / calls);
  }
  console.log(`${name.padEnd(44)} ${best < 1 ? (best * 1000).toFixed(2) + ' µs' : best.toFixed(2) + ' ms'}`);
}
const request: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello world' } } };
const response: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello world' }] } };
const ctx: MessageContext = { serverName: 'bench', origin: 'client', requestId: 1 };
const responseCtx: MessageContext = { ...ctx, request, durationMs: 1 };
const filters: [string, InterceptorPlugin][] = [
  ['pii', createPiiFilter({ action: 'redact', pii_types: Object.fromEntries(PII_TYPES.map((t) => [t, { enabled: true }])), scan_base64: false } as never)],
  ['secrets', findPlugin('basic_secrets_filter')!.create(findPlugin('basic_secrets_filter')!.configSchema.parse({ action: 'redact' }), undefined as never) as InterceptorPlugin],
];
for (const [name, filter] of filters) measure(`${name} request + response`, () => { filter.onRequest!(request, ctx); filter.onResponse!(response, responseCtx); }, 600);
for (const [label, text] of [['1 MiB ASCII prose', prose], ['1 MiB prose, curly quotes', curly], ['1 MiB CJK', cjk]] as const) {
  const big: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } };
  for (const [name, filter] of filters) measure(`${name} ${label}`, () => filter.onResponse!(big, responseCtx));
}
