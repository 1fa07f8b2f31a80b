// Where a gateway finds the VS Code extension host's control server: the folders extension hosts
// leave discovery files in, and the live servers those files name, best match first.
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_PROTOCOL_VERSION, ControlEnv, type DiscoveryRecord } from '../../shared/protocol';

const EXTENSION_STORAGE_FOLDER = 'gatekit.gatekit-vscode';
/** Editors whose user-data folders may hold the extension's global storage. */
const EDITOR_PRODUCTS = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];

/**
 * Folders where extension hosts leave discovery files, most specific first: `GATEKIT_CONTROL_DIR`,
 * then the global storage of the extension in every known editor's user-data folder.
 */
export function discoveryDirectories(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string[] {
  const dirs: string[] = [];
  const explicit = env[ControlEnv.discoveryDir];
  if (explicit) dirs.push(explicit);
  const userDataRoots: string[] = [];
  if (platform === 'win32') {
    const appData = env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
    for (const product of EDITOR_PRODUCTS) userDataRoots.push(path.join(appData, product));
  } else if (platform === 'darwin') {
    for (const product of EDITOR_PRODUCTS) userDataRoots.push(path.join(home, 'Library', 'Application Support', product));
  } else {
    const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
    for (const product of EDITOR_PRODUCTS) userDataRoots.push(path.join(configHome, product));
    userDataRoots.push(path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'code-server'));
  }
  // VS Code Remote (SSH, containers) keeps user data under ~/.vscode-server/data.
  userDataRoots.push(path.join(home, '.vscode-server', 'data'));
  for (const root of userDataRoots) dirs.push(path.join(root, 'User', 'globalStorage', EXTENSION_STORAGE_FOLDER, 'control'));
  return [...new Set(dirs)];
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else (then it is not our extension host, but alive).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isDiscoveryRecord(value: unknown): value is DiscoveryRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.pid === 'number' &&
    typeof r.socket === 'string' &&
    typeof r.token === 'string' &&
    typeof r.startedAt === 'number' &&
    Array.isArray(r.workspaceFolders) &&
    r.workspaceFolders.every((f) => typeof f === 'string')
  );
}

function containingFolderLength(folders: readonly string[], cwd: string): number {
  let best = -1;
  for (const folder of folders) {
    const relative = path.relative(folder, cwd);
    if (!relative.startsWith('..') && !path.isAbsolute(relative) && folder.length > best) best = folder.length;
  }
  return best;
}

/**
 * Live control servers from the discovery folders, best first: the window whose workspace contains
 * `cwd` (deepest folder), then the most recently started.
 */
export function findControlServers(dirs: readonly string[], cwd: string): DiscoveryRecord[] {
  const found: { record: DiscoveryRecord; match: number }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      let record: unknown;
      try {
        record = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
      } catch {
        continue;
      }
      if (!isDiscoveryRecord(record) || record.protocolVersion !== CONTROL_PROTOCOL_VERSION) continue;
      if (!isProcessAlive(record.pid)) continue;
      found.push({ record, match: containingFolderLength(record.workspaceFolders, cwd) });
    }
  }
  found.sort((a, b) => b.match - a.match || b.record.startedAt - a.record.startedAt);
  return found.map((f) => f.record);
}
