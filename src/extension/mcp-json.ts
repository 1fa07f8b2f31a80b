// Reading and editing VS Code's mcp.json (JSONC, comments kept) for "Import Servers from mcp.json" and
// "Restore mcp.json": which servers can move behind Gatekit, under which name, and the text edits.
// Plain Node.
import * as jsonc from 'jsonc-parser';
import { UPSTREAM_NAME_PATTERN } from '../config/schema';
import type { SettingsUpstream } from './settings-schema';
import { isRecord } from '../shared/jsonrpc';
import { remoteUrlProblem } from '../shared/remote-url';

/** An `inputs` entry of mcp.json (`promptString` asks the user; `password` hides the typing). */
export interface McpJsonInput {
  id: string;
  type?: string;
  description?: string;
  password?: boolean;
  default?: string;
}

export interface McpJsonDocument {
  /** `servers` as written (entries of any type). */
  servers: Record<string, unknown>;
  inputs: McpJsonInput[];
  /** Syntax errors, `line:column message`; the document is still read as far as possible. */
  errors: string[];
}

/** One mcp.json server and what importing it would produce. */
export interface ImportCandidate {
  /** Its key in mcp.json `servers`. */
  key: string;
  /** The Gatekit upstream name it gets (lowercase, no `__`, unique). */
  name: string;
  /** The `gatekit.upstreams` entry; absent when the server cannot run behind Gatekit. */
  upstream?: SettingsUpstream;
  /** Why it cannot be imported (no command, no usable url). */
  skipReason?: string;
  /** `${input:ID}` references it uses. */
  inputIds: string[];
  /** Things that do not carry over exactly. */
  warnings: string[];
}

/** What Restore needs to undo an import of one mcp.json. */
export interface McpJsonBackup {
  file: string;
  /** Epoch milliseconds of the first import. */
  createdAt: number;
  /** The file before the first import, kept for the user's peace of mind. */
  originalText: string;
  /** Entries moved out of `servers`, by their mcp.json key. */
  moved: Record<string, unknown>;
  /** mcp.json key → Gatekit upstream name, to remove them from the settings again. */
  importedNames: Record<string, string>;
  /** Which settings level received them. */
  target: 'workspace' | 'user';
}


function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `${line}:${offset - lineStart + 1}`;
}

