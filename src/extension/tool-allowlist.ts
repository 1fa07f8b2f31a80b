// Edits one server's middleware plugin list so that a tool is hidden or allowed back (the Servers
// view's Hide Tool / Allow Tool). Hiding writes the plugin's hidden list, so every other tool — and
// any tool the server adds later — stays visible; an allowlist the user already has is edited as
// such. Which plugin keeps the lists, under which options and key, is what its descriptor declares
// (`offers.toolAllowlist`): no plugin is named here. Pure: no vscode, no I/O.
import { isRecord } from '../shared/jsonrpc';
import { toolAllowlistPlugin } from '../plugins/descriptors';

type PluginEntry = Record<string, unknown>;
type ToolEntry = Record<string, unknown>;

const allowlistPlugin = toolAllowlistPlugin();
// A fact of the built-in descriptors (test/unit/extension-tool-allowlist.test.ts), checked once at load.
if (allowlistPlugin === undefined) throw new Error('No built-in plugin declares a tool allowlist');
/**
 * The allowlist plugin's handler, the option holding its allowlist, the key naming a tool in an
 * entry, the key renaming it, and the option holding the names of single hidden tools.
 */
const { handler: ALLOWLIST_HANDLER, option: LIST_OPTION, toolKey: TOOL_KEY, displayNameKey: DISPLAY_NAME_KEY, hiddenOption: HIDDEN_OPTION } = allowlistPlugin;

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

/** Whether the entry has an allowlist at all (without one, every tool not hidden is shown). */
function hasAllowlist(entry: PluginEntry): boolean {
  return isRecord(entry.config) && Array.isArray(entry.config[LIST_OPTION]);
}

/** The names in the entry's hidden list (strings only: the settings are the user's to mistype). */
function hiddenOf(entry: PluginEntry): string[] {
  const hidden: unknown = isRecord(entry.config) ? entry.config[HIDDEN_OPTION] : undefined;
  return (Array.isArray(hidden) ? hidden : []).filter((name): name is string => typeof name === 'string');
}

/** The entry with its config rebuilt by `edit` (`enabled: false` dropped: the entry is the active one now). */
function withConfig(entry: PluginEntry, edit: (config: Record<string, unknown>) => Record<string, unknown>): PluginEntry {
  const { enabled: _off, ...config } = isRecord(entry.config) ? entry.config : {};
  return { ...entry, config: edit(config) };
}

/** True when the server lists `tool` under any name (its own or a display name). */
export function isToolAllowed(list: readonly unknown[] | undefined, tool: string): boolean {
  const index = activeAllowlistIndex(list ?? []);
  if (index < 0) return true;
  const entry = (list ?? [])[index] as PluginEntry;
  if (hiddenOf(entry).includes(tool)) return false;
  return !hasAllowlist(entry) || toolsOf(entry).some((t) => toolName(t) === tool);
}

/**
 * The server's middleware list with `tool` hidden. An active allowlist loses the tool (every name
 * it is shown under), as Gatekit's own configuration would say it; otherwise the tool goes into the
 * hidden list of the active entry, of a disabled one (switched on) or of a new one, so the other
 * tools, and tools the server adds later, stay visible. Returns undefined when it is hidden already.
 */
export function hideTool(list: readonly unknown[] | undefined, tool: string): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  if (index >= 0) {
    const entry = next[index] as PluginEntry;
    if (hiddenOf(entry).includes(tool)) return undefined;
    if (hasAllowlist(entry)) {
      const tools = toolsOf(entry);
      const kept = tools.filter((t) => toolName(t) !== tool);
      if (kept.length === tools.length) return undefined;
      next[index] = withTools(entry, kept);
      return next;
    }
    next[index] = withConfig(entry, (config) => ({ ...config, [HIDDEN_OPTION]: [...hiddenOf(entry), tool] }));
    return next;
  }
  const disabled = next.findIndex(isAllowlistPlugin);
  if (disabled >= 0) {
    // The disabled entry's allowlist was not in force: switching it on must not bring it back.
    next[disabled] = withConfig(next[disabled] as PluginEntry, ({ [LIST_OPTION]: _list, ...config }) => ({ ...config, [HIDDEN_OPTION]: [tool] }));
  } else {
    next.push({ handler: ALLOWLIST_HANDLER, config: { [HIDDEN_OPTION]: [tool] } });
  }
  return next;
}

/**
 * The server's middleware list with `tool` shown again: out of the hidden list, and added to an
 * allowlist under its own name. An entry left filtering nothing goes: an empty hidden list and no
 * allowlist, or an allowlist holding every one of `knownTools` under plain names only (no display
 * names or descriptions to keep). Returns undefined when nothing hides the tool.
 */
