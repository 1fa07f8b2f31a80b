// Every built-in plugin's descriptor, by handler name: what config validation and the extension
// know of plugins (names, kinds, option schemas, what each offers). Descriptors hold no traffic code,
// so whatever imports this file (the config loader, and through it the extension) bundles no
// detector; the implementations are reached through src/plugins/registry.ts, in the gateway only.
import { auditCsvDescriptor } from './auditing/audit_csv.descriptor';
import { auditHumanReadableDescriptor } from './auditing/audit_human_readable.descriptor';
import { auditJsonlDescriptor } from './auditing/audit_jsonl.descriptor';
import { auditOtelDescriptor } from './auditing/audit_otel.descriptor';
import { callApprovalDescriptor } from './middleware/call_approval.descriptor';
import { callTraceDescriptor } from './middleware/call_trace.descriptor';
import { toolManagerDescriptor } from './middleware/tool_manager.descriptor';
import { basicPiiFilterDescriptor } from './security/basic_pii_filter.descriptor';
import { basicPromptInjectionDefenseDescriptor } from './security/basic_prompt_injection_defense.descriptor';
import { basicSecretsFilterDescriptor } from './security/basic_secrets_filter.descriptor';
import { toolDefinitionScanDescriptor } from './security/tool_definition_scan.descriptor';
import { toolPinningDescriptor } from './security/tool_pinning.descriptor';
import { tokenUsageDescriptor } from './auditing/token_usage.descriptor';
import type { PluginDescriptor, PluginKind, PluginOffers } from './types';

/** The built-in descriptors, keyed by handler (one line per plugin; the implementation registry follows these keys). */
export const builtinDescriptors = {
  tool_manager: toolManagerDescriptor,
  call_trace: callTraceDescriptor,
  call_approval: callApprovalDescriptor,
  audit_jsonl: auditJsonlDescriptor,
  audit_csv: auditCsvDescriptor,
  audit_human_readable: auditHumanReadableDescriptor,
  audit_otel: auditOtelDescriptor,
  basic_pii_filter: basicPiiFilterDescriptor,
  basic_secrets_filter: basicSecretsFilterDescriptor,
  basic_prompt_injection_defense: basicPromptInjectionDefenseDescriptor,
  tool_pinning: toolPinningDescriptor,
  tool_definition_scan: toolDefinitionScanDescriptor,
  token_usage: tokenUsageDescriptor,
} as const satisfies Record<string, PluginDescriptor>;

/** A built-in plugin's handler name. */
export type BuiltinHandler = keyof typeof builtinDescriptors;

const byHandler: ReadonlyMap<string, PluginDescriptor> = new Map(Object.entries(builtinDescriptors));
for (const [handler, descriptor] of byHandler) {
  if (descriptor.handler !== handler) throw new Error(`plugin registered as '${handler}' calls itself '${descriptor.handler}'`);
}

/** The descriptor of the built-in plugin with this handler name. */
export function findDescriptor(handler: string): PluginDescriptor | undefined {
  return byHandler.get(handler);
}

/** Every built-in handler name, sorted. */
export function descriptorHandlers(): string[] {
  return [...byHandler.keys()].sort();
}

/** A plugin entry as found in a config value: only what is needed to know which plugin it is. */
interface EntryLike {
  readonly handler: string;
}

/** Where to find descriptors (the built-ins unless a caller has its own registry, as tests do). */
export interface DescriptorLookup {
  find(handler: string): PluginDescriptor | undefined;
}

const builtinLookup: DescriptorLookup = { find: findDescriptor };

/** What a configured plugin offers under `key` (e.g. `toolApprovals`), or undefined: found by offer, never by name. */
export function offerOf<K extends keyof PluginOffers>(entry: EntryLike, key: K, lookup: DescriptorLookup = builtinLookup): PluginOffers[K] | undefined {
  return lookup.find(entry.handler)?.offers?.[key];
}

/**
 * The plugin that keeps a tool allowlist, for the extension's Hide Tool / Allow Tool: its handler,
 * the config section it belongs in, the option that holds the list and the member of each list
 * entry that names the tool. Undefined when no plugin offers one.
 */
export function toolAllowlistPlugin(lookup: { handlers(): string[]; find(handler: string): PluginDescriptor | undefined } = { handlers: descriptorHandlers, find: findDescriptor }):
  | { readonly handler: string; readonly kind: PluginKind; readonly option: string; readonly toolKey: string; readonly displayNameKey?: string; readonly hiddenOption: string }
  | undefined {
  for (const handler of lookup.handlers()) {
    const descriptor = lookup.find(handler);
    const offer = descriptor?.offers?.toolAllowlist;
    if (descriptor && offer) return { handler, kind: descriptor.kind, ...offer };
  }
  return undefined;
}

/**
 * The audit log file a configured plugin writes, as written in its options (resolve it as the
 * gateway does: relative to the config folder), or undefined when it writes none.
 */
export function auditLogFileOf(entry: EntryLike & { readonly options?: unknown }, lookup: DescriptorLookup = builtinLookup): string | undefined {
  return stringOption(entry.options, offerOf(entry, 'auditLog', lookup)?.fileOption);
}

/**
 * The lockfile a plugin that keeps approved tool definitions names in its options, as written
 * there, or undefined when the entry offers no approvals or leaves the lockfile at its default.
 */
export function approvalLockfileOf(entry: EntryLike & { readonly options?: unknown }, lookup: DescriptorLookup = builtinLookup): string | undefined {
  return stringOption(entry.options, offerOf(entry, 'toolApprovals', lookup)?.lockfileOption);
}

/** A non-empty string option, read as an own property only (options come from a config: hostile). */
function stringOption(options: unknown, option: string | undefined): string | undefined {
  if (option === undefined || typeof options !== 'object' || options === null || !Object.hasOwn(options, option)) return undefined;
  const value = (options as Record<string, unknown>)[option];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
