// Signing in to remote servers, the VS Code way: the gateways report each OAuth server's sign-in
// state over the control link; this shows it (Servers view), asks the user with a notification
// when a server needs sign-in, opens the page with `vscode.env.openExternal` (the gateway's loopback
// listener takes the redirect), offers VS Code's own GitHub / Microsoft account where the
// authorization server is theirs, and signs out (the gateways delete the tokens and reconnect).
import * as vscode from 'vscode';
import type { SignInStateParams } from '../../shared/protocol';
import type { ControlServer, GatewaySession } from '../control-server';
import { accountProviderFor, openableSignInUrl, requestedScopes, type AccountProvider } from './vscode-accounts';

export const SIGN_IN_COMMAND = 'gatekit.signIn';
export const SIGN_OUT_COMMAND = 'gatekit.signOut';

export interface SignInControllerOptions {
  readonly controlServer: ControlServer;
  readonly log: vscode.LogOutputChannel;
  /** Something changed that the Servers view shows. */
  readonly changed: () => void;
  /** Configured server names (for the command palette's pick). */
  readonly serverNames: () => readonly string[];
}

/** What a command gets from the Servers view (its node), the palette (nothing) or a test (a name). */
type ServerArgument = { kind?: string; name?: unknown } | string | undefined;

export class SignInController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Servers whose next sign-in link is opened at once: the user asked for it (Sign in on a failed server). */
  private readonly openNextLink = new Set<string>();
  /** Links the user was already asked about, so several gateways (and repeats) ask once. */
  private readonly asked = new Set<string>();
  /** The VS Code account the user chose for a server in this window: later gateways use it silently. */
  private readonly accountChoice = new Map<string, AccountProvider>();

  constructor(private readonly options: SignInControllerOptions) {
    const { controlServer } = options;
    this.disposables.push(
      controlServer.onSignInState(({ session, params }) => void this.stateReported(session, params)),
      controlServer.onDidDisconnect(() => options.changed()),
      vscode.commands.registerCommand(SIGN_IN_COMMAND, (arg: ServerArgument) => this.signIn(arg)),
      vscode.commands.registerCommand(SIGN_OUT_COMMAND, (arg: ServerArgument) => this.signOut(arg)),
    );
  }

  /** The sign-in state the views show for `server`: the latest any connected gateway reported. */
  stateOf(server: string): SignInStateParams | undefined {
    let latest: SignInStateParams | undefined;
    // Sessions are oldest first; the newest gateway's word wins, but a signed-in one outranks one still waiting.
    for (const session of this.options.controlServer.sessions()) {
      const state = session.signIns.get(server);
      if (state && !(latest?.state === 'signed-in' && state.state !== 'signed-in')) latest = state;
    }
    return latest;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private async stateReported(session: GatewaySession, params: SignInStateParams): Promise<void> {
    this.options.changed();
    this.options.log.info(`[${params.server}] sign-in: ${params.state}${params.detail ? ` (${params.detail})` : ''} (gateway pid ${session.identity.pid})`);
    if (params.state === 'signed-in') {
      this.openNextLink.delete(params.server);
      return;
    }
    if (params.state !== 'needs-sign-in') return;
    const account = accountProviderFor(params.issuer);
    const chosen = this.accountChoice.get(params.server);
    if (account && chosen?.id === account.id && (await this.useAccount(params, account, false))) return;
    if (this.openNextLink.delete(params.server)) {
      await this.open(params);
      return;
    }
    const key = `${params.server}\n${params.authorizationUrl ?? ''}`;
    // One question per server at a time: another gateway's link for the same server is the same sign-in.
    if ([...this.asked].some((k) => k.startsWith(`${params.server}\n`)) || this.stateOf(params.server)?.state === 'signed-in') return;
    this.asked.add(key);
    try {
      await this.ask(params, account);
    } finally {
      this.asked.delete(key);
    }
  }

  private async ask(params: SignInStateParams, account: AccountProvider | undefined): Promise<void> {
    const signIn = 'Sign in';
    const withAccount = account ? `Use my ${account.label} account` : undefined;
    const where = hostOf(params.issuer) ?? hostOf(params.serverUrl) ?? 'its authorization server';
    const choice = await vscode.window.showInformationMessage(
      `Gatekit: the server '${params.server}' needs you to sign in (at ${where}). Its tools are unavailable until then.`,
      signIn,
      ...(withAccount ? [withAccount] : []),
    );
    if (choice === signIn) await this.open(this.stateOf(params.server) ?? params);
    else if (account && choice === withAccount) await this.useAccount(params, account, true);
  }

  /** Opens the gateway's current sign-in page in the user's browser (VS Code's openExternal). */
  private async open(params: SignInStateParams): Promise<void> {
    const url = params.state === 'needs-sign-in' ? openableSignInUrl(params.authorizationUrl) : undefined;
    if (!url) {
      // No link waiting (a failed sign-in, or signed out meanwhile): reconnect, and open the link it brings.
      this.openNextLink.add(params.server);
      await this.options.controlServer.restartUpstreams([params.server]);
      return;
    }
    // As text, not a vscode.Uri: a Uri re-encodes the query (an encoded redirect_uri or resource
    // would reach the authorization server changed); the extension host opens a string as given
    // (microsoft/vscode#173239, #85930).
    const opened = await vscode.env.openExternal(url.href as unknown as vscode.Uri);
    if (!opened) this.options.log.warn(`[${params.server}] the sign-in page could not be opened; open it yourself: ${url.href}`);
  }

  /**
   * Hands the access token of the user's VS Code account to the gateways (memory only there). With
   * `interactive` false only a session VS Code already has is used; creating one needs the user's choice.
   */
  private async useAccount(params: SignInStateParams, account: AccountProvider, interactive: boolean): Promise<boolean> {
    let session: vscode.AuthenticationSession | undefined;
    try {
      session = await vscode.authentication.getSession(account.id, requestedScopes(params.scope), interactive ? { createIfNone: true } : { silent: true });
    } catch (error) {
      this.options.log.warn(`[${params.server}] no ${account.label} account: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    if (!session) return false;
    this.accountChoice.set(params.server, account);
    const results = await this.options.controlServer.useSessionToken(params.server, session.accessToken);
    const used = results.some((r) => r.result?.used === true);
    this.options.log.info(`[${params.server}] ${used ? 'using' : 'could not use'} the ${account.label} account ${session.account.label}`);
    return used;
  }

  private async signIn(arg: ServerArgument): Promise<void> {
    const server = await this.serverOf(arg, 'Sign in to which server?');
    if (server === undefined) return;
    const state = this.stateOf(server);
    if (state?.state === 'signed-in') {
      void vscode.window.showInformationMessage(`Gatekit: '${server}' is signed in already.`);
      return;
    }
    const account = accountProviderFor(state?.issuer);
    if (state && account) {
      const browser = 'Sign in in the browser';
      const withAccount = `Use my ${account.label} account`;
      const choice = await vscode.window.showQuickPick([browser, withAccount], { title: `Sign in to '${server}'` });
      if (choice === withAccount) {
        await this.useAccount(state, account, true);
        return;
      }
      if (choice === undefined) return;
    }
    await this.open(state ?? { server, serverUrl: '', state: 'failed' });
  }

  private async signOut(arg: ServerArgument): Promise<void> {
    const server = await this.serverOf(arg, 'Sign out of which server?');
    if (server === undefined) return;
    this.accountChoice.delete(server);
    const results = await this.options.controlServer.signOut(server);
    let done = results.some((r) => r.result?.signedOut === true);
    // No gateway to do it (none running): the tokens are deleted here.
    const serverUrl = this.stateOf(server)?.serverUrl;
    const vault = this.options.controlServer.oauthVault;
    if (!done && serverUrl && vault) done = (await vault.forgetServer(serverUrl)).length > 0;
    for (const failure of results.filter((r) => r.error !== undefined)) this.options.log.warn(`[${server}] sign out in gateway pid ${failure.session.identity.pid}: ${failure.error}`);
    void vscode.window.showInformationMessage(done ? `Gatekit: signed out of '${server}'.` : `Gatekit: '${server}' holds no sign-in.`);
    this.options.changed();
  }

  private async serverOf(arg: ServerArgument, title: string): Promise<string | undefined> {
    if (typeof arg === 'string') return arg;
    if (arg && typeof arg.name === 'string') return arg.name;
    const remote = this.options.serverNames().filter((name) => this.stateOf(name) !== undefined);
    return vscode.window.showQuickPick(remote.length > 0 ? remote : [...this.options.serverNames()], { title });
  }
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
}
