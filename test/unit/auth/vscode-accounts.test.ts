// Which authorization servers may be handed a VS Code account's token: exact https hosts only.
import { strict as assert } from 'node:assert';
import { accountProviderFor, openableSignInUrl, requestedScopes } from '../../../src/extension/auth/vscode-accounts';

describe('VS Code accounts for remote servers', () => {
  it('offers GitHub for github.com / api.github.com and Microsoft for login.microsoftonline.com', () => {
    assert.equal(accountProviderFor('https://github.com/login/oauth')?.id, 'github');
    assert.equal(accountProviderFor('https://api.github.com')?.id, 'github');
    assert.equal(accountProviderFor('https://login.microsoftonline.com/common/v2.0')?.id, 'microsoft');
  });

  it('never offers an account to a look-alike, a plain-http, a credentialed or a non-default-port issuer', () => {
    for (const issuer of [
      'https://github.com.evil.example',
      'https://evilgithub.com',
      'https://github.com@evil.example',
      'http://github.com',
      'https://user:pw@github.com',
      'https://github.com:8443',
      'https://login.microsoftonline.com.evil.example',
      '__proto__',
      'https://constructor',
      undefined,
      'not a url',
    ]) {
      assert.equal(accountProviderFor(issuer), undefined, String(issuer));
    }
  });

  it('takes the scopes the server asked for, dropping empty, control-character and oversized ones', () => {
    assert.deepEqual(requestedScopes('repo  read:org'), ['repo', 'read:org']);
    assert.deepEqual(requestedScopes(`a\u0007b ${'x'.repeat(300)} ok`), ['ok']);
    assert.equal(requestedScopes(Array.from({ length: 100 }, (_, i) => `s${i}`).join(' ')).length, 50);
    assert.deepEqual(requestedScopes(undefined), []);
  });

  it('opens only https pages (http on loopback), never other schemes or credentials', () => {
    assert.ok(openableSignInUrl('https://as.example/authorize?x=1'));
    assert.ok(openableSignInUrl('http://127.0.0.1:5000/authorize'));
    for (const bad of ['http://as.example/authorize', 'javascript:alert(1)', 'file:///etc/passwd', 'command:workbench.action.terminal.new', 'vscode://x', 'https://u:p@as.example/', `https://as.example/${'x'.repeat(5000)}`]) {
      assert.equal(openableSignInUrl(bad), undefined, bad);
    }
  });
});
