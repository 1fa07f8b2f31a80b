// `tool_manager`: a per-server allowlist of tools (`tools`, with optional display names and
// descriptions) and/or a list of single tools to hide (`hidden`). Filters and renames one upstream's
// tools/list, translates calls back, and answers calls to hidden tools itself.
import { ErrorCode, isRecord, makeError, type JsonRpcRequest, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { InterceptorPlugin, MessageContext, PluginDecision, PluginDefinition, ReadonlyRequest, ReadonlyResponse } from '../types';
import { toolManagerDescriptor, type ToolManagerOptions } from './tool_manager.descriptor';

export type { ToolManagerOptions };

/** One name a tool is shown under, and the description shown with it (when replaced). */
export interface ToolExposure {
  readonly name: string;
  readonly description?: string;
}

/**
 * What the policy does to one upstream tool: `hidden` (neither listed nor callable), `visible`
 * (listed under its own name, possibly also under display names), or `renamed` (listed only under
 * display names; its own name is hidden). `exposures` lists every name it is shown under.
 */
export interface ToolPolicy {
  readonly state: 'visible' | 'hidden' | 'renamed';
  readonly exposures: readonly ToolExposure[];
}

/**
 * The configuration compiled for lookups in both directions. Without an allowlist (`tools` absent)
 * every tool not in `hidden` is shown under its own name.
 */
interface CompiledPolicy {
  /** Upstream name → the names it is shown under, in configuration order; undefined: no allowlist. */
  readonly exposuresByTool: ReadonlyMap<string, readonly ToolExposure[]> | undefined;
  /** Name shown to the client → upstream name (allowlist only). */
  readonly toolByShownName: ReadonlyMap<string, string>;
  /** Upstream names hidden under every name, whatever the allowlist says. */
  readonly hidden: ReadonlySet<string>;
}

function compile(options: ToolManagerOptions): CompiledPolicy {
  const hidden = new Set(options.hidden ?? []);
  const toolByShownName = new Map<string, string>();
  if (options.tools === undefined) return { exposuresByTool: undefined, toolByShownName, hidden };
  const exposuresByTool = new Map<string, ToolExposure[]>();
  for (const entry of options.tools) {
    if (hidden.has(entry.tool)) continue;
    const exposure: ToolExposure = {
      name: entry.display_name ?? entry.tool,
      ...(entry.display_description !== undefined ? { description: entry.display_description } : {}),
    };
    const list = exposuresByTool.get(entry.tool);
    if (list) list.push(exposure);
    else exposuresByTool.set(entry.tool, [exposure]);
    toolByShownName.set(exposure.name, entry.tool);
  }
  return { exposuresByTool, toolByShownName, hidden };
}

/** The names an upstream tool is shown under ([] when hidden). */
function exposuresOf(compiled: CompiledPolicy, toolName: string): readonly ToolExposure[] {
  if (compiled.hidden.has(toolName)) return [];
  return compiled.exposuresByTool === undefined ? [{ name: toolName }] : (compiled.exposuresByTool.get(toolName) ?? []);
}

function policyOf(compiled: CompiledPolicy, toolName: string): ToolPolicy {
  const exposures = exposuresOf(compiled, toolName);
  if (exposures.length === 0) return { state: 'hidden', exposures };
  return { state: exposures.some((e) => e.name === toolName) ? 'visible' : 'renamed', exposures };
}

/**
 * The upstream tool a client's name calls, or undefined when that name is not shown. With an
 * allowlist only its names are; without, a tool's own name is, unless `hidden` names it.
 */
function toolCalledAs(compiled: CompiledPolicy, shownName: string): string | undefined {
  if (compiled.exposuresByTool !== undefined) return compiled.toolByShownName.get(shownName);
  return compiled.hidden.has(shownName) ? undefined : shownName;
}

/**
 * How a `tool_manager` configuration treats one upstream tool (pure; for views that show the
 * policy). `options` is the parsed configuration, e.g. `toolManager.configSchema.parse(config)`.
 */
export function describeToolPolicy(options: ToolManagerOptions, toolName: string): ToolPolicy {
  return policyOf(compile(options), toolName);
}


class ToolManager implements InterceptorPlugin {
  private readonly policy: CompiledPolicy;

  constructor(options: ToolManagerOptions) {
    this.policy = compile(options);
  }

  onRequest(request: ReadonlyRequest, ctx: MessageContext): PluginDecision<JsonRpcRequest> | undefined {
    if (ctx.origin !== 'client' || request.method !== 'tools/call') return undefined;
    const shownName = request.params?.name;
    // A missing or malformed name is the router's to answer (-32602).
    if (typeof shownName !== 'string' || shownName === '') return undefined;
    // The whole name is looked up, so names containing '__' translate as a unit.
    const toolName = toolCalledAs(this.policy, shownName);
    if (toolName === undefined) {
      const policy = this.policy.hidden.has(shownName) ? 'hidden_list' : 'allowlist';
      return {
        completedResponse: makeError(request.id, ErrorCode.MethodNotFound, `Tool '${shownName}' is not available`, {
          reason: 'hidden_by_policy',
          plugin: 'tool_manager',
        }),
        reason: policy === 'allowlist' ? `Tool '${shownName}' hidden by allowlist policy` : `Tool '${shownName}' hidden by tool_manager's hidden list`,
        metadata: { hidden_tool: shownName, policy },
      };
    }
    if (toolName === shownName) return undefined;
    return {
      modified: { ...request, params: { ...request.params, name: toolName } },
      reason: `Translated tool name '${shownName}' to '${toolName}'`,
      metadata: { renamed_tool: shownName, original_name: toolName },
    };
  }

  onResponse(response: ReadonlyResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined {
    if (ctx.origin !== 'client' || ctx.request?.method !== 'tools/list' || !('result' in response)) return undefined;
    const tools = response.result.tools;
    if (!Array.isArray(tools)) return undefined;
    const shown: unknown[] = [];
    let hidden = 0;
    let invalid = 0;
    let renamed = 0;
    let described = 0;
    for (const tool of tools) {
      const name = isRecord(tool) ? tool.name : undefined;
      if (typeof name !== 'string' || name === '') {
        invalid++;
        continue;
      }
      const exposures = exposuresOf(this.policy, name);
      if (exposures.length === 0) {
        hidden++;
        continue;
      }
      for (const exposure of exposures) {
        if (exposure.name === name && exposure.description === undefined) {
          shown.push(tool); // untouched: the very same object, every field as the upstream sent it
          continue;
        }
        const copy: Record<string, unknown> = { ...(tool as Record<string, unknown>), name: exposure.name };
        if (exposure.name !== name) renamed++;
        if (exposure.description !== undefined) {
          copy.description = exposure.description;
          described++;
        }
        shown.push(copy);
      }
    }
    if (hidden === 0 && invalid === 0 && renamed === 0 && described === 0 && shown.length === tools.length) return undefined;
    const notes: string[] = [];
    if (hidden > 0) notes.push(`Hidden ${hidden} tools based on ${this.policy.exposuresByTool === undefined ? 'the hidden list' : 'allowlist policy'}`);
    if (invalid > 0) notes.push(`Removed ${invalid} invalid tools`);
    if (renamed > 0) notes.push(`Renamed ${renamed} tools`);
    if (described > 0) notes.push(`Updated descriptions for ${described} tools`);
    return {
      modified: { ...response, result: { ...response.result, tools: shown } },
      reason: notes.join('; '),
      metadata: { hidden_count: hidden, invalid_count: invalid, rename_count: renamed, description_override_count: described, total_tools: tools.length },
    };
  }
}

/** Gatekit's tool allowlist (and hidden list) middleware (per server only). */
export const toolManager: PluginDefinition<ToolManagerOptions> = {
  ...toolManagerDescriptor,
  create: (options) => new ToolManager(options),
};
