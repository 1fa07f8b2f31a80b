// Facts `call_approval`'s descriptor and its policy share (part of the descriptor: names, no traffic code), in a module that
// imports nothing: the policy runs in the gateway's `approval` chunk, which must not carry the descriptor's zod schema.

/** The plugin's handler name and the name its denials give it. */
export const CALL_APPROVAL_HANDLER = 'call_approval';
export const CALL_APPROVAL_DISPLAY_NAME = 'Call Approval';

/** The tool annotations a rule may test (MCP `ToolAnnotations`); each is compared with the spec's default when absent. */
export const ANNOTATION_HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
