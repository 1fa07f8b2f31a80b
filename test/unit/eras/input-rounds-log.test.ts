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

describe('the key a server names for its request for input', () => {
  function ask(key: unknown, id: number) {
    const shown: Record<string, unknown>[] = [];
    const subject = new InputRounds({ toRouter: () => undefined, toClient: (message) => shown.push(message as unknown as Record<string, unknown>), log: () => undefined, inputTimeoutMs: 1000 });
    subject.forward({ jsonrpc: '2.0', id: 'c', method: 'tools/call' }, { capabilities: { elicitation: {} }, logLevel: undefined }, { name: 't' });
    subject.serverAsks({ jsonrpc: '2.0', id, method: 'elicitation/create', params: { message: 'm', _meta: { 'dev.gatekit/inputKey': key, other: 1 } } }, undefined);
    return new Promise<Record<string, unknown>>((resolve) => setImmediate(() => resolve((shown[0]!.result as Record<string, unknown>).inputRequests as Record<string, unknown>)));
  }

  it('is used when it is a short plain name, and removed from what the client is shown', async () => {
    const requests = await ask('user_name', 7);
    assert.deepEqual(Object.keys(requests), ['user_name']);
    assert.deepEqual((requests.user_name as { params: unknown }).params, { message: 'm', _meta: { other: 1 } });
  });

  it('falls back to our own key for anything else, and a `__proto__` key stays a key', async () => {
    for (const hostile of [42, 'has space', 'x'.repeat(65), '../x', { a: 1 }]) assert.deepEqual(Object.keys(await ask(hostile, 3)), ['input-3'], JSON.stringify(hostile));
    const proto = await ask('__proto__', 4);
    assert.ok(Object.hasOwn(proto, '__proto__'));
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  });
});
