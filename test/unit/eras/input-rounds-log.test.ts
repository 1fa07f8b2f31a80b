import assert from 'node:assert/strict';
import type { JsonRpcId, JsonRpcMessage } from '../../../src/shared/jsonrpc';
import { InputRounds } from '../../../src/gateway/eras/input-rounds';

describe('log messages for a modern client (_meta logLevel)', () => {
  function rounds() {
    const toClient: { message: JsonRpcMessage; related: JsonRpcId | undefined }[] = [];
    const toRouter: JsonRpcMessage[] = [];
    const subject = new InputRounds({ toRouter: (m) => toRouter.push(m), toClient: (message, _done, related) => toClient.push({ message, related }), log: () => undefined, inputTimeoutMs: 1000 });
    return { subject, toClient, toRouter };
  }
  const log = (level: unknown) => ({ jsonrpc: '2.0' as const, method: 'notifications/message', params: { level, data: 'x' } });

  it('reaches the one running request that asked, at or above its level, marked as belonging to it', () => {
    const { subject, toClient } = rounds();
    subject.forward({ jsonrpc: '2.0', id: 'c1', method: 'tools/call' }, { capabilities: {}, logLevel: 3 }, { name: 't' });
    for (const level of ['info', 'warning', 'emergency', 'nonsense', 7, '__proto__']) subject.serverNotifies(log(level), undefined);
    assert.deepEqual(
      toClient.map((sent) => [(sent.message as unknown as { params: { level: string } }).params.level, sent.related]),
      [
        ['warning', 'c1'],
        ['emergency', 'c1'],
      ],
    );
  });

  it('is withheld from a request that did not ask, and whenever two requests run (it could be the other client’s)', () => {
    const { subject, toClient } = rounds();
    subject.forward({ jsonrpc: '2.0', id: 1, method: 'tools/call' }, { capabilities: {}, logLevel: undefined }, { name: 't' });
    subject.serverNotifies(log('error'), undefined);
    subject.forward({ jsonrpc: '2.0', id: 2, method: 'tools/call' }, { capabilities: {}, logLevel: 0 }, { name: 't' });
    subject.serverNotifies(log('error'), undefined);
    assert.equal(toClient.length, 0);
  });
});
