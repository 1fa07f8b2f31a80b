// Plugins a gateway runs without being asked: only the definition scan (tool_definition_scan), for
// every server whose pipeline has no prompt injection defense of its own. A config that names
// `tool_definition_scan` anywhere has decided for itself and is taken as written.
import { effectiveEntries, type PluginEntryConfig, type PluginsByKind } from '../plugins/pipeline';

export const DEFAULT_DEFINITION_SCAN = 'tool_definition_scan';
const INJECTION_DEFENSE = 'basic_prompt_injection_defense';
const GLOBAL_SCOPE = '_global';

function entry(enabled: boolean): PluginEntryConfig {
  return { handler: DEFAULT_DEFINITION_SCAN, kind: 'security', enabled, priority: 50, critical: true, options: {} };
}

/**
 * `plugins` with the default definition scan added under `_global` (one shared instance), switched
 * off per server where `basic_prompt_injection_defense` applies: that plugin already scans
 * definitions, with the action its config chose.
 */
export function withDefaultPlugins(plugins: PluginsByKind, serverNames: readonly string[]): PluginsByKind {
  const security = plugins.security ?? {};
  const named = Object.values(plugins).some((scopes) => Object.values(scopes ?? {}).some((entries) => entries.some((e) => e.handler === DEFAULT_DEFINITION_SCAN)));
  if (named) return plugins;
  const defended = serverNames.filter((server) => effectiveEntries(security, server).some((e) => e.handler === INJECTION_DEFENSE));
  if (defended.length === serverNames.length) return plugins;
  const scopes = Object.create(null) as Record<string, readonly PluginEntryConfig[]>;
  for (const [scope, entries] of Object.entries(security)) scopes[scope] = entries;
  scopes[GLOBAL_SCOPE] = [...(Object.hasOwn(security, GLOBAL_SCOPE) ? security[GLOBAL_SCOPE]! : []), entry(true)];
  for (const server of defended) scopes[server] = [...(Object.hasOwn(security, server) ? security[server]! : []), entry(false)];
  return { ...plugins, security: scopes };
}
