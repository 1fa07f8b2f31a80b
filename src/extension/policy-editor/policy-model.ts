// The policy editor's model, pure (no vscode, no I/O): the configuration and the live tool inventory
// as a view of each server (its tools, the filters that apply and their action), the edits the page
// may ask for, checked as hostile input, and those edits turned back into plugin lists to write.
// Tool edits go through tool-allowlist.ts, the one place that knows how the allowlist is kept; what a
// filter is and which actions it takes come from the plugin descriptors.
import { GLOBAL_SCOPE } from '../../config/schema';
import { builtinDescriptors, findDescriptor, toolAllowlistPlugin } from '../../plugins/descriptors';
import type { PluginDescriptor } from '../../plugins/types';
import { isRecord } from '../../shared/jsonrpc';
import type { ToolInventoryEntry, ToolPinState, ToolVisibility } from '../../shared/protocol';
import { allowTool, hideTool, isToolAllowed, renameTool, toolDisplayName } from '../tool-allowlist';
import { optionEnum } from '../plugin-schema';

/** The plugin section whose entries the editor shows as a server's filters. */
export const FILTER_SECTION = 'security';
/** The section of the plugin that keeps the tool allowlist (hide, show, rename). */
const TOOLS_SECTION = toolAllowlistPlugin()!.kind;

/** Most edits one save may carry (a page that sends more is not ours). */
export const MAX_EDITS = 1000;
/** Longest tool or display name accepted from the page (MCP tool names are at most 128). */
const MAX_NAME = 128;

/** What the editor reads: the configuration as written and the tools the gateways reported. */
export interface PolicySource {
  /** Configured servers, in order. */
  readonly serverNames: readonly string[];
  /** One scope's plugin list of one section as written (settings, else the config file), or undefined. */
  list(section: string, scope: string): readonly unknown[] | undefined;
  /** A server's tools as the gateways reported them, or undefined when none has (not running). */
  tools(server: string): readonly ToolInventoryEntry[] | undefined;
}

export interface PolicyTool {
  readonly name: string;
  /** The name the model sees (`server__shown`), when it sees the tool. */
  readonly exposedName?: string;
  readonly visibility: ToolVisibility;
  readonly pin: ToolPinState;
  /** Hidden by the allowlist (the editor can show it again); `blocked` tools are withheld by a filter instead. */
  readonly hidden: boolean;
  /** The display name the allowlist gives it, if renamed. */
  readonly displayName?: string;
  readonly reason?: string;
}

export interface PolicyFilter {
  readonly scope: string;
  readonly handler: string;
  /** The plugin's display name, or the handler when it is not built in. */
  readonly label: string;
  /** False for handlers the editor does not know: shown, never changed. */
  readonly builtin: boolean;
  readonly enabled: boolean;
  /** The configured action (its default when not set), for plugins that take one. */
  readonly action?: string;
  /** Every action the plugin takes (empty: it has none). */
  readonly actions: readonly string[];
}

export interface PolicyServer {
  readonly name: string;
  /** False when no gateway has reported the server's tools (not running): tools cannot be edited. */
  readonly toolsKnown: boolean;
  readonly tools: readonly PolicyTool[];
  /** The server's own filter entries. */
  readonly filters: readonly PolicyFilter[];
  /** Filters of every server (`_global`) that apply here too: not replaced by an entry of the same plugin. */
  readonly inherited: readonly PolicyFilter[];
}

/** A built-in filter the user may add: its handler, name, actions and default action. */
export interface FilterChoice {
  readonly handler: string;
  readonly label: string;
  readonly actions: readonly string[];
  readonly defaultAction?: string;
  readonly serverOnly: boolean;
}

export interface PolicyView {
  readonly servers: readonly PolicyServer[];
  readonly global: readonly PolicyFilter[];
  readonly choices: readonly FilterChoice[];
}

/** An edit the page asks for (checked by {@link parsePolicyEdits}). */
export type PolicyEdit =
  | { readonly op: 'hideTool'; readonly server: string; readonly tool: string }
  | { readonly op: 'showTool'; readonly server: string; readonly tool: string }
  | { readonly op: 'renameTool'; readonly server: string; readonly tool: string; readonly name: string }
  | { readonly op: 'addFilter'; readonly scope: string; readonly handler: string; readonly action?: string }
  | { readonly op: 'removeFilter'; readonly scope: string; readonly handler: string }
  | { readonly op: 'setAction'; readonly scope: string; readonly handler: string; readonly action: string };

/** One plugin list to write. */
export interface PluginListWrite {
  readonly section: string;
  readonly scope: string;
  readonly list: unknown[];
}

function filterDescriptor(handler: string): PluginDescriptor | undefined {
  const descriptor = findDescriptor(handler);
  return descriptor?.kind === FILTER_SECTION ? descriptor : undefined;
}

