// What setup will do, computed before anything is written: the gatekit.yaml holding every client's
// servers (names made valid and unique) with default protections, and each client's new file text.
import * as path from 'node:path';
import { stringify } from 'yaml';
import { GATEWAY_ENTRY, type ClientScan, type ClientServer } from './clients';
import { rewriteCodexServers } from './codex-toml';

export interface ClientChange {
  readonly scan: ClientScan;
  /** The client's server names moved behind the gateway. */
  readonly moved: string[];
  readonly newText: string;
}

export interface SetupPlan {
  readonly configFile: string;
  readonly configText: string;
  /** Upstream name in gatekit.yaml → where it came from. */
  readonly upstreams: { name: string; from: string; server: ClientServer }[];
  readonly changes: ClientChange[];
}

/** How each client starts the gateway. */
export function gatewayLaunch(configFile: string): { command: string; args: string[] } {
  return { command: 'npx', args: ['-y', 'gatekit-gateway', '--config', configFile] };
}

/** An upstream name Gatekit accepts (`^[a-z][a-z0-9_-]*$`, no `__`), from whatever a client called it. */
export function upstreamNameFor(clientName: string): string {
  let name = clientName.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/_{2,}/g, '_').replace(/^[-_]+|[-_]+$/g, '');
  if (!/^[a-z]/.test(name)) name = `server-${name}`.replace(/-+$/, '');
  return name.slice(0, 64);
}

function sameServer(a: ClientServer, b: ClientServer): boolean {
  return a.command === b.command && JSON.stringify(a.args) === JSON.stringify(b.args) && JSON.stringify(a.env) === JSON.stringify(b.env);
}

/** Builds the plan. Servers declared identically by several clients become one upstream. */
export function planSetup(scans: readonly ClientScan[], configFile: string): SetupPlan {
  const upstreams: SetupPlan['upstreams'] = [];
  const changes: ClientChange[] = [];
  for (const scan of scans) {
    if (scan.text === undefined || scan.servers.length === 0) continue;
    for (const server of scan.servers) {
      if (upstreams.some((upstream) => sameServer(upstream.server, server) && upstream.name === upstreamNameFor(server.name))) continue;
      const base = upstreamNameFor(server.name);
      let name = base;
      for (let n = 2; upstreams.some((upstream) => upstream.name === name); n++) name = `${base}-${n}`;
      upstreams.push({ name, from: `${scan.location.label}: ${server.name}`, server });
    }
    changes.push({ scan, moved: scan.servers.map((server) => server.name), newText: rewriteClient(scan, configFile) });
  }
  return { configFile, configText: configTextFor(upstreams), upstreams, changes };
}

function configTextFor(upstreams: SetupPlan['upstreams']): string {
  const config = {
    proxy: {
      transport: 'stdio',
      upstreams: upstreams.map(({ name, server }) => ({
        name,
        command: [server.command, ...server.args],
        ...(Object.keys(server.env).length > 0 ? { env: server.env } : {}),
      })),
    },
    plugins: {
      security: {
        _global: [
          { handler: 'basic_secrets_filter', config: { action: 'redact' } },
          { handler: 'basic_pii_filter', config: { action: 'redact' } },
          { handler: 'basic_prompt_injection_defense', config: { action: 'redact', sensitivity: 'standard' } },
          { handler: 'tool_pinning', config: { lockfile: 'gatekit.lock.json' } },
        ],
      },
      auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: 'gatekit-audit.jsonl' } }] },
    },
  };
  const origins = upstreams.map(({ name, from }) => `#   ${name}  ←  ${from.replace(/[\r\n]/g, ' ')}`).join('\n');
  return `# Written by 'gatekit-gateway setup' from your MCP clients' configurations.\n# Servers:\n${origins}\n# Relative paths resolve against this file's folder. Undo the client changes with 'gatekit-gateway setup --restore'.\n${stringify(config)}`;
}

function rewriteClient(scan: ClientScan, configFile: string): string {
  const launch = gatewayLaunch(configFile);
  const moved = new Set(scan.servers.map((server) => server.name));
  if (scan.location.format === 'toml') return rewriteCodexServers(scan.text!, moved, { name: GATEWAY_ENTRY, ...launch });
  const root = JSON.parse(scan.text!) as Record<string, unknown>;
  const servers = root['mcpServers'] as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(servers)) {
    if (!moved.has(name)) Object.defineProperty(kept, name, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  Object.defineProperty(kept, GATEWAY_ENTRY, { value: { command: launch.command, args: launch.args }, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(root, 'mcpServers', { value: kept, enumerable: true, writable: true, configurable: true });
  return `${JSON.stringify(root, null, 2)}\n`;
}

/** The config file setup writes unless told otherwise: ~/.gatekit/gatekit.yaml. */
export function defaultConfigFile(home: string, platform: NodeJS.Platform): string {
  return (platform === 'win32' ? path.win32 : path.posix).join(home, '.gatekit', 'gatekit.yaml');
}
