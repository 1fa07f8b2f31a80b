// VS Code extension entry point: creates the one GatekitExtension that owns everything else, and
// makes a failed activation visible (VS Code itself only logs it).
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { GatekitExtension } from './gatekit-extension';
import { couldNotStartMessage } from '../shared/messages';

/** What `activate` returns to other extensions and to the integration tests. */
export interface GatekitApi {
  readonly extension: GatekitExtension;
}

/** Called by VS Code on the first activation event. */
export async function activate(context: vscode.ExtensionContext): Promise<GatekitApi | undefined> {
  const log = vscode.window.createOutputChannel('Gatekit', { log: true });
  context.subscriptions.push(log);
  try {
    const extension = await GatekitExtension.start(context, log);
    context.subscriptions.push(extension, ...registerCommands(extension));
    log.info(`Gatekit ${String(context.extension.packageJSON.version)} active in VS Code ${vscode.version}`);
    return { extension };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log.error(`activation failed: ${message}`);
    void vscode.window.showErrorMessage(couldNotStartMessage(error instanceof Error ? error.message : String(error)), 'Show Log').then((choice) => {
      if (choice) log.show();
    });
    return undefined;
  }
}

/** Called by VS Code on shutdown; everything is disposed through context.subscriptions. */
export function deactivate(): void {}
