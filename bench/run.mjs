#!/usr/bin/env node
// `npm run bench`: what the gateway costs a client, measured against a direct connection in one run.
//
//   node bench/run.mjs [--quick | --ratios] [--rounds N] [--no-sdk] [--no-write] [--json FILE] [--max-seconds S]
//                      [--only calls,lists,startup,otel] [--systems direct,gateway,filtered,sdk]
//                      [--gateway PATH] [--launch readme|shebang]
//
// `--ratios` measures only what issue #12's targets are judged on (CPU per call at 64 in flight, 1 MiB
// results, peak RSS, start-up and first tools/list) for direct and the two gateways, in about a minute.
// The gateway is started as the README shows, `node dist/gateway.js` with no Node flags; `--launch
// shebang` adds the flags of its shebang instead, and `--gateway` measures another build.
//
// Every system (direct, gateway without plugins, gateway with the three content filters and a JSONL
// audit log, and the SDK pass-through as a reference) is driven by the same raw NDJSON load client,
// against the same bundled upstream (bench/servers/bench-server.mjs). Rounds interleave the systems
// (A B C D, B C D A, ...) so background load hits all of them alike; figures are medians over rounds
// and ratios are taken within a round. Results are printed and written to docs/benchmarks.md.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LoadClient, closeClient, killAllChildren, procChildren, procCpuMs, procStatusKb } from './lib/load-client.mjs';
import { median, quantile } from './lib/stats.mjs';
import { callSystems, GATEWAY, gatewayArgs, listSystems, ROOT, startupSystems } from './lib/systems.mjs';
import { machineInfo, renderReport, updateDoc } from './lib/report.mjs';
import { HTTP_PROFILES, measureHttpDownstream } from './http-downstream.mjs';
import { measureOtelCost, renderOtelCost } from './otel.mjs';

const MIB = 1024 * 1024;

/** How much work each measurement does; `quick` only proves the benchmark still runs (the smoke test). */
const PROFILES = {
  full: {
    rounds: 5,
    warmupMs: 400,
    sequentialCalls: 3000,
    throughputMs: 1000,
    inFlight: [1, 16, 64],
    big: [
      { mib: 1, calls: 8 },
      { mib: 10, calls: 3 },
    ],
    listServers: 5,
    listTools: [100, 1000],
    listCalls: 15,
    listRounds: 3,
    startupRounds: 5,
  },
  quick: {
    rounds: 1,
    warmupMs: 50,
    sequentialCalls: 100,
    throughputMs: 100,
    inFlight: [1, 16, 64],
    big: [
      { mib: 0.25, calls: 1 },
      { mib: 2.5, calls: 1 },
    ],
    listServers: 2,
    listTools: [10, 50],
    listCalls: 2,
    listRounds: 1,
    startupRounds: 1,
  },
  /** Issue #12's ratios alone: enough rounds for a median and a spread, nothing the targets do not use. */
  ratios: {
    rounds: 3,
    warmupMs: 400,
    sequentialCalls: 500,
    throughputMs: 1000,
    inFlight: [64],
    big: [{ mib: 1, calls: 8 }],
    listServers: 0,
    listTools: [],
    listCalls: 0,
    listRounds: 0,
    startupRounds: 3,
  },
};

const { values: cli } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    ratios: { type: 'boolean' },
    rounds: { type: 'string' },
    'no-sdk': { type: 'boolean' },
    'no-write': { type: 'boolean' },
    json: { type: 'string' },
    out: { type: 'string' },
    'max-seconds': { type: 'string' },
    // For working on one figure: run only these phases / these systems (the report then has gaps).
    only: { type: 'string' },
    systems: { type: 'string' },
    gateway: { type: 'string' },
    launch: { type: 'string' },
  },
});
const profileName = cli.quick ? 'quick' : cli.ratios ? 'ratios' : 'full';
const phases = new Set((cli.only ?? (cli.ratios ? 'calls,startup' : cli.quick ? 'calls,lists,startup' : 'calls,lists,startup,http,otel')).split(','));
const profile = { ...PROFILES[profileName] };
if (cli.rounds !== undefined) profile.rounds = Math.max(1, Number(cli.rounds) || 1);
const maxSeconds = Number(cli['max-seconds'] ?? (cli.quick ? 60 : 420));
if (cli.launch !== undefined && cli.launch !== 'readme' && cli.launch !== 'shebang') throw new Error(`--launch is readme or shebang, not ${cli.launch}`);
/** @type {import('./lib/systems.mjs').GatewayLaunch} */
const launch = { script: path.resolve(cli.gateway ?? GATEWAY), how: cli.launch ?? 'readme' };

