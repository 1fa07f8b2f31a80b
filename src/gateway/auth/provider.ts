// The OAuth client of one remote upstream in the standalone gateway: the SDK's OAuthClientProvider
// (its `auth()` does discovery, registration, PKCE, the resource indicator and refresh), plus what
// that SDK version leaves out: the metadata `issuer` echo (RFC 8414 §3.3) and the authorization
// response `iss` check (RFC 9207), step-up on `insufficient_scope` even when a refresh token exists,
// the union of scopes on re-authorization, and the sign-in itself (loopback redirect, browser, a
// clear error for the client until the user has signed in).
import { randomBytes } from 'node:crypto';
import { auth, type OAuthClientProvider, type OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { SignInStateParams } from '../../shared/protocol';
import { signInRequiredText } from '../../shared/sign-in';
import { openInBrowser } from './browser';
import { freeLoopbackPort, listenForRedirect, loopbackPortIsFree, loopbackRedirectUrl, type RedirectListener } from './loopback';
import type { SignInServices } from './sign-in-services';
import type { TokenStore } from './token-store';

/** The upstream's `oauth` options as the gateway uses them (config keys in snake_case map onto these). */
export interface OAuthSettings {
  /** A client registered by hand with the authorization server: no registration then. */
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  /** Scopes asked for when neither the server's challenge nor its metadata names any. */
  readonly scopes?: readonly string[] | undefined;
  /** The loopback port of the redirect URI; a free one is chosen (and kept with the registration) when absent. */
  readonly redirectPort?: number | undefined;
  /** An HTTPS URL serving our client ID metadata document, used where the server supports those. */
  readonly clientMetadataUrl?: string | undefined;
  /** Open the sign-in page in a browser (else only print it). */
  readonly openBrowser: boolean;
  /** How long a sign-in link stays valid before a new one is made. */
  readonly signInTimeoutMs: number;
}

/** The upstream needs the user to sign in: the message is the one its client sees. */
export class SignInRequiredError extends Error {
  constructor(readonly authorizationUrl: string) {
    super(signInRequiredText(authorizationUrl));
    // The transport reports errors by name (it cannot import this chunk's classes from the core).
    this.name = 'SignInRequiredError';
  }
}

/** A server that keeps refusing for want of scope after the user granted it: not asked again. */
export class StepUpLimitError extends Error {
  override name = 'StepUpLimitError';
}

/** Longer sign-in links are refused: ours are a few hundred characters (PKCE challenge, state, redirect, resource). */
const MAX_AUTHORIZATION_URL_LENGTH = 4096;

/** Sign-ins asked for the same missing scope before giving up (a server that never accepts would loop forever). */
const MAX_STEP_UPS_PER_SCOPE = 2;

/** An authorization server that does not prove to be the one discovery named (RFC 8414 §3.3, RFC 9207). */
export class IssuerMismatchError extends Error {
  override name = 'IssuerMismatchError';
}

interface PendingSignIn {
  readonly url: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly listener: RedirectListener;
}

export interface OAuthProviderOptions {
  readonly server: string;
  readonly serverUrl: string;
  readonly settings: OAuthSettings;
  readonly store: TokenStore;
  readonly log: (line: string) => void;
  /** Under VS Code: the editor opens the sign-in page and shows the state (no browser of ours). */
  readonly signIn?: SignInServices | undefined;
  /** Sign-in completed and tokens are stored: reconnect the server (no gateway restart). */
  readonly onAuthorized: () => void;
  /** The upstream's own fetch (TLS and redirect policies), for the code exchange after sign-in. */
  readonly fetch?: FetchLike | undefined;
}

export class GatewayOAuthProvider implements OAuthClientProvider {
  private discovery: OAuthDiscoveryState | undefined;
  /** The issuer whose record holds this server's grant (known after discovery, or from the store). */
  private issuer: string | undefined;
  private redirectPort: number | undefined;
  private pending: PendingSignIn | undefined;
  private stagedState: string | undefined;
  private stagedVerifier: string | undefined;
  /** Scope the server asked for in a 403 `insufficient_scope` challenge: refreshing cannot grant it. */
  private stepUpScope: string | undefined;
  /** How many times each scope was asked for by an insufficient_scope challenge. */
  private readonly challenges = new Map<string, number>();
  /** Every scope asked for so far, so that re-authorization keeps what was granted (SEP-2350). */
  private readonly requestedScopes = new Set<string>();
  private disposed = false;
  /** Set while completeSignIn exchanges the code. */
  private exchanging = false;
  private readonly refreshesInFlight = new Map<string, Promise<Response>>();
  /** An access token of a VS Code account the user chose for this server: used first, never stored. */
  private sessionToken: OAuthTokens | undefined;
  /** The access token tokens() last handed out: the one the server may have refused. */
  private offeredAccessToken: string | undefined;
  /** The state last reported to the editor, so each change is reported once. */
  private reported: SignInStateParams['state'] | undefined;

  constructor(private readonly options: OAuthProviderOptions) {
    this.redirectPort = options.settings.redirectPort;
    options.signIn?.register(options.server, {
      signOut: () => this.signOut(),
      useSessionToken: (accessToken) => this.useSessionToken(accessToken),
      recordChanged: (issuer) => void this.recordChanged(issuer),
    });
  }

  get redirectUrl(): string {
    // Read by auth() only after clientInformation(), which chooses the port when none is configured.
    return loopbackRedirectUrl(this.redirectPort ?? 0);
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.settings.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const scopes = this.options.settings.scopes;
    // This SDK version's type does not know `application_type` yet; registration sends every field given.
    const metadata: OAuthClientMetadata & { application_type: string } = {
      client_name: 'Gatekit',
      // A loopback redirect makes us a native application (SEP-837; OpenID Dynamic Registration).
      application_type: 'native',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.options.settings.clientSecret ? 'client_secret_basic' : 'none',
      ...(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
    return metadata;
  }

  state(): string {
    this.stagedState = randomBytes(24).toString('base64url');
    return this.stagedState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { clientId, clientSecret } = this.options.settings;
    const issuer = this.discovery?.authorizationServerUrl ?? this.issuer;
    const clients = issuer === undefined ? {} : (await this.options.store.read(issuer)).clients;
    if (this.redirectPort === undefined) {
      // A dynamic registration names its redirect URI: reuse the port of one made earlier, unless
      // another gateway (the same user's, sharing the store) is waiting on it: then register anew.
      let earlier: number | undefined;
      for (const port of Object.keys(clients).map(portOfLoopbackRedirect)) {
        if (port !== undefined && (await loopbackPortIsFree(port))) {
          earlier = port;
          break;
        }
      }
      this.redirectPort = earlier ?? (await freeLoopbackPort());
    }
    if (clientId) return clientSecret ? { client_id: clientId, client_secret: clientSecret } : { client_id: clientId };
    return clients[this.redirectUrl];
  }

  async saveClientInformation(information: OAuthClientInformationMixed): Promise<void> {
    if (this.options.settings.clientId) return; // configured, not ours to store
    const issuer = information.issuer ?? this.discovery?.authorizationServerUrl;
    if (issuer === undefined) return;
    await this.options.store.update(issuer, (record) => (record.clients[this.redirectUrl] = information));
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    if (this.sessionToken) return this.sessionToken;
    const tokens = await this.findGrant();
    this.offeredAccessToken = tokens?.access_token;
    if (tokens && this.pending === undefined) this.report('signed-in');
    // A refresh keeps the scope it was granted: dropping the refresh token makes auth() authorize anew.
    if (tokens && this.stepUpScope !== undefined) {
      const { refresh_token: _dropped, ...rest } = tokens;
      return rest;
    }
    return tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const issuer = tokens.issuer ?? this.discovery?.authorizationServerUrl;
    if (issuer === undefined) throw new Error('OAuth tokens without an issuer cannot be stored');
    this.issuer = issuer;
    this.stepUpScope = undefined;
    this.sessionToken = undefined;
    for (const scope of (tokens.scope ?? '').split(' ')) if (scope) this.requestedScopes.add(scope);
    await this.options.store.update(issuer, (record) => (record.grants[this.options.serverUrl] = tokens));
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.stagedVerifier = codeVerifier;
  }

  codeVerifier(): string {
    const verifier = this.pending?.codeVerifier;
    if (verifier === undefined) throw new Error('no sign-in is under way');
    return verifier;
  }

  /** RFC 8414 §3.3: the metadata must name the issuer it was fetched for, or it is someone else's. */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    const metadata = state.authorizationServerMetadata;
    const expected = state.authorizationServerUrl;
    if (metadata && !(metadata.issuer === expected || (expected.endsWith('/') && metadata.issuer === expected.slice(0, -1)))) {
      throw new IssuerMismatchError(`the authorization server metadata of ${expected} names another issuer (${String(metadata.issuer).slice(0, 200)}): refused`);
    }
    this.discovery = state;
    this.issuer = state.authorizationServerUrl;
  }

  /**
   * Only the code exchange reuses the discovery that started its sign-in (the resource metadata URL
   * may have come from a 401's header). Every other auth() discovers afresh: a server that moved to
   * another authorization server is then registered with anew (SEP-2352), not asked with old tokens.
   */
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.exchanging ? this.discovery : undefined;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const issuer = this.discovery?.authorizationServerUrl ?? this.issuer;
    if (scope === 'all' || scope === 'tokens') this.sessionToken = undefined;
    if ((scope === 'all' || scope === 'client' || scope === 'tokens') && issuer !== undefined) {
      await this.options.store.update(issuer, (record) => {
        if (scope !== 'client') delete record.grants[this.options.serverUrl];
        if (scope !== 'tokens') delete record.clients[this.redirectUrl];
      });
    }
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }

  /**
   * Starts (or repeats) the sign-in and throws {@link SignInRequiredError}: auth() then rejects with
   * it, so the connection attempt fails with the URL and the client's calls get it as their error.
   */
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    // A token of a VS Code account that the server refuses is not offered again.
    this.sessionToken = undefined;
    if (this.pending) {
      // A link already shown stays the one to open: a second one would make the first fail.
      this.stagedVerifier = undefined;
      throw new SignInRequiredError(this.pending.url);
    }
    checkAuthorizationEndpoint(authorizationUrl);
    const challenged = this.stepUpScope === undefined ? 0 : (this.challenges.get(this.stepUpScope) ?? 0);
    if (challenged > MAX_STEP_UPS_PER_SCOPE) {
      throw new StepUpLimitError(`the server still refuses for want of scope '${this.stepUpScope!.slice(0, 100)}' after ${MAX_STEP_UPS_PER_SCOPE} sign-ins granting it: not asking again`);
    }
    const state = this.stagedState;
    const codeVerifier = this.stagedVerifier;
    if (state === undefined || codeVerifier === undefined || authorizationUrl.searchParams.get('state') !== state) {
      throw new Error('the sign-in could not be prepared (state or PKCE verifier missing)');
    }
    this.widenScope(authorizationUrl);
    const url = authorizationUrl.href;
    let listener: RedirectListener;
    const port = this.redirectPort ?? 0;
    try {
      listener = await listenForRedirect(port, state, this.options.settings.signInTimeoutMs);
    } catch (err) {
      // Taken meanwhile (another gateway's sign-in): the next attempt chooses a port anew, unless one is configured.
      if (this.options.settings.redirectPort === undefined) this.redirectPort = undefined;
      const detail = `cannot listen for the sign-in redirect on 127.0.0.1:${port}: ${(err as NodeJS.ErrnoException).code ?? describe(err)}`;
      this.report('failed', { detail });
      throw new Error(detail, { cause: err });
    }
    this.pending = { url, state, codeVerifier, listener };
    this.options.log(`[${this.options.server}] sign in: open ${url}`);
    // Under VS Code the editor offers the page (and opens it with its own openExternal).
    if (this.options.signIn) this.report('needs-sign-in', { authorizationUrl: url, scope: authorizationUrl.searchParams.get('scope') ?? undefined });
    else if (this.options.settings.openBrowser) void openInBrowser(url);
    void this.completeSignIn(this.pending);
    throw new SignInRequiredError(url);
  }

  /**
   * A fetch that notices 403 `insufficient_scope` challenges (the SDK's transport then calls auth(),
   * which would only refresh the token at its old scope), so the next authorization asks for more.
   */
  observeChallenges(fetch: FetchLike): FetchLike {
    return async (url, init) => {
      const refresh = refreshRequestKey(url, init);
      if (refresh !== undefined) return this.refreshOnce(refresh, () => fetch(url, init));
      const response = await fetch(url, init);
      if (response.status === 403) {
        const challenge = response.headers.get('www-authenticate') ?? '';
        if (/error\s*=\s*"?insufficient_scope"?/i.test(challenge)) {
          const scope = /scope\s*=\s*"([^"]*)"/i.exec(challenge)?.[1] ?? '';
          this.stepUpScope = scope;
          this.challenges.set(scope, (this.challenges.get(scope) ?? 0) + 1);
        }
      }
      return response;
    };
  }

  /**
   * A POST request and a GET stream that both meet an expired token both call auth(), which both
   * present the same refresh token; an authorization server that rotates refresh tokens answers
   * the second `invalid_grant`, and the SDK would then throw the new tokens away and ask the user to
   * sign in again. Identical refresh requests in flight share one answer instead.
   */
  private refreshOnce(key: string, send: () => Promise<Response>): Promise<Response> {
    let shared = this.refreshesInFlight.get(key);
    if (!shared) {
      shared = send().finally(() => this.refreshesInFlight.delete(key));
      this.refreshesInFlight.set(key, shared);
    }
    return shared.then((response) => response.clone());
  }

  /** Whether a sign-in link is waiting for the user. */
  get signInPending(): boolean {
    return this.pending !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.pending?.listener.close();
    this.pending = undefined;
  }

  private async completeSignIn(pending: PendingSignIn): Promise<void> {
    try {
      const { code, iss } = await pending.listener.response;
      this.checkResponseIssuer(iss);
      this.exchanging = true;
      await auth(this, {
        serverUrl: this.options.serverUrl,
        authorizationCode: code,
        ...(this.discovery?.resourceMetadataUrl ? { resourceMetadataUrl: new URL(this.discovery.resourceMetadataUrl) } : {}),
        ...(this.options.fetch ? { fetchFn: this.options.fetch } : {}),
      });
      this.exchanging = false;
      if (this.pending !== pending) return;
      this.pending = undefined;
      if (this.disposed) return;
      this.options.log(`[${this.options.server}] signed in; connecting`);
      this.report('signed-in');
      this.options.onAuthorized();
    } catch (err) {
      this.exchanging = false;
      // A sign-in ended on purpose (signed in elsewhere, a VS Code account chosen, disposed) is no failure.
      const current = this.pending === pending;
      if (current) this.pending = undefined;
      if (!this.disposed && current) {
        this.options.log(`[${this.options.server}] sign-in failed: ${describe(err)}`);
        this.report('failed', { detail: describe(err) });
      }
    }
  }

  /** Sign out (asked by the editor): the grant is deleted from the store, and the reconnect asks for a new sign-in. */
  private async signOut(): Promise<void> {
    this.sessionToken = undefined;
    this.stepUpScope = undefined;
    await this.findGrant();
    const issuer = this.issuer;
    if (issuer !== undefined) await this.options.store.update(issuer, (record) => delete record.grants[this.options.serverUrl]);
    this.options.log(`[${this.options.server}] signed out; reconnecting`);
    this.reported = undefined;
    this.options.onAuthorized();
  }

  /**
   * Another gateway of the same VS Code window completed a sign-in this one waits for too (each shows
   * its own link; the user opens one): tokens it had not offered before end the wait here as well.
   */
  private async recordChanged(issuer: string): Promise<void> {
    const pending = this.pending;
    if (!pending || issuer !== (this.discovery?.authorizationServerUrl ?? this.issuer)) return;
    const grant = await this.findGrant().catch(() => undefined);
    if (!grant || grant.access_token === this.offeredAccessToken || this.pending !== pending || this.stepUpScope !== undefined) return;
    pending.listener.close();
    this.pending = undefined;
    this.options.log(`[${this.options.server}] signed in elsewhere in this VS Code window; connecting`);
    this.report('signed-in');
    this.options.onAuthorized();
  }

  private useSessionToken(accessToken: string): void {
    this.sessionToken = { access_token: accessToken, token_type: 'Bearer' };
    this.pending?.listener.close();
    this.pending = undefined;
    this.options.log(`[${this.options.server}] using the VS Code account chosen for it; connecting`);
    this.report('signed-in');
    this.options.onAuthorized();
  }

  /** Tells the editor (when there is one) about a change of state: never a token, only the link and our words. */
  private report(state: SignInStateParams['state'], extra: Pick<SignInStateParams, 'authorizationUrl' | 'scope' | 'detail'> = {}): void {
    const services = this.options.signIn;
    if (!services || (state === this.reported && state !== 'needs-sign-in')) return;
    this.reported = state;
    const issuer = this.discovery?.authorizationServerUrl ?? this.issuer;
    services.report({ server: this.options.server, serverUrl: this.options.serverUrl, state, ...(issuer ? { issuer } : {}), ...dropUndefined(extra) });
  }

  /** RFC 9207 §2.4 with the MCP decision table: a present `iss` must equal the issuer; an advertised one must be present. */
  private checkResponseIssuer(iss: string | undefined): void {
    const metadata = this.discovery?.authorizationServerMetadata;
    const expected = metadata?.issuer;
    if (expected === undefined) return;
    const advertised = (metadata as { authorization_response_iss_parameter_supported?: unknown }).authorization_response_iss_parameter_supported === true;
    if (iss === undefined) {
      if (advertised) throw new IssuerMismatchError(`the authorization response carries no 'iss' although ${expected} announces it (RFC 9207): refused`);
      return;
    }
    if (iss !== expected) throw new IssuerMismatchError(`the authorization response came from another issuer than ${expected} (RFC 9207 'iss' mismatch): refused`);
  }

  /** Re-authorization asks for what was asked before plus what is asked now (SEP-2350). */
  private widenScope(authorizationUrl: URL): void {
    const asked = (authorizationUrl.searchParams.get('scope') ?? '').split(' ').filter(Boolean);
    if (asked.length === 0) return;
    for (const scope of asked) this.requestedScopes.add(scope);
    authorizationUrl.searchParams.set('scope', [...this.requestedScopes].join(' '));
  }

  private async findGrant(): Promise<OAuthTokens | undefined> {
    const serverUrl = this.options.serverUrl;
    if (this.issuer !== undefined) return (await this.options.store.read(this.issuer)).grants[serverUrl];
    for (const [issuer, record] of await this.options.store.all()) {
      const grant = record.grants[serverUrl];
      if (grant) {
        this.issuer = issuer;
        return grant;
      }
    }
    return undefined;
  }
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The authorization endpoint comes from a server's metadata: only a web page may be opened. */
function checkAuthorizationEndpoint(url: URL): void {
  // The link reaches the client (and the model) in error messages: a server must not fill it with text of its choosing.
  if (url.href.length > MAX_AUTHORIZATION_URL_LENGTH) throw new Error(`the authorization server's sign-in link is longer than ${MAX_AUTHORIZATION_URL_LENGTH} characters: refused`);
  if (url.username || url.password) throw new Error("the authorization server's sign-in link carries credentials: refused");
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return;
  throw new Error(`the authorization server's sign-in page is not an https URL (${url.protocol}//${url.host}): refused`);
}

/** For a token request that refreshes: its URL and body (the same refresh token gives the same key); else undefined. */
function refreshRequestKey(url: string | URL, init: RequestInit | undefined): string | undefined {
  if (init?.method !== 'POST') return undefined;
  const body = init.body instanceof URLSearchParams ? init.body.toString() : typeof init.body === 'string' ? init.body : undefined;
  if (body === undefined || new URLSearchParams(body).get('grant_type') !== 'refresh_token') return undefined;
  return `${String(url)}\n${body}`;
}

function portOfLoopbackRedirect(redirectUri: string): number | undefined {
  const match = /^http:\/\/127\.0\.0\.1:(\d{1,5})\/callback$/.exec(redirectUri);
  const port = match ? Number(match[1]) : NaN;
  return port > 0 && port < 65536 ? port : undefined;
}

/** Our words only: SDK errors quote response bodies, which may carry anything (never a token of ours). */
function describe(err: unknown): string {
  if (err instanceof IssuerMismatchError || err instanceof SignInRequiredError || err instanceof StepUpLimitError) return err.message;
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
