// Reading a workspace's own settings files (`.vscode/settings.json`, a `.code-workspace`), which VS
// Code hides from the API for restricted settings until the folder is trusted. The folder is not
// trusted, so the file is hostile: it may be a link to /dev/zero, a FIFO, or gigabytes of text.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import * as jsonc from 'jsonc-parser';
import { isRecord } from '../shared/jsonrpc';

/** Larger settings files are not read (VS Code's own are a few kilobytes). */
export const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;

/**
 * A settings file's top-level object, or {} when it is missing, unreadable, not a regular file
 * (a device or FIFO would never end or never answer) or over MAX_SETTINGS_FILE_BYTES. The file is
 * checked through the descriptor that is read, so it cannot be swapped in between.
 */
export function readSettingsFile(file: string): Record<string, unknown> {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return {};
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > MAX_SETTINGS_FILE_BYTES) return {};
    const value: unknown = jsonc.parse(readFileSync(fd, 'utf8'), [], { allowTrailingComma: true });
    return isRecord(value) ? value : {};
  } catch {
    return {};
  } finally {
    closeSync(fd);
  }
}