function progress(line) {
  process.stderr.write(`bench: ${line}\n`);
}

/** Rotates the systems by the round number: A B C, B C A, C A B, ... */
function rotated(items, round) {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * A small `echo` call whose text differs from call to call ("hello world 17"), as argument values do
 * in real traffic: no cache in any system can answer it from memory.
 */
function echoLine(prefix) {
  const head = '{"jsonrpc":"2.0","id":';
  const middle = `,"method":"tools/call","params":{"name":"${prefix}echo","arguments":{"text":"hello world `;
  return (id) => head + id + middle + id + '"}}}\n';
}

function callLine(prefix, tool, args) {
  const head = '{"jsonrpc":"2.0","id":';
  const tail = `,"method":"tools/call","params":${JSON.stringify({ name: prefix + tool, arguments: args })}}\n`;
  return (id) => head + id + tail;
}

function methodLine(method) {
  const tail = `,"method":"${method}"}\n`;
  return (id) => '{"jsonrpc":"2.0","id":' + id + tail;
}

async function open(system) {
  const client = new LoadClient(system.label, system.command, system.args, { cwd: ROOT });
  await client.initialize();
  return client;
}

/** Checks that a system really does the work: the echo comes back, and a prose result arrives byte for byte. */
async function check(client, system, referenceText) {
  const echo = await client.request('tools/call', { name: `${system.toolPrefix}echo`, arguments: { text: 'hello world' } });
  if (echo.result?.content?.[0]?.text !== 'hello world') throw new Error(`${system.label}: echo answered ${JSON.stringify(echo).slice(0, 300)}`);
  const big = await client.request('tools/call', { name: `${system.toolPrefix}big`, arguments: { bytes: 65536, kind: 'prose' } });
  const text = big.result?.content?.[0]?.text;
  if (typeof text !== 'string' || text.length !== 65536) throw new Error(`${system.label}: big answered ${JSON.stringify(big).slice(0, 300)}`);
  if (referenceText !== undefined && text !== referenceText) throw new Error(`${system.label}: the prose result was changed on the way (a filter fired?)`);
  return text;
}

// ---------------------------------------------------------------- phases

/** tools/call round trips and throughput, then big results, on one long-lived session per system. */
async function measureCalls(systems, results) {
  const sessions = new Map();
  let reference;
  for (const system of systems) {
    const client = await open(system);
    sessions.set(system.key, client);
    reference = await check(client, system, reference);
    if (system.isProxy) (results.rssIdleKb ??= {})[system.key] = procStatusKb(client.pid, 'VmHWM');
    const echo = echoLine(system.toolPrefix);
    // Warm-up: lets V8 compile the hot paths of every process before anything is measured.
    await client.throughput(64, profile.warmupMs, echo);
    await client.sequential(Math.min(500, profile.sequentialCalls), echo);
  }
  const rounds = [];
  for (let round = 0; round < profile.rounds; round++) {
    progress(`tools/call round ${round + 1}/${profile.rounds}`);
    const figures = Object.fromEntries(systems.map((s) => [s.key, { throughput: {} }]));
    const order = rotated(systems, round);
    for (const system of order) {
      const times = await sessions.get(system.key).sequential(profile.sequentialCalls, echoLine(system.toolPrefix));
      figures[system.key].p50 = quantile(times, 0.5);
      figures[system.key].p99 = quantile(times, 0.99);
    }
    for (const inFlight of profile.inFlight) {
      for (const system of order) {
        const client = sessions.get(system.key);
        // CPU time each process spends per call: far less sensitive to other load than throughput,
        // and their sum is what bounds throughput when a batch of calls goes round the processes.
        const pids = system.isProxy ? { proxy: client.pid, upstream: procChildren(client.pid)[0] } : { upstream: client.pid };
        const cpuBefore = Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, procCpuMs(pid)]));
        const ownBefore = process.cpuUsage();
        const run = await client.throughput(inFlight, profile.throughputMs, echoLine(system.toolPrefix));
        figures[system.key].throughput[inFlight] = run.perSecond;
        if (inFlight === 64) {
          const own = process.cpuUsage(ownBefore);
          const cpu = { client: (own.user + own.system) / run.completed };
          for (const [role, pid] of Object.entries(pids)) cpu[role] = ((procCpuMs(pid) - cpuBefore[role]) * 1000) / run.completed;
          figures[system.key].cpuPerCall = cpu;
          if (cpu.proxy !== undefined) figures[system.key].cpuPerCallUs = cpu.proxy;
        }
      }
    }
    rounds.push(figures);
  }
  results.calls = rounds;
  results.rssAfterCallsKb = {};
  for (const system of systems) if (system.isProxy) results.rssAfterCallsKb[system.key] = procStatusKb(sessions.get(system.key).pid, 'VmHWM');

  const bigRounds = [];
  for (let round = 0; round < profile.rounds; round++) {
    progress(`big results round ${round + 1}/${profile.rounds}`);
    const figures = Object.fromEntries(systems.map((s) => [s.key, {}]));
    for (const { mib, calls } of profile.big) {
      for (const system of rotated(systems, round)) {
        const client = sessions.get(system.key);
        const line = callLine(system.toolPrefix, 'big', { bytes: Math.round(mib * MIB), kind: 'prose' });
        if (round === 0) await client.sequential(1, line); // the first big message sizes buffers; not measured
        const times = await client.sequential(calls, line);
        figures[system.key][mib] = median([...times]) / 1000; // ms per call
      }
    }
    bigRounds.push(figures);
  }
  results.big = bigRounds;
  results.rssAfterBigKb = {};
  for (const system of systems) if (system.isProxy) results.rssAfterBigKb[system.key] = procStatusKb(sessions.get(system.key).pid, 'VmHWM');
  for (const client of sessions.values()) await closeClient(client);
}

