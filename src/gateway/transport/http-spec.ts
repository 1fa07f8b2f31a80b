// What it takes to reach a remote upstream: shared by the core (http-upstream.ts) and the http chunk.
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { SignInServices } from '../auth/sign-in-services';

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
  /** Under VS Code: where tokens are kept and who opens the sign-in page (src/gateway/auth/sign-in-services.ts). */
  readonly signIn?: SignInServices;
}
