// Config text → plain value, keeping enough of the syntax tree to say on which line a field path
// sits. YAML is read as PyYAML (Gatekit) read it where that matters: yes/no/on/off booleans and `<<`.
import * as path from 'node:path';
import * as jsonc from 'jsonc-parser';
import {
  Alias,
  type Document,
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Pair,
  type ScalarTag,
  type YAMLMap,
} from 'yaml';
import { ErrorCode } from '../shared/jsonrpc';
import { ConfigError, formatPath, type ConfigIssue } from './errors';

export type ConfigFormat = 'yaml' | 'json';

/** A parsed config text: its value, and a way back from a field path to a line. */
export interface ParsedSource {
  readonly format: ConfigFormat;
  /** `undefined` for an empty document. */
  readonly value: unknown;
  /**
   * 1-based line of the field at `path`: of its key when `preferKey`, else of its value. Falls
   * back to the deepest existing ancestor when the field is missing.
   */
  readonly locate: (path: readonly PropertyKey[], preferKey: boolean) => number | undefined;
}

/**
 * Parses config text the one way both processes read config files: the file name decides the format
 * (`.yaml`/`.yml`, `.json`/`.jsonc`), or `format` when given; otherwise text opening with `{` is read
 * as JSON, falling back to YAML (a flow mapping such as `{proxy: {...}}` is YAML, and Gatekit reads it),
 * and anything else as YAML. A byte order mark is ignored. Throws `ConfigError` with the line.
 */
export function parseConfigSource(text: string, from: { readonly fileName?: string; readonly format?: ConfigFormat } = {}): ParsedSource {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const declared = from.format ?? formatFromFileName(from.fileName);
  if (declared === 'json') return parseJsonSource(body);
  if (declared === 'yaml' || !/^\s*\{/.test(body)) return parseYamlSource(body);
  try {
    return parseJsonSource(body);
  } catch (jsonError) {
    // A guessed '{' may be a YAML flow mapping ({proxy: {transport: stdio}}); if YAML cannot read
    // it either, the JSON error is the one to show.
    try {
      return parseYamlSource(body);
    } catch {
      throw jsonError;
    }
  }
}

function formatFromFileName(fileName: string | undefined): ConfigFormat | undefined {
  const extension = fileName === undefined ? '' : path.extname(fileName).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.json' || extension === '.jsonc') return 'json';
  return undefined;
}

function syntaxError(format: ConfigFormat, detail: string, line: number | undefined, fix: string): ConfigError {
  return ConfigError.single({
    code: ErrorCode.ConfigInvalid,
    path: '',
    ...(line === undefined ? {} : { line }),
    message: `${format === 'yaml' ? 'YAML' : 'JSON'} syntax error: ${detail}`,
    fixInstructions: fix,
  });
}

// ---------------------------------------------------------------------------------------------- YAML

// PyYAML resolves YAML 1.1 booleans (yes/no/on/off) but not y/n; the `yaml` package's 1.1 schema
// also takes y/n, and its 1.1 octal/sexagesimal/timestamp rules would surprise in commands. So:
// the YAML 1.2 core schema plus exactly PyYAML's boolean words.
const pyYamlBooleans: ScalarTag[] = [
  {
    identify: (value) => value === true,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
    resolve: () => true,
  },
  {
    identify: (value) => value === false,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
    resolve: () => false,
  },
];

/** Aliases may be expanded this many times (weighted by size) before we call it an alias bomb. */
const MAX_ALIAS_COUNT = 1000;

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || key.source === '<<');
}

function keyMatches(key: unknown, segment: PropertyKey): boolean {
  const keyValue = isScalar(key) ? key.value : key;
  switch (typeof keyValue) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(keyValue) === String(segment);
    default:
      return false;
  }
}

