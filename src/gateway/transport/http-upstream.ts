// A remote upstream reached over Streamable HTTP (or the legacy HTTP+SSE transport): what it takes
// to reach one, and the factory the gateway calls. The connection itself (the official SDK's client
// transports behind our UpstreamTransport seam, TLS and redirect policy) sits in the `http` chunk,
// loaded the first time a configuration has a remote upstream: stdio-only gateways never load it.
import { loadChunk } from '../chunks';
import type { UpstreamTransportFactory } from './transport';
import type * as HttpChunk from '../chunks/http';
import type { HttpServerSpec, HttpTransportOptions } from './http-spec';

export type { HttpServerSpec, HttpTransportOptions, RemoteTransportKind } from './http-spec';

export { remoteUrlProblem, isLoopbackHost } from '../../shared/remote-url';

/** Whether an upstream spec describes a remote server rather than a process. */
export function isRemoteSpec(spec: object): spec is HttpServerSpec {
  return 'url' in spec && typeof spec.url === 'string';
}

/**
 * Makes the connections to one remote server (first start, every reconnect and renewed session);
 * they share its pinned certificate. Loads the http chunk.
 */
export function httpTransportFactory(spec: HttpServerSpec, log: (line: string) => void, options: HttpTransportOptions = {}): UpstreamTransportFactory {
  const chunk = loadChunk<typeof HttpChunk>('http');
  const pins = new chunk.CertificatePins();
  // One OAuth provider per server, like the pins: a sign-in under way outlives the connection that started it.
  const authProvider =
    options.authProvider ??
    (spec.oauth
      ? chunk.createUpstreamOAuthProvider({ server: spec.name, url: spec.url, oauth: spec.oauth, log, onAuthorized: () => options.onAuthorized?.(), signIn: options.signIn, fetch: chunk.remoteFetch({ server: spec.name, tlsVerify: spec.tlsVerify, pins }).fetch })
      : undefined);
  return () => new chunk.HttpUpstreamConnection(spec, log, { ...options, pins, ...(authProvider ? { authProvider } : {}) });
}
