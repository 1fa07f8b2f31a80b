// Reads the gatekit.* settings in one place (respecting workspace trust), with the secrets behind
// ${input:ID} and the optional gatekit.yaml, into one EffectiveConfig, and says when it changes.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildEffectiveConfig, defaultVariableSources, inputIdsOf, workspaceWriteRoots, type EffectiveConfig, type SettingsValues } from './effective-config';
import { readSettingsFile } from './settings-file';
import { isRecord } from '../shared/jsonrpc';
import { restrictedSettings, SETTINGS, settingName, TRACE_LEVELS, type SettingKey } from './settings-schema';
import type { TraceSetting } from './control-server';

/** Secret storage key of an `${input:ID}` value. */
export function inputSecretKey(id: string): string {
  return `gatekit.input.${id}`;
}

function asObject(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/**
 * Owner of the current EffectiveConfig. Re-reads on settings, trust, secret and config-file
 * changes, and fires `onDidChange` only when the outcome differs.
 */
export class GatekitSettings implements vscode.Disposable {
  private current: EffectiveConfig;
  private readonly changeEmitter = new vscode.EventEmitter<EffectiveConfig>();
  private readonly disposables: vscode.Disposable[] = [];
  private fileWatcher: vscode.FileSystemWatcher | undefined;
  private watchedFile: string | undefined;
  private refreshing: Promise<EffectiveConfig> | undefined;
  private refreshAgain = false;

  /** The effective configuration changed (version, state or problems). */
  readonly onDidChange = this.changeEmitter.event;

  private constructor(private readonly context: vscode.ExtensionContext) {
    this.current = buildEffectiveConfig({ upstreams: [], plugins: {}, configFile: '' }, defaultVariableSources([], new Map()), { defaultConfigBase: this.defaultConfigBase() });
    this.disposables.push(
      this.changeEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gatekit.upstreams') || e.affectsConfiguration('gatekit.plugins') || e.affectsConfiguration('gatekit.configFile')) void this.refresh();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
      context.secrets.onDidChange((e) => {
        if (e.key.startsWith('gatekit.input.')) void this.refresh();
      }),
    );
  }

  /** Reads everything once before returning. */
  static async create(context: vscode.ExtensionContext): Promise<GatekitSettings> {
    const settings = new GatekitSettings(context);
    await settings.refresh();
    return settings;
  }

  get effective(): EffectiveConfig {
    return this.current;
  }

  /** True when workspace values of gatekit.upstreams / gatekit.plugins / gatekit.configFile are being ignored. */
  get ignoringUntrustedWorkspaceValues(): boolean {
    if (vscode.workspace.isTrusted) return false;
    const config = vscode.workspace.getConfiguration('gatekit');
    const restricted = restrictedSettings();
    if (
      restricted.some((key) => {
        const inspected = config.inspect(settingName(key));
        return inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
      })
    ) {
      return true;
    }
    // VS Code hides a restricted setting's workspace value until trust, so look at the files themselves.
    const files = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => path.join(f.uri.fsPath, '.vscode', 'settings.json'));
    const workspaceFile = vscode.workspace.workspaceFile;
    if (workspaceFile?.scheme === 'file') files.push(workspaceFile.fsPath);
    return files.some((file) => {
      const settings = readSettingsFile(file);
      const scope = file === workspaceFile?.fsPath ? asObject(settings.settings) : settings;
      return restricted.some((key) => Object.hasOwn(scope, key));
    });
  }

  trafficMaxEntries(): number {
    const value = vscode.workspace.getConfiguration('gatekit').get<unknown>('traffic.maxEntries');
    const parsed = SETTINGS['gatekit.traffic.maxEntries'].schema.safeParse(value);
    return parsed.success ? parsed.data : SETTINGS['gatekit.traffic.maxEntries'].default;
  }

  trace(): TraceSetting {
    const value = vscode.workspace.getConfiguration('gatekit').get<string>('trace');
    return (TRACE_LEVELS as readonly string[]).includes(value ?? '') ? (value as TraceSetting) : 'off';
  }

  /** Stores the value of `${input:ID}` (the change triggers a refresh). */
  async storeInput(id: string, value: string): Promise<void> {
    await this.context.secrets.store(inputSecretKey(id), value);
  }

  /**
   * One server's plugin list of one section as written (no defaults filled in): from
   * `gatekit.plugins` when set there, else from the config file. Undefined when neither has one.
   */
  serverPlugins(section: string, server: string): unknown[] | undefined {
    const fromSettings = asObject(asObject(this.value('gatekit.plugins'))[section])[server];
    if (Array.isArray(fromSettings)) return fromSettings as unknown[];
    // Settings lists replace the file's, so what is left in the effective config came from the file, unparsed.
    const fromFile = asObject(asObject(this.current.config?.plugins)[section])[server];
    return Array.isArray(fromFile) ? (fromFile as unknown[]) : undefined;
  }

  /**
   * Writes one server's plugin list of one section (`plugins.middleware.<server>`) into
   * `gatekit.plugins`; see {@link writePluginLists}. Returns the level written.
   */
  async writeServerPlugins(section: string, server: string, list: readonly unknown[]): Promise<vscode.ConfigurationTarget> {
    return this.writePluginLists([{ section, scope: server, list }]);
  }

  /**
   * Writes plugin lists (section, scope → list) into `gatekit.plugins` in one update, at the level
   * that defines `gatekit.plugins` (workspace if set there, else user), then re-reads. An empty list
   * is removed from the settings unless something else still defines a list for that scope (the
   * other level, the config file): then `[]` has to stay to replace it. Returns the level written.
   */
  async writePluginLists(lists: readonly { section: string; scope: string; list: readonly unknown[] }[]): Promise<vscode.ConfigurationTarget> {
    const config = vscode.workspace.getConfiguration('gatekit');
    const inspected = config.inspect<unknown>('plugins');
    // An untrusted workspace's value is ignored, so a change written there would have no effect.
    const inWorkspace = vscode.workspace.isTrusted && inspected?.workspaceValue !== undefined;
    const target = inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const plugins = { ...asObject(inWorkspace ? inspected?.workspaceValue : inspected?.globalValue) };
    for (const { section, scope, list } of lists) {
      const scopes = { ...asObject(plugins[section]) };
      const otherLevel = inWorkspace ? asObject(asObject(inspected?.globalValue)[section]) : {};
      const definedElsewhere = Object.hasOwn(otherLevel, scope) || this.current.configFile !== undefined;
      // defineProperty: a scope named `__proto__` must become a key, never the object's prototype.
      if (list.length > 0 || definedElsewhere) Object.defineProperty(scopes, scope, { value: list, enumerable: true, writable: true, configurable: true });
      else delete scopes[scope];
      if (Object.keys(scopes).length > 0) plugins[section] = scopes;
      else delete plugins[section];
    }
    await config.update('plugins', Object.keys(plugins).length > 0 ? plugins : undefined, target);
    await this.refresh();
    return target;
  }

  /**
   * Re-reads and rebuilds. Concurrent calls share one run (plus one more if something changed
   * meanwhile). Resolves with the effective config.
   */
  refresh(): Promise<EffectiveConfig> {
    if (this.refreshing !== undefined) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      let result: EffectiveConfig;
      do {
        this.refreshAgain = false;
        result = await this.build();
      } while (this.refreshAgain);
      return result;
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  dispose(): void {
    this.fileWatcher?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }

  private defaultConfigBase(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'gatekit.json');
  }

  private value(key: SettingKey): unknown {
    const config = vscode.workspace.getConfiguration('gatekit');
    const name = settingName(key);
    if (!vscode.workspace.isTrusted && restrictedSettings().includes(key)) {
      // Workspace settings could start any program: only the user's own values count until trusted.
      const inspected = config.inspect(name);
      return inspected?.globalValue ?? inspected?.defaultValue;
    }
    return config.get(name);
  }

  private async build(): Promise<EffectiveConfig> {
    const values: SettingsValues = {
      upstreams: this.value('gatekit.upstreams'),
      plugins: this.value('gatekit.plugins'),
      configFile: this.value('gatekit.configFile'),
      userPlugins: vscode.workspace.getConfiguration('gatekit').inspect('plugins')?.globalValue,
    };
    const inputs = new Map<string, string>();
    for (const id of inputIdsOf(values.upstreams)) {
      const secret = await this.context.secrets.get(inputSecretKey(id));
      if (secret !== undefined) inputs.set(id, secret);
    }
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, path: f.uri.fsPath }));
    const storage = this.context.globalStorageUri.fsPath;
    // The gateways' working folder until the workspace is trusted, so it has to exist.
    try {
      mkdirSync(storage, { recursive: true, mode: 0o700 });
    } catch {
      // Then spawning there fails and says so; the configuration itself is still worth reading.
    }
    const next = buildEffectiveConfig(values, defaultVariableSources(folders, inputs), {
      defaultConfigBase: this.defaultConfigBase(),
      writableRoots: [storage, ...workspaceWriteRoots(folders)],
      // Programs started in an untrusted folder could pick up what it plants (npx runs ./node_modules/.bin, reads ./.npmrc).
      workingFolder: vscode.workspace.isTrusted && folders[0] !== undefined ? folders[0].path : storage,
      untrustedFolders: vscode.workspace.isTrusted ? [] : folders.map((f) => f.path),
    });
    this.watchConfigFile(next.configFile);
    const changed =
      next.version !== this.current.version || next.state !== this.current.state || JSON.stringify(next.problems) !== JSON.stringify(this.current.problems);
    this.current = next;
    if (changed) this.changeEmitter.fire(next);
    return next;
  }

  private watchConfigFile(file: string | undefined): void {
    if (file === this.watchedFile) return;
    this.fileWatcher?.dispose();
    this.fileWatcher = undefined;
    this.watchedFile = file;
    if (file === undefined) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    const refresh = (): void => void this.refresh();
    watcher.onDidChange(refresh);
    watcher.onDidCreate(refresh);
    watcher.onDidDelete(refresh);
    this.fileWatcher = watcher;
  }
}
