// What a gateway started by the VS Code extension does differently when it signs in to a remote
// upstream: its tokens live in the editor's SecretStorage (not the token file), the editor opens the
// sign-in page (the gateway spawns no browser) and shows each server's sign-in state. Standalone
// gateways have none of this: the provider then uses the file and the browser itself.
import type { SignInStateParams } from '../../shared/protocol';
import type { TokenStore } from './token-store';

/** What the extension may ask of one upstream's OAuth client. */
export interface SignInHandle {
  /** Forgets the server's tokens (in the store) and reconnects it, which asks for a new sign-in. */
  signOut(): Promise<void>;
  /** Uses an access token of a VS Code account as the server's bearer (memory only) and reconnects. */
  useSessionToken(accessToken: string): void;
  /** The record of `issuer` was changed by someone else (another gateway of the window signed in). */
  recordChanged(issuer: string): void;
}

export interface SignInServices {
  /** Where the issuers' records are kept. */
  readonly tokenStore: TokenStore;
  /** A server's sign-in state changed; `needs-sign-in` carries the page the editor offers to open. */
  report(params: SignInStateParams): void;
  /** The OAuth client of `server` (the latest one: a reloaded configuration makes new ones). */
  register(server: string, handle: SignInHandle): void;
}