export function allowTool(list: readonly unknown[] | undefined, tool: string, knownTools: readonly string[]): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  if (index < 0) return undefined;
  let entry = next[index] as PluginEntry;
  const hidden = hiddenOf(entry);
  const wasHidden = hidden.includes(tool);
  const wasUnlisted = hasAllowlist(entry) && !toolsOf(entry).some((t) => toolName(t) === tool);
  if (!wasHidden && !wasUnlisted) return undefined;
  if (wasHidden) {
    const rest = hidden.filter((name) => name !== tool);
    entry = withConfig(entry, ({ [HIDDEN_OPTION]: _hidden, ...config }) => (rest.length > 0 ? { ...config, [HIDDEN_OPTION]: rest } : config));
  }
  if (wasUnlisted) entry = withTools(entry, [...toolsOf(entry), { [TOOL_KEY]: tool }]);
  if (filtersNothing(entry, knownTools)) next.splice(index, 1);
  else next[index] = entry;
  return next;
}

/** True when the entry hides no tool: no hidden list, no options but the lists, and no allowlist or a plain one of every known tool. */
function filtersNothing(entry: PluginEntry, knownTools: readonly string[]): boolean {
  const config = isRecord(entry.config) ? entry.config : {};
  if (hiddenOf(entry).length > 0 || Object.keys(config).some((key) => key !== LIST_OPTION && key !== HIDDEN_OPTION)) return false;
  if (!hasAllowlist(entry)) return true;
  const tools = toolsOf(entry);
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
    const entry = next[index] as PluginEntry;
    if (hasAllowlist(entry) && toolsOf(entry).length === 0) return undefined;
    next[index] = withTools(entry, []);
    return next;
  }
  const disabled = next.findIndex(isAllowlistPlugin);
  if (disabled >= 0) {
    next[disabled] = withConfig(next[disabled] as PluginEntry, (config) => ({ ...config, [LIST_OPTION]: [] }));
  } else {
    next.push({ handler: ALLOWLIST_HANDLER, config: { [LIST_OPTION]: [] } });
  }
  return next;
}

/** Undoes {@link hideAllTools}: drops an empty allowlist. Undefined when the active allowlist is not empty (or there is none). */
export function showAllTools(list: readonly unknown[] | undefined): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeAllowlistIndex(next);
  const entry = next[index] as PluginEntry | undefined;
  if (entry === undefined || !hasAllowlist(entry) || toolsOf(entry).length > 0) return undefined;
  // Single tools hidden before stay hidden.
  if (hiddenOf(entry).length > 0) next[index] = withConfig(entry, ({ [LIST_OPTION]: _list, ...config }) => config);
  else next.splice(index, 1);
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
  const everyTool = [...new Set([...knownTools, tool])];
  if (index < 0) {
    if (wanted === undefined) return undefined;
    next.splice(0, next.length, ...allowlistOf(next, everyTool));
    index = activeAllowlistIndex(next);
  } else if (!hasAllowlist(next[index] as PluginEntry)) {
    // An entry that only hides single tools: renaming needs the allowlist beside its hidden list.
    if (wanted === undefined) return undefined;
    // Its hidden tools stay out of the allowlist too, so the written config says the same thing twice over.
    const hidden = hiddenOf(next[index] as PluginEntry);
    next[index] = withTools(next[index] as PluginEntry, everyTool.filter((name) => !hidden.includes(name)).map((name): ToolEntry => ({ [TOOL_KEY]: name })));
  }
  const entry = next[index] as PluginEntry;
  const tools = toolsOf(entry);
  const position = tools.findIndex((t) => toolName(t) === tool);
  if (position < 0) throw new Error(`${tool} is hidden: show it before renaming it`);
  const { [DISPLAY_NAME_KEY]: current, ...rest } = tools[position]!;
  if (current === wanted) return undefined;
  const renamed = [...tools];
  renamed[position] = wanted === undefined ? rest : { ...rest, [DISPLAY_NAME_KEY]: wanted };
  let updated = withTools(entry, renamed);
  // Renamed back, the allowlist may list every tool under its own name: then it goes (and the entry
  // with it when it hides nothing else), so tools the server adds later are not frozen out.
  const hiddenTools = hiddenOf(entry);
  const listsEveryShownTool = knownTools.every((name) => hiddenTools.includes(name) || renamed.some((t) => toolName(t) === name));
  if (wanted === undefined && renamed.every((t) => Object.keys(t).length === 1) && listsEveryShownTool) {
    updated = withConfig(updated, ({ [LIST_OPTION]: _list, ...config }) => config);
  }
  if (filtersNothing(updated, knownTools)) next.splice(index, 1);
  else next[index] = updated;
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
