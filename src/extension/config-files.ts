// The files Gatekit's configuration is written in, as VS Code sees them: the settings file whose
// `gatekit.*` value takes effect (workspace `.vscode/settings.json` or `.code-workspace`, or the
// user's settings.json), the config file, and the spot of a server or a field in them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isRecord } from '../shared/jsonrpc';
import { parseConfigSource } from '../config/source';
import { lineSpot, locateInJson, settingsJsonPath, upstreamIndex, type TextSpot } from './config-locations';
import { readSmallTextFile } from './settings-file';

/** A settings file and whether it is a `.code-workspace` (settings under `settings`). */
export interface SettingsFileRef {
  readonly uri: vscode.Uri;
  readonly workspaceFile: boolean;
}

/** A place to open: a file and the spot in it. */
export interface ConfigSpot {
  readonly uri: vscode.Uri;
  readonly spot: TextSpot;
}

/**
 * The user's settings.json: VS Code keeps it two folders above every extension's global storage
 * (`<user data>/User/globalStorage/<extension>`). Diagnostics and quick fixes must be on the
 * resource the workbench opens it as: a document open at that path says which; otherwise desktop VS
 * Code opens it as `vscode-userdata:` and a browser workbench served with the extension host
 * (code-server) as `file:`. Undefined when the storage is not a local file.
 */
export function userSettingsUri(context: vscode.ExtensionContext): vscode.Uri | undefined {
  const storage = context.globalStorageUri;
  if (storage.scheme !== 'file') return undefined;
  const file = path.join(storage.fsPath, '..', '..', 'settings.json');
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme !== 'untitled' && path.resolve(d.uri.fsPath) === file);
  if (open) return open.uri;
  return vscode.env.uiKind === vscode.UIKind.Web ? vscode.Uri.file(file) : vscode.Uri.file(file).with({ scheme: USER_DATA_SCHEME });
}

/** The scheme VS Code gives the user's settings and other user data. */
export const USER_DATA_SCHEME = 'vscode-userdata';

/**
 * The settings file holding the value of `key` (`gatekit.upstreams`) that takes effect: the
 * workspace's when it sets one and is trusted (an untrusted workspace's value is ignored), else the user's.
 */
export function settingsFileOf(context: vscode.ExtensionContext, key: string): SettingsFileRef | undefined {
  const inspected = vscode.workspace.getConfiguration().inspect(key);
  if (inspected?.workspaceValue !== undefined && vscode.workspace.isTrusted) {
    const workspaceFile = vscode.workspace.workspaceFile;
    if (workspaceFile?.scheme === 'file') return { uri: workspaceFile, workspaceFile: true };
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder?.uri.scheme === 'file') return { uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'), workspaceFile: false };
    return undefined;
  }
  if (inspected?.globalValue === undefined) return undefined;
  const user = userSettingsUri(context);
  return user && { uri: user, workspaceFile: false };
}

/**
 * A config or settings file's text as the user sees it: the open editor's (unsaved edits included,
 * so a spot lies inside what is shown), else the file's (small regular files only).
 */
function currentText(uri: vscode.Uri): string | undefined {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  return open ? open.getText() : readSmallTextFile(uri.fsPath);
}

/** The value of `key` that takes effect, from the level {@link settingsFileOf} names. */
function effectiveSettingValue(key: string): unknown {
  const inspected = vscode.workspace.getConfiguration().inspect(key);
  return inspected?.workspaceValue !== undefined && vscode.workspace.isTrusted ? inspected.workspaceValue : inspected?.globalValue;
}

/** The spot of `key` + `rest` in the settings file that defines it (the deepest part found). */
export function settingSpot(context: vscode.ExtensionContext, key: string, rest: readonly (string | number)[], preferKey = false): ConfigSpot | undefined {
  const file = settingsFileOf(context, key);
  const text = file && currentText(file.uri);
  if (file === undefined || text === undefined) return undefined;
  const spot = locateInJson(text, settingsJsonPath(key, rest, file.workspaceFile), preferKey);
  return spot && { uri: file.uri, spot };
}

/** The spot of a 1-based `line` of a config file (clamped into the file: the line may come from anywhere). */
export function configFileSpot(file: string, line: number | undefined): ConfigSpot | undefined {
  const uri = vscode.Uri.file(file);
  const text = currentText(uri);
  if (text === undefined) return undefined;
  return { uri, spot: lineSpot(text, (line ?? 1) - 1) };
}

/**
 * Where the server `name` is defined: its entry in `gatekit.upstreams` (a settings server replaces
 * the file's of the same name), else in the config file.
 */
export function serverDefinitionSpot(context: vscode.ExtensionContext, configFile: string | undefined, name: string): ConfigSpot | undefined {
  const index = upstreamIndex(effectiveSettingValue('gatekit.upstreams'), name);
  if (index >= 0) return settingSpot(context, 'gatekit.upstreams', [index, 'name']);
  if (configFile === undefined) return undefined;
  const text = readSmallTextFile(configFile);
  if (text === undefined) return undefined;
  try {
    const source = parseConfigSource(text, { fileName: configFile });
    const proxy = isRecord(source.value) ? source.value.proxy : undefined;
    const fileIndex = upstreamIndex(isRecord(proxy) ? proxy.upstreams : undefined, name);
    if (fileIndex < 0) return undefined;
    const line = source.locate(['proxy', 'upstreams', fileIndex, 'name'], false);
    return { uri: vscode.Uri.file(configFile), spot: lineSpot(text, (line ?? 1) - 1) };
  } catch {
    return undefined;
  }
}

/** Opens a file with the spot selected. */
export async function openAt(target: ConfigSpot): Promise<vscode.TextEditor> {
  const { line, start, end } = target.spot;
  return vscode.window.showTextDocument(target.uri, { selection: new vscode.Range(line, start, line, end), preview: false });
}
