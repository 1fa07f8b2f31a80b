// `tool_definition_scan`'s descriptor: its (empty) options and display facts (the scan is in
// tool_definition_scan.ts, which only the gateway loads).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

// No options of its own: the common `enabled: false` switches it off.
const configSchema = z.strictObject({});

/** Parsed `tool_definition_scan` options (none). */
export type DefinitionScanOptions = z.output<typeof configSchema>;

export const toolDefinitionScanDescriptor: PluginDescriptor<DefinitionScanOptions> = {
  handler: 'tool_definition_scan',
  kind: 'security',
  displayName: 'Tool Definition Scan',
  description:
    'On by default: removes tools whose definitions carry prompt injection or tool poisoning and redacts it in prompt and resource lists and server instructions, using the prompt injection detector. Scans no call content. Steps aside on servers that have basic_prompt_injection_defense; `enabled: false` switches it off.',
  configSchema,
};
