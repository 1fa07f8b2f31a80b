// Turns zod issues into sentences a person can act on: what is wrong, the nearest valid name, the
// valid keys or values at that place. Paths stay as segments so the loader can find the line.
import type * as z from 'zod';
import { ErrorCode } from '../shared/jsonrpc';
import type { ConfigErrorCode } from './errors';
import { formatPath } from './errors';
import { didYouMean, closestMatch } from './suggest';
import type { ConfigRepair } from '../shared/vocabulary';

/** An issue before its path is formatted and its line looked up. */
export interface RawIssue {
  code: ConfigErrorCode;
  path: PropertyKey[];
  /** Point at the key (unknown keys) rather than the value. */
  preferKey: boolean;
  message: string;
  fixInstructions: string;
  /** Set on "missing required key" issues. */
  missing?: boolean;
  /** Set on unknown-key issues with a suggestion: the key it probably meant. */
  renameTo?: string;
  /** The fix as data, when it is mechanical. */
  repair?: ConfigRepair;
}

/**
 * Message every issue gets from the parse-level error map. Schema-level custom messages take
 * precedence over it, so an issue still carrying it is one we word ourselves.
 */
const DEFAULT_MESSAGE = '\u0000gatekit-default';

/** Parse options that keep the input in issues and mark zod's default wording. */
export const PARSE_PARAMS = { reportInput: true, error: () => DEFAULT_MESSAGE } as const;

/** Where issues come from: the config schema itself, or one plugin's option schema. */
export interface IssueContext {
  /** The schema the issue paths are relative to. */
  readonly schema: z.ZodType;
  /** The value that was validated (to tell a missing key from a wrong value). */
  readonly root: unknown;
  /** Path of `root` within the whole config. */
  readonly basePath: readonly PropertyKey[];
  /** Set when validating a plugin's options. */
  readonly plugin?: { readonly handler: string; readonly validOptions: readonly string[]; readonly extraKeys: readonly string[] };
}

// ------------------------------------------------------------------------------- walking zod schemas

interface ZodDefLike {
  type: string;
  shape?: Record<string, unknown>;
  catchall?: unknown;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  left?: unknown;
  right?: unknown;
  getter?: () => unknown;
}

const WRAPPER_TYPES = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch', 'success']);

function defOf(schema: unknown): ZodDefLike | undefined {
  return (schema as { _zod?: { def?: ZodDefLike } } | undefined)?._zod?.def;
}

/** The schema(s) under wrappers (optional, default, pipe input, unions, intersections). */
function concreteSchemas(schema: unknown, out: unknown[], depth = 0): void {
  const def = defOf(schema);
  if (def === undefined || depth > 30) return;
  if (WRAPPER_TYPES.has(def.type)) concreteSchemas(def.innerType, out, depth + 1);
  else if (def.type === 'pipe') concreteSchemas(def.in, out, depth + 1);
  else if (def.type === 'lazy') concreteSchemas(def.getter?.(), out, depth + 1);
  else if (def.type === 'union') for (const option of def.options ?? []) concreteSchemas(option, out, depth + 1);
  else if (def.type === 'intersection') {
    concreteSchemas(def.left, out, depth + 1);
    concreteSchemas(def.right, out, depth + 1);
  } else out.push(schema);
}

function schemasAt(schema: unknown, path: readonly PropertyKey[]): unknown[] {
  let current: unknown[] = [schema];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const candidate of current) {
      const concrete: unknown[] = [];
      concreteSchemas(candidate, concrete);
      for (const node of concrete) {
        const def = defOf(node)!;
        if (def.type === 'object') {
          const child = def.shape?.[String(segment)];
          if (child !== undefined) next.push(child);
          else if (def.catchall !== undefined && defOf(def.catchall)?.type !== 'never') next.push(def.catchall);
        } else if (def.type === 'array' && typeof segment === 'number') next.push(def.element);
        else if (def.type === 'record') next.push(def.valueType);
      }
    }
    current = next;
  }
  return current;
}

/** The keys an object schema at `path` declares (union of all alternatives), in declaration order. */
export function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const candidate of schemasAt(schema, path)) {
    const concrete: unknown[] = [];
    concreteSchemas(candidate, concrete);
    for (const node of concrete) {
      const def = defOf(node)!;
      if (def.type === 'object') for (const key of Object.keys(def.shape ?? {})) keys.add(key);
    }
  }
  return [...keys];
}

// ------------------------------------------------------------------------------------------ wording

function quote(value: string): string {
  return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
}

