// The sign-in redirect listener and the browser opener, attacked the ways a web page or a hostile
// authorization server could: forged states, error answers with arbitrary text, shell characters.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openInBrowser } from '../../../src/gateway/auth/browser';
import { freeLoopbackPort, listenForRedirect, loopbackRedirectUrl } from '../../../src/gateway/auth/loopback';

describe('loopback redirect listener', () => {
  it('accepts one redirect with the right state, then stops listening', async () => {
    const port = await freeLoopbackPort();
    const listener = await listenForRedirect(port, 'expected-state', 10000);
    const base = loopbackRedirectUrl(port);
    assert.equal((await fetch(`${base}?state=wrong&code=x`)).status, 400);
    assert.equal((await fetch(`http://127.0.0.1:${port}/other?state=expected-state&code=x`)).status, 404);
    assert.equal((await fetch(`${base}?state=expected-state`)).status, 400, 'no code');
    const ok = await fetch(`${base}?state=expected-state&code=the-code&iss=https%3A%2F%2Fas.example`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await listener.response, { code: 'the-code', iss: 'https://as.example' });
    await assert.rejects(fetch(`${base}?state=expected-state&code=again`), 'closed after one answer');
  });

  it('ends on an error answer without quoting the server text', async () => {
    const port = await freeLoopbackPort();
    const listener = await listenForRedirect(port, 's', 10000);
    await fetch(`${loopbackRedirectUrl(port)}?state=s&error=access_denied&error_description=${encodeURIComponent('<script>evil</script>')}`);
    await assert.rejects(listener.response, (err: Error) => err.message.includes("'access_denied'") && !err.message.includes('evil'));
  });

  it('does not quote an error code that is not a plain OAuth token', async () => {
    const port = await freeLoopbackPort();
    const listener = await listenForRedirect(port, 's', 10000);
    await fetch(`${loopbackRedirectUrl(port)}?state=s&error=${encodeURIComponent('x\n[gatekit] forged line')}`);
    await assert.rejects(listener.response, (err: Error) => !err.message.includes('forged') && /an error/.test(err.message));
  });

  it('times out and refuses a port another program holds', async () => {
    const port = await freeLoopbackPort();
    const listener = await listenForRedirect(port, 's', 50);
    await assert.rejects(listener.response, /within/);
    const squatter = http.createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    await assert.rejects(listenForRedirect(port, 's', 1000), /in use by another program/);
    squatter.close();
  });

  it('binds the IPv4 loopback only', async () => {
    const port = await freeLoopbackPort();
    const listener = await listenForRedirect(port, 's', 10000);
    assert.match(loopbackRedirectUrl(port), /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    listener.close();
    await assert.rejects(listener.response, /abandoned/);
  });
});

describe('openInBrowser', function () {
  if (process.platform === 'win32') return;
  it('passes the URL as one argument to the opener, never through a shell', async () => {
    const bin = fs.mkdtempSync(path.join(tmpdir(), 'gatekit-opener-'));
    const record = path.join(bin, 'argv.json');
    const pwned = path.join(bin, 'pwned');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`, { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
    try {
      const url = `https://as.example/authorize?a=1&b=$(touch ${pwned})&c=\`touch ${pwned}\`;touch ${pwned}`;
      assert.equal(await openInBrowser(url, 'linux'), true);
      for (let i = 0; i < 200 && !fs.existsSync(record); i++) await new Promise((r) => setTimeout(r, 25));
      const argv = JSON.parse(fs.readFileSync(record, 'utf8')) as string[];
      assert.equal(argv.length, 1);
      assert.equal(argv[0], new URL(url).href);
      assert.equal(fs.existsSync(pwned), false);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('opens nothing but web pages', async () => {
    assert.equal(await openInBrowser('file:///etc/passwd', 'linux'), false);
    assert.equal(await openInBrowser('javascript:alert(1)', 'linux'), false);
  });
});
