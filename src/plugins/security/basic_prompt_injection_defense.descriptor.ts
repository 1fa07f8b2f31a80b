// `basic_prompt_injection_defense`'s descriptor: its options and display facts (the detector is in
// basic_prompt_injection_defense.ts and detect/, which only the gateway loads).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

const enabledByDefault = z.strictObject({ enabled: z.boolean().default(true) }).prefault({});

const configSchema = z.strictObject({
  action: z
    .enum(['block', 'redact', 'audit_only', 'spotlight'])
    .default('redact')
    .describe(
      'What to do with injected instructions found. block: refuse the message; redact: replace what was found and let it through; audit_only: record the finding, change nothing. spotlight (ours): tool and resource text reaches the model inside delimited, datamarked blocks that say it is data; findings are reported as with audit_only; poisoned tools are still removed.',
    ),
  sensitivity: z
    .enum(['relaxed', 'standard', 'strict'])
    .default('standard')
    .describe('relaxed: strong signals only; standard: strong and medium; strict: everything, more false positives.'),
  model: z
    .enum(['on', 'off'])
    .default('on')
    .describe(
      'on (ours): a small statistical model trained on our own texts also scores every text; what it scores as an injection is a finding, and phrase-rule findings in text it scores as plainly benign are dropped (structure, hidden characters, credential paths and base64 always count). off: rules only.',
    ),
  detection_methods: z
    .strictObject({
      delimiter_injection: enabledByDefault,
      role_manipulation: enabledByDefault,
      context_hijacking: enabledByDefault,
      // Ours (not in Gatekit): poisoned tool definitions and invisible characters.
      tool_poisoning: enabledByDefault,
      hidden_unicode: enabledByDefault,
    })
    .prefault({})
    .describe('Which kinds of injection to look for (each on by default).'),
});

/** Parsed `basic_prompt_injection_defense` options. */
export type InjectionDefenseOptions = z.output<typeof configSchema>;

export const basicPromptInjectionDefenseDescriptor: PluginDescriptor<InjectionDefenseOptions> = {
  handler: 'basic_prompt_injection_defense',
  kind: 'security',
  displayName: 'Basic Prompt Injection Defense',
  description:
    'Finds prompt injection and tool poisoning (fake system delimiters, role manipulation, "ignore previous instructions", system-prompt requests, exfiltration, hidden directive tags, concealment from the user, credential-file reads, invisible Unicode, base64-wrapped instructions); removes poisoned tools from tools/list and blocks, redacts or reports the rest, or (spotlight) hands tool output to the model as marked data. Rule- and signal-based, eleven languages: paraphrased or novel attacks can pass.',
  configSchema,
};
