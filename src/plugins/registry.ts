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

type Load = () => PluginDefinition<any>;

// Keyed by the descriptors' handlers, so the compiler refuses a plugin with one half missing.
const builtins: Record<BuiltinHandler, Load> = {
  tool_manager: () => (require('./middleware/tool_manager') as typeof import('./middleware/tool_manager')).toolManager,
  call_trace: () => (require('./middleware/call_trace') as typeof import('./middleware/call_trace')).callTrace,
  audit_jsonl: () => (require('./auditing/audit_jsonl') as typeof import('./auditing/audit_jsonl')).auditJsonl,
  audit_csv: () => (require('./auditing/audit_csv') as typeof import('./auditing/audit_csv')).auditCsv,
  audit_human_readable: () => (require('./auditing/audit_human_readable') as typeof import('./auditing/audit_human_readable')).auditHumanReadable,
  basic_pii_filter: () => (require('./security/basic_pii_filter') as typeof import('./security/basic_pii_filter')).basicPiiFilter,
  basic_secrets_filter: () => (require('./security/basic_secrets_filter') as typeof import('./security/basic_secrets_filter')).basicSecretsFilter,
  basic_prompt_injection_defense: () =>
    (require('./security/basic_prompt_injection_defense') as typeof import('./security/basic_prompt_injection_defense')).basicPromptInjectionDefense,
  tool_pinning: () => (require('./security/tool_pinning') as typeof import('./security/tool_pinning')).toolPinning,
  tool_definition_scan: () => (require('./security/tool_definition_scan') as typeof import('./security/tool_definition_scan')).toolDefinitionScan,
};

const loaded = new Map<string, PluginDefinition<any>>();

/** The built-in plugin's implementation with this handler name (its module is loaded now if it was not yet). */
export function findPlugin(handler: string): PluginDefinition<any> | undefined {
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
