// `tool_manager`'s descriptor: the allowlist's options and display facts (the filter is in tool_manager.ts).
import * as z from 'zod';
import { UPSTREAM_TOOL_NAME } from '../../shared/namespacing';
import type { PluginDescriptor } from '../types';

// Upstream names follow the MCP naming guidance (letters, digits, `_`, `-`, `.`); names shown to the
// client keep Gatekit's stricter rule, so they namespace cleanly as `<server>__<name>`.
const DISPLAY_NAME = /^[a-zA-Z][a-zA-Z0-9_-]*$/;

const toolEntrySchema = z.strictObject({
  tool: z.string().regex(UPSTREAM_TOOL_NAME, 'Tool names use letters, digits, "_", "-" and "." (at most 128)'),
  display_name: z
    .string()
    .regex(DISPLAY_NAME, 'Display names start with a letter and contain only letters, digits, "_" and "-"')
    .optional(),
  display_description: z.string().optional(),
});

const toolNameSchema = z.string().regex(UPSTREAM_TOOL_NAME, 'Tool names use letters, digits, "_", "-" and "." (at most 128)');

// `tools` is the original Gatekit allowlist; `hidden` (ours) hides single tools and leaves every
// other one, including tools the server adds later, visible. Given both, `hidden` wins.
const configSchema = z
  .strictObject({
    tools: z
      .array(toolEntrySchema)
      .optional()
      .describe('Allowlist: only these tools are shown (tools the server adds later stay hidden); each may get a display_name and display_description. `[]` hides every tool.'),
    hidden: z
      .array(toolNameSchema)
      .optional()
      .describe('Tools to hide, by the server\'s own names; every other tool stays visible, including tools the server adds later. Wins over `tools`.'),
  })
  .superRefine((config, ctx) => {
    if (config.tools === undefined && config.hidden === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tools'], message: "Give 'tools' (the tools to show: an allowlist) or 'hidden' (the tools to hide), or both." });
      return;
    }
    const seenHidden = new Set<string>();
    (config.hidden ?? []).forEach((name, index) => {
      if (seenHidden.has(name)) ctx.addIssue({ code: 'custom', path: ['hidden', index], message: `'${name}' is listed twice in hidden` });
      seenHidden.add(name);
    });
    const tools = config.tools ?? [];
    const listed = new Set(tools.map((entry) => entry.tool));
    const exposedBy = new Map<string, string>();
    tools.forEach((entry, index) => {
      const path = ['tools', index];
      const shown = entry.display_name ?? entry.tool;
      if (entry.display_name !== undefined) {
        if (entry.display_name === entry.tool) {
          ctx.addIssue({ code: 'custom', path: [...path, 'display_name'], message: `Cannot rename '${entry.tool}' to itself` });
          return;
        }
        if (listed.has(entry.display_name)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'display_name'],
            message: `Cannot rename '${entry.tool}' to '${entry.display_name}': a tool with name '${entry.display_name}' already exists in the configuration`,
          });
          return;
        }
      }
      const previous = exposedBy.get(shown);
      if (previous !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path,
          message:
            previous === entry.tool && entry.display_name === undefined
              ? `Duplicate entry for tool '${entry.tool}'`
              : `Cannot show '${entry.tool}' as '${shown}': '${previous}' is already shown under that name`,
        });
        return;
      }
      exposedBy.set(shown, entry.tool);
    });
  });

/** Parsed `tool_manager` options. */
export type ToolManagerOptions = z.output<typeof configSchema>;

/** Gatekit's tool allowlist middleware (per server only). */
export const toolManagerDescriptor: PluginDescriptor<ToolManagerOptions> = {
  handler: 'tool_manager',
  kind: 'middleware',
  displayName: 'Tool Manager',
  description: 'Choose which tools of a server the client sees, and rename or redescribe them.',
  configSchema,
  serverOnly: true,
  // The extension's Hide Tool / Allow Tool edit this list (src/extension/tool-allowlist.ts).
  offers: { toolAllowlist: { option: 'tools', toolKey: 'tool', displayNameKey: 'display_name', hiddenOption: 'hidden' } },
};
