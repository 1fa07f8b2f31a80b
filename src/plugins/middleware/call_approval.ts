// `call_approval`: a person approves risky tool calls. The policy and the asking live in the gateway's
// `approval` chunk (call_approval-policy.ts, src/gateway/approval-asking.ts), loaded on first use, so
// configurations without the plugin do not carry them in gateway-core.js.
import { loadChunk } from '../../gateway/chunks';
import type * as approvalChunk from '../../gateway/chunks/approval';
import type { PluginDefinition } from '../types';
import { callApprovalDescriptor, type CallApprovalOptions } from './call_approval.descriptor';

export type { CallApprovalOptions };

/** Human approval of risky tool calls. */
export const callApproval: PluginDefinition<CallApprovalOptions> = {
  ...callApprovalDescriptor,
  create: (options) => loadChunk<typeof approvalChunk>('approval').createCallApproval(options),
};
