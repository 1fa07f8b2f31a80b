// Edits one server's middleware plugin list so that a tool is hidden from, or allowed back into, its
// allowlist (the Servers view's Hide Tool / Allow Tool). Which plugin keeps the allowlist, and under
// which option and key, is what its descriptor declares (`offers.toolAllowlist`): no plugin is named
// here. Pure: no vscode, no I/O.
import { isRecord } from '../shared/jsonrpc';
import { toolAllowlistPlugin } from '../plugins/descriptors';

type PluginEntry = Record<string, unknown>;
type ToolEntry = Record<string, unknown>;

const allowlistPlugin = toolAllowlistPlugin();
// A fact of the built-in descriptors (test/unit/extension-tool-allowlist.test.ts), checked once at load.
if (allowlistPlugin === undefined) throw new Error('No built-in plugin declares a tool allowlist');
/** The allowlist plugin's handler, the option holding its list, the key naming a tool in an entry, and the key renaming it. */
const { handler: ALLOWLIST_HANDLER, option: LIST_OPTION, toolKey: TOOL_KEY, displayNameKey: DISPLAY_NAME_KEY } = allowlistPlugin;

function isAllowlistPlugin(entry: unknown): entry is PluginEntry {
  return isRecord(entry) && entry.handler === ALLOWLIST_HANDLER;
}

/** The entry that takes effect: Gatekit runs the enabled one (`config.enabled: false` allows everything). */
function activeAllowlistIndex(list: readonly unknown[]): number {
  return list.findIndex((entry) => isAllowlistPlugin(entry) && !(isRecord(entry.config) && entry.config.enabled === false));
}

function toolName(entry: ToolEntry): string {
  return entry[TOOL_KEY] as string;
}

function toolsOf(entry: PluginEntry): ToolEntry[] {
  const config = entry.config;
  const tools: unknown = isRecord(config) ? config[LIST_OPTION] : undefined;
  return (Array.isArray(tools) ? tools : []).filter((t): t is ToolEntry => isRecord(t) && typeof t[TOOL_KEY] === 'string');
}

function withTools(entry: PluginEntry, tools: ToolEntry[]): PluginEntry {
  const config = isRecord(entry.config) ? entry.config : {};
  return { ...entry, config: { ...config, [LIST_OPTION]: tools } };
}

/** True when the server lists `tool` under any name (its own or a display name). */
export function isToolAllowed(list: readonly unknown[] | undefined, tool: string): boolean {
  const index = activeAllowlistIndex(list ?? []);
  if (index < 0) return true;
  return toolsOf((list ?? [])[index] as PluginEntry).some((t) => toolName(t) === tool);
}

/**
 * The server's middleware list with `tool` taken out of its allowlist (every name it
 * is shown under). A server without an active allowlist gets one of all `knownTools` but `tool`, so
 * the others stay visible: a disabled entry is switched on with that list, else one is appended.
 * Returns undefined when the tool is hidden already.
 */
export function hideTool(list: readonly unknown[] | undefined, tool: string, knownTools: readonly string[]): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  if (index >= 0) {
    const entry = next[index] as PluginEntry;
    const tools = toolsOf(entry);
    const kept = tools.filter((t) => toolName(t) !== tool);
    if (kept.length === tools.length) return undefined;
    next[index] = withTools(entry, kept);
    return next;
  }
  const allowlist = [...new Set(knownTools)].filter((name) => name !== tool).map((name): ToolEntry => ({ [TOOL_KEY]: name }));
  const disabled = next.findIndex(isAllowlistPlugin);
  if (disabled >= 0) {
    const entry = next[disabled] as PluginEntry;
    const { enabled: _off, ...config } = isRecord(entry.config) ? entry.config : {};
    next[disabled] = { ...entry, config: { ...config, [LIST_OPTION]: allowlist } };
  } else {
    next.push({ handler: ALLOWLIST_HANDLER, config: { [LIST_OPTION]: allowlist } });
  }
  return next;
}

/**
 * The server's middleware list with `tool` added back to its allowlist under its own
 * name. When the allowlist then holds every one of `knownTools` and nothing but plain names (no
 * display names or descriptions to keep), the allowlist plugin's entry goes: it would filter nothing.
 * Returns undefined when no allowlist hides the tool.
 */
export function allowTool(list: readonly unknown[] | undefined, tool: string, knownTools: readonly string[]): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  if (index < 0) return undefined;
  const entry = next[index] as PluginEntry;
  const tools = toolsOf(entry);
  if (tools.some((t) => toolName(t) === tool)) return undefined;
  const allowed: ToolEntry[] = [...tools, { [TOOL_KEY]: tool }];
  if (filtersNothing(allowed, knownTools)) {
    next.splice(index, 1);
    return next;
  }
  next[index] = withTools(entry, allowed);
  return next;
}

