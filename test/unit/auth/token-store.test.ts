// The OAuth token file: owner-only, atomic, and refused whenever someone else could read or replace it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OAuthTokenStore, TokenStoreError, userConfigDirectory } from '../../../src/gateway/auth/token-store';

const posix = process.platform !== 'win32';

describe('OAuthTokenStore', () => {
  let base: string;
  beforeEach(() => (base = fs.mkdtempSync(path.join(tmpdir(), 'gatekit-store-'))));

  const grant = { access_token: 'at-secret', token_type: 'Bearer', refresh_token: 'rt-secret' };

  it('creates the folder 0700 and the file 0600, and reads back per issuer', () => {
    const store = new OAuthTokenStore(path.join(base, 'gatekit'));
    store.update('https://as.example', (r) => (r.grants['https://mcp.example/mcp'] = grant));
    assert.deepEqual(store.read('https://as.example').grants['https://mcp.example/mcp'], grant);
    assert.deepEqual(Object.keys(store.read('https://other.example').grants), []);
    if (posix) {
      assert.equal(fs.statSync(store.directory).mode & 0o777, 0o700);
      assert.equal(fs.statSync(store.filePath).mode & 0o777, 0o600);
    }
  });

  it('refuses a token file that others can read, naming the path and the fix', function () {
    if (!posix) this.skip();
    const store = new OAuthTokenStore(path.join(base, 'gatekit'));
    store.update('https://as.example', (r) => (r.grants.x = grant));
    fs.chmodSync(store.filePath, 0o644);
    assert.throws(() => store.read('https://as.example'), (err: Error) => err instanceof TokenStoreError && err.message.includes(store.filePath) && /chmod 600/.test(err.message) && !err.message.includes('secret'));
    assert.throws(() => store.update('https://as.example', () => undefined), TokenStoreError, 'nor written over');
  });

  it('refuses a symlinked token file and a symlinked folder (never follows them)', function () {
    if (!posix) this.skip();
    const elsewhere = path.join(base, 'elsewhere.json');
    fs.writeFileSync(elsewhere, JSON.stringify({ version: 1, issuers: {} }), { mode: 0o600 });
    const dir = path.join(base, 'gatekit');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.symlinkSync(elsewhere, path.join(dir, 'oauth-tokens.json'));
    const store = new OAuthTokenStore(dir);
    assert.throws(() => store.read('x'), /symbolic link/);
    assert.throws(() => store.update('x', (r) => (r.grants.y = grant)), /symbolic link/);
    assert.equal(fs.readFileSync(elsewhere, 'utf8').includes('secret'), false, 'nothing written through the link');

    const realDir = fs.mkdtempSync(path.join(tmpdir(), 'gatekit-real-'));
    fs.chmodSync(realDir, 0o700);
    const linkedDir = path.join(base, 'linked');
    fs.symlinkSync(realDir, linkedDir);
    assert.throws(() => new OAuthTokenStore(linkedDir).update('x', (r) => (r.grants.y = grant)), /symbolic link/);
    assert.deepEqual(fs.readdirSync(realDir), []);
  });

  it('refuses a folder open to others', function () {
    if (!posix) this.skip();
    const dir = path.join(base, 'gatekit');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    assert.throws(() => new OAuthTokenStore(dir).update('x', () => undefined), /chmod 700/);
  });

  it('reads a hostile file without polluting prototypes, and refuses what is not a token file', () => {
    const dir = path.join(base, 'gatekit');
    fs.mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, 'oauth-tokens.json');
    fs.writeFileSync(file, '{"version":1,"issuers":{"__proto__":{"grants":{"__proto__":{"polluted":true}}},"a":"not an object"}}', { mode: 0o600 });
    const store = new OAuthTokenStore(dir);
    assert.deepEqual(Object.keys(store.read('a').grants), []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    fs.writeFileSync(file, '[1,2]');
    assert.throws(() => store.read('a'), /not a Gatekit token file/);
    fs.writeFileSync(file, '{nope');
    assert.throws(() => store.read('a'), /not valid JSON/);
  });

  it('finds the user config folder per platform (XDG first, relative XDG ignored)', () => {
    assert.equal(userConfigDirectory({ XDG_CONFIG_HOME: '/x', HOME: '/h' }, 'linux'), path.join('/x', 'gatekit'));
    assert.equal(userConfigDirectory({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }, 'linux'), path.join('/h', '.config', 'gatekit'));
    assert.equal(userConfigDirectory({ HOME: '/h' }, 'darwin'), path.join('/h', 'Library', 'Application Support', 'gatekit'));
  });
});