/** Parses YAML text. Throws `ConfigError` with the line for syntax errors. */
export function parseYamlSource(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    merge: true,
    uniqueKeys: true,
    customTags: (tags) => [...pyYamlBooleans, ...tags],
  });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const firstError = doc.errors[0];
  if (firstError !== undefined && doc.errors.every((error) => error.code === 'DUPLICATE_KEY')) throw duplicateYamlKeys(doc, lineAt);
  if (firstError !== undefined) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    throw syntaxError('yaml', `${firstError.message} (column ${pos.col})`, pos.line, `Fix the YAML on line ${pos.line}: indent with spaces, keep items of a list or mapping aligned, quote values containing ': ' or '#'.`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw syntaxError('yaml', (error as Error).message, unresolvedAliasLine(doc, lineAt), 'Define each anchor (&name) before the aliases (*name) that use it, and do not nest aliases to blow up the document.');
  }
  return { format: 'yaml', value, locate: (path, preferKey) => locateInYaml(doc, lineAt, path, preferKey) };
}

/**
 * Every key written twice in one mapping, named with both lines. The original Gatekit kept the last
 * silently (its own spec example has `proxy:` twice); we refuse, since that hides a mistake.
 */
function duplicateYamlKeys(doc: Document, lineAt: (offset: number) => number): ConfigError {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, at: PropertyKey[], depth: number): void => {
    if (depth > 100 || issues.length >= 50) return;
    if (isSeq(node)) node.items.forEach((item, index) => walk(item, [...at, index], depth + 1));
    if (!isMap(node)) return;
    const firstLine = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (isMergeKey(pair.key) || (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean')) continue;
      const name = String(key);
      const line = nodeLine(pair.key, lineAt) ?? 0;
      const earlier = firstLine.get(name);
      if (issues.length >= 50) return;
      if (earlier === undefined) {
        firstLine.set(name, line);
        walk(pair.value, [...at, name], depth + 1);
        continue;
      }
      issues.push({
        code: ErrorCode.ConfigInvalid,
        path: formatPath([...at, name]),
        line,
        message: `Duplicate key '${name}'${at.length > 0 ? ` in ${formatPath(at)}` : ''}: on line ${earlier} and again on line ${line}`,
        fixInstructions: `Merge the two '${name}' entries into one (line ${earlier}) and delete the other: a YAML reader that accepts duplicates keeps only the last one, silently dropping everything under the first.`,
      });
    }
  };
  walk(doc.contents, [], 0);
  if (issues.length === 0) return syntaxError('yaml', 'Map keys must be unique', undefined, 'Remove the repeated key.');
  return new ConfigError(issues as [ConfigIssue, ...ConfigIssue[]]);
}

function unresolvedAliasLine(doc: Document, lineAt: (offset: number) => number): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined && node.range) {
        line = lineAt(node.range[0]);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return line;
}

function nodeLine(node: unknown, lineAt: (offset: number) => number): number | undefined {
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  return range ? lineAt(range[0]) : undefined;
}

