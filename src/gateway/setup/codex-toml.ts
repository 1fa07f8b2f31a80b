// Codex keeps its MCP servers in ~/.codex/config.toml as `[mcp_servers.<name>]` tables. Setup needs
// only those tables, so this reads exactly them (string, string-array and inline-table values, and
// `[mcp_servers.<name>.env]` sub-tables) and rewrites a file by removing whole tables and appending
// one: every other line of the file stays byte for byte. No TOML dependency for that much.

interface TableHeader {
  /** Dotted key path of the header: ['mcp_servers', 'name'] or ['mcp_servers', 'name', 'env']. */
  readonly keys: string[];
  readonly line: number;
}

/** Splits a dotted TOML key (`mcp_servers."my server".env`) into its parts; undefined if malformed. */
function splitDottedKey(text: string): string[] | undefined {
  const keys: string[] = [];
  let rest = text.trim();
  while (rest !== '') {
    let key: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const parsed = readString(rest);
      if (!parsed) return undefined;
      key = parsed.value;
      rest = parsed.rest.trim();
    } else {
      const match = /^[A-Za-z0-9_-]+/.exec(rest);
      if (!match) return undefined;
      key = match[0];
      rest = rest.slice(key.length).trim();
    }
    keys.push(key);
    if (rest === '') break;
    if (!rest.startsWith('.')) return undefined;
    rest = rest.slice(1).trim();
  }
  return keys.length > 0 ? keys : undefined;
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

/** A basic ("…", with escapes) or literal ('…') string at the start of `text`. */
function readString(text: string): { value: string; rest: string } | undefined {
  const quote = text[0];
  if (quote === "'") {
    const end = text.indexOf("'", 1);
    return end < 0 ? undefined : { value: text.slice(1, end), rest: text.slice(end + 1) };
  }
  if (quote !== '"') return undefined;
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') return { value, rest: text.slice(i + 1) };
    if (char !== '\\') {
      value += char;
      continue;
    }
    const next = text[++i];
    if (next === 'u' || next === 'U') {
      const length = next === 'u' ? 4 : 8;
      const code = Number.parseInt(text.slice(i + 1, i + 1 + length), 16);
      if (!Number.isFinite(code) || code > 0x10ffff) return undefined;
      value += String.fromCodePoint(code);
      i += length;
    } else if (next !== undefined && ESCAPES[next] !== undefined) {
      value += ESCAPES[next];
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** A value setup understands: a string, an array of strings, an inline table of strings. Else undefined. */
function readValue(text: string): { value: unknown; rest: string } | undefined {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('"') || trimmed.startsWith("'")) return readString(trimmed);
  if (trimmed.startsWith('[')) {
    const items: unknown[] = [];
    let rest = trimmed.slice(1);
    for (;;) {
      rest = rest.replace(/^(\s|#[^\n]*)*/, '');
      if (rest.startsWith(']')) return { value: items, rest: rest.slice(1) };
      const item = readValue(rest);
      if (!item) return undefined;
      items.push(item.value);
      rest = item.rest.replace(/^(\s|#[^\n]*)*/, '');
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith(']')) return undefined;
    }
  }
  if (trimmed.startsWith('{')) {
    const table: Record<string, unknown> = {};
    let rest = trimmed.slice(1).trimStart();
    if (rest.startsWith('}')) return { value: table, rest: rest.slice(1) };
    for (;;) {
      const equals = rest.indexOf('=');
      if (equals < 0) return undefined;
      const key = splitDottedKey(rest.slice(0, equals));
      const item = readValue(rest.slice(equals + 1));
      if (!key || key.length !== 1 || !item) return undefined;
      Object.defineProperty(table, key[0]!, { value: item.value, enumerable: true, writable: true, configurable: true });
      rest = item.rest.trimStart();
      if (rest.startsWith('}')) return { value: table, rest: rest.slice(1) };
      if (!rest.startsWith(',')) return undefined;
      rest = rest.slice(1).trimStart();
    }
  }
  const scalar = /^(true|false|[+-]?\d[\d_]*(\.\d+)?)/.exec(trimmed);
  return scalar ? { value: scalar[1] === 'true' ? true : scalar[1] === 'false' ? false : Number(scalar[1]!.replace(/_/g, '')), rest: trimmed.slice(scalar[0].length) } : undefined;
}

function headerOf(line: string, index: number): TableHeader | undefined {
  const match = /^\s*\[([^[\]]+)\]\s*(#.*)?$/.exec(line);
  if (!match) return undefined;
  const keys = splitDottedKey(match[1]!);
  return keys ? { keys, line: index } : { keys: ['\u0000unreadable'], line: index };
}

/** The `[mcp_servers.<name>]` entries of a Codex config, in file order, as plain objects. */
export function parseCodexServers(text: string): [string, unknown][] {
  const lines = text.split('\n');
  const servers = new Map<string, Record<string, unknown>>();
  let target: Record<string, unknown> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const header = headerOf(lines[i]!, i);
    if (header) {
      const [section, name, sub, ...deeper] = header.keys;
      target = undefined;
      if (section !== 'mcp_servers' || name === undefined || deeper.length > 0) continue;
      let server = servers.get(name);
      if (!server) servers.set(name, (server = {}));
      if (sub === undefined) target = server;
      else if (sub === 'env') Object.defineProperty(server, 'env', { value: (target = {}), enumerable: true, writable: true, configurable: true });
      continue;
    }
    if (!target) continue;
    const line = lines[i]!.replace(/\r$/, '');
    if (/^\s*(#.*)?$/.test(line)) continue;
    const equals = line.indexOf('=');
    const key = equals < 0 ? undefined : splitDottedKey(line.slice(0, equals));
    if (!key || key.length !== 1) continue;
    // A multi-line array: gather lines until its value reads whole.
    let source = line.slice(equals + 1);
    let value = readValue(source);
    while (!value && source.trimStart().startsWith('[') && i + 1 < lines.length && !headerOf(lines[i + 1]!, i + 1)) {
      source += `\n${lines[++i]!.replace(/\r$/, '')}`;
      value = readValue(source);
    }
    if (value) Object.defineProperty(target, key[0]!, { value: value.value, enumerable: true, writable: true, configurable: true });
  }
  return [...servers.entries()];
}

/** A TOML basic string. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A table key: bare when it may be, quoted otherwise. */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/**
 * The file without the `[mcp_servers.<name>]` tables (and their sub-tables) of `remove`, and with
 * `[mcp_servers.<entry>]` (command, args) appended. Comments and every other table stay as written.
 */
export function rewriteCodexServers(text: string, remove: ReadonlySet<string>, entry: { name: string; command: string; args: readonly string[] }): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  let dropping = false;
  for (let i = 0; i < lines.length; i++) {
    const header = headerOf(lines[i]!, i);
    if (header) {
      const [section, name] = header.keys;
      dropping = section === 'mcp_servers' && name !== undefined && (remove.has(name) || name === entry.name);
    }
    if (!dropping) kept.push(lines[i]!);
  }
  while (kept.length > 0 && kept[kept.length - 1]!.trim() === '') kept.pop();
  const table = [`[mcp_servers.${tomlKey(entry.name)}]`, `command = ${tomlString(entry.command)}`, `args = [${entry.args.map(tomlString).join(', ')}]`];
  return `${kept.length > 0 ? `${kept.join('\n')}\n\n` : ''}${table.join('\n')}\n`;
}
