// Tells VS Code how to start the Gatekit gateway as an MCP server: one stdio server definition
// running dist/gateway.js on the extension host's own Node. Its version changes only with what a
// running gateway cannot take over live (program, arguments, working folder): VS Code stops and
// restarts a server whose definition changed, and every configuration change reaches running
// gateways by hot reload instead. The configuration itself travels in the environment, read when
// VS Code starts the server (resolveMcpServerDefinition), so a new start gets the newest.
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { ControlEnv } from '../shared/protocol';
import type { EffectiveConfig } from './effective-config';
import { gatewayNodeArgs } from './gateway-command';
import { formatWritableRoots } from '../config/write-paths';

/** Id of the provider in package.json `contributes.mcpServerDefinitionProviders`. */
export const MCP_PROVIDER_ID = 'gatekit.gateway';
/** Label of the one server VS Code lists. */
export const SERVER_LABEL = 'Gatekit';

/**
 * Environment of a gateway the extension starts: the configuration (as JSON: secrets never touch
 * the disk), where it notionally lives, and how to reach this window's control server.
 */
export function gatewayEnvironment(config: EffectiveConfig, controlEnvironment: Record<string, string>): Record<string, string> {
  return {
    // Run the Electron (or Node) executable of the extension host as plain Node.
    ELECTRON_RUN_AS_NODE: '1',
    [ControlEnv.configJson]: JSON.stringify(config.config),
    [ControlEnv.configBase]: config.configBase,
    [ControlEnv.configVersion]: config.version,
    [ControlEnv.writableRoots]: formatWritableRoots(config.writableRoots),
    ...controlEnvironment,
  };
}

export interface ServerProviderSources {
  /** Absolute path of dist/gateway.js. */
  gatewayScript: string;
  /** The configuration to run (the last valid one), or undefined when nothing is configured. */
  config(): EffectiveConfig | undefined;
  /** Control link variables of this window. */
  controlEnvironment(): Record<string, string>;
}

/** The `McpServerDefinitionProvider`: one "Gatekit" server while a valid configuration exists. */
export class GatekitServerProvider implements vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.changeEmitter.event;

  /** The launch version VS Code was last told about (undefined: no definition). */
  private announcedLaunch: string | undefined;

  constructor(private readonly sources: ServerProviderSources) {}

  /** Hash of what only a new process can change: the program, its arguments and its working folder. */
  private static launchVersion(command: string, args: readonly string[], cwd: string): string {
    return createHash('sha256').update(JSON.stringify([command, args, cwd])).digest('hex').slice(0, 16);
  }

  /** The definition VS Code gets now, or undefined when there is nothing to run. */
  definition(): vscode.McpStdioServerDefinition | undefined {
    const config = this.sources.config();
    if (config === undefined || config.config === undefined) return undefined;
    const args = gatewayNodeArgs(this.sources.gatewayScript);
    const definition = new vscode.McpStdioServerDefinition(
      SERVER_LABEL,
      process.execPath,
      args,
      gatewayEnvironment(config, this.sources.controlEnvironment()),
      GatekitServerProvider.launchVersion(process.execPath, args, config.workingFolder),
    );
    definition.cwd = vscode.Uri.file(config.workingFolder);
    return definition;
  }

  provideMcpServerDefinitions(): vscode.McpStdioServerDefinition[] {
    const definition = this.definition();
    return definition === undefined ? [] : [definition];
  }

  /** Called right before VS Code starts the server: hand out the freshest definition. */
  resolveMcpServerDefinition(server: vscode.McpStdioServerDefinition): vscode.McpStdioServerDefinition | undefined {
    return this.definition() ?? (server.label === SERVER_LABEL ? undefined : server);
  }

  /**
   * The configuration changed. VS Code hears of it only when the server must start anew (a new
   * launch version, or a definition appearing or going): anything else the gateways apply live.
   * Returns true when VS Code was told.
   */
  changed(): boolean {
    const launch = this.definition()?.version;
    if (launch === this.announcedLaunch) return false;
    this.announcedLaunch = launch;
    this.changeEmitter.fire();
    return true;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
