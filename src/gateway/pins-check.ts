// `gatekit-gateway pins check`: starts every configured server without a client (as the views
// gateway does), lets the approval plugins compare what each server offers now with the lockfile,
// and reports what differs, for CI. The lockfile is never written: the plugins work on a copy of it
// in a temp folder, without trust on first use (a tool not in the lockfile is reported as new, not
// pinned) and in audit-only mode (nothing is withheld, so every tool is seen).
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gateway } from './gateway';
import { controlOnlyHandshake } from './control/control-only';
import { settingsFromConfig, type GatewaySettings } from './settings';
import { gatekitVersion } from './version';
import type { ClientReceiver, ClientTransport, SendCallback } from './transport/transport';
import type { LoadedConfig } from '../config/loader';
import { offerOf } from '../plugins/descriptors';
import type { PluginEntryConfig, PluginScopes, PluginsByKind } from '../plugins/pipeline';
import { changedFields, loadLockfile, ownValue, LOCKFILE_NAME } from '../plugins/security/pin-store';
import type { ToolInventoryParams } from '../shared/protocol';

/** One server's result. */
interface ServerCheck {
  readonly server: string;
  /** Offered now, not in the lockfile (or only waiting for approval there). */
  readonly new: string[];
  /** Offered now with a definition that differs from the pinned one. */
  readonly changed: { tool: string; fields: string[] }[];
  /** Pinned in the lockfile, no longer offered. */
  readonly missing: string[];
  /** Offered but pinned by no plugin (the config does not pin this server's tools). */
  readonly unpinned: string[];
  /** Set when the server did not start or did not list its tools in time. */
  readonly failed?: string;
}

export interface PinsCheckReport {
  readonly lockfile: string;
  readonly lockfileExists: boolean;
  readonly servers: ServerCheck[];
  /** Servers the lockfile holds that the config does not run (not checked). */
  readonly notConfigured: string[];
}

