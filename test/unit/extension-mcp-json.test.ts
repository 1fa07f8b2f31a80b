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

  it('imports stdio and remote servers, renamed to valid unique Gatekit names', () => {
    const candidates = importCandidates(parseMcpJson(sample), new Set(['github']));
    const byKey = new Map(candidates.map((c) => [c.key, c]));
    assert.deepEqual(byKey.get('GitHub')!.upstream, { name: 'github-2', command: 'npx', args: ['-y', 'gh-mcp'], env: { TOKEN: '${input:gh}', N: '3' } });
    assert.deepEqual(byKey.get('GitHub')!.inputIds, ['gh']);
    assert.ok(byKey.get('GitHub')!.warnings.some((w) => /GONE/.test(w)));
    assert.equal(byKey.get('my__fs')!.upstream!.name, 'my_fs');
    assert.ok(byKey.get('my__fs')!.warnings.some((w) => /envFile/.test(w)));
    assert.deepEqual(byKey.get('web')!.upstream, { name: 'web', type: 'http', url: 'https://example.invalid' });
    // No type but a url: VS Code treats it as http (Streamable HTTP, then SSE), and so does Gatekit.
    assert.deepEqual(byKey.get('sse')!.upstream, { name: 'sse', type: 'http', url: 'https://example.invalid/sse' });
    assert.equal(byKey.get('broken')!.skipReason, 'no command');
  });

  it('imports http and sse entries with their headers, ${input:} references kept for the secret store', () => {
    const document = parseMcpJson(`{
      "inputs": [{ "type": "promptString", "id": "token", "password": true }],
      "servers": {
        "gh": { "type": "http", "url": "https://api.example.com/mcp/", "headers": { "Authorization": "Bearer \${input:token}", "X-N": 7, "X-Obj": {} } },
        "legacy": { "type": "sse", "url": "http://localhost:3001/sse" }
      }
    }`);
    const byKey = new Map(importCandidates(document, new Set()).map((c) => [c.key, c]));
    assert.deepEqual(byKey.get('gh')!.upstream, { name: 'gh', type: 'http', url: 'https://api.example.com/mcp/', headers: { Authorization: 'Bearer ${input:token}', 'X-N': '7' } });
    assert.deepEqual(byKey.get('gh')!.inputIds, ['token']);
    assert.ok(byKey.get('gh')!.warnings.some((w) => /X-Obj/.test(w)));
    assert.deepEqual(byKey.get('legacy')!.upstream, { name: 'legacy', type: 'sse', url: 'http://localhost:3001/sse' });
  });

  it('skips remote entries an attacker could write: no url, url not a string, javascript:, plain http elsewhere, credentials, unknown types', () => {
    const document = parseMcpJson(`{ "servers": {
      "none": { "type": "http" },
      "num": { "type": "http", "url": 42 },
      "js": { "type": "http", "url": "javascript:alert(1)" },
      "plain": { "type": "http", "url": "http://example.com/mcp" },
      "creds": { "type": "sse", "url": "https://u:p@example.com/sse" },
      "proto": { "type": "http", "url": "https://example.com/mcp", "headers": { "__proto__": "x" } },
      "ws": { "type": "websocket", "url": "wss://example.com" }
    } }`);
    const byKey = new Map(importCandidates(document, new Set()).map((c) => [c.key, c]));
    assert.equal(byKey.get('none')!.skipReason, 'no url');
    assert.equal(byKey.get('num')!.skipReason, 'no url');
    assert.match(byKey.get('js')!.skipReason!, /https:\/\//);
    assert.match(byKey.get('plain')!.skipReason!, /plain http:\/\/ to example\.com/);
    assert.match(byKey.get('creds')!.skipReason!, /user name or password/);
    assert.match(byKey.get('ws')!.skipReason!, /'websocket' servers cannot run behind Gatekit/);
    // A `__proto__` header is dropped by the JSON parser; nothing reaches a prototype.
    const headers = byKey.get('proto')!.upstream!.headers!;
    assert.equal(Object.getPrototypeOf(headers), Object.prototype);
    assert.deepEqual(Object.keys(headers), []);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
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
