// Where a piece of Gatekit configuration is written: the line of a server or a problem's field in
// gatekit.yaml / gatekit.json or in a settings file (`"gatekit.upstreams": [...]`), and how a server
// is started, as written. Pure: no vscode; the caller reads the files (they may be hostile).
import * as jsonc from 'jsonc-parser';
import { parseConfigSource } from '../config/source';
import { isRecord } from '../shared/jsonrpc';
import { parseFormattedPath } from './effective-config';

/** The settings Gatekit reads, longest first (a problem path starts with one of them). */
const SETTING_KEYS = ['gatekit.upstreams', 'gatekit.configFile', 'gatekit.plugins'] as const;

/** A zero-based place in a text: the line, and the characters of the thing there. */
export interface TextSpot {
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

/** `gatekit.plugins.middleware.fx[0].handler` → key `gatekit.plugins`, rest `['middleware', 'fx', 0, 'handler']`. */
export function splitSettingPath(path: string): { key: string; rest: (string | number)[] } | undefined {
  const key = SETTING_KEYS.find((candidate) => path === candidate || path.startsWith(`${candidate}.`) || path.startsWith(`${candidate}[`));
  return key === undefined ? undefined : { key, rest: parseFormattedPath(path.slice(key.length)) };
}

/** The spot of a whole line's text (leading white space left out), `line` clamped into the text. */
export function lineSpot(text: string, line: number): TextSpot {
  const lines = text.split('\n');
  const index = Math.min(Math.max(0, Number.isSafeInteger(line) ? line : 0), Math.max(0, lines.length - 1));
  const content = (lines[index] ?? '').replace(/\r$/, '');
  const start = content.length - content.trimStart().length;
  return { line: index, start, end: Math.max(start + 1, content.length) };
}

function spotOfOffset(text: string, offset: number, length: number): TextSpot {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  const start = offset - (before.lastIndexOf('\n') + 1);
  const lineEnd = text.indexOf('\n', offset);
  const end = Math.min(start + Math.max(1, length), (lineEnd < 0 ? text.length : lineEnd) - (offset - start));
  return { line, start, end: Math.max(end, start + 1) };
}

/**
 * The spot of `path` in a JSON(C) text: the property's key when `preferKey` (an unknown key), else
 * its value; the deepest existing ancestor when the path is missing; undefined when not even the
 * first segment is there.
 */
export function locateInJson(text: string, path: readonly (string | number)[], preferKey = false): TextSpot | undefined {
  const root = jsonc.parseTree(text, [], { allowTrailingComma: true });
  if (root === undefined) return undefined;
  for (let depth = path.length; depth > 0; depth--) {
    const node = jsonc.findNodeAtLocation(root, path.slice(0, depth) as jsonc.JSONPath);
    if (node === undefined) continue;
    const keyNode = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    const target = (preferKey || depth < path.length) && keyNode ? keyNode : node;
    // A value spanning lines (an object) is marked on its first line only.
    return spotOfOffset(text, target.offset, target.length);
  }
  return undefined;
}

/**
 * Where a setting's value lives in a settings file: in `settings.json` at the top level, in a
 * `.code-workspace` file under `settings`.
 */
export function settingsJsonPath(key: string, rest: readonly (string | number)[], workspaceFile: boolean): (string | number)[] {
  return [...(workspaceFile ? ['settings'] : []), key, ...rest];
}

/** The 1-based line of `path` in a Gatekit config text (YAML or JSON), or undefined when it cannot be parsed. */
export function locateInConfigFile(text: string, fileName: string, path: readonly (string | number)[], preferKey = false): number | undefined {
  try {
    return parseConfigSource(text, { fileName }).locate(path, preferKey);
  } catch {
    return undefined;
  }
}

/** Index of the server `name` in a list of upstreams (settings or file), or -1. */
export function upstreamIndex(upstreams: unknown, name: string): number {
  return Array.isArray(upstreams) ? upstreams.findIndex((entry) => isRecord(entry) && entry.name === name) : -1;
}

function shellWords(words: readonly unknown[]): string {
  return words.map((word) => String(word)).map((word) => (/^[\w@%+=:,./${}-]+$/.test(word) ? word : JSON.stringify(word))).join(' ');
}

/**
 * How a server is started (`command args…`) or reached (its URL), as written: settings first (their
 * `${input:…}` stay unresolved, so no secret is shown), else the config file's entry.
 */
export function describeLaunch(name: string, settingsUpstreams: unknown, fileUpstreams: unknown): string | undefined {
  const entryOf = (upstreams: unknown): unknown => (Array.isArray(upstreams) ? (upstreams as unknown[])[upstreamIndex(upstreams, name)] : undefined);
  const entry = entryOf(settingsUpstreams) ?? entryOf(fileUpstreams);
  if (!isRecord(entry)) return undefined;
  if (typeof entry.url === 'string') return entry.url;
  const command: unknown[] = Array.isArray(entry.command) ? (entry.command as unknown[]) : typeof entry.command === 'string' ? [entry.command] : [];
  const args: unknown[] = Array.isArray(entry.args) ? (entry.args as unknown[]) : [];
  const words = [...command, ...args];
  return words.length > 0 ? shellWords(words) : undefined;
}