/** True when an allowlist holds every one of `knownTools` and nothing but plain names (no display names or descriptions to keep). */
function filtersNothing(tools: readonly ToolEntry[], knownTools: readonly string[]): boolean {
  const names = new Set(tools.map(toolName));
  return tools.every((t) => Object.keys(t).length === 1) && knownTools.every((name) => names.has(name));
}

/**
 * The server's middleware list with an empty allowlist: none of its tools reach the model (the tool
 * budget's one-click "hide this server's tools"). Tools are then allowed back one by one, or all
 * at once with {@link showAllTools}. Returns undefined when the allowlist is empty already.
 */
export function hideAllTools(list: readonly unknown[] | undefined): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  if (index >= 0) {
    if (toolsOf(next[index] as PluginEntry).length === 0) return undefined;
    next[index] = withTools(next[index] as PluginEntry, []);
    return next;
  }
  const disabled = next.findIndex(isAllowlistPlugin);
  if (disabled >= 0) {
    const entry = next[disabled] as PluginEntry;
    const { enabled: _off, ...config } = isRecord(entry.config) ? entry.config : {};
    next[disabled] = { ...entry, config: { ...config, [LIST_OPTION]: [] } };
  } else {
    next.push({ handler: ALLOWLIST_HANDLER, config: { [LIST_OPTION]: [] } });
  }
  return next;
}

/** Undoes {@link hideAllTools}: drops an empty allowlist. Undefined when the active allowlist is not empty (or there is none). */
export function showAllTools(list: readonly unknown[] | undefined): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  if (index < 0 || toolsOf(next[index] as PluginEntry).length > 0) return undefined;
  next.splice(index, 1);
  return next;
}

/** The name `tool` is shown under by the active allowlist (its display name), or undefined when shown under its own. */
export function toolDisplayName(list: readonly unknown[] | undefined, tool: string): string | undefined {
  const index = activeAllowlistIndex(list ?? []);
  if (index < 0) return undefined;
  const entry = toolsOf((list ?? [])[index] as PluginEntry).find((t) => toolName(t) === tool);
  const shown = DISPLAY_NAME_KEY === undefined ? undefined : entry?.[DISPLAY_NAME_KEY];
  return typeof shown === 'string' ? shown : undefined;
}

/**
 * The server's middleware list with `tool` shown as `displayName` (its own name again when
 * `displayName` is undefined or the tool's name). Renaming needs the allowlist, so a server without
 * one gets an allowlist of all `knownTools` (as {@link hideTool} does), and loses it again when the
 * last rename is undone. Other keys of the tool's entry (a display description) are kept. Returns undefined when nothing changes, and throws when
 * the tool is hidden (show it first: a hidden tool has no name the model sees).
 */
export function renameTool(list: readonly unknown[] | undefined, tool: string, displayName: string | undefined, knownTools: readonly string[]): unknown[] | undefined {
  const wanted = displayName === tool ? undefined : displayName;
  if (DISPLAY_NAME_KEY === undefined) throw new Error(`${ALLOWLIST_HANDLER} cannot rename tools`);
  const next = [...(list ?? [])];
  let index = activeAllowlistIndex(next);
  if (index < 0) {
    if (wanted === undefined) return undefined;
    const withAll = allowlistOf(next, [...new Set([...knownTools, tool])]);
    next.splice(0, next.length, ...withAll);
    index = activeAllowlistIndex(next);
  }
  const entry = next[index] as PluginEntry;
  const tools = toolsOf(entry);
  const position = tools.findIndex((t) => toolName(t) === tool);
  if (position < 0) throw new Error(`${tool} is hidden: show it before renaming it`);
  const { [DISPLAY_NAME_KEY]: current, ...rest } = tools[position]!;
  if (current === wanted) return undefined;
  const renamed = [...tools];
  renamed[position] = wanted === undefined ? rest : { ...rest, [DISPLAY_NAME_KEY]: wanted };
  // Renamed back, the allowlist may filter nothing any more: then it goes, as after an allow.
  if (wanted === undefined && filtersNothing(renamed, knownTools)) next.splice(index, 1);
  else next[index] = withTools(entry, renamed);
  return next;
}

/** `list` with an active allowlist of `names`: a disabled entry is switched on with them, else one is appended. */
function allowlistOf(list: readonly unknown[], names: readonly string[]): unknown[] {
  const next = [...list];
  const allowlist = names.map((name): ToolEntry => ({ [TOOL_KEY]: name }));
  const disabled = next.findIndex(isAllowlistPlugin);
  if (disabled >= 0) {
    const entry = next[disabled] as PluginEntry;
    const { enabled: _off, ...config } = isRecord(entry.config) ? entry.config : {};
    next[disabled] = { ...entry, config: { ...config, [LIST_OPTION]: allowlist } };
  } else {
    next.push({ handler: ALLOWLIST_HANDLER, config: { [LIST_OPTION]: allowlist } });
  }
  return next;
}
