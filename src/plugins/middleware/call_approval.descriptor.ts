// `call_approval`'s descriptor: the policy's options and display facts (asking is in call_approval.ts).
import * as z from 'zod';
import type { PluginDescriptor } from '../types';
import { ANNOTATION_HINTS, CALL_APPROVAL_DISPLAY_NAME, CALL_APPROVAL_HANDLER } from './call_approval-facts.descriptor';

const annotationsSchema = z
  .strictObject(Object.fromEntries(ANNOTATION_HINTS.map((hint) => [hint, z.boolean().optional()])) as Record<(typeof ANNOTATION_HINTS)[number], z.ZodOptional<z.ZodBoolean>>)
  .refine((value) => Object.keys(value).length > 0, 'Name at least one annotation (readOnlyHint, destructiveHint, idempotentHint, openWorldHint)')
  .describe('The tool annotations the rule requires, e.g. `destructiveHint: true` or `readOnlyHint: false` (absent annotations count as their MCP default: readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true).');

// Argument conditions are a list, not a map keyed by argument name: a key such as `__proto__`
// would be dropped or turn into a prototype on the way through a parser, silently losing a condition.
const argumentConditionSchema = z
  .strictObject({
    name: z.string().min(1).max(256).describe('The argument, as the tool names it in its input schema.'),
    glob: z.string().min(1).max(1024).optional().describe('Matches when the argument (or any string of a list) matches this glob: `*` any run without `/`, `**` anything, `?` one character. Paths are also tried with `.` and `..` resolved.'),
    matches: z
      .string()
      .min(1)
      .max(1024)
      .refine((pattern) => isRegExp(pattern), 'Not a valid regular expression')
      .optional()
      .describe('Matches when the argument (or any string of a list) matches this regular expression (JavaScript syntax, unanchored).'),
    equals: z.unknown().optional().describe('Matches when the argument equals this value exactly.'),
  })
  .refine((c) => c.glob !== undefined || c.matches !== undefined || 'equals' in c, 'Give one of glob, matches, equals');

const ruleSchema = z
  .strictObject({
    tools: z.array(z.string().min(1).max(256)).min(1).optional().describe('Glob patterns on the tool name as the server names it (`*`, `?`); the rule applies to every tool when absent.'),
    annotations: annotationsSchema.optional(),
    arguments: z.array(argumentConditionSchema).min(1).optional().describe('Conditions on the call\'s arguments; all must hold. An argument that is missing does not match; one of an unexpected type does (it cannot be judged).'),
  })
  .refine((rule) => rule.tools !== undefined || rule.annotations !== undefined || rule.arguments !== undefined, 'A rule needs tools, annotations or arguments (an empty rule would ask for every call: write tools: ["*"] if that is meant)');

const configSchema = z.strictObject({
  rules: z.array(ruleSchema).min(1).describe('A call needs approval when any rule matches it; within a rule, every part given must match.'),
  timeout_seconds: z.number().positive().max(86_400).default(60).describe('How long a question stays open; then the call is denied.'),
  no_asker: z
    .enum(['deny', 'allow'])
    .default('deny')
    .describe('What happens to a call that needs approval when no one can be asked (no VS Code window, a client without elicitation).'),
  allow_session: z.boolean().default(true).describe('Offer "allow for this session": the tool of that server is allowed until the gateway restarts or its definition changes.'),
});

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Parsed `call_approval` options. */
export type CallApprovalOptions = z.output<typeof configSchema>;

/**
 * Late, after the security plugins (default 50) have redacted arguments and after tool_manager has
 * translated display names back, so the question shows what will be sent, under the server's name.
 */
export const CALL_APPROVAL_DEFAULT_PRIORITY = 80;

/** Human approval of risky tool calls. */
export const callApprovalDescriptor: PluginDescriptor<CallApprovalOptions> = {
  handler: CALL_APPROVAL_HANDLER,
  kind: 'middleware',
  displayName: CALL_APPROVAL_DISPLAY_NAME,
  description: 'Ask a person before risky tool calls run (by tool name, annotations or arguments); deny when no one answers.',
  configSchema,
  defaultPriority: CALL_APPROVAL_DEFAULT_PRIORITY,
};
