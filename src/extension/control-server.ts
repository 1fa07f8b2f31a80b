// The extension host's side of the control link: a private local socket (named pipe on Windows) that
// gateways connect to, token-authenticated, one typed vscode-jsonrpc connection per gateway.
// Plain Node (no 'vscode'), so it is tested without an editor.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CancellationTokenSource,
  createMessageConnection,
  Emitter,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
  Trace,
  type CancellationToken,
  type Disposable,
  type Event,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import {
  ApplyConfigRequest,
  ApproveToolChangesRequest,
  AskApprovalRequest,
  CONTROL_PROTOCOL_VERSION,
  ControlErrorCode,
  HelloRequest,
  LogNotification,
  RestartUpstreamsRequest,
  ServerStatusNotification,
  ToolInventoryNotification,
  TrafficNotification,
  type ApplyConfigParams,
  type ApplyConfigResult,
  type ApproveToolChangesParams,
  type ApproveToolChangesResult,
  type AskApprovalParams,
  type AskApprovalResult,
  type DiscoveryRecord,
  type GatewayIdentity,
  type LogParams,
  type ServerStatus,
  type ToolInventoryEntry,
  type TrafficParams,
  ListOAuthIssuersRequest,
  OAuthRecordChangedNotification,
  ReadOAuthRecordRequest,
  SignInStateNotification,
  SignOutRequest,
  UseSessionTokenRequest,
  WriteOAuthRecordRequest,
  type SignInStateParams,
} from '../shared/protocol';
import type { OAuthVault } from './auth/oauth-vault';

/** A gateway that completed the hello handshake. */
export interface GatewaySession {
  readonly identity: GatewayIdentity;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  /** Latest full status list the gateway reported. */
  servers: ServerStatus[];
  /** Latest tool inventory per server. */
  readonly inventories: Map<string, ToolInventoryEntry[]>;
  /** Latest sign-in state per remote server that signs in with OAuth. */
  readonly signIns: Map<string, SignInStateParams>;
}

/** Trace levels of the `gatekit.trace` setting. */
export type TraceSetting = 'off' | 'messages' | 'verbose';

export interface ControlServerOptions {
  extensionVersion: string;
  /** Largest body (JSON text length) a gateway should send per traffic event. */
  maxBodyChars: number;
  /** Diagnostics for the log channel. */
  log(level: LogParams['level'], message: string): void;
  /** Where the Unix socket's private folder is created (default: the OS temp folder). */
  socketParentDir?: string;
  /** Where gateways started by this extension keep their OAuth tokens (SecretStorage); without it their requests fail. */
  oauthVault?: OAuthVault;
}

/** The outcome of a request sent to every connected gateway. */
export interface BroadcastResult<R> {
  session: GatewaySession;
  result?: R;
  error?: string;
}

const HELLO_DEADLINE_MS = 10_000;
/** A gateway that does not answer a request by then is reported as not answering (it may be busy or stuck). */
const REQUEST_DEADLINE_MS = 15_000;
/** Unix socket paths are limited to about 104 bytes (macOS) / 108 (Linux). */
const MAX_UNIX_SOCKET_PATH = 103;

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function tokensEqual(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Peer {
  connection: MessageConnection;
  socket: net.Socket;
  session?: GatewaySession;
  /** Questions of this gateway being asked now: withdrawn when it goes away. */
  readonly questions: Set<CancellationTokenSource>;
}

/**
 * Answers a gateway's question whether a tool call may run. `token` is cancelled when the gateway
 * withdraws it (the call was cancelled or timed out) or goes away; the answer is then ignored.
 */
export type ApprovalHandler = (question: AskApprovalParams, session: GatewaySession, token: CancellationToken) => Promise<AskApprovalResult>;

/** Limits on what a gateway's question may carry, checked before anyone sees it. */
const MAX_QUESTION_NAME_CHARS = 512;
const MAX_QUESTION_REASON_CHARS = 2000;
const MAX_QUESTION_TIMEOUT_MS = 86_400_000;

/** The question if it has the documented shape (strings cut to size), else undefined. */
export function validQuestion(params: unknown): AskApprovalParams | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const p = params as Record<string, unknown>;
  if (typeof p.server !== 'string' || typeof p.tool !== 'string' || typeof p.reason !== 'string' || typeof p.timeoutMs !== 'number' || !(p.timeoutMs > 0)) return undefined;
  const question: AskApprovalParams = {
    server: p.server.slice(0, MAX_QUESTION_NAME_CHARS),
    tool: p.tool.slice(0, MAX_QUESTION_NAME_CHARS),
    reason: p.reason.slice(0, MAX_QUESTION_REASON_CHARS),
    timeoutMs: Math.min(p.timeoutMs, MAX_QUESTION_TIMEOUT_MS),
    offerSession: p.offerSession === true,
  };
  if (Object.hasOwn(p, 'arguments')) question.arguments = p.arguments;
  if (typeof p.argumentsOmitted === 'number') question.argumentsOmitted = p.argumentsOmitted;
  return question;
}

