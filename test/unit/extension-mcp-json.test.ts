// Reading and editing mcp.json for the import: names, shapes, secrets references, comment-preserving edits.
import * as assert from 'node:assert/strict';
import { addServers, importCandidates, parseMcpJson, removeServers, toUpstreamName } from '../../src/extension/mcp-json';

const sample = `{
  // my servers
  "inputs": [{ "type": "promptString", "id": "gh", "password": true }],
  "servers": {
    "GitHub": { "command": "npx", "args": ["-y", "gh-mcp"], "env": { "TOKEN": "\${input:gh}", "N": 3, "GONE": null } },
    "my__fs": { "type": "stdio", "command": "node", "args": ["fs.js"], "envFile": ".env" },
    "web": { "type": "http", "url": "https://example.invalid" },
    "sse": { "url": "https://example.invalid/sse" },
    "broken": { "type": "stdio" },
  },
}
`;

describe('extension mcp.json import', () => {
  it('reads JSONC with comments and trailing commas', () => {
    const document = parseMcpJson(sample);
    assert.deepEqual(Object.keys(document.servers), ['GitHub', 'my__fs', 'web', 'sse', 'broken']);
    assert.deepEqual(document.inputs.map((i) => i.id), ['gh']);
    assert.deepEqual(document.errors, []);
    assert.match(parseMcpJson('{ "servers": { ').errors[0]!, /^1:\d+ /);
  });

  it('imports stdio servers only, renamed to valid unique Gatekit names', () => {
    const candidates = importCandidates(parseMcpJson(sample), new Set(['github']));
    const byKey = new Map(candidates.map((c) => [c.key, c]));
    assert.deepEqual(byKey.get('GitHub')!.upstream, { name: 'github-2', command: 'npx', args: ['-y', 'gh-mcp'], env: { TOKEN: '${input:gh}', N: '3' } });
    assert.deepEqual(byKey.get('GitHub')!.inputIds, ['gh']);
    assert.ok(byKey.get('GitHub')!.warnings.some((w) => /GONE/.test(w)));
    assert.equal(byKey.get('my__fs')!.upstream!.name, 'my_fs');
    assert.ok(byKey.get('my__fs')!.warnings.some((w) => /envFile/.test(w)));
    assert.match(byKey.get('web')!.skipReason!, /http/);
    assert.match(byKey.get('sse')!.skipReason!, /http/);
    assert.equal(byKey.get('broken')!.skipReason, 'no command');
  });

  it('derives names that satisfy the upstream name rule', () => {
    const taken = new Set<string>();
    for (const key of ['My Server', '123', '__x__', 'Ünïcode', '', 'a__b__c', 'ok']) {
      const name = toUpstreamName(key, taken);
      assert.match(name, /^[a-z](?:[a-z0-9-]|_(?!_))*$/, `${key} -> ${name}`);
      assert.ok(!taken.has(name));
      taken.add(name);
    }
  });

  it('removes and restores servers without touching comments or other entries', () => {
    const removed = removeServers(sample, ['GitHub', 'web']);
    const after = parseMcpJson(removed);
    assert.deepEqual(Object.keys(after.servers), ['my__fs', 'sse', 'broken']);
    assert.match(removed, /\/\/ my servers/);
    const restored = addServers(removed, { GitHub: parseMcpJson(sample).servers.GitHub });
    assert.deepEqual(parseMcpJson(restored).servers.GitHub, parseMcpJson(sample).servers.GitHub);
    assert.match(restored, /\/\/ my servers/);
  });

  it('creates the file when restoring into a missing mcp.json', () => {
    const text = addServers('', { a: { command: 'x' } });
    assert.deepEqual(parseMcpJson(text).servers, { a: { command: 'x' } });
  });
});
