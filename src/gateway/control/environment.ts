// The control link's configuration from the environment the gateway was started in: where to
// connect (or whether at all), who this gateway is, and the config an extension passes inline.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { ConfigError } from '../../config/errors';
import { validateConfigObject, type LoadedConfig } from '../../config/loader';
import { ErrorCode } from '../../shared/jsonrpc';
import { ControlEnv, type GatewayIdentity, type GatewayMode } from '../../shared/protocol';
import { discoveryDirectories } from './discovery';
import { ControlLink, type ControlLinkHost, type ControlLinkOptions } from './link';

/** Facts about this gateway process that go into its identity. */
export interface GatewayFacts {
  mode: GatewayMode;
  version: string;
  configPath?: string;
  cwd?: string;
}

/**
 * Control link options from the environment, or undefined when `GATEKIT_CONTROL=off`.
 * `GATEKIT_CONTROL_SOCKET` + `GATEKIT_CONTROL_TOKEN` name the extension that started us; without
 * them the gateway looks for one in the discovery folders.
 */
export function controlLinkOptionsFromEnvironment(
  facts: GatewayFacts,
  log: (message: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ControlLinkOptions | undefined {
  if ((env[ControlEnv.mode] ?? '').toLowerCase() === 'off') return undefined;
  const socket = env[ControlEnv.socket] || undefined;
  const token = env[ControlEnv.token] || undefined;
  const identity: GatewayIdentity = {
    sessionId: randomUUID(),
    pid: process.pid,
    mode: facts.mode,
    version: facts.version,
    startedByExtension: socket !== undefined && token !== undefined,
    cwd: facts.cwd ?? process.cwd(),
    startedAt: Date.now(),
  };
  if (facts.configPath !== undefined) identity.configPath = facts.configPath;
  const configVersion = env[ControlEnv.configVersion];
  if (configVersion) identity.configVersion = configVersion;
  const options: ControlLinkOptions = { discoveryDirs: discoveryDirectories(env), identity, log };
  if (socket !== undefined && token !== undefined) {
    options.socket = socket;
    options.token = token;
  }
  return options;
}

/**
 * The configuration the VS Code extension passes to gateways it starts: `GATEKIT_CONFIG_JSON`
 * (the merged settings, as JSON: secrets never touch the disk) located at `GATEKIT_CONFIG_BASE`
 * (relative paths resolve against its folder; the pin lockfile sits beside it). Undefined when
 * the variable is not set; throws `ConfigError` when the config is invalid.
 */
export function configFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig | undefined {
  const text = env[ControlEnv.configJson];
  if (text === undefined || text === '') return undefined;
  const base = env[ControlEnv.configBase] ? path.resolve(env[ControlEnv.configBase]!) : undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw ConfigError.single({
      code: ErrorCode.ConfigInvalid,
      path: '',
      message: `${ControlEnv.configJson} is not valid JSON: ${(error as Error).message}`,
      fixInstructions: 'Let the Gatekit extension start the gateway, or pass --config FILE.',
    });
  }
  const loaded = validateConfigObject(value, { configDir: base === undefined ? process.cwd() : path.dirname(base), env });
  return base === undefined ? loaded : { ...loaded, configPath: base };
}

/**
 * Starts a control link for `host` from the environment (see {@link ControlEnv}); returns undefined
 * when the link is switched off. The caller disposes it on shutdown.
 */
export function startControlLink(host: ControlLinkHost, facts: GatewayFacts, log: (message: string) => void): ControlLink | undefined {
  const options = controlLinkOptionsFromEnvironment(facts, log);
  if (options === undefined) return undefined;
  const link = new ControlLink(host, options);
  link.start();
  return link;
}
