// Edits one server's middleware plugin list so that a tool is hidden from, or allowed back into, its
// `tool_manager` allowlist (the Servers view's Hide Tool / Allow Tool). Pure: no vscode, no I/O.
import { isRecord } from '../shared/jsonrpc';

const TOOL_MANAGER = 'tool_manager';

type PluginEntry = Record<string, unknown>;
type ToolEntry = Record<string, unknown> & { tool: string };


function isToolManager(entry: unknown): entry is PluginEntry {
  return isRecord(entry) && entry.handler === TOOL_MANAGER;
}

/** The entry that takes effect: Gatekit runs the enabled one (`config.enabled: false` allows everything). */
function activeToolManagerIndex(list: readonly unknown[]): number {
  return list.findIndex((entry) => isToolManager(entry) && !(isRecord(entry.config) && entry.config.enabled === false));
}

function toolsOf(entry: PluginEntry): ToolEntry[] {
  const config = entry.config;
  const tools = isRecord(config) && Array.isArray(config.tools) ? config.tools : [];
  return tools.filter((t): t is ToolEntry => isRecord(t) && typeof t.tool === 'string');
}

function withTools(entry: PluginEntry, tools: ToolEntry[]): PluginEntry {
  const config = isRecord(entry.config) ? entry.config : {};
  return { ...entry, config: { ...config, tools } };
}

/** True when the server lists `tool` under any name (its own or a display name). */
export function isToolAllowed(list: readonly unknown[] | undefined, tool: string): boolean {
  const index = activeToolManagerIndex(list ?? []);
  if (index < 0) return true;
  return toolsOf((list ?? [])[index] as PluginEntry).some((t) => t.tool === tool);
}

/**
 * The server's middleware list with `tool` taken out of its `tool_manager` allowlist (every name it
 * is shown under). A server without an active allowlist gets one of all `knownTools` but `tool`, so
 * the others stay visible: a disabled entry is switched on with that list, else one is appended.
 * Returns undefined when the tool is hidden already.
 */
export function hideTool(list: readonly unknown[] | undefined, tool: string, knownTools: readonly string[]): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeToolManagerIndex(next);
  if (index >= 0) {
    const entry = next[index] as PluginEntry;
    const tools = toolsOf(entry);
    const kept = tools.filter((t) => t.tool !== tool);
    if (kept.length === tools.length) return undefined;
    next[index] = withTools(entry, kept);
    return next;
  }
  const allowlist = [...new Set(knownTools)].filter((name) => name !== tool).map((name): ToolEntry => ({ tool: name }));
  const disabled = next.findIndex(isToolManager);
  if (disabled >= 0) {
    const entry = next[disabled] as PluginEntry;
    const { enabled: _off, ...config } = isRecord(entry.config) ? entry.config : {};
    next[disabled] = { ...entry, config: { ...config, tools: allowlist } };
  } else {
    next.push({ handler: TOOL_MANAGER, config: { tools: allowlist } });
  }
  return next;
}

/**
 * The server's middleware list with `tool` added back to its `tool_manager` allowlist under its own
 * name. When the allowlist then holds every one of `knownTools` and nothing but plain names (no
 * display names or descriptions to keep), the `tool_manager` entry goes: it would filter nothing.
 * Returns undefined when no allowlist hides the tool.
 */
export function allowTool(list: readonly unknown[] | undefined, tool: string, knownTools: readonly string[]): unknown[] | undefined {
  const next = [...(list ?? [])];
  const index = activeToolManagerIndex(next);
  if (index < 0) return undefined;
  const entry = next[index] as PluginEntry;
  const tools = toolsOf(entry);
  if (tools.some((t) => t.tool === tool)) return undefined;
  const allowed = [...tools, { tool }];
  const plain = allowed.every((t) => Object.keys(t).length === 1);
  const names = new Set(allowed.map((t) => t.tool));
  if (plain && knownTools.every((name) => names.has(name))) {
    next.splice(index, 1);
    return next;
  }
  next[index] = withTools(entry, allowed);
  return next;
}