function actionsOf(descriptor: PluginDescriptor | undefined): { actions: string[]; defaultAction?: string } {
  return descriptor === undefined ? { actions: [] } : optionEnum(descriptor, 'action');
}

/** The built-in filters, by name. */
export function filterChoices(): FilterChoice[] {
  return Object.values(builtinDescriptors)
    .filter((d) => d.kind === FILTER_SECTION)
    .map((d) => ({ handler: d.handler, label: d.displayName, ...actionsOf(d), serverOnly: d.serverOnly === true }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

function filtersOf(scope: string, list: readonly unknown[] | undefined): PolicyFilter[] {
  return (list ?? []).filter((entry): entry is Record<string, unknown> => isRecord(entry) && typeof entry.handler === 'string').map((entry) => {
    const handler = entry.handler as string;
    const descriptor = filterDescriptor(handler);
    const config = isRecord(entry.config) ? entry.config : {};
    const { actions, defaultAction } = actionsOf(descriptor);
    const configured = Object.hasOwn(config, 'action') && typeof config.action === 'string' ? config.action : undefined;
    const action = configured ?? defaultAction;
    return {
      scope,
      handler,
      label: descriptor?.displayName ?? handler,
      builtin: descriptor !== undefined,
      enabled: !(Object.hasOwn(config, 'enabled') && config.enabled === false),
      ...(action === undefined ? {} : { action }),
      actions,
    };
  });
}

/** The editor's view of the configuration and inventory. */
export function buildPolicyView(source: PolicySource): PolicyView {
  const global = filtersOf(GLOBAL_SCOPE, source.list(FILTER_SECTION, GLOBAL_SCOPE));
  const servers = source.serverNames.map((name): PolicyServer => {
    const filters = filtersOf(name, source.list(FILTER_SECTION, name));
    const own = new Set(filters.map((f) => f.handler));
    const inventory = source.tools(name);
    const middleware = source.list(TOOLS_SECTION, name);
    const tools = (inventory ?? []).map((tool): PolicyTool => {
      const displayName = toolDisplayName(middleware, tool.name);
      return {
        name: tool.name,
        ...(tool.exposedName === undefined ? {} : { exposedName: tool.exposedName }),
        visibility: tool.visibility,
        pin: tool.pin,
        hidden: !isToolAllowed(middleware, tool.name),
        ...(displayName === undefined ? {} : { displayName }),
        ...(tool.reason === undefined ? {} : { reason: tool.reason }),
      };
    });
    return { name, toolsKnown: inventory !== undefined, tools, filters, inherited: global.filter((f) => !own.has(f.handler)) };
  });
  return { servers, global, choices: filterChoices() };
}

/** A page's message that cannot be applied: nothing is written, and the page shows `message`. */
export class PolicyEditError extends Error {}

/** An own string member of a page message, or a PolicyEditError naming it. */
function stringField(edit: Record<string, unknown>, key: string, where: string, max = MAX_NAME): string {
  const value = Object.hasOwn(edit, key) ? edit[key] : undefined;
  if (typeof value !== 'string') throw new PolicyEditError(`${where}: '${key}' must be a string`);
  if (value.length > max) throw new PolicyEditError(`${where}: '${key}' is longer than ${max} characters`);
  return value;
}

/** Quotes a page-supplied value for an error message: shortened, control characters escaped. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * The edits of a page's save message, each checked against the configuration and inventory: the
 * page is hostile (unknown servers, `__proto__`, non-strings, handlers that are not built in,
 * actions a plugin does not take). Throws PolicyEditError naming the first bad edit.
 */
export function parsePolicyEdits(edits: unknown, source: PolicySource): PolicyEdit[] {
  if (!Array.isArray(edits)) throw new PolicyEditError("'edits' must be a list");
  if (edits.length > MAX_EDITS) throw new PolicyEditError(`at most ${MAX_EDITS} edits per save`);
  const servers = new Set(source.serverNames);
  return edits.map((edit, index): PolicyEdit => {
    const where = `edit ${index + 1}`;
    if (!isRecord(edit)) throw new PolicyEditError(`${where} is not an object`);
    const op = stringField(edit, 'op', where);
    const server = (key: 'server' | 'scope', allowGlobal: boolean): string => {
      const name = stringField(edit, key, where);
      if (allowGlobal && name === GLOBAL_SCOPE) return name;
      if (!servers.has(name)) throw new PolicyEditError(`${where}: no server is named ${quoted(name)}`);
      return name;
    };
    switch (op) {
      case 'hideTool':
      case 'showTool':
      case 'renameTool': {
        const name = server('server', false);
        const tool = stringField(edit, 'tool', where);
        const inventory = source.tools(name);
        if (inventory === undefined) throw new PolicyEditError(`${where}: the tools of ${name} are not known yet (is the server running?)`);
        if (!inventory.some((t) => t.name === tool)) throw new PolicyEditError(`${where}: ${name} has no tool ${quoted(tool)}`);
        if (op === 'renameTool') return { op, server: name, tool, name: stringField(edit, 'name', where).trim() };
        return { op, server: name, tool };
      }
      case 'addFilter':
      case 'removeFilter':
      case 'setAction': {
        const scope = server('scope', true);
        const handler = stringField(edit, 'handler', where);
        const descriptor = filterDescriptor(handler);
        if (descriptor === undefined) throw new PolicyEditError(`${where}: ${quoted(handler)} is not a built-in filter`);
        if (op === 'removeFilter') return { op, scope, handler };
        const hasAction = Object.hasOwn(edit, 'action') && edit.action !== undefined;
        if (op === 'addFilter' && !hasAction) return { op, scope, handler };
        const action = stringField(edit, 'action', where);
        const { actions } = actionsOf(descriptor);
        if (!actions.includes(action)) throw new PolicyEditError(`${where}: ${handler} takes no action ${quoted(action)}${actions.length ? ` (one of ${actions.join(', ')})` : ''}`);
        return { op, scope, handler, action };
      }
      default:
        throw new PolicyEditError(`${where}: unknown operation ${quoted(op)}`);
    }
  });
}

/** Entries of `handler` in a list, by index. */
function indexesOf(list: readonly unknown[], handler: string): number[] {
  return list.flatMap((entry, index) => (isRecord(entry) && entry.handler === handler ? [index] : []));
}

/**
 * The plugin lists the edits change, in order of first change. Entries the edits do not name
 * (unknown handlers, other plugins, extra keys of a changed entry) are kept as they are. Throws
 * PolicyEditError for an edit that cannot apply (adding a filter that is there, renaming a hidden tool).
 */
export function applyPolicyEdits(source: PolicySource, edits: readonly PolicyEdit[]): PluginListWrite[] {
  const lists = new Map<string, PluginListWrite>();
  const listOf = (section: string, scope: string): PluginListWrite => {
    const key = `${section}\0${scope}`;
    let write = lists.get(key);
    if (write === undefined) {
      write = { section, scope, list: [...(source.list(section, scope) ?? [])] };
      lists.set(key, write);
    }
    return write;
  };
  const changed = new Set<string>();
  const replace = (write: PluginListWrite, next: unknown[] | undefined): void => {
    if (next === undefined) return;
    write.list.splice(0, write.list.length, ...next);
    changed.add(`${write.section}\0${write.scope}`);
  };
  for (const edit of edits) {
    if (edit.op === 'hideTool' || edit.op === 'showTool' || edit.op === 'renameTool') {
      const write = listOf(TOOLS_SECTION, edit.server);
      const known = (source.tools(edit.server) ?? []).map((t) => t.name);
      if (edit.op === 'hideTool') replace(write, hideTool(write.list, edit.tool));
      else if (edit.op === 'showTool') replace(write, allowTool(write.list, edit.tool, known));
      else {
        try {
          replace(write, renameTool(write.list, edit.tool, edit.name === '' ? undefined : edit.name, known));
        } catch (error) {
          throw new PolicyEditError((error as Error).message);
        }
      }
      continue;
    }
    const write = listOf(FILTER_SECTION, edit.scope);
    const present = indexesOf(write.list, edit.handler);
    if (edit.op === 'addFilter') {
      if (present.length > 0) throw new PolicyEditError(`${edit.handler} is configured for ${edit.scope} already`);
      if (edit.scope === GLOBAL_SCOPE && filterDescriptor(edit.handler)?.serverOnly) throw new PolicyEditError(`${edit.handler} applies to one server at a time, not to every server`);
      replace(write, [...write.list, { handler: edit.handler, ...(edit.action === undefined ? {} : { config: { action: edit.action } }) }]);
    } else if (edit.op === 'removeFilter') {
      if (present.length === 0) throw new PolicyEditError(`${edit.handler} is not configured for ${edit.scope}`);
      replace(write, write.list.filter((_entry, index) => !present.includes(index)));
    } else {
      if (present.length === 0) throw new PolicyEditError(`${edit.handler} is not configured for ${edit.scope}`);
      const next = write.list.map((entry, index) => {
        if (!present.includes(index)) return entry;
        const plugin = entry as Record<string, unknown>;
        const config = isRecord(plugin.config) ? plugin.config : {};
        return { ...plugin, config: { ...config, action: edit.action } };
      });
      replace(write, next);
    }
  }
  return [...lists.entries()].filter(([key]) => changed.has(key)).map(([, write]) => write);
}