/**
 * Listens for gateways. Created with {@link ControlServer.listen}; `dispose` closes every
 * connection, removes the socket and the discovery file.
 */
export class ControlServer {
  readonly token = newToken();
  private readonly peers = new Set<Peer>();
  private trace: TraceSetting = 'off';
  private approvalHandler: ApprovalHandler | undefined;
  private discoveryFile: string | undefined;
  private disposed = false;

  private readonly connectEmitter = new Emitter<GatewaySession>();
  private readonly disconnectEmitter = new Emitter<GatewaySession>();
  private readonly trafficEmitter = new Emitter<{ session: GatewaySession; params: TrafficParams }>();
  private readonly statusEmitter = new Emitter<GatewaySession>();
  private readonly inventoryEmitter = new Emitter<{ session: GatewaySession; server: string }>();

  /** A gateway completed its hello. */
  readonly onDidConnect: Event<GatewaySession> = this.connectEmitter.event;
  /** A connected gateway went away (exited, or the link broke). */
  readonly onDidDisconnect: Event<GatewaySession> = this.disconnectEmitter.event;
  /** A batch of traffic events arrived. */
  readonly onTraffic: Event<{ session: GatewaySession; params: TrafficParams }> = this.trafficEmitter.event;
  /** A gateway reported a new status list (already stored in `session.servers`). */
  readonly onServerStatus: Event<GatewaySession> = this.statusEmitter.event;
  /** A gateway reported a server's sign-in state (already stored in `session.signIns`). */
  readonly onSignInState: Event<{ session: GatewaySession; params: SignInStateParams }>;
  private readonly signInEmitter = new Emitter<{ session: GatewaySession; params: SignInStateParams }>();
  /** A gateway reported one server's tools (already stored in `session.inventories`). */
  readonly onToolInventory: Event<{ session: GatewaySession; server: string }> = this.inventoryEmitter.event;

