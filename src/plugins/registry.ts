// Every built-in plugin's implementation, by handler name: the gateway's side of the plugin table
// (config validation and the extension use the descriptors of src/plugins/descriptors.ts instead, so
// nothing here reaches their bundles). Adding a plugin is its descriptor and implementation files
// plus one line there and one here; the core never names a plugin.
//
// A plugin's module is loaded when its handler is first looked up: a gateway runs only the plugins
// its config names, and the others (the detectors' tables, the phone-number metadata) would cost
// start-up time and memory for nothing. `require` (not `import()`) keeps lookups synchronous; the
// bundler turns each into a module initialised on first use.
import { builtinDescriptors, descriptorHandlers, type BuiltinHandler } from './descriptors';
import type { PluginDefinition } from './types';
import type * as auditCsvModule from './auditing/audit_csv';
import type * as auditHumanReadableModule from './auditing/audit_human_readable';
import type * as auditJsonlModule from './auditing/audit_jsonl';
import type * as auditOtelModule from './auditing/audit_otel';
import type * as callApprovalModule from './middleware/call_approval';
import type * as callTraceModule from './middleware/call_trace';
import type * as toolManagerModule from './middleware/tool_manager';
import type * as basicPiiFilterModule from './security/basic_pii_filter';
import type * as basicPromptInjectionDefenseModule from './security/basic_prompt_injection_defense';
import type * as basicSecretsFilterModule from './security/basic_secrets_filter';
import type * as toolDefinitionScanModule from './security/tool_definition_scan';
import type * as toolPinningModule from './security/tool_pinning';
import type * as tokenUsageModule from './auditing/token_usage';

type Load = () => PluginDefinition;

/* eslint-disable @typescript-eslint/no-require-imports -- the lazy, synchronous loads described above; the modules' types come from type-only imports, which load nothing */
// Keyed by the descriptors' handlers, so the compiler refuses a plugin with one half missing.
const builtins: Record<BuiltinHandler, Load> = {
  tool_manager: () => (require('./middleware/tool_manager') as typeof toolManagerModule).toolManager,
  call_trace: () => (require('./middleware/call_trace') as typeof callTraceModule).callTrace,
  call_approval: () => (require('./middleware/call_approval') as typeof callApprovalModule).callApproval,
  audit_jsonl: () => (require('./auditing/audit_jsonl') as typeof auditJsonlModule).auditJsonl,
  audit_csv: () => (require('./auditing/audit_csv') as typeof auditCsvModule).auditCsv,
  audit_human_readable: () => (require('./auditing/audit_human_readable') as typeof auditHumanReadableModule).auditHumanReadable,
  audit_otel: () => (require('./auditing/audit_otel') as typeof auditOtelModule).auditOtel,
  basic_pii_filter: () => (require('./security/basic_pii_filter') as typeof basicPiiFilterModule).basicPiiFilter,
  basic_secrets_filter: () => (require('./security/basic_secrets_filter') as typeof basicSecretsFilterModule).basicSecretsFilter,
  basic_prompt_injection_defense: () =>
    (require('./security/basic_prompt_injection_defense') as typeof basicPromptInjectionDefenseModule).basicPromptInjectionDefense,
  tool_pinning: () => (require('./security/tool_pinning') as typeof toolPinningModule).toolPinning,
  tool_definition_scan: () => (require('./security/tool_definition_scan') as typeof toolDefinitionScanModule).toolDefinitionScan,
  token_usage: () => (require('./auditing/token_usage') as typeof tokenUsageModule).tokenUsage,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const loaded = new Map<string, PluginDefinition>();

/** The built-in plugin's implementation with this handler name (its module is loaded now if it was not yet). */
export function findPlugin(handler: string): PluginDefinition | undefined {
  let definition = loaded.get(handler);
  if (definition === undefined && Object.hasOwn(builtins, handler)) {
    definition = builtins[handler as BuiltinHandler]();
    // The implementation must describe itself exactly as its descriptor does (one definition of each fact).
    const descriptor = builtinDescriptors[handler as BuiltinHandler];
    if (definition.handler !== handler) throw new Error(`plugin registered as '${handler}' calls itself '${definition.handler}'`);
    if (definition.configSchema !== descriptor.configSchema || definition.kind !== descriptor.kind) {
      throw new Error(`plugin '${handler}' does not match its descriptor`);
    }
    loaded.set(handler, definition);
  }
  return definition;
}

/** Every built-in handler name, sorted (without loading any plugin). */
export function pluginHandlers(): string[] {
  return descriptorHandlers();
}
