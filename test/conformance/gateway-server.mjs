// Runs the official conformance suite's SERVER scenarios against the gateway serving Streamable HTTP,
// through its per-server endpoint (/servers/conformance/mcp) in front of
// test/fixtures/servers/conformance-upstream.mjs, which offers the tools, resources and prompts the
// scenarios call. Every request to the gateway needs its bearer token and the suite cannot send one,
// so a loopback proxy in this script adds the header (and nothing else) on the suite's behalf.
//
// Usage: node test/conformance/gateway-server.mjs --node24 /path/to/node [--spec-version V] [--results DIR] [scenario ...]
// Exit: 0 when every scenario passed or failed as the baseline (test/conformance/baseline-server.json)
// expects; 1 otherwise. Needs dist/gateway.js (npm run build).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SUITE = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const BASELINE = path.join(ROOT, 'test', 'conformance', 'baseline-server.json');

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  return value;
};
const node24 = option('--node24') ?? process.execPath;
const specVersion = option('--spec-version') ?? '2025-11-25';
const results = option('--results') ?? mkdtempSync(path.join(tmpdir(), 'gatekit-conformance-server-'));
const only = args;

const freePort = () =>
  new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const token = randomBytes(32).toString('hex');
const gatewayPort = await freePort();
const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-conformance-'));
const config = path.join(dir, 'gatekit.yaml');
writeFileSync(
  config,
  [
    'proxy:',
    '  transport: http',
    `  http: { host: 127.0.0.1, port: ${gatewayPort}, token_env: GATEKIT_CONFORMANCE_TOKEN }`,
    '  upstreams:',
    `    - name: conformance`,
    `      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'servers', 'conformance-upstream.mjs'))}]`,
    '',
  ].join('\n'),
);
const gateway = spawn(process.execPath, [path.join(ROOT, 'dist', 'gateway.js'), '--config', config], {
  env: { ...process.env, GATEKIT_CONFORMANCE_TOKEN: token },
  stdio: ['ignore', 'inherit', 'pipe'],
});
const gatewayLog = [];
gateway.stderr.on('data', (chunk) => gatewayLog.push(chunk.toString()));

// The suite's requests, with the bearer token added; everything else (Host, Origin, bodies, streams) as sent.
const proxy = http.createServer((req, res) => {
  const upstream = http.request({ host: '127.0.0.1', port: gatewayPort, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${token}` } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
  res.on('close', () => upstream.destroy());
});
const proxyPort = await new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy.address().port)));

// Wait for the gateway to listen.
for (let i = 0; ; i++) {
  const up = await new Promise((resolve) => {
    const probe = http.request({ host: '127.0.0.1', port: gatewayPort, method: 'GET', path: '/' }, (res) => {
      res.resume();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
    probe.end();
  });
  if (up) break;
  if (i > 100 || gateway.exitCode !== null) {
    console.error(`the gateway did not start:\n${gatewayLog.join('')}`);
    process.exit(2);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const url = `http://127.0.0.1:${proxyPort}/servers/conformance/mcp`;
const listed = spawnSync(node24, [SUITE, 'list', '--server'], { encoding: 'utf8' });
const applicable = listed.stdout
  .split('\n')
  .map((line) => /^\s+- (\S+) \[([^\]]*)\]/.exec(line))
  .filter((m) => m && m[2].split(',').includes(specVersion))
  .map((m) => m[1]);
const scenarios = only.length ? only : applicable;
const baseline = JSON.parse(readFileSync(BASELINE, 'utf8'));
const expectedToFail = new Set(baseline[specVersion] ?? []);

const outcome = { passed: [], failedAsExpected: [], failedUnexpectedly: [], passedButListed: [] };
for (const scenario of scenarios) {
  const run = await new Promise((resolve) => {
    const child = spawn(node24, [SUITE, 'server', '--url', url, '--scenario', scenario, '--spec-version', specVersion, '-o', results], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => resolve({ code, out }));
  });
  const ok = run.code === 0;
  const listedAsFailing = expectedToFail.has(scenario);
  if (ok && !listedAsFailing) outcome.passed.push(scenario);
  else if (ok) outcome.passedButListed.push(scenario);
  else if (listedAsFailing) outcome.failedAsExpected.push(scenario);
  else {
    outcome.failedUnexpectedly.push(scenario);
    writeFileSync(path.join(results, `${scenario.replace(/\W/g, '_')}.log`), run.out);
  }
  console.log(`${ok ? 'pass' : 'FAIL'}  ${scenario}${listedAsFailing ? ' (baseline: expected to fail)' : ''}`);
}

gateway.kill('SIGTERM');
proxy.close();
console.log(
  `\nconformance server scenarios at ${specVersion}: ${outcome.passed.length + outcome.passedButListed.length}/${scenarios.length} passed` +
    ` (${outcome.failedAsExpected.length} expected failures, ${outcome.failedUnexpectedly.length} unexpected, ${outcome.passedButListed.length} listed but passing); results in ${results}`,
);
if (outcome.failedUnexpectedly.length) console.log(`unexpected failures: ${outcome.failedUnexpectedly.join(', ')}`);
if (outcome.passedButListed.length) console.log(`now passing, remove from ${path.relative(ROOT, BASELINE)}: ${outcome.passedButListed.join(', ')}`);
process.exit(outcome.failedUnexpectedly.length || outcome.passedButListed.length ? 1 : 0);