/** "the string 'abc'", "the number 4", "a list", "a mapping", … in YAML's vocabulary. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

const EXPECTED_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'an empty value',
};

// Keys people put in the wrong place, with the fix spelled out. Keyed by "<parent path>|<key>".
const MISPLACED_KEYS: Record<string, string> = {
  '|upstreams': "'upstreams' belongs under 'proxy:' (proxy: {transport: stdio, upstreams: [...]}).",
  '|transport': "'transport' belongs under 'proxy:'.",
  '|timeouts': "'timeouts' belongs under 'proxy:'.",
  '|plugin': "The section is called 'plugins'.",
  'proxy|plugins': "'plugins' must be at the top level (next to 'proxy:'), not under 'proxy:'.",
  'proxy|logging': "'logging' must be at the top level (next to 'proxy:'), not under 'proxy:'.",
  'upstream|args': "Gatekit has no 'args': put the program and its arguments into one list, e.g. command: [\"npx\", \"-y\", \"server\"].",
  'upstream|type': "Gatekit upstreams have no 'type' (that is mcp.json); remove it, every upstream is stdio.",
  'upstream|url': 'Only stdio upstreams (a command) are supported here, not http/url upstreams.',
  'upstream|tls_verify': 'Only stdio upstreams are supported here; tls_verify applies to http upstreams.',
  'upstream|environment': "Use 'env' for environment variables.",
};

function misplacedHint(parentPath: readonly PropertyKey[], key: string): string | undefined {
  const isUpstream = parentPath.length === 3 && parentPath[0] === 'proxy' && parentPath[1] === 'upstreams';
  return MISPLACED_KEYS[`${isUpstream ? 'upstream' : parentPath.map(String).join('.')}|${key}`];
}

// What to write when a required key is missing.
const REQUIRED_KEY_EXAMPLES: Record<string, string> = {
  proxy: "Every Gatekit config starts with 'proxy:' holding 'transport: stdio' and 'upstreams:'.",
  transport: "Write 'transport: stdio'.",
  upstreams: "List the servers: upstreams: [{name: memory, command: [\"npx\", \"-y\", \"@modelcontextprotocol/server-memory\"]}].",
  name: "Every upstream needs a 'name' (lowercase, e.g. 'filesystem').",
  command: 'Give the program and its arguments, e.g. command: ["npx", "-y", "@modelcontextprotocol/server-memory"].',
  handler: "Every plugin entry needs a 'handler' (e.g. 'basic_pii_filter').",
};

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) return { found: false, value: undefined };
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value: current };
}

function numberBound(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean }, kind: 'min' | 'max'): string {
  const bound = String(kind === 'min' ? issue.minimum : issue.maximum);
  if (kind === 'min') return issue.inclusive ? `at least ${bound}` : `greater than ${bound}`;
  return issue.inclusive ? `at most ${bound}` : `less than ${bound}`;
}

/** `values` with the one closest to `input` first (when one is close), the rest in their order. */
export function closestFirst(input: string, values: readonly string[]): string[] {
  const closest = closestMatch(input, values);
  return closest === undefined ? [...values] : [closest, ...values.filter((value) => value !== closest)];
}

/** Converts the issues of one `safeParse` into readable issues with absolute paths. */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[], context: IssueContext): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) describeIssue(issue, [], context, out);
  // `comand:` yields both "unknown key 'comand' (did you mean 'command'?)" and "missing 'command'":
  // the first says it all.
  const renamed = new Set(out.filter((issue) => issue.renameTo !== undefined).map((issue) => formatPath([...issue.path.slice(0, -1), issue.renameTo!])));
  return out.filter((issue) => !(issue.missing === true && renamed.has(formatPath(issue.path))));
}