function findPair(map: YAMLMap, segment: PropertyKey, doc: Document, depth = 0): Pair | undefined {
  for (const pair of map.items) if (keyMatches(pair.key, segment)) return pair;
  if (depth > 20) return undefined;
  // Keys may come from a `<<: *anchor` (or `<<: [*a, *b]`) merge; earlier sources win, as YAML says.
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const resolved = isAlias(source) ? source.resolve(doc) : source;
      if (isMap(resolved)) {
        const found = findPair(resolved, segment, doc, depth + 1);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function locateInYaml(doc: Document, lineAt: (offset: number) => number, path: readonly PropertyKey[], preferKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let line = nodeLine(node, lineAt) ?? 1;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (node instanceof Alias) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = findPair(node, segment, doc);
      if (!pair) break;
      const keyLine = nodeLine(pair.key, lineAt);
      if (i === path.length - 1 && preferKey && keyLine !== undefined) return keyLine;
      line = nodeLine(pair.value, lineAt) ?? keyLine ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      line = nodeLine(item, lineAt) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

// ---------------------------------------------------------------------------------------------- JSON

function lineIndex(text: string): (offset: number) => number {
  let starts: number[] | undefined;
  return (offset) => {
    if (starts === undefined) {
      starts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

/**
 * Builds the value of a jsonc-parser node. Unlike `getNodeValue` it reports duplicate keys (JSON
 * would silently keep the last) and stores `__proto__` as an ordinary key.
 */
function jsonValue(node: jsonc.Node, path: PropertyKey[], onDuplicate: (path: PropertyKey[], keyNode: jsonc.Node, firstKeyNode: jsonc.Node) => void): unknown {
  switch (node.type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      const keyNodes = new Map<string, jsonc.Node>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (keyNode === undefined) continue;
        const key = String(keyNode.value);
        const first = keyNodes.get(key);
        if (first !== undefined) onDuplicate([...path, key], keyNode, first);
        else keyNodes.set(key, keyNode);
        const value = valueNode === undefined ? undefined : jsonValue(valueNode, [...path, key], onDuplicate);
        Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return result;
    }
    case 'array':
      return (node.children ?? []).map((child, index) => jsonValue(child, [...path, index], onDuplicate));
    default:
      return node.value;
  }
}

function locateInJson(root: jsonc.Node | undefined, lineAt: (offset: number) => number, path: readonly PropertyKey[], preferKey: boolean): number | undefined {
  if (root === undefined) return undefined;
  let node: jsonc.Node = root;
  let line = lineAt(node.offset);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (node.type === 'object') {
      let found: jsonc.Node | undefined;
      for (const property of node.children ?? []) {
        if (property.children?.[0] !== undefined && String(property.children[0].value) === String(segment)) found = property;
      }
      const keyNode = found?.children?.[0];
      if (found === undefined || keyNode === undefined) break;
      if (i === path.length - 1 && preferKey) return lineAt(keyNode.offset);
      const valueNode = found.children?.[1];
      if (valueNode === undefined) return lineAt(keyNode.offset);
      node = valueNode;
    } else if (node.type === 'array' && typeof segment === 'number') {
      const item = node.children?.[segment];
      if (item === undefined) break;
      node = item;
    } else {
      break;
    }
    line = lineAt(node.offset);
  }
  return line;
}

/** Parses JSON text (comments and trailing commas allowed, as in VS Code). Throws `ConfigError` with the line. */
export function parseJsonSource(text: string): ParsedSource {
  const errors: jsonc.ParseError[] = [];
  const root = jsonc.parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const lineAt = lineIndex(text);
  const firstError = errors[0];
  if (firstError !== undefined) {
    const line = lineAt(firstError.offset);
    throw syntaxError('json', describeJsonError(firstError.error), line, `Fix the JSON on line ${line}: check for a missing comma, quote or bracket.`);
  }
  const duplicates: ConfigIssue[] = [];
  const value = root === undefined ? undefined : jsonValue(root, [], (path, keyNode, firstKeyNode) => {
    if (duplicates.length >= 50) return;
    const name = String(path[path.length - 1]);
    const line = lineAt(keyNode.offset);
    const earlier = lineAt(firstKeyNode.offset);
    duplicates.push({
      code: ErrorCode.ConfigInvalid,
      path: formatPath(path),
      line,
      message: `Duplicate key '${name}': on line ${earlier} and again on line ${line}`,
      fixInstructions: `Merge the two '${name}' entries into one (line ${earlier}) and delete the other: JSON keeps only the last, which silently drops the first.`,
    });
  });
  if (duplicates.length > 0) throw new ConfigError(duplicates as [ConfigIssue, ...ConfigIssue[]]);
  return { format: 'json', value, locate: (path, preferKey) => locateInJson(root, lineAt, path, preferKey) };
}

function describeJsonError(code: jsonc.ParseErrorCode): string {
  const name = jsonc.printParseErrorCode(code);
  // 'CommaExpected' → 'comma expected'
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
