// The control link between a gateway process and the VS Code extension host: every message once, with
// its method, its vscode-jsonrpc type, and who sends it. No MCP traffic travels over this link.
import { NotificationType, RequestType } from 'vscode-jsonrpc/node';
import type { ConfigProblem, ExchangeSummary, ServerStatus } from './vocabulary';

// The vocabulary the messages below carry, defined in ./vocabulary and re-exported for their users.
export type { ConfigProblem, ServerState, ServerStatus, TrafficDecision, TrafficDirection } from './vocabulary';

/** Bumped when a message changes incompatibly; the extension refuses gateways of another version. */
export const CONTROL_PROTOCOL_VERSION = 1;

/** Environment variables a gateway reads to find and authenticate to the extension host. */
export const ControlEnv = {
  /** Unix socket path or Windows named pipe of the extension host's control server. */
  socket: 'GATEKIT_CONTROL_SOCKET',
  /** Shared secret proving the gateway was started by (or for) this extension host. Env only, never argv. */
  token: 'GATEKIT_CONTROL_TOKEN',
  /** Folder of discovery files (`<pid>.json`), used to reconnect after the extension host restarted. */
  discoveryDir: 'GATEKIT_CONTROL_DIR',
  /** `off` disables the control link entirely (no discovery either). */
  mode: 'GATEKIT_CONTROL',
  /** The whole configuration as JSON text (the extension's effective config), instead of `--config`. */
  configJson: 'GATEKIT_CONFIG_JSON',
  /** Where the configuration notionally lives: relative paths resolve against its folder. */
  configBase: 'GATEKIT_CONFIG_BASE',
  /** The extension's hash of that configuration; reported back in the hello so stale gateways get a push. */
  configVersion: 'GATEKIT_CONFIG_VERSION',
  /**
   * Folders (or single files) besides the config file's folder where plugins may create files,
   * separated like PATH. Set by the extension; a standalone user may set it too (docs/auditing.md).
   */
  writableRoots: 'GATEKIT_WRITABLE_ROOTS',
} as const;

/** Error codes of control-link requests (JSON-RPC server-defined range, distinct from MCP's). */
export const ControlErrorCode = {
  Unauthorized: -32090,
  IncompatibleVersion: -32091,
  NotReady: -32092,
} as const;

/** How a gateway serves: an MCP client on stdio, or only the control link (the extension's own gateway). */
export type GatewayMode = 'stdio' | 'control-only';

/**
 * A discovery file `<discoveryDir>/<pid>.json` (mode 0600) written by each extension host, so that a
 * gateway started outside VS Code can find a control server to report to.
 */
export interface DiscoveryRecord {
  protocolVersion: number;
  /** Extension host process id; a record whose process is gone is stale. */
  pid: number;
  socket: string;
  token: string;
  /** Absolute paths of the window's workspace folders; a gateway prefers the window containing its cwd. */
  workspaceFolders: string[];
  /** Epoch milliseconds. */
  startedAt: number;
}

// ---------------------------------------------------------------------------------------------
// gateway → extension

