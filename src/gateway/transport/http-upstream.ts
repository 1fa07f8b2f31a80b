// A remote upstream reached over Streamable HTTP (or the legacy HTTP+SSE transport): what it takes
// to reach one, and the factory the gateway calls. The connection itself (the official SDK's client
// transports behind our UpstreamTransport seam, TLS and redirect policy) sits in the `http` chunk,
// loaded the first time a configuration has a remote upstream: stdio-only gateways never load it.
import { loadChunk } from '../chunks';
import type { UpstreamTransportFactory } from './transport';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
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
}

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
  return () => new chunk.HttpUpstreamConnection(spec, log, { ...options, pins });
}