/** Parses mcp.json leniently (comments and trailing commas are allowed there). */
export function parseMcpJson(text: string): McpJsonDocument {
  const parseErrors: jsonc.ParseError[] = [];
  const value: unknown = jsonc.parse(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  const errors = parseErrors.map((e) => `${lineAndColumn(text, e.offset)} ${jsonc.printParseErrorCode(e.error)}`);
  const root = isRecord(value) ? value : {};
  const servers = isRecord(root.servers) ? root.servers : {};
  const inputs = Array.isArray(root.inputs) ? root.inputs.filter((i): i is McpJsonInput => isRecord(i) && typeof i.id === 'string') : [];
  return { servers, inputs, errors };
}

/** A valid, unused upstream name for an mcp.json key (`My Server` → `my-server`). */
export function toUpstreamName(key: string, taken: ReadonlySet<string>): string {
  let base = key
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/_{2,}/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/[-_]+$/, '');
  if (base === '') base = 'server';
  if (!UPSTREAM_NAME_PATTERN.test(base)) base = `s-${base}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  return name;
}

function inputIdsIn(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') for (const match of value.matchAll(/\$\{input:([^}]+)\}/g)) into.add(match[1]!);
  else if (Array.isArray(value)) for (const item of value) inputIdsIn(item, into);
  else if (isRecord(value)) for (const item of Object.values(value)) inputIdsIn(item, into);
}

/** Every server of the document, with its Gatekit form or the reason it cannot be imported. */
export function importCandidates(document: McpJsonDocument, existingNames: ReadonlySet<string>): ImportCandidate[] {
  const taken = new Set(existingNames);
  const candidates: ImportCandidate[] = [];
  for (const [key, entry] of Object.entries(document.servers)) {
    const inputIds = new Set<string>();
    inputIdsIn(entry, inputIds);
    const name = toUpstreamName(key, taken);
    const candidate: ImportCandidate = { key, name, inputIds: [...inputIds], warnings: [] };
    candidates.push(candidate);
    if (!isRecord(entry)) {
      candidate.skipReason = 'not an object';
      continue;
    }
    const type = typeof entry.type === 'string' ? entry.type : undefined;
    if (type === 'http' || type === 'sse' || (type === undefined && entry.url !== undefined)) {
      const remote = remoteUpstream(name, type === 'sse' ? 'sse' : 'http', entry, candidate);
      if (remote === undefined) continue;
      taken.add(name);
      if (name !== key) candidate.warnings.push(`renamed '${key}' to '${name}' (Gatekit names are lowercase without '__')`);
      candidate.upstream = remote;
      continue;
    }
    if (type !== undefined && type !== 'stdio') {
      candidate.skipReason = `'${type.slice(0, 40)}' servers cannot run behind Gatekit (it takes stdio, http and sse servers)`;
      continue;
    }
    if (typeof entry.command !== 'string' || entry.command.trim() === '') {
      candidate.skipReason = 'no command';
      continue;
    }
    taken.add(name);
    const upstream: SettingsUpstream = { name, command: entry.command };
    if (Array.isArray(entry.args)) upstream.args = entry.args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg)));
    if (isRecord(entry.env)) {
      const env: Record<string, string> = {};
      for (const [variable, value] of Object.entries(entry.env)) {
        if (typeof value === 'string') env[variable] = value;
        else if (typeof value === 'number') env[variable] = String(value);
        else candidate.warnings.push(`env ${variable} is ${value === null ? 'null (unset)' : 'not a string'} and was left out`);
      }
      upstream.env = env;
    }
    if (typeof entry.cwd === 'string') upstream.cwd = entry.cwd;
    if (typeof entry.envFile === 'string') candidate.warnings.push(`envFile '${entry.envFile}' is not supported: copy its variables into env`);
    if (name !== key) candidate.warnings.push(`renamed '${key}' to '${name}' (Gatekit names are lowercase without '__')`);
    candidate.upstream = upstream;
  }
  return candidates;
}

/**
 * The `gatekit.upstreams` form of an mcp.json `http` / `sse` entry, or undefined (with the reason on
 * the candidate) when it has no usable url. Header values keep their `${input:…}` / `${env:…}`
 * references: resolved, like a stdio server's env, when the configuration is built.
 */
function remoteUpstream(name: string, type: 'http' | 'sse', entry: Record<string, unknown>, candidate: ImportCandidate): SettingsUpstream | undefined {
  if (typeof entry.url !== 'string' || entry.url.trim() === '') {
    candidate.skipReason = 'no url';
    return undefined;
  }
  // Variables are resolved later; a literal url must already be one Gatekit accepts.
  const problem = entry.url.includes('${') ? undefined : remoteUrlProblem(entry.url, false);
  if (problem) {
    candidate.skipReason = problem;
    return undefined;
  }
  const upstream: SettingsUpstream = { name, type, url: entry.url };
  if (isRecord(entry.headers)) {
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(entry.headers)) {
      if (typeof value === 'string' || typeof value === 'number') Object.defineProperty(headers, header, { value: String(value), enumerable: true, writable: true, configurable: true });
      else candidate.warnings.push(`header ${header.slice(0, 60)} is not a string and was left out`);
    }
    upstream.headers = headers;
  }
  return upstream;
}

function formattingOf(text: string): jsonc.FormattingOptions {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** Removes `servers.<key>` entries, keeping comments and formatting of everything else. */
export function removeServers(text: string, keys: readonly string[]): string {
  let out = text;
  for (const key of keys) {
    out = jsonc.applyEdits(out, jsonc.modify(out, ['servers', key], undefined, { formattingOptions: formattingOf(out) }));
  }
  return out;
}

/** Adds (or replaces) `servers.<key>` entries. Creates `servers` (or the whole file) when missing. */
export function addServers(text: string, entries: Readonly<Record<string, unknown>>): string {
  let out = text.trim() === '' ? '{\n  "servers": {}\n}\n' : text;
  for (const [key, entry] of Object.entries(entries)) {
    out = jsonc.applyEdits(out, jsonc.modify(out, ['servers', key], entry, { formattingOptions: formattingOf(out) }));
  }
  return out;
}
