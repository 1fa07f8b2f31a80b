// The one fetch every request to a remote upstream goes through (the SDK transports, their GET
// streams, OAuth discovery): its TLS policy (verification, `tls_verify: false`, the certificate
// pinned on first contact) and its redirect policy (never followed by fetch itself; one to another
// origin is an error in our words). Bundled into the http chunk only: undici is heavy.
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface RemoteFetchOptions {
  /** Upstream name, for error texts. */
  readonly server: string;
  /** False: accept any certificate (self-signed, expired, another name); the pin still applies. */
  readonly tlsVerify: boolean;
  /** Where the certificate seen first is kept, shared by every connection to this server. */
  readonly pins: CertificatePins;
}

/**
 * SHA-256 fingerprints of the certificate each host:port showed first. Kept in memory for the life
 * of the upstream's configuration (one set per upstream, shared by its reconnects and restarts; a
 * reloaded configuration starts afresh), never on disk: a
 * certificate that changes under a running gateway is refused, while one renewed between two runs
 * (Let's Encrypt renews every 60–90 days) is accepted again once verification passes.
 */
export class CertificatePins {
  private readonly byAuthority = new Map<string, string>();

  /** Undefined when `fingerprint` is the one pinned for `authority` (or the first seen); else why not. */
  check(authority: string, fingerprint: string): string | undefined {
    const pinned = this.byAuthority.get(authority);
    if (pinned === undefined) {
      this.byAuthority.set(authority, fingerprint);
      return undefined;
    }
    return pinned === fingerprint ? undefined : `its TLS certificate changed since the first connection (was ${pinned.slice(0, 23)}…, now ${fingerprint.slice(0, 23)}…)`;
  }
}

/** An Error whose message is ours (safe for logs and clients): no header, token or server text in it. */
export class RemoteFetchError extends Error {}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A fetch for one upstream with its TLS and redirect policies; `dispose` closes its sockets. */
export function remoteFetch(options: RemoteFetchOptions): { fetch: FetchLike; dispose(): Promise<void> } {
  const connectTls = buildConnector({ rejectUnauthorized: options.tlsVerify });
  const agent = new Agent({
    connect(connectOptions, callback) {
      connectTls(connectOptions, (err, socket) => {
        if (err || !socket) return callback(err ?? new Error('no socket'), null);
        // A resumed TLS session shows no certificate, and needs none: only the server that holds
        // the secret of the session we made with the pinned certificate can resume it.
        if (connectOptions.protocol !== 'https:' || (socket as TLSSocket).isSessionReused()) return callback(null, socket);
        const certificate = (socket as TLSSocket).getPeerCertificate();
        const fingerprint = certificate && typeof certificate.fingerprint256 === 'string' ? certificate.fingerprint256 : '';
        const refused = options.pins.check(`${connectOptions.hostname}:${connectOptions.port}`, fingerprint);
        if (refused === undefined) return callback(null, socket);
        socket.destroy();
        callback(new RemoteFetchError(`Upstream '${options.server}' refused: ${refused}`), null);
      });
    },
  });
  const fetch: FetchLike = async (url, init) => {
    let response;
    try {
      // undici's own Request/Response types differ from the DOM ones by a few fields only.
      response = await undiciFetch(url, { ...(init as object), redirect: 'manual', dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
    } catch (err) {
      throw new RemoteFetchError(describeNetworkError(options.server, url, err), { cause: err });
    }
    if (REDIRECT_STATUSES.has(response.status)) {
      const target = redirectTarget(response.headers.get('location'), url);
      if (!target || target.origin !== new URL(url).origin) {
        await response.body?.cancel().catch(() => undefined);
        throw new RemoteFetchError(`Upstream '${options.server}' redirected to ${target ? `another origin (${target.origin})` : 'an invalid address'}; Gatekit does not follow it (put the final URL in the configuration)`);
      }
    }
    return response as unknown as Response;
  };
  return { fetch, dispose: () => agent.close().catch(() => undefined) };
}

function redirectTarget(location: string | null, base: string | URL): URL | undefined {
  if (!location) return undefined;
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/** fetch's "fetch failed" in useful words: the cause's code (ECONNREFUSED, CERT_HAS_EXPIRED…), never a header. */
function describeNetworkError(server: string, url: string | URL, err: unknown): string {
  if (err instanceof RemoteFetchError) return err.message;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof RemoteFetchError) return cause.message;
  const code = cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const origin = safeOrigin(url);
  if (code && /CERT|SELF_SIGNED|TLS|SSL|ERR_TLS/i.test(code)) {
    return `Upstream '${server}' at ${origin} failed the TLS check (${code}); set tls_verify: false only for a server you trust`;
  }
  if (err instanceof Error && err.name === 'AbortError') return `the request to '${server}' was aborted`;
  return `Upstream '${server}' at ${origin} could not be reached (${code ?? (cause instanceof Error ? cause.message : 'network error')})`;
}

function safeOrigin(url: string | URL): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
