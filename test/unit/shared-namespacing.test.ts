// The `server__name` convention both processes use (src/shared/namespacing).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { hasNamespaceSeparator, NAMESPACE_SEPARATOR, namespacedName, splitNamespaced, splitNamespacedAmong } from '../../src/shared/namespacing';

describe('shared namespacing', () => {
  it('joins server and name with the separator, and the first separator splits', () => {
    assert.equal(NAMESPACE_SEPARATOR, '__');
    assert.equal(namespacedName('fs', 'read_file'), 'fs__read_file');
    assert.deepEqual(splitNamespaced('fs__read__file'), { server: 'fs', name: 'read__file' });
    assert.deepEqual(splitNamespaced('fs__x'), { server: 'fs', name: 'x' });
  });

  it('refuses names without a separator or with an empty part', () => {
    for (const name of ['read_file', '', '__x', 'fs__', '__']) assert.equal(splitNamespaced(name), undefined, name);
    assert.equal(hasNamespaceSeparator('fs__'), true);
    assert.equal(hasNamespaceSeparator('my_server'), false);
  });

  // A server name ending in '_' (the config schema accepts it) does not split back at the first
  // separator: 'fs_' + 'x' → 'fs___x' → server 'fs', name '_x'. The router splits among known servers.
  it('splits back what it joined for every server name that does not end in an underscore', () => {
    const server = fc.stringMatching(/^[a-z][a-z0-9-]*(?:_[a-z0-9-]+)*$/);
    fc.assert(
      fc.property(server, fc.string({ minLength: 1 }), (s, name) => {
        assert.deepEqual(splitNamespaced(namespacedName(s, name)), { server: s, name });
      }),
    );
  });

  it('splits after a known server, so a server named with a trailing underscore gets its calls', () => {
    const known = (...servers: string[]) => (server: string) => servers.includes(server);
    assert.deepEqual(splitNamespacedAmong('fs___x', known('fs_')), { server: 'fs_', name: 'x' });
    assert.deepEqual(splitNamespacedAmong('fs___x', known('fs')), { server: 'fs', name: '_x' });
    assert.deepEqual(splitNamespacedAmong('fs___x', known('fs', 'fs_')), { server: 'fs_', name: 'x' }, 'the longest known server');
    assert.deepEqual(splitNamespacedAmong('a____b', known('a__')), { server: 'a', name: '__b' }, 'a server part never holds the separator');
    assert.deepEqual(splitNamespacedAmong('gh__x', known('fs')), { server: 'gh', name: 'x' }, 'unknown: the first separator, for the error');
    for (const name of ['fs_', 'fs__', '__x', 'plain']) assert.equal(splitNamespacedAmong(name, known('fs', 'fs_')), undefined, name);
    assert.deepEqual(splitNamespacedAmong('fs___', known('fs_')), splitNamespaced('fs___'), 'no empty tool name');
    // A client's name with a long run of '_' is split after looking at two server names at most.
    let asked = 0;
    const long = 'fs' + '_'.repeat(1 << 20) + 'x';
    assert.deepEqual(splitNamespacedAmong(long, (server) => (asked++, server === 'fs_')), { server: 'fs_', name: '_'.repeat((1 << 20) - 3) + 'x' });
    assert.ok(asked <= 2, `asked ${asked} times`);
  });

  it('splits back what it joined for every server name, among the configured ones', () => {
    const server = fc.stringMatching(/^[a-z][a-z0-9_-]*$/).filter((s) => !s.includes('__'));
    fc.assert(
      fc.property(server, fc.string({ minLength: 1 }), (s, name) => {
        assert.deepEqual(splitNamespacedAmong(namespacedName(s, name), (candidate) => candidate === s), { server: s, name });
      }),
    );
  });
});
