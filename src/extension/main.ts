// VS Code extension entry point: creates the one GatekitExtension that owns everything else, and
// makes a failed activation visible (VS Code itself only logs it).
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { GatekitExtension } from './gatekit-extension';
import { registerTrafficCommands } from './traffic-commands';
import { registerPolicyEditor } from './policy-editor/policy-panel';
import { registerServerActions } from './server-actions';
import { couldNotStartMessage } from '../shared/messages';

/**
 * `performance.now()` at the first line of dist/extension.js, set by the bundle's banner (esbuild.mjs);
 * undefined when this module runs unbundled (unit tests).
 */
declare const GATEKIT_BUNDLE_START: number | undefined;

/** This module's body runs after every module it imports: the end of the bundle's own start-up. */
const bundleEvaluatedAt = performance.now();

/** How long the extension took to come up in this extension host, in milliseconds. */
export interface ActivationTimings {
  /** From the bundle's first line to its entry module evaluated (module initialisation); absent when unbundled. */
  readonly bundleEvaluationMs?: number;
  /** From VS Code calling `activate` to it returning the API. */
  readonly activateMs: number;
}

/** What `activate` returns to other extensions and to the integration tests. */
export interface GatekitApi {
  readonly extension: GatekitExtension;
  readonly activationTimings: ActivationTimings;
}

/** Called by VS Code on the first activation event. */
export async function activate(context: vscode.ExtensionContext): Promise<GatekitApi | undefined> {
  const activateCalledAt = performance.now();
  const log = vscode.window.createOutputChannel('Gatekit', { log: true });
  context.subscriptions.push(log);
  try {
    const extension = await GatekitExtension.start(context, log);
    context.subscriptions.push(extension, ...registerCommands(extension), ...registerTrafficCommands(extension), ...registerPolicyEditor(extension), ...registerServerActions(extension));
    const activationTimings: ActivationTimings = {
      ...(typeof GATEKIT_BUNDLE_START === 'number' ? { bundleEvaluationMs: bundleEvaluatedAt - GATEKIT_BUNDLE_START } : {}),
      activateMs: performance.now() - activateCalledAt,
    };
    log.info(`Gatekit ${String((context.extension.packageJSON as { version?: string }).version)} active in VS Code ${vscode.version} (${describeTimings(activationTimings)})`);
    return { extension, activationTimings };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log.error(`activation failed: ${message}`);
    void vscode.window.showErrorMessage(couldNotStartMessage(error instanceof Error ? error.message : String(error)), 'Show Log').then((choice) => {
      if (choice) log.show();
    });
    return undefined;
  }
}

function describeTimings(timings: ActivationTimings): string {
  const bundle = timings.bundleEvaluationMs === undefined ? '' : `bundle evaluated in ${timings.bundleEvaluationMs.toFixed(1)} ms, `;
  return `${bundle}activate took ${timings.activateMs.toFixed(1)} ms`;
}

/** Called by VS Code on shutdown; everything is disposed through context.subscriptions. */
export function deactivate(): void {}
