// A remote upstream reached over Streamable HTTP (or the legacy HTTP+SSE transport): what it takes
// to reach one, and the factory the gateway calls. The connection itself (the official SDK's client
// transports behind our UpstreamTransport seam, TLS and redirect policy) sits in the `http` chunk,
// loaded the first time a configuration has a remote upstream: stdio-only gateways never load it.
import { loadChunk } from '../chunks';
import type { UpstreamTransport } from './transport';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { CertificatePins } from './http-fetch';
import type * as HttpChunk from '../chunks/http';

export { remoteUrlProblem, isLoopbackHost } from '../../shared/remote-url';

/** `http`: Streamable HTTP, falling back to HTTP+SSE when the server refuses it; `sse`: HTTP+SSE only. */
export type RemoteTransportKind = 'http' | 'sse';

/** What it takes to reach one remote server. */
export interface HttpServerSpec {
  readonly name: string;
  readonly transport: RemoteTransportKind;
  /** Absolute http(s) URL, already checked (see remoteUrlProblem). */
  readonly url: string;
  /** Sent with every request; values already expanded. Secrets: never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** False accepts a certificate that does not verify (the pin on first contact still applies). */
  readonly tlsVerify: boolean;
  /** The configuration's `oauth` object, passed through for the authorization part (src/gateway/auth). */
  readonly oauth?: Readonly<Record<string, unknown>>;
  /** Largest message accepted from the server, in bytes (as for stdio lines). */
  readonly maxLineBytes: number;
}

export interface HttpTransportOptions {
  /** Handles 401s (discovery, registration, tokens); without one a 401 is an error. */
  readonly authProvider?: OAuthClientProvider;
  /** Sign-in for the upstream's `oauth` completed (src/gateway/auth): reconnect it. */
  readonly onAuthorized?: () => void;
}

/** Whether an upstream spec describes a remote server rather than a process. */
export function isRemoteSpec(spec: object): spec is HttpServerSpec {
  return 'url' in spec && typeof spec.url === 'string';
}

/** The pins of each upstream spec, kept across its reconnects (a spec object lives as long as its configuration). */
const pinsBySpec = new WeakMap<HttpServerSpec, CertificatePins>();
const authBySpec = new WeakMap<HttpServerSpec, OAuthClientProvider>();

/** A new connection to a remote server (the http chunk is loaded on the first call). */
export function createHttpUpstreamTransport(spec: HttpServerSpec, log: (line: string) => void, options: HttpTransportOptions = {}): UpstreamTransport {
  const chunk = loadChunk<typeof HttpChunk>('http');
  let pins = pinsBySpec.get(spec);
  if (!pins) {
    pins = new chunk.CertificatePins();
    pinsBySpec.set(spec, pins);
  }
  // One OAuth provider per spec, like the pins: a sign-in under way outlives the connection that started it.
  let authProvider = options.authProvider ?? authBySpec.get(spec);
  if (!authProvider && spec.oauth) {
    const fetch = chunk.remoteFetch({ server: spec.name, tlsVerify: spec.tlsVerify, pins }).fetch;
    authProvider = chunk.createUpstreamOAuthProvider({ server: spec.name, url: spec.url, oauth: spec.oauth, log, onAuthorized: () => options.onAuthorized?.(), fetch });
    authBySpec.set(spec, authProvider);
  }
  return new chunk.HttpUpstreamConnection(spec, log, { ...options, pins, ...(authProvider ? { authProvider } : {}) });
}
