// Makes the OAuth provider of one remote upstream from its `oauth` config options. Part of the http
// chunk (it pulls in the SDK's auth client): the core only sees it through the chunk's exports.
import { GatewayOAuthProvider, type OAuthSettings } from './provider';
import { OAuthTokenStore, userConfigDirectory } from './token-store';
import type { Environment } from '../../config/paths';
import type { SignInServices } from './sign-in-services';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** How long a sign-in link printed on stderr stays valid. */
const SIGN_IN_TIMEOUT_MS = 10 * 60 * 1000;

export interface UpstreamOAuthRequest {
  readonly server: string;
  readonly url: string;
  /** The upstream's `oauth` object as validated by the config schema (snake_case keys). */
  readonly oauth: Readonly<Record<string, unknown>>;
  readonly log: (line: string) => void;
  readonly onAuthorized: () => void;
  readonly fetch?: FetchLike | undefined;
  readonly env?: Environment;
  /** Under VS Code: tokens in its SecretStorage, the sign-in page opened by the editor. */
  readonly signIn?: SignInServices | undefined;
}

/** The provider for one upstream; its tokens live in the user's config folder (or VS Code's SecretStorage), per issuer. */
export function createUpstreamOAuthProvider(request: UpstreamOAuthRequest): GatewayOAuthProvider {
  const o = request.oauth;
  const text = (key: string): string | undefined => (typeof o[key] === 'string' && o[key] !== '' ? (o[key] as string) : undefined);
  const scopes = Array.isArray(o.scopes) ? o.scopes.filter((s): s is string => typeof s === 'string') : undefined;
  const port = typeof o.redirect_port === 'number' && Number.isInteger(o.redirect_port) ? o.redirect_port : undefined;
  const settings: OAuthSettings = {
    clientId: text('client_id'),
    clientSecret: text('client_secret'),
    scopes,
    redirectPort: port,
    clientMetadataUrl: text('client_metadata_url'),
    openBrowser: o.open_browser !== false,
    signInTimeoutMs: SIGN_IN_TIMEOUT_MS,
  };
  return new GatewayOAuthProvider({
    server: request.server,
    serverUrl: request.url,
    settings,
    store: request.signIn?.tokenStore ?? new OAuthTokenStore(userConfigDirectory(request.env ?? process.env)),
    signIn: request.signIn,
    log: request.log,
    onAuthorized: request.onAuthorized,
    fetch: request.fetch,
  });
}
