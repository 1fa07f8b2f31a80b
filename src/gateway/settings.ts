// Turns a validated Gatekit config into the gateway's own settings (upstream specs, plugin scopes).
import type { UpstreamSpec } from './upstream';
import type { PluginLookup, PluginsByKind } from '../plugins/pipeline';
import type { PluginEnvironment } from '../plugins/types';
import { findPlugin } from '../plugins/registry';
import type { LoadedConfig } from '../config/loader';
import { resolveUserPath } from '../config/paths';
import { withDefaultPlugins } from '../config/defaults';
import { gatekitVersion } from './version';
import { DEFAULT_MAX_LINE_BYTES } from './transport/ndjson';

/** Everything the gateway needs, already validated and resolved. */
export interface GatewaySettings {
  readonly upstreams: readonly UpstreamSpec[];
  readonly plugins: PluginsByKind;
  readonly pluginEnv: PluginEnvironment;
  readonly registry: PluginLookup;
  readonly maxLineBytes?: number;
  readonly serverInfo: { name: string; version: string };
}

export interface SettingsOptions {
  /** A plain function (no `this`): it is handed on to the plugins as their log. */
  readonly log: (line: string) => void;
  readonly maxLineBytes?: number;
}

export function settingsFromConfig(loaded: LoadedConfig, options: SettingsOptions): GatewaySettings {
  const { config, configDir, configPath } = loaded;
  const timeouts = config.proxy.timeouts;
  const upstreams: UpstreamSpec[] = config.proxy.upstreams
    .filter((u) => u.enabled !== false)
    .map((u): UpstreamSpec => {
      const policy = {
        restartOnFailure: u.restart_on_failure,
        maxRestartAttempts: u.max_restart_attempts,
        connectionTimeoutMs: timeouts.connection_timeout * 1000,
        requestTimeoutMs: timeouts.request_timeout * 1000,
        maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        ...(u.server_identity ? { serverIdentity: u.server_identity } : {}),
      };
      const remote = u.remote;
      if (remote) {
        return { name: u.name, transport: remote.transport, url: remote.url, headers: remote.headers, tlsVerify: remote.tls_verify, ...(remote.oauth ? { oauth: remote.oauth } : {}), ...policy };
      }
      return { name: u.name, command: u.command, env: u.env, ...(u.cwd ? { cwd: u.cwd } : {}), ...policy };
    });
  for (const warning of loaded.warnings) options.log(`config: ${warning}`);
  return {
    upstreams,
    plugins: withDefaultPlugins(config.plugins, upstreams.map((u) => u.name)),
    registry: { find: findPlugin },
    pluginEnv: {
      configDir,
      ...(configPath ? { configPath } : {}),
      resolvePath: (p) => resolveUserPath(p, configDir, process.env),
      log: options.log,
    },
    ...(options.maxLineBytes ? { maxLineBytes: options.maxLineBytes } : {}),
    serverInfo: { name: 'gatekit', version: gatekitVersion },
  };
}
