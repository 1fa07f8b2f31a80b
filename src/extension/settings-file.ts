// Reading a workspace's own settings files (`.vscode/settings.json`, a `.code-workspace`), which VS
// Code hides from the API for restricted settings until the folder is trusted. The folder is not
// trusted, so the file is hostile: it may be a link to /dev/zero, a FIFO, or gigabytes of text.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import * as jsonc from 'jsonc-parser';
import { isRecord } from '../shared/jsonrpc';

/** Larger settings files are not read (VS Code's own are a few kilobytes). */
export const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;

/**
 * A settings (or config) file's text, or undefined when it is missing, unreadable, not a regular
 * file (a device or FIFO would never end or never answer) or over MAX_SETTINGS_FILE_BYTES. The file
 * is checked through the descriptor that is read, so it cannot be swapped in between.
 */
export function readSmallTextFile(file: string): string | undefined {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > MAX_SETTINGS_FILE_BYTES) return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A settings file's top-level object, or {} when it cannot be read (see {@link readSmallTextFile}) or holds no object. */
export function readSettingsFile(file: string): Record<string, unknown> {
  const text = readSmallTextFile(file);
  if (text === undefined) return {};
  const value: unknown = jsonc.parse(text, [], { allowTrailingComma: true });
  return isRecord(value) ? value : {};
}
