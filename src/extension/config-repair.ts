// The text edits of a config problem's quick fixes (src/shared/vocabulary.ts `ConfigRepair`) in the
// file at fault — a settings file (JSONC) or gatekit.yaml / gatekit.json — leaving every other byte,
// comments included, as it is. Pure: no vscode; the edits are computed on the text the editor holds.
import * as jsonc from 'jsonc-parser';
import { isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ConfigRepair } from '../shared/vocabulary';

/** Replace `length` characters at `offset` with `text`. */
export interface TextEdit {
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

/** One quick fix: its title and edits. */
export interface RepairChoice {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** The fix to apply with one keystroke (the closest name). */
  readonly preferred: boolean;
}

/** Choices beyond this many are left out (a handler list is long; the closest comes first). */
const MAX_CHOICES = 8;

type Segment = string | number;

/** The quick fixes of `repair` at `path` in `text`, in the file's format. Empty when the path is not found. */
export function repairChoices(text: string, format: 'json' | 'yaml', path: readonly Segment[], repair: ConfigRepair): RepairChoice[] {
  const editor = format === 'json' ? jsonEditor(text) : yamlEditor(text);
  if (editor === undefined) return [];
  if (repair.kind === 'replaceValue') {
    return repair.values.slice(0, MAX_CHOICES).flatMap((value, index) => {
      const edits = editor.replaceValue(path, value);
      return edits ? [{ title: `Change to '${value}'`, edits, preferred: index === 0 && repair.values.length === 1 }] : [];
    });
  }
  const choices: RepairChoice[] = [];
  if (repair.suggestion !== undefined) {
    const edits = editor.renameKey(path, repair.suggestion);
    if (edits) choices.push({ title: `Rename '${repair.key}' to '${repair.suggestion}'`, edits, preferred: true });
  }
  const removal = editor.removeKey(path);
  if (removal) choices.push({ title: `Remove '${repair.key}'`, edits: removal, preferred: repair.suggestion === undefined });
  return choices;
}

interface FormatEditor {
  replaceValue(path: readonly Segment[], value: string): TextEdit[] | undefined;
  renameKey(path: readonly Segment[], to: string): TextEdit[] | undefined;
  removeKey(path: readonly Segment[]): TextEdit[] | undefined;
}

// ------------------------------------------------------------------------------------------- JSON

function jsonEditor(text: string): FormatEditor | undefined {
  const root = jsonc.parseTree(text, [], { allowTrailingComma: true });
  if (root === undefined) return undefined;
  const options: jsonc.ModificationOptions = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: text.includes('\r\n') ? '\r\n' : '\n' } };
  const find = (path: readonly Segment[]): jsonc.Node | undefined => jsonc.findNodeAtLocation(root, path as jsonc.JSONPath);
  const modify = (path: readonly Segment[], value: unknown): TextEdit[] =>
    jsonc.modify(text, path as jsonc.JSONPath, value, options).map((edit) => ({ offset: edit.offset, length: edit.length, text: edit.content }));
  return {
    replaceValue: (path, value) => (find(path) ? modify(path, value) : undefined),
    renameKey: (path, to) => {
      const key = find(path)?.parent?.children?.[0];
      return key ? [{ offset: key.offset, length: key.length, text: JSON.stringify(to) }] : undefined;
    },
    removeKey: (path) => (find(path) ? modify(path, undefined) : undefined),
  };
}

// ------------------------------------------------------------------------------------------- YAML

/** A plain YAML scalar when the value reads back as the same string, else a JSON (double-quoted) one. */
function yamlScalar(value: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(value) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value) ? value : JSON.stringify(value);
}

function yamlEditor(text: string): FormatEditor | undefined {
  const document = parseDocument(text, { keepSourceTokens: false });
  if (document.errors.length > 0) return undefined;
  /** The pair holding the last segment of `path`, in the mapping at the path before it. */
  const pairAt = (path: readonly Segment[]): { map: YAMLMap; pair: Pair<Node, Node | null> } | undefined => {
    const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const key = path[path.length - 1];
    const pair = (parent.items as Pair<Node, Node | null>[]).find((item) => isScalar(item.key) && String(item.key.value) === String(key));
    return pair ? { map: parent as YAMLMap, pair } : undefined;
  };
  return {
    replaceValue: (path, value) => {
      const node = document.getIn(path, true) as Node | undefined;
      if (!isScalar(node) || node.range === undefined || node.range === null) return undefined;
      return [{ offset: node.range[0], length: node.range[1] - node.range[0], text: yamlScalar(value) }];
    },
    renameKey: (path, to) => {
      const key = pairAt(path)?.pair.key;
      if (!isScalar(key) || !key.range) return undefined;
      return [{ offset: key.range[0], length: key.range[1] - key.range[0], text: yamlScalar(to) }];
    },
    removeKey: (path) => {
      const found = pairAt(path);
      const keyRange = found && isScalar(found.pair.key) ? found.pair.key.range : undefined;
      if (found === undefined || !keyRange) return undefined;
      const valueEnd = found.pair.value?.range ? found.pair.value.range[1] : keyRange[1];
      if (found.map.flow) return [flowPairRemoval(text, keyRange[0], valueEnd)];
      return [blockPairRemoval(text, found.map, found.pair, keyRange[0], valueEnd)];
    },
  };
}

/** `{a: 1, bogus: 2}` → `{a: 1}`: the pair with the comma after it (or, for the last, before it). */
function flowPairRemoval(text: string, start: number, end: number): TextEdit {
  const after = /^\s*,\s*/.exec(text.slice(end));
  if (after) return { offset: start, length: end - start + after[0].length, text: '' };
  const before = /,\s*$/.exec(text.slice(0, start));
  const from = before ? start - before[0].length : start;
  return { offset: from, length: end - from, text: '' };
}

/** The lines of a block mapping's pair; after `- ` (the first pair of a list item) up to the next pair's key. */
function blockPairRemoval(text: string, map: YAMLMap, pair: Pair<Node, Node | null>, start: number, end: number): TextEdit {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', Math.max(end - 1, start));
  const lineEnd = newline < 0 ? text.length : newline + 1;
  if (/^\s*$/.test(text.slice(lineStart, start))) return { offset: lineStart, length: lineEnd - lineStart, text: '' };
  const next = (map.items as Pair<Node, Node | null>[])[map.items.indexOf(pair) + 1];
  const nextKey = next && isScalar(next.key) && next.key.range ? next.key.range[0] : undefined;
  return nextKey !== undefined ? { offset: start, length: nextKey - start, text: '' } : { offset: start, length: end - start, text: '{}' };
}
