// The loopback redirect listener of a standalone sign-in (RFC 8252 §7.3): the authorization server
// sends the browser to http://127.0.0.1:<port>/callback with the code. It accepts exactly one answer
// that carries the state we sent, refuses everything else, and closes once answered or timed out.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the authorization server sent back (RFC 6749 §4.1.2, RFC 9207 `iss`). */
export interface AuthorizationResponse {
  readonly code: string;
  /** The `iss` parameter when present (validated by the caller against the issuer it expects). */
  readonly iss: string | undefined;
}

export const CALLBACK_PATH = '/callback';
/** The browser's request line and headers are small; anything beyond is not a redirect. */
const MAX_URL_LENGTH = 8192;

/** Binds a free loopback port and returns it (the listener itself is opened later, on that port). */
export async function freeLoopbackPort(): Promise<number> {
  const server = http.createServer();
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether `port` can be bound on loopback now (another gateway waiting for a sign-in may hold it). */
export async function loopbackPortIsFree(port: number): Promise<boolean> {
  const server = http.createServer();
  try {
    await listen(server, port);
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}

/** The redirect URI for a port: always the IP literal, never `localhost` (which may resolve elsewhere). */
export function loopbackRedirectUrl(port: number): string {
  return `http://127.0.0.1:${port}${CALLBACK_PATH}`;
}

/** A listening one-shot redirect endpoint; `response` settles once (answer, error, timeout or close). */
export interface RedirectListener {
  readonly response: Promise<AuthorizationResponse>;
  close(): void;
}

/**
 * Listens on 127.0.0.1:`port` for the redirect that carries `expectedState`. A request with another
 * state (a forged or stale redirect) or no code is answered 400 and ignored: the sign-in keeps
 * waiting for the real one. An `error` answer from the authorization server with the right state
 * ends it. Resolves the port in use (a port taken by another program is an error naming it).
 */
export async function listenForRedirect(port: number, expectedState: string, timeoutMs: number): Promise<RedirectListener> {
  let settle!: { resolve: (r: AuthorizationResponse) => void; reject: (e: Error) => void };
  const response = new Promise<AuthorizationResponse>((resolve, reject) => (settle = { resolve, reject }));
  // Observed by the owner; without this, a timeout nobody awaited would be an unhandled rejection.
  response.catch(() => undefined);
  let done = false;
  const server = http.createServer((req, res) => {
    const answer = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(text);
    };
    const rawUrl = req.url ?? '';
    if (done || req.method !== 'GET' || rawUrl.length > MAX_URL_LENGTH) return answer(400, 'Gatekit: not a sign-in redirect.\n');
    const url = new URL(rawUrl, 'http://127.0.0.1');
    if (url.pathname !== CALLBACK_PATH) return answer(404, 'Gatekit: not found.\n');
    const state = url.searchParams.get('state');
    if (state !== expectedState) return answer(400, 'Gatekit: this sign-in link is not the one Gatekit is waiting for (state mismatch). Start again from the link Gatekit printed.\n');
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    if (error !== null) {
      finish();
      answer(400, 'Gatekit: the authorization server refused the sign-in. You can close this tab.\n');
      // The server's own words (error_description) are not quoted: they could carry anything.
      settle.reject(new Error(`the authorization server answered ${safeErrorCode(error)}`));
      return;
    }
    if (!code) return answer(400, 'Gatekit: the redirect carries no authorization code.\n');
    finish();
    answer(200, 'Gatekit: signed in. You can close this tab.\n');
    settle.resolve({ code, iss: url.searchParams.get('iss') ?? undefined });
  });
  // A browser keeps connections alive; they must not hold the port after the answer.
  server.keepAliveTimeout = 1;
  const timer = setTimeout(() => {
    finish();
    settle.reject(new Error(`nobody completed the sign-in within ${Math.round(timeoutMs / 1000)} s`));
  }, timeoutMs);
  timer.unref();
  function finish(): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    server.close();
    server.closeIdleConnections?.();
  }
  try {
    await listen(server, port);
  } catch (err) {
    finish();
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'EADDRINUSE' ? `the sign-in redirect port ${port} is in use by another program (choose another oauth.redirect_port)` : `cannot listen on 127.0.0.1:${port} for the sign-in redirect: ${code ?? (err as Error).message}`, { cause: err });
  }
  server.unref();
  return {
    response,
    close: () => {
      if (done) return;
      finish();
      settle.reject(new Error('the sign-in was abandoned'));
    },
  };
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** An OAuth error code is a short token of printable ASCII (RFC 6749 §4.1.2.1); anything else is not quoted. */
function safeErrorCode(error: string): string {
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error) ? `'${error}'` : 'an error';
}
