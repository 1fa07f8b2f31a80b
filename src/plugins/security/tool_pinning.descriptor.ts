// `tool_pinning`'s descriptor: its options, display facts and what it offers (approvals of tool
// definitions, kept in the lockfile its `lockfile` option names). The pinning is in tool_pinning.ts.
import * as z from 'zod';
import type { PluginDescriptor } from '../types';

const configSchema = z.strictObject({
  lockfile: z.string().min(1).optional().describe('Lockfile path (`~`, `${VAR}`, relative to the config folder). Default: gatekit.lock.json beside the config file.'),
  action: z.enum(['block', 'audit_only']).default('block').describe('block withholds changed tools and refuses their calls; audit_only records and reports, changes nothing.'),
  trust_on_first_use: z.boolean().default(true).describe('Pin tools never seen before automatically. When false, new tools wait for `pins approve` too.'),
});

/** Parsed `tool_pinning` options. */
export type ToolPinningOptions = z.output<typeof configSchema>;

export const toolPinningDescriptor: PluginDescriptor<ToolPinningOptions> = {
  handler: 'tool_pinning',
  kind: 'security',
  displayName: 'Tool Pinning',
  description:
    'Pins every tool definition on first sight (sha256 in gatekit.lock.json, beside the config file); a tool whose name, description or schema later changes is withheld and its calls refused until approved with `gatekit-gateway pins approve`.',
  configSchema,
  writtenFileOptions: ['lockfile'],
  // Checking: no trust on first use (a tool not in the lockfile is new, not pinned), audit only (nothing withheld).
  offers: { toolApprovals: { lockfileOption: 'lockfile', checkOptions: { trust_on_first_use: false, action: 'audit_only' } } },
};
