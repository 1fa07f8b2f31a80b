// How the gateway reaches what plugins offer beyond their hooks: it asks every plugin instance for
// a capability by its key and never names a plugin (docs/plugins.md). Today that is one capability,
// approvals of tool definitions (tool pinning offers it); a second plugin offering it works unchanged.
import type { DeepReadonly, InterceptorPlugin, ToolApprovalState } from './types';

/** What the approval capability adds to one tool of the Servers view's inventory. */
export interface ToolApprovalAnnotation {
  /** `none`: no plugin keeps approvals for this tool. */
  readonly pin: ToolApprovalState | 'none';
  /** Why the tool is held back, when it is. */
  readonly reason?: string;
  /** When changed: the approved definition, for a diff before approving. */
  readonly pinnedDefinition?: Record<string, unknown>;
  /** When changed or new: the definition the server offers now, as the plugin compares it. */
  readonly currentDefinition?: Record<string, unknown>;
}

/** Approves pending tool definitions in every plugin that keeps approvals; resolves with how many were approved. */
export async function approveToolChanges(plugins: readonly InterceptorPlugin[], params: { readonly server?: string; readonly tools?: readonly string[] }): Promise<number> {
  let approved = 0;
  for (const plugin of plugins) if (plugin.toolApprovals) approved += await plugin.toolApprovals.approve(params);
  return approved;
}

/** The first approval state any plugin reports for a tool, with the definitions to compare when it is held back. */
export function toolApprovalAnnotation(plugins: readonly InterceptorPlugin[], server: string, tool: DeepReadonly<Record<string, unknown>>): ToolApprovalAnnotation {
  const name = tool['name'];
  if (typeof name !== 'string') return { pin: 'none' };
  for (const plugin of plugins) {
    const approvals = plugin.toolApprovals;
    const state = approvals?.state(server, name);
    if (approvals === undefined || state === undefined) continue;
    if (state === 'pinned') return { pin: state };
    const definitions = approvals.definitions(server, tool);
    return {
      pin: state,
      ...(state === 'changed' ? { reason: 'definition changed since it was approved' } : {}),
      ...(definitions?.pinned ? { pinnedDefinition: definitions.pinned } : {}),
      ...(definitions ? { currentDefinition: definitions.current } : {}),
    };
  }
  return { pin: 'none' };
}