/** Who the gateway is, sent in {@link HelloRequest}. */
export interface GatewayIdentity {
  /** Unique per gateway process; names the traffic session in the views. */
  sessionId: string;
  pid: number;
  mode: GatewayMode;
  /** Gatekit version of the gateway. */
  version: string;
  /** True when started by VS Code from this extension's server definition (env carried the token). */
  startedByExtension: boolean;
  cwd: string;
  /** The config file the gateway was started with, if any. */
  configPath?: string;
  /** `GATEKIT_CONFIG_VERSION` the extension started it with (its config hash), if any. */
  configVersion?: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

export interface HelloParams {
  protocolVersion: number;
  token: string;
  gateway: GatewayIdentity;
}

export interface HelloResult {
  /** Extension version, for logs. */
  extensionVersion: string;
  /** Largest request/response body, in UTF-16 units of its JSON text, the gateway should send per traffic event. */
  maxBodyChars: number;
}

/** Sent by the gateway first; anything before a successful hello closes the connection. */
export namespace HelloRequest {
  export const method = 'gatekit/hello';
  export const type = new RequestType<HelloParams, HelloResult, void>(method);
}

/** One finished exchange (a request with its response, or a notification), in its log-safe form. */
export interface TrafficEvent extends ExchangeSummary {
  /** Increases by one per event within a session, so gaps are visible. */
  seq: number;
  /** Error code of the response, when it is an error. */
  errorCode?: number;
  /** JSON text of the request (or notification) as forwarded; absent when blocked; cut at `maxBodyChars`. */
  request?: string;
  requestTruncated?: boolean;
  /** JSON text of the response as returned to the requester; cut at `maxBodyChars`. */
  response?: string;
  responseTruncated?: boolean;
}

export interface TrafficParams {
  events: TrafficEvent[];
  /** Events the gateway dropped since the last batch because the link could not keep up. */
  dropped: number;
}

/** Sent by the gateway in batches while connected. */
export namespace TrafficNotification {
  export const method = 'gatekit/traffic';
  export const type = new NotificationType<TrafficParams>(method);
}

export interface ServerStatusParams {
  servers: ServerStatus[];
}

/** Sent by the gateway after hello and whenever any server's status changes (always the full list). */
export namespace ServerStatusNotification {
  export const method = 'gatekit/serverStatus';
  export const type = new NotificationType<ServerStatusParams>(method);
}

/**
 * What the policy did to one upstream tool: `visible` unchanged, `renamed` (tool_manager
 * display_name), `hidden` (not in the allowlist), `blocked` (a security plugin removed it, e.g. a
 * poisoned description).
 */
export type ToolVisibility = 'visible' | 'renamed' | 'hidden' | 'blocked';

/**
 * Tool pinning: `pinned` matches the approved definition, `new` never approved, `changed` differs
 * from the approved definition (calls refused until approved), `none` pinning is not configured.
 */
export type ToolPinState = 'pinned' | 'new' | 'changed' | 'none';

export interface ToolInventoryEntry {
  /** The upstream's own tool name. */
  name: string;
  /** The namespaced name the client sees (`server__display_name`); absent when hidden or blocked. */
  exposedName?: string;
  visibility: ToolVisibility;
  pin: ToolPinState;
  /** The description the client sees (or the upstream's, when hidden). */
  description?: string;
  /** Why hidden, blocked or changed, for the tooltip. */
  reason?: string;
  /**
   * What the definition the model sees costs in every chat request, in cl100k_base tokens of its
   * JSON (visible and renamed tools only).
   */
  tokens?: number;
  /** When `pin` is `changed`: the approved definition (what was pinned), for a diff before approving. */
  pinnedDefinition?: Record<string, unknown>;
  /** When `pin` is `changed` or `new`: the definition the server offers now, as pinning hashes it. */
  currentDefinition?: Record<string, unknown>;
  /**
   * The definition for the tool's details view: as the model is sent it when shown (first name it
   * is shown under), else as the server offers it. Absent when over {@link MAX_INVENTORY_DEFINITION_CHARS}.
   */
  definition?: Record<string, unknown>;
}

/** Largest tool definition (characters of JSON) an inventory entry carries for the details view. */
export const MAX_INVENTORY_DEFINITION_CHARS = 64 * 1024;

/** All definitions of one server's inventory together (characters of JSON); later tools go without. */
export const MAX_INVENTORY_DEFINITIONS_CHARS = 1024 * 1024;

export interface ToolInventoryParams {
  server: string;
  tools: ToolInventoryEntry[];
}

/** Sent by the gateway after hello (one per server) and whenever a server's tool list changes. */
export namespace ToolInventoryNotification {
  export const method = 'gatekit/toolInventory';
  export const type = new NotificationType<ToolInventoryParams>(method);
}

export interface LogParams {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
}

/** Sent by the gateway: diagnostics for the extension's log output channel (also on its stderr). */
export namespace LogNotification {
  export const method = 'gatekit/log';
  export const type = new NotificationType<LogParams>(method);
}

// ---------------------------------------------------------------------------------------------
// extension → gateway

export interface ApplyConfigParams {
  /** A Gatekit configuration object (as written: the gateway validates it). */
  config: unknown;
  /** Where the configuration notionally lives (relative paths, the pin lockfile). */
  configBase?: string;
  /** Hash of the configuration, also the server definition's version. */
  version: string;
  /** Where plugins may create files besides the config folder (see `ControlEnv.writableRoots`); the gateway's own when absent. */
  writableRoots?: string[];
}

export interface ApplyConfigResult {
  /** False when the config was invalid; the gateway then keeps running on its previous config. */
  applied: boolean;
  problems: ConfigProblem[];
}

/** Sent by the extension when the effective configuration changes (hot reload). */
export namespace ApplyConfigRequest {
  export const method = 'gatekit/applyConfig';
  export const type = new RequestType<ApplyConfigParams, ApplyConfigResult, void>(method);
}

export interface ApproveToolChangesParams {
  /** Limit to one server; all servers when absent. */
  server?: string;
  /** Limit to these upstream tool names of `server`; all changed or new tools when absent. */
  tools?: string[];
}

export interface ApproveToolChangesResult {
  /** How many tool definitions were pinned anew. */
  approved: number;
}

/** Sent by the extension when the user approves changed or new tool definitions (tool pinning). */
export namespace ApproveToolChangesRequest {
  export const method = 'gatekit/approveToolChanges';
  export const type = new RequestType<ApproveToolChangesParams, ApproveToolChangesResult, void>(method);
}

export interface RestartUpstreamsParams {
  /** Restart only these servers; all when absent. */
  servers?: string[];
}

/** Sent by the extension (Gatekit: Restart Gateway) to restart upstream servers without dropping the client. */
export namespace RestartUpstreamsRequest {
  export const method = 'gatekit/restartUpstreams';
  export const type = new RequestType<RestartUpstreamsParams, void, void>(method);
}

export interface AskApprovalParams {
  /** The upstream server, by its configured name. */
  server: string;
  /** The tool as the server names it. */
  tool: string;
  /** The call's arguments (absent when their JSON is too large to send; see `argumentsOmitted`). */
  arguments?: unknown;
  /** Set instead of `arguments` when they were too large: how many characters their JSON has. */
  argumentsOmitted?: number;
  /** Why the call needs approval (the policy rule that matched), in words. */
  reason: string;
  /** How long the gateway waits; it cancels this request then (and denies the call). */
  timeoutMs: number;
  /** Whether "Allow for this session" may be offered. */
  offerSession: boolean;
}

export interface AskApprovalResult {
  decision: 'allow_once' | 'allow_session' | 'deny';
}

/**
 * Sent by the gateway when a plugin (call_approval) needs a person to allow a tool call; the
 * gateway cancels it (`$/cancelRequest`) when the call is cancelled or times out.
 */
export namespace AskApprovalRequest {
  export const method = 'gatekit/askApproval';
  export const type = new RequestType<AskApprovalParams, AskApprovalResult, void>(method);
}

// ---------------------------------------------------------------------------------------------
// OAuth sign-in of remote upstreams under VS Code (docs/oauth.md "In VS Code"): the gateway keeps
// its tokens in the extension's SecretStorage and lets the extension open sign-in pages. Tokens
// cross this link only; nothing here is logged or traced (the trace setting logs message bodies:
// the extension's tracer skips these methods).

/** The sign-in state of one remote upstream: `needs-sign-in` waits for the user to open `authorizationUrl`. */
export type SignInState = 'signed-in' | 'needs-sign-in' | 'failed';

export interface SignInStateParams {
  /** The upstream's name. */
  server: string;
  /** The MCP server's URL (the resource the tokens are for). */
  serverUrl: string;
  state: SignInState;
  /** `needs-sign-in`: the page the user signs in on (its redirect comes back to the gateway's loopback listener). */
  authorizationUrl?: string;
  /** The authorization server, when discovery named it. */
  issuer?: string;
  /** The scopes the sign-in asks for, space-separated. */
  scope?: string;
  /** `failed`: why, in our words. */
  detail?: string;
}

/** Sent by the gateway whenever an upstream's sign-in state changes, and for every upstream again after (re)connecting. */
export namespace SignInStateNotification {
  export const method = 'gatekit/signInState';
  export const type = new NotificationType<SignInStateParams>(method);
}

export interface OAuthRecordParams {
  /** The authorization server's issuer URL: the record's key. */
  issuer: string;
}

export interface OAuthRecordResult {
  /** The issuer's stored record (client registrations and tokens), or null when none. */
  record: unknown;
}

/** Sent by a gateway the extension started: the stored record of one issuer. */
export namespace ReadOAuthRecordRequest {
  export const method = 'gatekit/oauth/read';
  export const type = new RequestType<OAuthRecordParams, OAuthRecordResult, void>(method);
}

/** Sent by a gateway the extension started: every issuer that has a stored record. */
export namespace ListOAuthIssuersRequest {
  export const method = 'gatekit/oauth/list';
  export const type = new RequestType<Record<string, never>, { issuers: string[] }, void>(method);
}

export interface WriteOAuthRecordParams extends OAuthRecordParams {
  /** The whole new record of the issuer; null deletes it. */
  record: unknown;
}

/** Sent by a gateway the extension started: replaces (or deletes) one issuer's record. */
export namespace WriteOAuthRecordRequest {
  export const method = 'gatekit/oauth/write';
  export const type = new RequestType<WriteOAuthRecordParams, void, void>(method);
}

/** Sent by the extension to every gateway when an issuer's record changed (another gateway signed in, the user signed out). */
export namespace OAuthRecordChangedNotification {
  export const method = 'gatekit/oauth/changed';
  export const type = new NotificationType<OAuthRecordParams>(method);
}

export interface SignOutParams {
  server: string;
}

/** Sent by the extension (Sign out): forget the server's tokens and reconnect it, which asks for a new sign-in. */
export namespace SignOutRequest {
  export const method = 'gatekit/signOut';
  export const type = new RequestType<SignOutParams, { signedOut: boolean }, void>(method);
}

export interface UseSessionTokenParams {
  server: string;
  /** An access token of one of VS Code's authentication sessions (GitHub, Microsoft), chosen by the user. Kept in memory only. */
  accessToken: string;
}

/** Sent by the extension when the user signs a server in with a VS Code account: the upstream's bearer from now on. */
export namespace UseSessionTokenRequest {
  export const method = 'gatekit/useSessionToken';
  export const type = new RequestType<UseSessionTokenParams, { used: boolean }, void>(method);
}
