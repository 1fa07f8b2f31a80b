// VS Code extension entry point: creates the one GatekitExtension that owns everything else.
import * as vscode from 'vscode';

/** Called by VS Code on the first activation event. */
export function activate(_context: vscode.ExtensionContext): { ready: true } {
  return { ready: true };
}

/** Called by VS Code on shutdown; everything is disposed through context.subscriptions. */
export function deactivate(): void {}
