// Configuration problems as diagnostics in the Problems panel, on the file and line at fault
// (gatekit.yaml / gatekit.json, or the settings file whose `gatekit.*` value takes effect), with
// quick fixes where the fix is mechanical: an unknown handler → the closest built-in names, an
// unknown option → remove it (or rename it to the close match), a wrong enum value → the allowed ones.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseFormattedPath, type LocatedConfigProblem } from './effective-config';
import { configFileSpot, settingSpot, settingsFileOf, USER_DATA_SCHEME, type ConfigSpot } from './config-files';
import { settingsJsonPath, splitSettingPath } from './config-locations';
import { repairChoices } from './config-repair';
import { oneLine } from './views/untrusted-text';

/** `diagnostic.code` of every configuration problem (the Problems panel shows it). */
export const CONFIG_PROBLEM_CODE = 'config';

/** A problem placed in a file. */
interface PlacedProblem {
  readonly problem: LocatedConfigProblem;
  readonly diagnostic: vscode.Diagnostic;
}

/** Where a problem is: the file and spot it points at (clamped into the file), or undefined. */
export function locateProblem(context: vscode.ExtensionContext, problem: LocatedConfigProblem): ConfigSpot | undefined {
  if (problem.origin === 'file') return problem.file ? configFileSpot(problem.file, problem.line) : undefined;
  const setting = splitSettingPath(problem.path);
  if (setting === undefined) return undefined;
  return settingSpot(context, setting.key, setting.rest, problem.repair?.kind === 'unknownKey');
}

export class ConfigDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('gatekit-config');
  /** Per file URI: the problems placed in it (the quick fixes are looked up here). */
  private placed = new Map<string, PlacedProblem[]>();
  private key = '';
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(private readonly context: vscode.ExtensionContext) {
    this.disposables.push(
      vscode.languages.registerCodeActionsProvider([{ scheme: 'file' }, { scheme: USER_DATA_SCHEME }], { provideCodeActions: (document, range) => this.quickFixes(document, range) }, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
  }

  /** Shows `problems` (replacing the previous ones); problems no file can be found for stay in the Servers view only. */
  update(problems: readonly LocatedConfigProblem[]): void {
    const key = JSON.stringify(problems);
    if (key === this.key) return;
    this.key = key;
    const placed = new Map<string, PlacedProblem[]>();
    for (const problem of problems) {
      const where = locateProblem(this.context, problem);
      if (where === undefined) continue;
      const { line, start, end } = where.spot;
      const location = problem.origin === 'setting' ? `${problem.path}: ` : problem.path ? `${problem.path}: ` : '';
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(line, start, line, end),
        oneLine(`${location}${problem.message}${problem.fixInstructions ? ` ${problem.fixInstructions}` : ''}`, 1000),
        vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = 'Gatekit';
      diagnostic.code = CONFIG_PROBLEM_CODE;
      const list = placed.get(where.uri.toString()) ?? [];
      list.push({ problem, diagnostic });
      placed.set(where.uri.toString(), list);
    }
    this.placed = placed;
    this.collection.clear();
    for (const [uri, list] of placed) this.collection.set(vscode.Uri.parse(uri), list.map((p) => p.diagnostic));
  }

  /** The problems placed in a file (tests, and the tree's "open problem"). */
  problemsIn(uri: vscode.Uri): readonly LocatedConfigProblem[] {
    return (this.placed.get(uri.toString()) ?? []).map((p) => p.problem);
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  /**
   * Quick fixes of the problems on the lines of `range`, computed on the text the editor holds.
   * Looked up in our own list, not in the context: markers reach the provider asynchronously.
   */
  private quickFixes(document: vscode.TextDocument, range: vscode.Range): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const { problem, diagnostic } of this.placed.get(document.uri.toString()) ?? []) {
      if (problem.repair === undefined || diagnostic.range.start.line < range.start.line || diagnostic.range.start.line > range.end.line) continue;
      const target = this.pathInDocument(document, problem);
      if (target === undefined) continue;
      for (const choice of repairChoices(document.getText(), target.format, target.path, problem.repair)) {
        const action = new vscode.CodeAction(choice.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diagnostic];
        action.isPreferred = choice.preferred;
        action.edit = new vscode.WorkspaceEdit();
        for (const edit of choice.edits) {
          action.edit.replace(document.uri, new vscode.Range(document.positionAt(edit.offset), document.positionAt(edit.offset + edit.length)), edit.text);
        }
        actions.push(action);
      }
    }
    return actions;
  }

  /** The problem's path inside this document, and the document's format. */
  private pathInDocument(document: vscode.TextDocument, problem: LocatedConfigProblem): { format: 'json' | 'yaml'; path: (string | number)[] } | undefined {
    if (problem.origin === 'file') {
      const json = /\.jsonc?$/i.test(document.uri.fsPath) || (!/\.ya?ml$/i.test(document.uri.fsPath) && /^\s*\{/.test(document.getText()) && isJson(document.getText()));
      return { format: json ? 'json' : 'yaml', path: parseFormattedPath(problem.path) };
    }
    const setting = splitSettingPath(problem.path);
    const file = setting && settingsFileOf(this.context, setting.key);
    if (setting === undefined || file === undefined || path.resolve(file.uri.fsPath) !== path.resolve(document.uri.fsPath)) return undefined;
    return { format: 'json', path: settingsJsonPath(setting.key, setting.rest, file.workspaceFile) };
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
