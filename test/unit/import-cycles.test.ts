// No import cycles in src/ (issue #12 removed gateway.ts <-> settings.ts): a cycle means a type or helper
// sits in the wrong module. Type-only imports count too, as they do for madge: they tie the modules'
// meanings together even though the bundle drops them.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const srcRoot = path.join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The src/ file a relative specifier names, or undefined for packages and node: modules. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/** Every import, export-from, require() and import() of a file, resolved to src/ files. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.map((ref) => resolveRelative(file, ref.fileName)).filter((target) => target !== undefined);
}

/** Strongly connected components with more than one module (or a module importing itself), by Tarjan. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('import cycles in src/', () => {
  it('finds a cycle when there is one (the check itself works)', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
    assert.deepEqual(cycles(graph).map((c) => c.join(' ')).sort(), ['a b c', 'e']);
  });

  it('has none', () => {
    const graph = new Map(sourceFiles(srcRoot).map((file) => [file, importsOf(file)]));
    assert.ok(graph.size > 50, `read ${graph.size} modules`);
    const found = cycles(graph).map((component) => component.map((file) => path.relative(srcRoot, file).split(path.sep).join('/')).join(' <-> '));
    assert.deepEqual(found, []);
  });
});
