// Tells VS Code how to start the Gatekit gateway as an MCP server: one stdio server definition
// running dist/gateway.js on the extension host's own Node, versioned by the config hash.
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

  constructor(private readonly sources: ServerProviderSources) {}

  /** The definition VS Code gets now, or undefined when there is nothing to run. */
  definition(): vscode.McpStdioServerDefinition | undefined {
    const config = this.sources.config();
    if (config === undefined || config.config === undefined) return undefined;
    const definition = new vscode.McpStdioServerDefinition(
      SERVER_LABEL,
      process.execPath,
      gatewayNodeArgs(this.sources.gatewayScript),
      gatewayEnvironment(config, this.sources.controlEnvironment()),
      config.version,
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

  /** The definition changed (new configuration version, or none any more). */
  changed(): void {
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
