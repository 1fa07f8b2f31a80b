// `token_usage`'s descriptor: its options (Gatekit 0.2's keys and defaults); the counting is in token_usage.ts.
import * as z from 'zod';
import type { PluginDescriptor } from '../types';
import { fileOptionsShape } from './audit-options';

const configSchema = z.strictObject({
  ...fileOptionsShape('logs/token_usage.csv'),
  state_file: z.string().min(1).default('logs/token_usage_state.json').describe('JSON counters shared by every gateway process naming the same file; relative to the config file.'),
  flush_interval_seconds: z.number().min(0.1).max(60).default(1).describe('How often the counters are written to the state file (0.1–60 seconds).'),
});

/** Parsed `token_usage` options. */
export type TokenUsageOptions = z.output<typeof configSchema>;

/** Gatekit's token usage estimator. */
export const tokenUsageDescriptor: PluginDescriptor<TokenUsageOptions> = {
  handler: 'token_usage',
  kind: 'auditing',
  displayName: 'Token Usage',
  description: 'Estimate the tokens each server and tool costs (cl100k_base): a CSV row per request and answer, and counters shared by concurrent gateways.',
  configSchema,
  // Observability must not stop traffic: a failing token count lets the message through.
  defaultCritical: false,
  writtenFileOptions: ['output_file', 'state_file'],
};
