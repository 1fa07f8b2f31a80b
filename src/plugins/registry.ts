// Every built-in plugin, by handler name. Adding a plugin is one file plus one line here; the core
// never names a plugin.
import { auditCsv } from './auditing/audit_csv';
import { auditHumanReadable } from './auditing/audit_human_readable';
import { auditJsonl } from './auditing/audit_jsonl';
import { callTrace } from './middleware/call_trace';
import { toolManager } from './middleware/tool_manager';
import { basicPiiFilter } from './security/basic_pii_filter';
import { basicPromptInjectionDefense } from './security/basic_prompt_injection_defense';
import { basicSecretsFilter } from './security/basic_secrets_filter';
import { toolPinning } from './security/tool_pinning';
import type { PluginDefinition } from './types';

export const builtinPlugins: readonly PluginDefinition<any>[] = [
  // (plugins register here, one line each)
  toolManager,
  callTrace,
  auditJsonl,
  auditCsv,
  auditHumanReadable,
  basicPiiFilter,
  basicSecretsFilter,
  basicPromptInjectionDefense,
  toolPinning,
];

const byHandler = new Map(builtinPlugins.map((p) => [p.handler, p]));

export function findPlugin(handler: string): PluginDefinition<any> | undefined {
  return byHandler.get(handler);
}

export function pluginHandlers(): string[] {
  return [...byHandler.keys()].sort();
}