/** tools/list latency with several upstreams of many tools, each system on a fresh session. */
async function measureLists(tmp, results) {
  results.lists = {};
  for (const tools of profile.listTools) {
    const systems = listSystems(tmp, profile.listServers, tools, launch);
    const order = [systems.direct, systems.gateway, systems.filtered];
    const perRound = [];
    for (let round = 0; round < profile.listRounds; round++) {
      progress(`tools/list ${profile.listServers}×${tools} round ${round + 1}/${profile.listRounds}`);
      const figures = {};
      for (const system of rotated(order, round)) {
        const client = await open(system);
        const listed = await client.request('tools/list');
        const count = listed.result?.tools?.length;
        // Each bench server lists echo and big besides its numbered tools.
        const expected = system.key === 'direct' ? profile.listServers * tools + 2 : profile.listServers * (tools + 2);
        if (count !== expected) throw new Error(`${system.label}: tools/list returned ${count} tools, expected ${expected}`);
        await client.sequential(3, methodLine('tools/list'));
        const times = await client.sequential(profile.listCalls, methodLine('tools/list'));
        figures[system.key] = median([...times]) / 1000;
        await closeClient(client);
      }
      perRound.push(figures);
    }
    results.lists[tools] = perRound;
  }
}

/** Time from spawning to the answer of `initialize`: each upstream alone, then the gateway in front of all three. */
async function measureStartup(tmp, results) {
  const systems = startupSystems(tmp, launch);
  const rounds = [];
  for (let round = 0; round < profile.startupRounds; round++) {
    progress(`start-up round ${round + 1}/${profile.startupRounds}`);
    const figures = { upstreams: {} };
    const runs = [...systems.upstreams, systems.gateway, systems.filtered];
    for (const system of rotated(runs, round)) {
      const client = new LoadClient(system.label, system.command, system.args, { cwd: ROOT });
      await client.initialize();
      const ms = performance.now() - client.spawnedAt;
      // What a client waits for before it can offer tools: the first list (the filters scan every
      // definition in it, so their first use is in this figure too).
      const listed = await client.request('tools/list');
      if (!Array.isArray(listed.result?.tools)) throw new Error(`${system.label}: tools/list answered ${JSON.stringify(listed).slice(0, 300)}`);
      const listMs = performance.now() - client.spawnedAt;
      if (system.isProxy) {
        figures[system.key] = ms;
        figures[`${system.key}List`] = listMs;
      } else {
        figures.upstreams[system.key] = ms;
        (figures.upstreamsList ??= {})[system.key] = listMs;
      }
      await closeClient(client);
    }
    figures.slowestUpstream = Math.max(...Object.values(figures.upstreams));
    figures.slowestUpstreamList = Math.max(...Object.values(figures.upstreamsList));
    rounds.push(figures);
  }
  results.startup = rounds;
}

