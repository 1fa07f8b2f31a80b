#!/usr/bin/env node
// Where the gateway's time goes: runs it under `node --cpu-prof` with one load, prints the functions
// with the most self time, and keeps the .cpuprofile (open it in Chrome DevTools or speedscope for a
// flame graph).
//
//   node bench/profile.mjs [--filtered] [--no-inline] [--load calls|big|list] [--seconds S] [--in-flight N] [--mib N] [--top N]
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LoadClient, closeClient, killAllChildren } from './lib/load-client.mjs';
import { ROOT, callSystems, listSystems } from './lib/systems.mjs';

const { values: cli } = parseArgs({
  options: {
    filtered: { type: 'boolean' },
    load: { type: 'string', default: 'calls' },
    seconds: { type: 'string', default: '4' },
    'in-flight': { type: 'string', default: '64' },
    mib: { type: 'string', default: '1' },
    top: { type: 'string', default: '30' },
    // Attributes time to the functions that spend it rather than to those they were inlined into.
    'no-inline': { type: 'boolean' },
  },
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-profile-'));
const profileDir = path.join(tmp, 'profile');
const system =
  cli.load === 'list'
    ? listSystems(tmp, 5, 100)[cli.filtered ? 'filtered' : 'gateway']
    : callSystems(tmp, { sdk: false }).find((s) => s.key === (cli.filtered ? 'filtered' : 'gateway'));
const client = new LoadClient('gateway', process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, ...(cli['no-inline'] ? ['--no-turbo-inlining'] : []), ...system.args], { cwd: ROOT });
try {
  await client.initialize();
  const until = Date.now() + Number(cli.seconds) * 1000;
  if (cli.load === 'calls') {
    const head = '{"jsonrpc":"2.0","id":';
    const middle = `,"method":"tools/call","params":{"name":"${system.toolPrefix}echo","arguments":{"text":"hello world `;
    const run = await client.throughput(Number(cli['in-flight']), until - Date.now(), (id) => head + id + middle + id + '"}}}\n');
    process.stderr.write(`${Math.round(run.perSecond)} calls/s\n`);
  } else {
    const tail =
      cli.load === 'big'
        ? `,"method":"tools/call","params":{"name":"${system.toolPrefix}big","arguments":{"bytes":${Number(cli.mib) * 1048576},"kind":"prose"}}}\n`
        : ',"method":"tools/list"}\n';
    let calls = 0;
    while (Date.now() < until) {
      await client.sequential(1, (id) => '{"jsonrpc":"2.0","id":' + id + tail);
      calls++;
    }
    process.stderr.write(`${calls} calls\n`);
  }
  await closeClient(client);
} finally {
  killAllChildren();
}

const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile was written');
const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8'));
const selfMicros = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const deltas = profile.timeDeltas;
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${path.basename(f.url || '')}:${f.lineNumber + 1}`;
  const dt = deltas[i] ?? 0;
  total += dt;
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + dt);
});
const top = [...selfMicros.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(cli.top));
process.stdout.write(`profile: ${path.join(profileDir, file)}\nself time, ${(total / 1e6).toFixed(2)} s sampled:\n`);
for (const [key, micros] of top) process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}\n`);