  private constructor(
    private readonly server: net.Server,
    /** Socket path or named pipe gateways connect to. */
    readonly socketPath: string,
    private readonly socketDir: string | undefined,
    private readonly options: ControlServerOptions,
  ) {
    this.onSignInState = this.signInEmitter.event;
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (error) => options.log('error', `control server: ${error.message}`));
  }

  /** Creates the private socket and starts accepting gateways. */
  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    let socketPath: string;
    let socketDir: string | undefined;
    if (process.platform === 'win32') {
      socketPath = `\\\\.\\pipe\\gatekit-${randomBytes(12).toString('hex')}`;
    } else {
      // mkdtemp creates the folder 0700: only this user can reach the socket inside it.
      socketDir = mkdtempSync(path.join(options.socketParentDir ?? os.tmpdir(), 'gatekit-'));
      socketPath = path.join(socketDir, 'control.sock');
      if (Buffer.byteLength(socketPath) > MAX_UNIX_SOCKET_PATH) {
        rmSync(socketDir, { recursive: true, force: true });
        socketDir = mkdtempSync(path.join('/tmp', 'gatekit-'));
        socketPath = path.join(socketDir, 'control.sock');
      }
    }
    const server = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
      if (socketDir !== undefined) chmodSync(socketPath, 0o600);
    } catch (error) {
      server.close();
      if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
      throw error;
    }
    return new ControlServer(server, socketPath, socketDir, options);
  }

  /** Where gateways started by this extension keep their OAuth tokens, if it keeps them. */
  get oauthVault(): OAuthVault | undefined {
    return this.options.oauthVault;
  }

  /** Gateways currently connected and authenticated, oldest first. */
  sessions(): GatewaySession[] {
    const sessions: GatewaySession[] = [];
    for (const peer of this.peers) if (peer.session) sessions.push(peer.session);
    return sessions;
  }

  /** Environment for a gateway this extension starts, so it connects back here. */
  gatewayEnvironment(): Record<string, string> {
    const env: Record<string, string> = { GATEKIT_CONTROL_SOCKET: this.socketPath, GATEKIT_CONTROL_TOKEN: this.token };
    if (this.discoveryFile !== undefined) env.GATEKIT_CONTROL_DIR = path.dirname(this.discoveryFile);
    return env;
  }

  /**
   * Writes `<dir>/<pid>.json` (0600, folder 0700) so gateways started outside VS Code find this
   * window. Replaced atomically; removed on dispose.
   */
  writeDiscoveryFile(dir: string, workspaceFolders: readonly string[]): string {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') chmodSync(dir, 0o700);
    const record: DiscoveryRecord = {
      protocolVersion: CONTROL_PROTOCOL_VERSION,
      pid: process.pid,
      socket: this.socketPath,
      token: this.token,
      workspaceFolders: [...workspaceFolders],
      startedAt: Date.now(),
    };
    const file = path.join(dir, `${process.pid}.json`);
    const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, JSON.stringify(record), { mode: 0o600 });
    renameSync(temporary, file);
    this.discoveryFile = file;
    return file;
  }

  /** Applies `gatekit.trace` to every current and future connection. */
  setTrace(trace: TraceSetting): void {
    this.trace = trace;
    for (const peer of this.peers) this.applyTrace(peer);
  }

  /** Who answers gateways' questions about tool calls (the approval prompt); while none is set, every call asked about is denied. */
  onApprovalRequest(handler: ApprovalHandler): Disposable {
    this.approvalHandler = handler;
    return { dispose: () => (this.approvalHandler === handler ? (this.approvalHandler = undefined) : undefined) };
  }

  /** Pushes a configuration to every connected gateway (hot reload). */
  applyConfig(params: ApplyConfigParams, filter?: (session: GatewaySession) => boolean): Promise<BroadcastResult<ApplyConfigResult>[]> {
    return this.broadcast((c) => c.sendRequest(ApplyConfigRequest.type, params), filter);
  }

  /** Asks every connected gateway (or those `filter` picks) to pin changed or new tool definitions. */
  approveToolChanges(params: ApproveToolChangesParams, filter?: (session: GatewaySession) => boolean): Promise<BroadcastResult<ApproveToolChangesResult>[]> {
    return this.broadcast((c) => c.sendRequest(ApproveToolChangesRequest.type, params), filter);
  }

  /** Asks every connected gateway to restart its upstream servers. */
  restartUpstreams(servers?: string[]): Promise<BroadcastResult<void>[]> {
    return this.broadcast((c) => c.sendRequest(RestartUpstreamsRequest.type, servers === undefined ? {} : { servers }));
  }

  /** Asks every connected gateway to sign `server` out (delete its tokens, reconnect). */
  signOut(server: string): Promise<BroadcastResult<{ signedOut: boolean }>[]> {
    return this.broadcast((c) => c.sendRequest(SignOutRequest.type, { server }));
  }

  /**
   * Hands the access token of a VS Code account to the gateways for `server` (never logged); only
   * to those this extension started, not to other clients' gateways that found the window.
   */
  useSessionToken(server: string, accessToken: string): Promise<BroadcastResult<{ used: boolean }>[]> {
    return this.broadcast((c) => c.sendRequest(UseSessionTokenRequest.type, { server, accessToken }), (session) => session.identity.startedByExtension);
  }

  /** Tells every gateway but `except` that an issuer's record changed, so none keeps using what it read before. */
  notifyOAuthRecordChanged(issuer: string, except?: GatewaySession): void {
    for (const peer of this.peers) {
      if (peer.session && peer.session !== except) void peer.connection.sendNotification(OAuthRecordChangedNotification.type, { issuer }).catch(() => undefined);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const peer of [...this.peers]) peer.socket.destroy();
    this.server.close();
    if (this.discoveryFile !== undefined) rmSync(this.discoveryFile, { force: true });
    if (this.socketDir !== undefined) rmSync(this.socketDir, { recursive: true, force: true });
    this.connectEmitter.dispose();
    this.disconnectEmitter.dispose();
    this.trafficEmitter.dispose();
    this.statusEmitter.dispose();
    this.inventoryEmitter.dispose();
    this.signInEmitter.dispose();
  }

  private async broadcast<R>(send: (connection: MessageConnection) => Promise<R>, filter?: (session: GatewaySession) => boolean): Promise<BroadcastResult<R>[]> {
    const targets = [...this.peers].filter((peer): peer is Peer & { session: GatewaySession } => peer.session !== undefined && (filter?.(peer.session) ?? true));
    return Promise.all(
      targets.map(async (peer) => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_DEADLINE_MS / 1000} s`)), REQUEST_DEADLINE_MS);
        });
        try {
          return { session: peer.session, result: await Promise.race([send(peer.connection), deadline]) };
        } catch (error) {
          return { session: peer.session, error: error instanceof Error ? error.message : String(error) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }

  private accept(socket: net.Socket): void {
    if (this.disposed) {
      socket.destroy();
      return;
    }
    const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const peer: Peer = { connection, socket, questions: new Set() };
    this.peers.add(peer);
    socket.on('error', () => undefined);
    const deadline = setTimeout(() => {
      if (!peer.session) socket.destroy();
    }, HELLO_DEADLINE_MS);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearTimeout(deadline);
      this.peers.delete(peer);
      for (const question of peer.questions) question.cancel();
      connection.dispose();
      if (peer.session) this.disconnectEmitter.fire(peer.session);
    };
    socket.on('close', close);
    connection.onClose(close);
    connection.onError(() => undefined);

    connection.onRequest(HelloRequest.type, (params) => {
      if (peer.session) throw new ResponseError(ControlErrorCode.NotReady, 'hello was already received');
      if (!tokensEqual(this.token, params?.token)) {
        this.options.log('warn', `control server: refused a gateway with a wrong token (pid ${String(params?.gateway?.pid)})`);
        // Answer first, then hang up.
        setTimeout(() => socket.destroy(), 100).unref();
        throw new ResponseError(ControlErrorCode.Unauthorized, 'wrong token');
      }
      if (params.protocolVersion !== CONTROL_PROTOCOL_VERSION) {
        setTimeout(() => socket.destroy(), 100).unref();
        throw new ResponseError(ControlErrorCode.IncompatibleVersion, `control protocol ${CONTROL_PROTOCOL_VERSION} expected, got ${String(params.protocolVersion)}`);
      }
      clearTimeout(deadline);
      const session: GatewaySession = { identity: params.gateway, connectedAt: Date.now(), servers: [], inventories: new Map(), signIns: new Map() };
      peer.session = session;
      // Connected listeners run after the hello answer is queued, so requests they send come after it.
      setImmediate(() => {
        if (!closed) this.connectEmitter.fire(session);
      });
      return { extensionVersion: this.options.extensionVersion, maxBodyChars: this.options.maxBodyChars };
    });
    connection.onRequest(AskApprovalRequest.type, async (params, token): Promise<AskApprovalResult> => {
      if (!peer.session) throw new ResponseError(ControlErrorCode.NotReady, 'hello first');
      const question = validQuestion(params);
      const handler = this.approvalHandler;
      if (!question || !handler) return { decision: 'deny' };
      const withdrawn = new CancellationTokenSource();
      const forward = token.onCancellationRequested(() => withdrawn.cancel());
      peer.questions.add(withdrawn);
      try {
        return await handler(question, peer.session, withdrawn.token);
      } finally {
        peer.questions.delete(withdrawn);
        forward.dispose();
        withdrawn.dispose();
      }
    });
    connection.onNotification(TrafficNotification.type, (params) => {
      if (peer.session && Array.isArray(params?.events)) this.trafficEmitter.fire({ session: peer.session, params });
    });
    connection.onNotification(ServerStatusNotification.type, (params) => {
      if (!peer.session || !Array.isArray(params?.servers)) return;
      peer.session.servers = params.servers;
      this.statusEmitter.fire(peer.session);
    });
    connection.onNotification(ToolInventoryNotification.type, (params) => {
      if (!peer.session || typeof params?.server !== 'string' || !Array.isArray(params.tools)) return;
      peer.session.inventories.set(params.server, params.tools);
      this.inventoryEmitter.fire({ session: peer.session, server: params.server });
    });
    connection.onNotification(LogNotification.type, (params) => {
      if (peer.session && typeof params?.message === 'string') {
        this.options.log(params.level ?? 'info', `[gateway ${peer.session.identity.pid}] ${params.message}`);
      }
    });
    this.acceptSignIn(peer);
    this.applyTrace(peer);
    connection.listen();
  }

  /**
   * OAuth for remote upstreams: tokens kept in SecretStorage for gateways this extension started
   * (their hello proved it with the token of its environment), sign-in states for the views.
   */
  private acceptSignIn(peer: Peer): void {
    const { connection } = peer;
    const vault = (): OAuthVault => {
      if (!peer.session) throw new ResponseError(ControlErrorCode.NotReady, 'hello first');
      const found = this.options.oauthVault;
      if (!found) throw new ResponseError(ControlErrorCode.NotReady, 'this extension keeps no OAuth tokens');
      return found;
    };
    const refusal = (error: unknown): ResponseError<void> => new ResponseError(ControlErrorCode.NotReady, error instanceof Error ? error.message : String(error));
    connection.onRequest(ReadOAuthRecordRequest.type, async (params) => {
      try {
        return { record: await vault().read(params?.issuer) };
      } catch (error) {
        throw error instanceof ResponseError ? error : refusal(error);
      }
    });
    connection.onRequest(ListOAuthIssuersRequest.type, async () => ({ issuers: await vault().list() }));
    connection.onRequest(WriteOAuthRecordRequest.type, async (params) => {
      try {
        await vault().write(params?.issuer, params?.record ?? null);
      } catch (error) {
        throw error instanceof ResponseError ? error : refusal(error);
      }
      this.notifyOAuthRecordChanged(params.issuer, peer.session);
    });
    connection.onNotification(SignInStateNotification.type, (params) => {
      if (!peer.session || !isSignInState(params)) return;
      peer.session.signIns.set(params.server, params);
      this.signInEmitter.fire({ session: peer.session, params });
    });
  }

  private applyTrace(peer: Peer): void {
    const level = this.trace === 'verbose' ? Trace.Verbose : this.trace === 'messages' ? Trace.Messages : Trace.Off;
    // Bodies of the OAuth messages carry tokens: their trace lines keep the method, never the data.
    const log = (message: string, data?: string): void => this.options.log('debug', data && !SECRET_METHODS.test(message) ? `${message}\n${data}` : message);
    void peer.connection.trace(level, { log });
  }
}

/** Methods whose bodies (or answers) carry OAuth tokens: never traced with their data. */
const SECRET_METHODS = /gatekit\/(oauth\/|useSessionToken)/;

const SIGN_IN_STATES: ReadonlySet<unknown> = new Set(['signed-in', 'needs-sign-in', 'failed']);

/** A sign-in state as far as it can be trusted from another process: known state, strings of sane length. */
function isSignInState(params: unknown): params is SignInStateParams {
  if (typeof params !== 'object' || params === null) return false;
  const p = params as Record<string, unknown>;
  const text = (value: unknown, max: number, optional = true): boolean => (value === undefined && optional) || (typeof value === 'string' && value.length <= max);
  return text(p.server, 200, false) && text(p.serverUrl, 4096, false) && SIGN_IN_STATES.has(p.state) && text(p.authorizationUrl, 4096) && text(p.issuer, 2048) && text(p.scope, 2000) && text(p.detail, 2000);
}
