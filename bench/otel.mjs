// What `audit_otel` costs per call: the gateway without plugins against the same gateway exporting
// every exchange (span, log record, metrics) to an OTLP/HTTP sink in this process, in one run with
// interleaved rounds. Part of `npm run bench` (phase `otel`); alone: `node bench/otel.mjs [--rounds N]`.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoadClient, closeClient, procCpuMs } from './lib/load-client.mjs';
import { median, quantile } from './lib/stats.mjs';
import { BENCH_SERVER, README_LAUNCH, ROOT, UPSTREAM_NAME, gatewaySystem, writeGatewayConfig } from './lib/systems.mjs';
import { writeFileSync } from 'node:fs';

/** A collector that takes every export and keeps only counts: its cost lands in this process (the load client), so it parses nothing. */
async function startSink() {
  const received = { requests: 0, bytes: 0, traceExports: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk) => {
      received.bytes += chunk.length;
    });
    req.on('end', () => {
      received.requests++;
      if (req.url === '/v1/traces') received.traceExports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${server.address().port}`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The gateway with audit_otel as its only plugin (the definition scan off, as in the plain system). */
function writeOtelConfig(dir, endpoint) {
  const file = path.join(dir, 'otel.json');
  const config = {
    proxy: { transport: 'stdio', upstreams: [{ name: UPSTREAM_NAME, command: [process.execPath, BENCH_SERVER] }], timeouts: { connection_timeout: 30, request_timeout: 60 } },
    plugins: {
      security: { _global: [{ handler: 'tool_definition_scan', config: { enabled: false } }] },
      auditing: { _global: [{ handler: 'audit_otel', config: { endpoint, resource_attributes: { 'deployment.environment': 'bench' } } }] },
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function echoLine() {
  const head = '{"jsonrpc":"2.0","id":';
  const middle = `,"method":"tools/call","params":{"name":"${UPSTREAM_NAME}__echo","arguments":{"text":"hello world `;
  return (id) => head + id + middle + id + '"}}}\n';
}

/**
 * Rounds of: sequential calls (p50 round trip) and 64 calls in flight (gateway CPU per call), each
 * system in turn, the order rotated per round. Resolves with the figures per round and the sink's counts.
 */
export async function measureOtelCost({ dir, launch = README_LAUNCH, rounds = 3, sequentialCalls = 2000, throughputMs = 1000, progress = () => undefined }) {
  const sink = await startSink();
  const systems = [
    gatewaySystem('gateway', 'gateway, no plugins', writeGatewayConfig(dir, 'otel-plain.json', [{ name: UPSTREAM_NAME, command: [process.execPath, BENCH_SERVER] }], false), launch),
    gatewaySystem('otel', 'gateway + audit_otel', writeOtelConfig(dir, sink.endpoint), launch),
  ];
  const sessions = new Map();
  try {
    for (const system of systems) {
      const client = new LoadClient(system.label, system.command, system.args, { cwd: ROOT });
      await client.initialize();
      sessions.set(system.key, client);
      await client.throughput(64, 400, echoLine());
      await client.sequential(500, echoLine());
    }
    const perRound = [];
    for (let round = 0; round < rounds; round++) {
      progress(`audit_otel round ${round + 1}/${rounds}`);
      const figures = {};
      const order = round % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        const client = sessions.get(system.key);
        const times = await client.sequential(sequentialCalls, echoLine());
        const before = procCpuMs(client.pid);
        const run = await client.throughput(64, throughputMs, echoLine());
        figures[system.key] = { p50: quantile(times, 0.5), cpuPerCallUs: ((procCpuMs(client.pid) - before) * 1000) / run.completed, perSecond: run.perSecond };
      }
      perRound.push(figures);
    }
    for (const client of sessions.values()) await closeClient(client);
    sessions.clear();
    return { rounds: perRound, sink: { ...sink.received } };
  } finally {
    for (const client of sessions.values()) await closeClient(client);
    await sink.close();
  }
}

/** The figures as a Markdown subsection (medians over rounds; the cost is taken within each round). */
export function renderOtelCost(result) {
  const med = (pick) => median(result.rounds.map(pick));
  const us = (v) => `${Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)} µs`;
  const cpuPlain = med((r) => r.gateway.cpuPerCallUs);
  const cpuOtel = med((r) => r.otel.cpuPerCallUs);
  const cpuCost = med((r) => r.otel.cpuPerCallUs - r.gateway.cpuPerCallUs);
  const p50Cost = med((r) => r.otel.p50 - r.gateway.p50);
  return [
    '### audit_otel: the cost of exporting every exchange (OTLP/HTTP JSON to a loopback sink)',
    '',
    '| | gateway, no plugins | gateway + audit_otel | cost per call |',
    '|---|---|---|---|',
    `| gateway CPU per call, 64 in flight | ${us(cpuPlain)} | ${us(cpuOtel)} | ${us(cpuCost)} |`,
    `| round trip p50, one at a time | ${us(med((r) => r.gateway.p50))} | ${us(med((r) => r.otel.p50))} | ${us(p50Cost)} |`,
    `| calls per second, 64 in flight | ${Math.round(med((r) => r.gateway.perSecond)).toLocaleString('en-US')}/s | ${Math.round(med((r) => r.otel.perSecond)).toLocaleString('en-US')}/s | |`,
    '',
    `Medians of ${result.rounds.length} rounds. The sink took ${result.sink.requests.toLocaleString('en-US')} exports (${result.sink.traceExports.toLocaleString('en-US')} of spans; ${Math.round(result.sink.bytes / 1024).toLocaleString('en-US')} KiB in all).`,
  ].join('\n');
}

// `node bench/otel.mjs`: this measurement alone, printed.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const roundsArg = process.argv.indexOf('--rounds');
  const rounds = roundsArg > 0 ? Math.max(1, Number(process.argv[roundsArg + 1]) || 1) : 3;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-bench-otel-'));
  measureOtelCost({ dir, rounds, progress: (line) => process.stderr.write(`bench: ${line}\n`) })
    .then((result) => {
      process.stdout.write(`${renderOtelCost(result)}\n`);
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    })
    .catch((err) => {
      rmSync(dir, { recursive: true, force: true });
      process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