// ---------------------------------------------------------------- main

/** A path as the report shows it: relative inside the repository, absolute outside it. */
function shownPath(file) {
  const relative = path.relative(ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Configs and audit logs of this run; removed at the end, also when the run is stopped. */
let tmp;

function cleanUp() {
  killAllChildren();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

async function main() {
  if (!existsSync(launch.script)) throw new Error(`${launch.script} is missing: run 'npm run build' first`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-bench-'));
  const startedAt = performance.now();
  const results = {
    date: new Date().toISOString(),
    profile: profileName,
    settings: profile,
    launch: { how: launch.how, script: shownPath(launch.script), args: gatewayArgs(launch).map((a) => (a === launch.script ? shownPath(a) : a)) },
    machine: machineInfo(),
    loadBefore: os.loadavg(),
    gatewayBundleBytes: statSync(path.join(path.dirname(launch.script), 'gateway-core.js')).size,
  };
  try {
    const wanted = cli.systems?.split(',');
    // The ratios need direct and the two gateways only: the relay and the SDK proxy are references.
    const systems = callSystems(tmp, { sdk: !cli['no-sdk'] && !cli.ratios, relay: !cli.ratios, launch }).filter((s) => s.key === 'direct' || !wanted || wanted.includes(s.key));
    results.systems = systems.map(({ key, label }) => ({ key, label }));
    if (phases.has('calls')) await measureCalls(systems, results);
    if (phases.has('lists')) await measureLists(tmp, results);
    if (phases.has('startup')) await measureStartup(tmp, results);
    // The gateway as an HTTP server against a direct HTTP connection (bench/http-downstream.mjs).
    if (phases.has('http')) results.httpDownstream = await measureHttpDownstream(HTTP_PROFILES[profileName === 'quick' ? 'quick' : 'full'], progress);
    // What audit_otel costs per call (bench/otel.mjs): its own systems, so the other tables stay as they were.
    if (phases.has('otel')) results.otel = await measureOtelCost({ dir: tmp, launch, rounds: profile.rounds, sequentialCalls: Math.min(2000, profile.sequentialCalls), throughputMs: profile.throughputMs, progress });
    const auditFile = path.join(tmp, 'filtered-audit.jsonl');
    results.auditBytes = existsSync(auditFile) ? statSync(auditFile).size : 0;
  } finally {
    cleanUp();
  }
  results.loadAfter = os.loadavg();
  results.seconds = (performance.now() - startedAt) / 1000;
  const report = renderReport(results);
  if (results.otel) report.markdown += `\n\n${renderOtelCost(results.otel)}`;
  process.stdout.write(`${report.markdown}\n`);
  if (results.httpDownstream) process.stdout.write(`\n${results.httpDownstream.markdown}\n`);
  if (cli.json) writeFileSync(cli.json, JSON.stringify({ ...results, summary: report.summary, targets: report.targets, ratioTargets: report.ratioTargets }, null, 2));
  // Only a full run of this build, started the README's way, replaces the page's results.
  if (!cli['no-write'] && profileName === 'full' && !cli.only && !cli.systems && !cli.gateway && launch.how === 'readme') {
    const doc = cli.out ?? path.join(ROOT, 'docs', 'benchmarks.md');
    updateDoc(doc, report.markdown);
    progress(`results written to ${path.relative(ROOT, doc)}`);
  }
}

const deadline = setTimeout(() => {
  progress(`stopped: the run took longer than ${maxSeconds} s`);
  cleanUp();
  process.exit(1);
}, maxSeconds * 1000);
deadline.unref();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

main().then(
  () => {
    clearTimeout(deadline);
    process.exit(0);
  },
  (err) => {
    cleanUp();
    progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