function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[], context: IssueContext, out: RawIssue[]): void {
  const relativePath = [...prefix, ...issue.path];
  const path = [...context.basePath, ...relativePath];
  const custom = issue.message !== DEFAULT_MESSAGE;
  const input = (issue as { input?: unknown }).input;
  const where = formatPath(path);
  const plugin = context.plugin;
  const pluginSuffix = plugin ? ` Valid options for ${plugin.handler}: ${plugin.validOptions.join(', ')}.` : '';
  const push = (message: string, fixInstructions: string, at: PropertyKey[] = path, preferKey = false): void => {
    out.push({ code: ErrorCode.ConfigInvalid, path: at, preferKey, message, fixInstructions });
  };

  const key = path[path.length - 1];
  const missing =
    input === undefined &&
    key !== undefined &&
    (issue.code === 'invalid_type' || issue.code === 'invalid_union' || issue.code === 'invalid_value') &&
    valueAt(context.root, relativePath.slice(0, -1)).found &&
    !valueAt(context.root, relativePath).found;
  if (missing) {
    const parentWhere = formatPath(path.slice(0, -1));
    const under = parentWhere === '' ? 'at the top level' : `under ${parentWhere}`;
    const example = REQUIRED_KEY_EXAMPLES[String(key)];
    push(`Missing required key '${String(key)}' ${under}.${example ? ` ${example}` : ''}${pluginSuffix}`, `Add '${String(key)}' ${under}.`);
    out[out.length - 1]!.missing = true;
    return;
  }

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(context.schema, relativePath);
      if (plugin && relativePath.length === 0) known.unshift(...plugin.extraKeys);
      for (const key of issue.keys) {
        const hint = plugin ? undefined : misplacedHint(path, key);
        const suggestion = closestMatch(key, known);
        const place = where === '' ? 'at the top level' : `in ${where}`;
        const message = plugin
          ? `Unknown option '${key}' for plugin '${plugin.handler}'.${didYouMean(key, known)} Valid options${relativePath.length > 0 ? ` under ${formatPath(relativePath)}` : ''}: ${known.join(', ')}.`
          : `Unknown key '${key}' ${place}.${hint ? ` ${hint}` : didYouMean(key, known)} Valid keys: ${known.join(', ')}.`;
        const fix = hint ?? (suggestion !== undefined ? `Rename '${key}' to '${suggestion}'.` : `Remove '${key}'.`);
        push(message, fix, [...path, key], true);
        const pushed = out[out.length - 1]!;
        if (suggestion !== undefined) pushed.renameTo = suggestion;
        // A misplaced key (hint) belongs elsewhere: removing or renaming it here would lose it.
        if (hint === undefined) pushed.repair = { kind: 'unknownKey', key, ...(suggestion !== undefined ? { suggestion } : {}) };
      }
      return;
    }
    case 'invalid_union': {
      // Prefer the alternative that got furthest: its issues sit deeper than the union itself
      // (a list whose 2nd element is a number, rather than "not a string").
      let best: readonly z.core.$ZodIssue[] | undefined;
      let bestDepth = 0;
      for (const branch of issue.errors) {
        const depth = Math.min(...branch.map((inner) => inner.path.length));
        if (branch.length > 0 && depth > bestDepth) {
          best = branch;
          bestDepth = depth;
        }
      }
      if (best !== undefined) {
        for (const inner of best) describeIssue(inner, [...prefix, ...issue.path], context, out);
        return;
      }
      push(custom ? issue.message : `${describeValue(input)} is not an accepted form here.${pluginSuffix}`, `Fix the value at ${where || 'the top level'}.`);
      return;
    }
    case 'invalid_type': {
      if (custom) {
        push(issue.message, `Fix the value at ${where}.`);
        return;
      }
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      let fix = `Change the value at ${where || 'the top level'} to ${expected}.`;
      if (issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) fix += ` In YAML, quote it: "${String(input)}".`;
      if (issue.expected === 'boolean' && typeof input === 'string') fix = `Use true or false (without quotes) at ${where}.`;
      if (path.length === 0) {
        push(`The configuration must be a mapping with a 'proxy' section, not ${describeValue(input)}.`, "Start the file with 'proxy:' (see the Gatekit configuration reference).");
        return;
      }
      push(`Expected ${expected}, got ${describeValue(input)}.${pluginSuffix}`, fix);
      return;
    }
    case 'invalid_value': {
      const values = issue.values.map((value) => (typeof value === 'string' ? quote(value) : String(value)));
      if (custom) {
        push(issue.message, `Use ${values.join(' or ')}.`);
        return;
      }
      const choices = issue.values.filter((v): v is string => typeof v === 'string');
      const suggestion = typeof input === 'string' ? didYouMean(input, choices) : '';
      push(`Invalid value: ${describeValue(input)}.${suggestion} Valid values: ${values.join(', ')}.${pluginSuffix}`, `Use one of: ${values.join(', ')}.`);
      if (choices.length > 0 && choices.length === issue.values.length) out[out.length - 1]!.repair = { kind: 'replaceValue', values: closestFirst(typeof input === 'string' ? input : '', choices) };
      return;
    }
    case 'too_small':
    case 'too_big': {
      if (custom) {
        push(issue.message, `Fix the value at ${where}.`);
        return;
      }
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      let message: string;
      if (issue.origin === 'array' || issue.origin === 'set') {
        message = issue.code === 'too_small' && Number(bound) === 1 ? 'Must not be an empty list.' : `Must have ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} items.`;
      } else if (issue.origin === 'string') {
        message = issue.code === 'too_small' && Number(bound) === 1 ? 'Must not be empty.' : `Must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} characters long.`;
      } else {
        message = `Must be ${numberBound(issue, issue.code === 'too_small' ? 'min' : 'max')}, got ${describeValue(input)}.`;
      }
      push(message + pluginSuffix, `Change the value at ${where}.`);
      return;
    }
    case 'invalid_format': {
      const message = custom ? issue.message : `${describeValue(input)} does not have the expected format (${issue.pattern ?? issue.format}).`;
      push(message + (custom ? '' : pluginSuffix), `Change the value at ${where}.`);
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues.find((candidate) => candidate.message !== DEFAULT_MESSAGE);
      push(`Invalid key ${describeValue(input)}${inner ? `: ${inner.message}` : ''}.`, `Rename the key at ${where}.`, path, true);
      return;
    }
    case 'not_multiple_of':
      push(custom ? issue.message : `Must be a multiple of ${String(issue.divisor)}, got ${describeValue(input)}.${pluginSuffix}`, `Change the value at ${where}.`);
      return;
    default:
      push(custom ? issue.message : `Invalid value at ${where || 'the top level'}.${pluginSuffix}`, `Fix the value at ${where || 'the top level'}.`);
  }
}
