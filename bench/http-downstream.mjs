// The gateway serving Streamable HTTP (proxy.transport: http), measured against a direct Streamable
// HTTP connection to the same server: the official SDK client calls `echo` of server-everything, once
// directly (`server-everything streamableHttp`) and once through the gateway (which runs the same
// server over stdio). Figures: sequential latency (median, p95) and requests per second with several
// clients at once; the difference is what the gateway adds.
//
//   node bench/http-downstream.mjs [--calls N] [--clients N] [--seconds S] [--rounds N]
// or as the `http` phase of `npm run bench` (bench/run.mjs).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { median, quantile } from './lib/stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GATEWAY = path.join(ROOT, 'dist', 'gateway.js');
const EVERYTHING = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const TOKEN = 'bench-token-0123456789abcdef0123456789abcdef';

export const HTTP_PROFILES = {
  full: { rounds: 3, calls: 300, clients: 8, seconds: 2 },
  quick: { rounds: 1, calls: 30, clients: 4, seconds: 0.5 },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves with it once a stderr line matches `ready` (its match). */
function startUntil(args, env, ready) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk) => {
      seen += chunk.toString('utf8');
      const match = ready.exec(seen);
      if (match) resolve({ child, match });
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(args[0])} exited (${code}) before it was ready:\n${seen}`)));
  });
}

async function connect(url, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const client = new Client({ name: 'gatekit-bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

async function sequential(client, tool, calls) {
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await client.callTool({ name: tool, arguments: { message: `m${i}` } });
    samples.push(performance.now() - start);
  }
  return { medianMs: median(samples), p95Ms: quantile(samples, 0.95) };
}

async function throughput(clients, tool, seconds) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        await client.callTool({ name: tool, arguments: { message: 'x' } });
        done++;
      }
    }),
  );
  return done / seconds;
}

/** Runs the measurement; returns the figures per system (medians over rounds) and a markdown table. */
export async function measureHttpDownstream(settings = HTTP_PROFILES.full, log = (line) => process.stderr.write(`${line}\n`)) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatekit-bench-http-'));
  const children = [];
  try {
    const port = await freePort();
    const direct = await startUntil([EVERYTHING, 'streamableHttp'], { PORT: String(port) }, /listening on port/);
    children.push(direct.child);
    const config = path.join(dir, 'gatekit.yaml');
    writeFileSync(config, JSON.stringify({ proxy: { transport: 'http', http: { port: 0, token_env: 'BENCH_TOKEN' }, upstreams: [{ name: 'everything', command: [process.execPath, EVERYTHING] }] } }));
    const gateway = await startUntil([GATEWAY, '--config', config], { BENCH_TOKEN: TOKEN }, /serving MCP at (\S+)/);
    children.push(gateway.child);
    const systems = [
      { key: 'direct', label: 'direct (server-everything streamableHttp)', url: `http://127.0.0.1:${port}/mcp`, tool: 'echo' },
      { key: 'gateway', label: 'through the gateway (HTTP downstream, stdio upstream)', url: gateway.match[1], token: TOKEN, tool: 'everything__echo' },
    ];
    const rounds = { direct: [], gateway: [] };
    for (let round = 0; round < settings.rounds; round++) {
      for (const system of round % 2 ? [...systems].reverse() : systems) {
        const clients = await Promise.all(Array.from({ length: settings.clients }, () => connect(system.url, system.token)));
        await sequential(clients[0], system.tool, Math.min(20, settings.calls));
        const latency = await sequential(clients[0], system.tool, settings.calls);
        const perSecond = await throughput(clients, system.tool, settings.seconds);
        await Promise.all(clients.map((c) => c.close()));
        rounds[system.key].push({ ...latency, perSecond });
        log(`http round ${round + 1} ${system.key}: ${latency.medianMs.toFixed(2)} ms median, ${perSecond.toFixed(0)} req/s`);
      }
    }
    const figures = Object.fromEntries(
      systems.map(({ key }) => [key, { medianMs: median(rounds[key].map((r) => r.medianMs)), p95Ms: median(rounds[key].map((r) => r.p95Ms)), perSecond: median(rounds[key].map((r) => r.perSecond)) }]),
    );
    const added = figures.gateway.medianMs - figures.direct.medianMs;
    const lines = [
      `### HTTP downstream (${settings.clients} clients, ${settings.calls} sequential calls, ${settings.rounds} rounds)`,
      '',
      '| System | Latency median | p95 | Requests/s |',
      '|---|---|---|---|',
      ...systems.map(({ key, label }) => `| ${label} | ${figures[key].medianMs.toFixed(2)} ms | ${figures[key].p95Ms.toFixed(2)} ms | ${figures[key].perSecond.toFixed(0)} |`),
      '',
      `Added latency: ${added.toFixed(2)} ms per call (median); throughput ${((figures.gateway.perSecond / figures.direct.perSecond) * 100).toFixed(0)} % of direct.`,
    ];
    return { figures, addedMs: added, markdown: lines.join('\n') };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { calls: { type: 'string' }, clients: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' }, quick: { type: 'boolean' } } });
  const base = values.quick ? HTTP_PROFILES.quick : HTTP_PROFILES.full;
  const settings = {
    rounds: Number(values.rounds ?? base.rounds),
    calls: Number(values.calls ?? base.calls),
    clients: Number(values.clients ?? base.clients),
    seconds: Number(values.seconds ?? base.seconds),
  };
  measureHttpDownstream(settings).then(
    (result) => {
      process.stdout.write(`${result.markdown}\n`);
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
