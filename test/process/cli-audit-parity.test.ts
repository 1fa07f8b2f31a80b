// Audit records that match the original Gatekit's, read from the JSONL log of a real session:
// refused un-namespaced calls are logged (block and error), a request a plugin answered gets its
// response record, and reasons name the plugin's display name ('[Basic PII Filter] [blocked]').
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RawSession, eventually, fixtureServer, writeConfig } from './harness';

type Line = Record<string, unknown>;

function records(file: string): Line[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line);
  } catch {
    return [];
  }
}

describe('process: audit records as the original writes them', function () {
  this.timeout(60000);

  it('logs refusals, answers plugins gave, and display-name reasons', async () => {
    const config = writeConfig([{ name: 'fx', command: fixtureServer() }], {
      plugins: {
        security: { _global: [{ handler: 'basic_pii_filter', config: { action: 'block' } }] },
        auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: 'audit.jsonl' } }] },
      },
    });
    const log = path.join(path.dirname(config), 'audit.jsonl');
    const session = new RawSession(config);
    after(() => session.kill());
    await session.initialize();

    const bare = await session.request('bare', 'tools/call', { name: 'echo', arguments: { text: 'hi' } });
    assert.equal((bare.error as { code: number }).code, -32602);
    const pii = await session.request('pii', 'tools/call', { name: 'fx__echo', arguments: { text: 'mail bob@acme-corp.io' } });
    assert.match((pii.error as { message: string }).message, /^Request blocked: Basic PII Filter/);
    await eventually(() => records(log).filter((r) => r.request_id === 'pii').length === 2, 10000, 'two records for the blocked request');

    const [bareRequest, bareResponse, ...extra] = records(log).filter((r) => r.request_id === 'bare');
    assert.equal(extra.length, 0);
    assert.equal(bareRequest!.event_type, 'SECURITY_BLOCK');
    assert.equal(bareRequest!.method, 'tools/call');
    assert.match(String(bareRequest!.reason), /^\[Gatekit\] Tool 'echo' is not properly namespaced/);
    assert.equal(bareResponse!.response_status, 'error');
    assert.equal(bareResponse!.error_code, -32602);

    const [piiRequest, piiResponse] = records(log).filter((r) => r.request_id === 'pii');
    assert.equal(piiRequest!.event_type, 'SECURITY_BLOCK');
    assert.equal(piiRequest!.reason, '[Basic PII Filter] [blocked]');
    assert.equal(piiRequest!.server_name, 'fx');
    assert.equal(piiResponse!.response_status, 'error');
    assert.equal(piiResponse!.error_code, -32000);
    assert.match(String(piiResponse!.error_message), /^Request blocked: Basic PII Filter/);
    // Our extra fields stay: the stage names the handler.
    const stages = (piiRequest!.pipeline as { stages: { plugin: string }[] }).stages;
    assert.equal(stages[0]!.plugin, 'basic_pii_filter');
    assert.ok(!JSON.stringify(records(log)).includes('bob@acme-corp.io'), 'the blocked text is never logged');

    // Client notifications the gateway handles itself are logged too.
    session.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'never-sent', reason: 'user gave up' } });
    await eventually(() => records(log).some((r) => r.method === 'notifications/cancelled'), 10000, 'the cancellation logged');
    const notifications = records(log).filter((r) => r.event_type === 'NOTIFICATION').map((r) => r.method);
    assert.deepEqual(notifications, ['notifications/initialized', 'notifications/cancelled']);
    await session.end();
  });
});
