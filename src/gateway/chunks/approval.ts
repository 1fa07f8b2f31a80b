// Human approval of tool calls, in its own bundle (dist/gateway-approval.js): the call_approval
// policy and the elicitation that asks a client's user, loaded the first time a configuration uses
// the plugin or a router has a question to elicit.
export { createCallApproval } from '../../plugins/middleware/call_approval-policy';
export { ClientElicitor } from '../approval-asking';
