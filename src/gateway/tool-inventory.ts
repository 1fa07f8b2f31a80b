// What the policy does to each of a server's tools (visible, renamed, hidden by middleware, removed
// by security; pin state), read from the one run of the plugins over the list the client asked for:
// each tool is followed through every plugin that changed the list, so no plugin runs twice.
import { isRecord, type JsonRpcResponse } from '../shared/jsonrpc';
import type { PluginHost } from '../plugins/pipeline';
import { MAX_INVENTORY_DEFINITION_CHARS, MAX_INVENTORY_DEFINITIONS_CHARS, type ToolInventoryEntry, type ToolInventoryParams } from '../shared/protocol';
import type { LeftOut } from './list-items';
import { namespacedName } from '../shared/namespacing';
import { toolApprovalAnnotation } from '../plugins/capabilities';
import { loadChunk } from './chunks';
import type * as Tokenizer from './chunks/tokenizer';

/** One plugin's change to a tools/list answer: the tools it left. */
interface ListChange {
  readonly handler: string;
  readonly kind: 'middleware' | 'security';
  readonly tools: readonly unknown[];
}

/** Collects the changes of one run of the response hooks over a tools/list answer. */
export class ToolListTrace {
  private readonly changes: ListChange[] = [];

  /** The stage observer to hand the exchange. */
  readonly observe = (handler: string, kind: 'middleware' | 'security', message: JsonRpcResponse): void => {
    const tools = 'result' in message && Array.isArray(message.result.tools) ? (message.result.tools as unknown[]) : [];
    this.changes.push({ handler, kind, tools });
  };

  /**
   * The inventory of `tools` (the list as the plugins received it). `plugins` answers the pin state
   * of each tool; `leftOut` are the entries the router refused before any plugin (shown as blocked).
   */
  inventory(server: string, tools: readonly Record<string, unknown>[], plugins: PluginHost, leftOut: readonly LeftOut[]): ToolInventoryParams {
    const entries: ToolInventoryEntry[] = [];
    const interceptors = plugins.interceptors();
    // A server listing thousands of big tools must not make one control message of hundreds of MiB.
    let definitionBudget = MAX_INVENTORY_DEFINITIONS_CHARS;
    const keepDefinition = (entry: ToolInventoryEntry, definition: Record<string, unknown>, text: string | undefined): void => {
      if (text === undefined || text.length > MAX_INVENTORY_DEFINITION_CHARS || text.length > definitionBudget) return;
      definitionBudget -= text.length;
      entry.definition = definition;
    };
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      const name = tool.name;
      let exposures: readonly Record<string, unknown>[] = [tool];
      let remover: ListChange | undefined;
      for (const change of this.changes) {
        if (exposures.length === 0) break;
        const next = change.tools.filter((item): item is Record<string, unknown> => isRecord(item) && exposures.some((e) => derivesFrom(item, e)));
        if (next.length === 0) remover = change;
        exposures = next;
      }
      const exposed = exposures[0];
      const approval = toolApprovalAnnotation(interceptors, server, tool);
      const entry: ToolInventoryEntry = {
        name,
        visibility: exposed ? (exposed.name === name ? 'visible' : 'renamed') : remover?.kind === 'security' ? 'blocked' : 'hidden',
        pin: approval.pin,
      };
      if (exposed) {
        entry.exposedName = namespacedName(server, String(exposed.name));
        const sent = { ...exposed, name: entry.exposedName };
        const text = jsonOf(sent);
        const tokens = text === undefined ? undefined : countTokens(text);
        if (tokens !== undefined) entry.tokens = tokens;
        keepDefinition(entry, sent, text);
      } else {
        keepDefinition(entry, tool, jsonOf(tool));
      }
      const description = exposed?.description ?? tool.description;
      if (typeof description === 'string') entry.description = description;
      if (remover) entry.reason = `${remover.kind === 'security' ? 'removed' : 'hidden'} by ${remover.handler}`;
      entries.push({ ...entry, ...approval });
    }
    // Left out by the router before any plugin: shown as blocked, with the router's reason.
    for (const { name, reason } of leftOut) if (name !== undefined) entries.push({ name, visibility: 'blocked', pin: 'none', reason });
    return { server, tools: entries };
  }
}

/** A definition's JSON, or undefined when it cannot be serialized (too deep): no count, no details. */
function jsonOf(definition: Record<string, unknown>): string | undefined {
  try {
    return JSON.stringify(definition);
  } catch {
    return undefined;
  }
}

/**
 * Tokens of a tool definition as the client is sent it (its JSON text), counted with the token_usage
 * plugin's tokenizer chunk, loaded the first time an inventory is made (only the views ask for one).
 */
function countTokens(json: string): number | undefined {
  try {
    return loadChunk<typeof Tokenizer>('tokenizer').countTextTokens(json).tokens;
  } catch {
    // Without its chunk there is no count; the view shows none.
    return undefined;
  }
}

/**
 * Whether a plugin's output tool `item` stands for the input tool `tool`: the same object, the
 * same name (a redacted copy), or a copy that differs only in name and description (a rename; the
 * router's screening guarantees every tool an `inputSchema` object, which such a copy shares).
 */
function derivesFrom(item: Record<string, unknown>, tool: Record<string, unknown>): boolean {
  if (item === tool || item.name === tool.name) return true;
  let shared = 0;
  for (const key of Object.keys(item)) {
    if (key === 'name' || key === 'description') continue;
    if (!Object.hasOwn(tool, key) || tool[key] !== item[key]) return false;
    if (typeof item[key] === 'object' && item[key] !== null) shared++;
  }
  for (const key of Object.keys(tool)) if (key !== 'name' && key !== 'description' && !Object.hasOwn(item, key)) return false;
  return shared > 0;
}
