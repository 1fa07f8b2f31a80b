// The bounded traffic store behind the Traffic view.
import * as assert from 'node:assert/strict';
import { TrafficStore } from '../../src/extension/traffic-store';
import type { GatewayIdentity, TrafficEvent } from '../../src/shared/protocol';

function identity(sessionId: string, startedAt = 1): GatewayIdentity {
  return { sessionId, pid: 1, mode: 'stdio', version: 't', startedByExtension: true, cwd: '/', startedAt };
}

let seq = 0;
function event(tool = 'x'): TrafficEvent {
  return { seq: ++seq, timestamp: 0, direction: 'client_to_server', server: 's', method: 'tools/call', tool, decision: 'allowed', reason: '' };
}

describe('extension traffic store', () => {
  it('keeps at most maxEntries across sessions, dropping the globally oldest first', () => {
    const store = new TrafficStore(5);
    store.openSession(identity('a'));
    store.openSession(identity('b'));
    store.add('a', [event('a1'), event('a2'), event('a3')]);
    store.add('b', [event('b1'), event('b2'), event('b3')]);
    store.add('a', [event('a4')]);
    assert.equal(store.size, 5);
    assert.deepEqual(store.session('a')!.entries.map((e) => e.event.tool), ['a3', 'a4']);
    assert.deepEqual(store.session('b')!.entries.map((e) => e.event.tool), ['b1', 'b2', 'b3']);
    assert.equal(store.session('a')!.dropped, 2);
  });

  it('shrinks at once when the bound is lowered', () => {
    const store = new TrafficStore(100);
    store.openSession(identity('a'));
    store.add('a', Array.from({ length: 50 }, (_, i) => event(`t${i}`)));
    store.setMaxEntries(10);
    assert.equal(store.size, 10);
    assert.equal(store.session('a')!.entries[0]!.event.tool, 't40');
  });

  it('stays bounded under a long stream of small batches', () => {
    const store = new TrafficStore(1000);
    store.openSession(identity('a'));
    for (let i = 0; i < 2000; i++) store.add('a', [event(), event(), event(), event(), event()]);
    assert.equal(store.size, 1000);
    assert.equal(store.session('a')!.entries.length, 1000);
    assert.equal(store.entry(store.session('a')!.entries[0]!.id)?.event.seq, seq - 999);
  });

  it('forgets a closed session once its entries are gone, and keeps connected ones on clear', () => {
    const store = new TrafficStore(10);
    store.openSession(identity('old', 1));
    store.openSession(identity('new', 2));
    store.add('old', [event()]);
    store.closeSession('old');
    assert.deepEqual(store.sessions().map((s) => s.id), ['new', 'old']);
    store.clear();
    assert.deepEqual(store.sessions().map((s) => s.id), ['new']);
    assert.equal(store.size, 0);
  });

  it('ignores traffic of unknown sessions and tells listeners about changes', () => {
    const store = new TrafficStore(10);
    let changes = 0;
    store.onDidChange(() => changes++);
    store.add('nobody', [event()]);
    assert.equal(store.size, 0);
    store.openSession(identity('a'));
    store.add('a', [event()]);
    assert.equal(changes, 2);
  });
});
