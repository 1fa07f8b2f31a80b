// Sign-in services of a gateway the VS Code extension started (src/gateway/auth/sign-in-services.ts):
// the issuers' records are read from and written to the extension's SecretStorage over the control
// link (never the token file, never the environment), sign-in states go to the extension, which opens
// the page and shows them, and its Sign out / "use my VS Code account" requests reach the upstream's
// OAuth client. Requests made before the link is up wait for it: the tokens are only there.
import type { MessageConnection } from 'vscode-jsonrpc/node';
import {
  ControlEnv,
  ListOAuthIssuersRequest,
  OAuthRecordChangedNotification,
  ReadOAuthRecordRequest,
  SignInStateNotification,
  SignOutRequest,
  UseSessionTokenRequest,
  WriteOAuthRecordRequest,
  type SignInStateParams,
} from '../../shared/protocol';
import type { SignInHandle, SignInServices } from '../auth/sign-in-services';
import { emptyIssuerRecord, issuerRecordFrom, type IssuerRecord, type TokenStore } from '../auth/token-store';
import type { ControlLink } from './link';

/** How long a token read waits for the link to the extension to come up (it normally takes milliseconds). */
const LINK_WAIT_MS = 10_000;
/** A VS Code account's access token is a few kilobytes at most (a Microsoft JWT); anything beyond is refused. */
const MAX_SESSION_TOKEN_CHARS = 16 * 1024;

/** The link-backed services when the extension started this gateway (socket and token in the environment); else undefined. */
export function extensionSignIn(env: Readonly<Record<string, string | undefined>> = process.env): ExtensionSignIn | undefined {
  if ((env[ControlEnv.mode] ?? '').toLowerCase() === 'off') return undefined;
  return env[ControlEnv.socket] && env[ControlEnv.token] ? new ExtensionSignIn() : undefined;
}

export class ExtensionSignIn implements SignInServices, TokenStore {
  readonly tokenStore: TokenStore = this;
  private link: ControlLink | undefined;
  private readonly attached: Promise<ControlLink>;
  private resolveAttached!: (link: ControlLink) => void;
  /** Records read from the extension, until it says one changed (or the link is new). */
  private readonly cache = new Map<string, IssuerRecord>();
  /** Updates one at a time: each reads, changes and writes a whole record. */
  private updates: Promise<unknown> = Promise.resolve();
  private readonly states = new Map<string, SignInStateParams>();
  private readonly handles = new Map<string, SignInHandle>();

  constructor() {
    this.attached = new Promise((resolve) => (this.resolveAttached = resolve));
  }

  /** Connects the services to the gateway's control link (made after the gateway, which needs the services). */
  attach(link: ControlLink): void {
    this.link = link;
    link.addHandlers((connection) => this.install(connection));
    this.resolveAttached(link);
  }

  // ------------------------------------------------------------------ TokenStore

  async read(issuer: string): Promise<IssuerRecord> {
    const cached = this.cache.get(issuer);
    if (cached) return copy(cached);
    const link = await this.linkWithin();
    const { record } = await link.request(ReadOAuthRecordRequest.type, { issuer }, LINK_WAIT_MS);
    const parsed = issuerRecordFrom(record);
    this.cache.set(issuer, parsed);
    return copy(parsed);
  }

  async all(): Promise<ReadonlyArray<[string, IssuerRecord]>> {
    const link = await this.linkWithin();
    const { issuers } = await link.request(ListOAuthIssuersRequest.type, {}, LINK_WAIT_MS);
    const names = Array.isArray(issuers) ? issuers.filter((issuer): issuer is string => typeof issuer === 'string') : [];
    const records: [string, IssuerRecord][] = [];
    for (const issuer of names) records.push([issuer, await this.read(issuer)]);
    return records;
  }

  update(issuer: string, change: (record: IssuerRecord) => void): Promise<void> {
    const run = async (): Promise<void> => {
      this.cache.delete(issuer);
      const record = await this.read(issuer);
      change(record);
      const link = await this.linkWithin();
      await link.request(WriteOAuthRecordRequest.type, { issuer, record }, LINK_WAIT_MS);
      this.cache.set(issuer, record);
    };
    const result = this.updates.then(run, run);
    this.updates = result.catch(() => undefined);
    return result;
  }

  // ------------------------------------------------------------------ SignInServices

  report(params: SignInStateParams): void {
    this.states.set(params.server, params);
    this.link?.notify(SignInStateNotification.method, params);
  }

  register(server: string, handle: SignInHandle): void {
    this.handles.set(server, handle);
  }

  private install(connection: MessageConnection): void {
    // A new connection may be another extension host (its own SecretStorage): nothing read before holds.
    this.cache.clear();
    connection.onNotification(OAuthRecordChangedNotification.type, (params) => {
      if (typeof params?.issuer !== 'string') return;
      this.cache.delete(params.issuer);
      for (const handle of this.handles.values()) handle.recordChanged(params.issuer);
    });
    connection.onRequest(SignOutRequest.type, async (params) => {
      const handle = typeof params?.server === 'string' ? this.handles.get(params.server) : undefined;
      if (!handle) return { signedOut: false };
      await handle.signOut();
      return { signedOut: true };
    });
    connection.onRequest(UseSessionTokenRequest.type, (params) => {
      const handle = typeof params?.server === 'string' ? this.handles.get(params.server) : undefined;
      const token = params?.accessToken;
      if (!handle || typeof token !== 'string' || token === '' || token.length > MAX_SESSION_TOKEN_CHARS || /[\s\u0000-\u001f]/.test(token)) return { used: false };
      handle.useSessionToken(token);
      return { used: true };
    });
    for (const state of this.states.values()) void connection.sendNotification(SignInStateNotification.type, state).catch(() => undefined);
  }

  private async linkWithin(): Promise<ControlLink> {
    if (this.link) return this.link;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the control link to the VS Code extension was never started')), LINK_WAIT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([this.attached, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A record handed out is the caller's to change: the cache keeps its own. */
function copy(record: IssuerRecord): IssuerRecord {
  const out = emptyIssuerRecord();
  Object.assign(out.clients, record.clients);
  Object.assign(out.grants, record.grants);
  return out;
}
