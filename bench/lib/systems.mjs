// The systems the benchmark compares (direct, gateway, gateway with filters and audit, SDK proxy) and
// the Gatekit configs they run with, written to a temp folder.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GATEWAY = path.join(ROOT, 'dist', 'gateway.js');
export const BENCH_SERVER = path.join(ROOT, 'bench', 'servers', 'bench-server.mjs');
export const SDK_PROXY = path.join(ROOT, 'bench', 'sdk-proxy.mjs');
export const LINE_RELAY = path.join(ROOT, 'bench', 'line-relay.mjs');

/** The upstream's name behind the gateway: its tools appear as `bench__echo`. */
export const UPSTREAM_NAME = 'bench';

/** The three content filters in redact mode: what a security-minded user turns on. */
const FILTERS = [
  { handler: 'basic_pii_filter', config: { action: 'redact' } },
  { handler: 'basic_secrets_filter', config: { action: 'redact' } },
  { handler: 'basic_prompt_injection_defense', config: { action: 'redact' } },
];

/**
 * @typedef {object} System
 * @property {string} key short id used in results
 * @property {string} label column title
 * @property {string} command
 * @property {string[]} args
 * @property {string} toolPrefix prefix of tool names as the client sees them
 * @property {boolean} isProxy whether the spawned process sits between client and upstream (its RSS and CPU are reported)
 */

function upstreamEntry(name, serverArgs) {
  return { name, command: [process.execPath, BENCH_SERVER, ...serverArgs] };
}

/** Writes a Gatekit config with the given upstreams; `filtered` adds the three filters and a JSONL audit log, otherwise no plugin runs. */
export function writeGatewayConfig(dir, fileName, upstreams, filtered) {
  const config = {
    proxy: { transport: 'stdio', upstreams, timeouts: { connection_timeout: 30, request_timeout: 60 } },
  };
  // "No plugins" means none: the definition scan a gateway runs by default is switched off here, so the
  // figure stays the router's own cost (the filtered system has the injection defense in its place).
  if (!filtered) config.plugins = { security: { _global: [{ handler: 'tool_definition_scan', config: { enabled: false } }] } };
  if (filtered) {
    config.plugins = {
      security: { _global: FILTERS },
      auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: path.join(dir, `${path.parse(fileName).name}-audit.jsonl`) } }] },
    };
  }
  const file = path.join(dir, fileName);
  // JSON is valid YAML; the loader picks the format from the extension.
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** The Node flags dist/gateway.js declares in its shebang: every launcher (the extension, `npx`) runs it with them. */
export function gatewayNodeFlags(script = GATEWAY) {
  const firstLine = readFileSync(script, 'utf8').slice(0, 200).split('\n')[0];
  const match = /^#!\/usr\/bin\/env -S node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(firstLine);
  if (!match) throw new Error(`unexpected shebang in ${script}: ${firstLine}`);
  return match[1].split(' ').filter(Boolean);
}

/**
 * How the benchmark starts a gateway: which build (`script`), and with which Node flags. `readme` is
 * `node dist/gateway.js`, as the README shows and as most users will type it (no flags: whatever
 * memory settings the gateway needs must hold without them); `shebang` adds the flags its shebang
 * declares, as `./dist/gateway.js` and the extension run it.
 * @typedef {{ script: string, how: 'readme' | 'shebang' }} GatewayLaunch
 */

/** @type {GatewayLaunch} */
export const README_LAUNCH = { script: GATEWAY, how: 'readme' };

/** The Node arguments before `--config` for a launch. */
export function gatewayArgs(launch) {
  return [...(launch.how === 'shebang' ? gatewayNodeFlags(launch.script) : []), launch.script];
}

/** A gateway process for a config file, started as `launch` says. */
export function gatewaySystem(key, label, configFile, launch = README_LAUNCH) {
  return { key, label, command: process.execPath, args: [...gatewayArgs(launch), '--config', configFile], toolPrefix: `${UPSTREAM_NAME}__`, isProxy: true };
}

/** The systems measured for tools/call, with one bench upstream each. */
export function callSystems(dir, { sdk, relay = true, launch = README_LAUNCH }) {
  const upstream = [upstreamEntry(UPSTREAM_NAME, [])];
  const systems = [
    { key: 'direct', label: 'direct', command: process.execPath, args: [BENCH_SERVER], toolPrefix: '', isProxy: false },
    gatewaySystem('gateway', 'gateway, no plugins', writeGatewayConfig(dir, 'plain.json', upstream, false), launch),
    gatewaySystem('filtered', 'gateway, 3 filters + audit', writeGatewayConfig(dir, 'filtered.json', upstream, true), launch),
  ];
  if (relay) {
    // The floor for any proxy that holds whole messages: what a process in the middle costs here.
    systems.splice(1, 0, { key: 'relay', label: 'line relay (no parsing)', command: process.execPath, args: [LINE_RELAY, process.execPath, BENCH_SERVER], toolPrefix: '', isProxy: true });
  }
  if (sdk) {
    systems.push({ key: 'sdk', label: 'SDK pass-through', command: process.execPath, args: [SDK_PROXY, process.execPath, BENCH_SERVER], toolPrefix: '', isProxy: true });
  }
  return systems;
}

/** `servers` upstreams with `tools` listed tools each, behind a gateway (or one server holding them all, direct). */
export function listSystems(dir, servers, tools, launch = README_LAUNCH) {
  const upstreams = Array.from({ length: servers }, (_, i) => upstreamEntry(`s${i}`, ['--tools', String(tools), '--name', `s${i}`]));
  return {
    direct: { key: 'direct', label: 'direct', command: process.execPath, args: [BENCH_SERVER, '--tools', String(servers * tools)], toolPrefix: '', isProxy: false },
    gateway: gatewaySystem('gateway', 'gateway, no plugins', writeGatewayConfig(dir, `list-${servers}x${tools}.json`, upstreams, false), launch),
    filtered: gatewaySystem('filtered', 'gateway, 3 filters + audit', writeGatewayConfig(dir, `list-${servers}x${tools}-filtered.json`, upstreams, true), launch),
  };
}

/** Three different upstreams for the start-up measurement, each also started alone as its own reference. */
export function startupSystems(dir, launch = README_LAUNCH) {
  const upstreams = [
    upstreamEntry('a', ['--name', 'a']),
    upstreamEntry('b', ['--name', 'b', '--tools', '100']),
    upstreamEntry('c', ['--name', 'c', '--tools', '1000']),
  ];
  return {
    upstreams: upstreams.map((u) => ({ key: u.name, label: `upstream ${u.name}`, command: u.command[0], args: u.command.slice(1), toolPrefix: '', isProxy: false })),
    gateway: gatewaySystem('gateway', 'gateway, no plugins', writeGatewayConfig(dir, 'startup.json', upstreams, false), launch),
    filtered: gatewaySystem('filtered', 'gateway, 3 filters + audit', writeGatewayConfig(dir, 'startup-filtered.json', upstreams, true), launch),
  };
}
