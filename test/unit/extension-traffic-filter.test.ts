// The Traffic view's filter and its explanation of a change, from events as a gateway (or an
// attacker controlling a server's answers) sends them.
import assert from 'node:assert/strict';
import { explainChange, isHousekeeping, matchesFilter } from '../../src/extension/traffic-filter';
import type { TrafficEvent } from '../../src/shared/protocol';

function event(overrides: Partial<TrafficEvent>): TrafficEvent {
  return { seq: 1, timestamp: 0, direction: 'client_to_server', server: 'memory', method: 'tools/call', tool: 'read', decision: 'allowed', reason: '', ...overrides };
}

describe('traffic filter and change explanation', () => {
  it('hides housekeeping list calls unless asked, but never one Gatekit changed', () => {
    const list = event({ method: 'tools/list', tool: undefined });
    assert.ok(isHousekeeping(list));
    assert.equal(matchesFilter(list, {}), false);
    assert.equal(matchesFilter(list, { showListCalls: true }), true);
    assert.equal(matchesFilter({ ...list, decision: 'modified' }, {}), true);
    assert.equal(matchesFilter(event({ method: 'notifications/tools/list_changed', direction: 'notification_to_client' }), {}), false);
  });

  it('searches bodies case-insensitively and filters by decision, server and tool', () => {
    const call = event({ request: '{"params":{"arguments":{"q":"Needle"}}}' });
    assert.equal(matchesFilter(call, { text: 'needle' }), true);
    assert.equal(matchesFilter(call, { text: 'haystack' }), false);
    assert.equal(matchesFilter(call, { decisions: ['blocked'] }), false);
    assert.equal(matchesFilter(call, { servers: ['memory'], tools: ['read'] }), true);
    assert.equal(matchesFilter(call, { tools: ['write'] }), false);
  });

  it('takes a block\'s reason from the error the client got, and says the request was stopped', () => {
    const blocked = event({ decision: 'blocked', reason: '[blocked]', response: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'Request blocked', data: { reason: 'Secret detected (aws)' } } }) });
    assert.deepEqual(explainChange(blocked), { side: 'request', reason: 'Secret detected (aws)' });
    assert.equal(explainChange({ ...blocked, request: '{}' }).side, 'response');
  });

  it('survives hostile or cut bodies: non-JSON, __proto__ reasons, huge multi-line text', () => {
    assert.deepEqual(explainChange(event({ decision: 'blocked', reason: '[blocked]', response: '{"cut at 256 K' })), { side: 'request' });
    const proto = event({ decision: 'blocked', reason: '[blocked]', response: '{"error":{"__proto__":{"reason":"x"},"message":5}}' });
    assert.deepEqual(explainChange(proto), { side: 'request' });
    const long = explainChange(event({ decision: 'blocked', reason: '[blocked]', response: JSON.stringify({ error: { data: { reason: `line1\n${'x'.repeat(5000)}` } } }) }));
    assert.ok(long.reason!.length <= 301 && !long.reason!.includes('\n'));
  });

  it('finds which side a redaction changed from its placeholders', () => {
    const inResponse = event({ decision: 'redacted', reason: '[modified]', request: '{"a":1}', response: '{"text":"mail [EMAIL REDACTED by Gatekit]"}' });
    assert.deepEqual(explainChange(inResponse), { side: 'response', reason: 'email redacted' });
    const inRequest = event({ decision: 'redacted', reason: '[modified]', request: '{"k":"[SECRET REDACTED by Gatekit]"}', response: '{}' });
    assert.deepEqual(explainChange(inRequest), { side: 'request', reason: 'secret redacted' });
  });
});