/** A client transport with no client behind it: it never ends by itself and takes nothing. */
class NoClientTransport implements ClientTransport {
  readonly backlog = 0;
  listen(_receiver: ClientReceiver): void {}
  send(_outgoing: unknown, done?: SendCallback): void {
    if (done) setImmediate(() => done(undefined));
  }
  pauseReceiving(): void {}
  resumeReceiving(): void {}
  onDrain(): { dispose(): void } {
    return { dispose: () => undefined };
  }
  flushed(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

/** Plugin entries that keep approvals, pointed at `copy`, with the options their descriptor declares for checking. */
function readOnlyPlugins(plugins: PluginsByKind, copy: string): { plugins: PluginsByKind; pinning: boolean } {
  let pinning = false;
  const out: Record<string, PluginScopes> = {};
  for (const [kind, scopes] of Object.entries(plugins)) {
    if (scopes === undefined) continue;
    const rewritten = Object.create(null) as Record<string, readonly PluginEntryConfig[]>;
    for (const [scope, entries] of Object.entries(scopes)) {
      rewritten[scope] = entries.map((entry) => {
        const offer = offerOf(entry, 'toolApprovals');
        if (offer === undefined) return entry;
        if (entry.enabled) pinning = true;
        const options = { ...(entry.options as Record<string, unknown>), ...offer.checkOptions, [offer.lockfileOption]: copy };
        return { ...entry, options };
      });
    }
    out[kind] = rewritten;
  }
  return { plugins: out, pinning };
}

/** Thrown for what is the caller's to fix (exit 2): no pinning plugin, an unusable lockfile. */
export class PinsCheckSetupError extends Error {}

/**
 * Starts the configured servers, waits up to `timeoutMs` for each one's tool inventory, stops them
 * and compares. `lockfile` is only read.
 */
export async function checkPins(loaded: LoadedConfig, lockfile: string, timeoutMs: number, log: (line: string) => void): Promise<PinsCheckReport> {
  let pinned;
  try {
    pinned = await loadLockfile(lockfile);
  } catch (err) {
    throw new PinsCheckSetupError((err as Error).message);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'gatekit-pins-check-'));
  try {
    const copy = path.join(dir, LOCKFILE_NAME);
    if (pinned.text !== undefined) await copyFile(lockfile, copy);
    const base = settingsFromConfig(loaded, { log });
    const { plugins, pinning } = readOnlyPlugins(base.plugins, copy);
    if (!pinning) throw new PinsCheckSetupError('no plugin in this config pins tool definitions (add tool_pinning under plugins.security)');
    const settings: GatewaySettings = { ...base, plugins };
    const inventories = await collectInventories(settings, timeoutMs, log);

    const servers: ServerCheck[] = [];
    for (const spec of settings.upstreams) {
      const result = inventories.get(spec.name);
      const check: ServerCheck = { server: spec.name, new: [], changed: [], missing: [], unpinned: [] };
      if (result === undefined || typeof result === 'string') {
        servers.push({ ...check, failed: result ?? 'did not list its tools' });
        continue;
      }
      const offered = new Set<string>();
      for (const tool of result.tools) {
        offered.add(tool.name);
        if (tool.pin === 'new') check.new.push(tool.name);
        else if (tool.pin === 'changed') check.changed.push({ tool: tool.name, fields: changedFields(tool.pinnedDefinition ?? {}, tool.currentDefinition ?? {}) });
        else if (tool.pin === 'none') check.unpinned.push(tool.name);
      }
      const entries = ownValue(pinned.lock.servers, spec.name) ?? {};
      for (const tool of Object.keys(entries)) if (ownValue(entries, tool)?.hash !== undefined && !offered.has(tool)) check.missing.push(tool);
      check.new.sort();
      check.changed.sort((a, b) => (a.tool < b.tool ? -1 : 1));
      check.missing.sort();
      check.unpinned.sort();
      servers.push(check);
    }
    const configured = new Set(settings.upstreams.map((u) => u.name));
    const notConfigured = Object.keys(pinned.lock.servers).filter((s) => !configured.has(s)).sort();
    return { lockfile, lockfileExists: pinned.text !== undefined, servers, notConfigured };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per server: its inventory, or why there is none. */
async function collectInventories(settings: GatewaySettings, timeoutMs: number, log: (line: string) => void): Promise<Map<string, ToolInventoryParams | string>> {
  const results = new Map<string, ToolInventoryParams | string>();
  let gateway: Gateway;
  try {
    gateway = new Gateway(settings, { client: new NoClientTransport(), log });
  } catch (err) {
    // A plugin that cannot load: the config's to fix.
    throw new PinsCheckSetupError((err as Error).message);
  }
  const names = [...gateway.upstreams.keys()];
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const settle = (): void => {
      if (names.every((n) => results.has(n))) resolve();
    };
    gateway.onToolInventory((inventory) => {
      results.set(inventory.server, inventory);
      settle();
    });
    gateway.onServerStatus((status) => {
      if ((status.state === 'failed' || status.state === 'stopped') && !results.has(status.name)) {
        results.set(status.name, `did not start${status.detail ? `: ${status.detail}` : ''}`);
        settle();
      }
    });
    // A gateway none of whose servers could start stops by itself.
    void gateway.finished.then(() => resolve());
    timer = setTimeout(resolve, timeoutMs);
    gateway.startWithoutClient({ ...controlOnlyHandshake(gatekitVersion), clientInfo: { name: 'gatekit-pins-check', version: gatekitVersion } });
    settle();
  });
  clearTimeout(timer);
  for (const name of names) {
    if (results.has(name)) continue;
    const upstream = gateway.upstreams.get(name);
    const state = upstream?.state;
    const detail = upstream?.lastError;
    results.set(name, state === 'running' ? `did not list its tools within ${timeoutMs} ms` : `did not start within ${timeoutMs} ms (${state ?? 'unknown'}${detail ? `: ${detail}` : ''})`);
  }
  await gateway.shutdown(0);
  return results;
}
