// The plugin seam: what a plugin is, what it sees, and what it may decide. The core knows only these
// types; every concrete plugin lives in its own file under src/plugins/<kind>/ and is registered by name.
import type * as z from 'zod';
import type { JsonRpcErrorObject, JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../shared/jsonrpc';
import type { IncomingTrace } from './trace-context';

export type PluginKind = 'middleware' | 'security' | 'auditing';

/**
 * A value no one may change: every property readonly, every array a `readonly` array, all the way
 * down. Plugins see messages through it, so one that edits a message in place instead of returning
 * a replacement does not compile (an edit in place would leak the original bytes the router keeps
 * for unmodified messages, and change what earlier stages and the audit log saw).
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** A request as plugins see it. */
export type ReadonlyRequest = DeepReadonly<JsonRpcRequest>;
/** A response as plugins see it. */
export type ReadonlyResponse = DeepReadonly<JsonRpcResponse>;
/** A notification as plugins see it. */
export type ReadonlyNotification = DeepReadonly<JsonRpcNotification>;

/**
 * Who sent a request: the client (a tool call, a list) or an upstream server (sampling, elicitation,
 * roots). For a response this is who sent the request it answers.
 */
export type RequestOrigin = 'client' | 'server';

/** What every hook is told about the message besides the message itself. */
export interface MessageContext {
  /** The upstream server this message belongs to, by its configured (clean) name. */
  readonly serverName: string;
  readonly origin: RequestOrigin;
  /** For responses: the request being answered, as that plugin stage saw it (clean names). */
  readonly request?: ReadonlyRequest;
  /** The id the original sender used (client id for client requests), for correlating log records. */
  readonly requestId?: JsonRpcId;
  /** For responses: milliseconds since the request entered the gateway. */
  readonly durationMs?: number;
  /**
   * For a client's request: asks the person behind the client whether a call may go ahead (VS
   * Code's prompt over the control link, else the client's elicitation). Returns undefined when no
   * one can be asked. Aborting `signal` withdraws the question (it then resolves as `cancelled`).
   */
  readonly askApproval?: (question: ApprovalQuestion, signal: AbortSignal) => Promise<ApprovalAnswer> | undefined;
  /** For a client's request: aborted when the client cancels it or the session ends. */
  readonly signal?: AbortSignal;
}

/** What a plugin asks a person about one tool call (see {@link MessageContext.askApproval}). */
export interface ApprovalQuestion {
  /** The upstream server, by its configured name. */
  readonly server: string;
  /** The tool as the server names it. */
  readonly tool: string;
  /** The call's arguments, as the request hooks before this plugin left them. */
  readonly arguments: unknown;
  /** Why the call needs approval (which rule matched), in words. */
  readonly reason: string;
  /** How long the question stays open before the call is denied. */
  readonly timeoutMs: number;
  /** Whether "allow for this session" is offered. */
  readonly offerSession: boolean;
}

/**
 * The answer to an {@link ApprovalQuestion}: the person's `decision`, or why there is none
 * (`cancelled`: withdrawn; `invalid`: an answer that means nothing; `failed`: the asker broke).
 * `by` names who was asked (`vscode`, `client`); `detail` says more for the audit.
 */
export type ApprovalAnswer =
  | { readonly decision: 'allow_once' | 'allow_session' | 'deny'; readonly by: string }
  | { readonly decision: 'cancelled' | 'invalid' | 'failed'; readonly by: string; readonly detail: string };

/**
 * What a middleware or security hook returns. Returning `undefined` means "no opinion, pass it on".
 * Messages are never mutated in place: a plugin that changes content returns a new `modified` message.
 */
export interface PluginDecision<M> {
  /** Security verdict: `false` blocks the message. Middleware leaves this unset. */
  allowed?: boolean;
  /** The message to use from here on (redaction, renaming, filtering a list). */
  modified?: M;
  /** Middleware only, on requests: answer now with this response instead of forwarding. */
  completedResponse?: JsonRpcResponse;
  /**
   * Security, with `allowed: false` on a request: the error to answer with instead of the standard
   * -32000 `Request blocked: <plugin>` (tool pinning answers -32601 with `data.reason: "pin_mismatch"`).
   */
  error?: JsonRpcErrorObject;
  /** Why. May contain details; the pipeline reduces it to the outcome where content was sensitive. */
  reason?: string;
  /** Structured details (e.g. what was found), kept out of logs when content was sensitive. */
  metadata?: Record<string, unknown>;
}

type MaybePromise<T> = T | Promise<T>;

/** A middleware or security plugin instance. Hooks are optional; a missing hook passes the message on. */
export interface InterceptorPlugin {
  onRequest?(request: ReadonlyRequest, ctx: MessageContext): MaybePromise<PluginDecision<JsonRpcRequest> | undefined>;
  onResponse?(response: ReadonlyResponse, ctx: MessageContext): MaybePromise<PluginDecision<JsonRpcResponse> | undefined>;
  onNotification?(notification: ReadonlyNotification, ctx: MessageContext): MaybePromise<PluginDecision<JsonRpcNotification> | undefined>;
  /**
   * Approval of tool definitions, offered by a plugin that pins them (see docs/plugins.md). The
   * gateway finds it by this key on any plugin (src/plugins/capabilities.ts), never by a name.
   */
  readonly toolApprovals?: ToolApprovals;
  /** Release files, timers. Called once when the gateway shuts down or the config is replaced. */
  close?(): Promise<void>;
}

/** How one tool stands against the definition a user approved. */
export type ToolApprovalState = 'pinned' | 'new' | 'changed';

/** What a plugin that keeps approved tool definitions offers the gateway and, through it, VS Code. */
export interface ToolApprovals {
  /**
   * A user approved changed or new tool definitions (VS Code's "Approve Tool Changes"): accept the
   * pending ones of `server` (all servers when absent), limited to `tools` when given. Resolves
   * with how many were approved.
   */
  approve(params: { readonly server?: string; readonly tools?: readonly string[] }): Promise<number>;
  /** What this plugin knows of a tool's approval state, for the Servers view (undefined: nothing). */
  state(serverName: string, toolName: string): ToolApprovalState | undefined;
  /**
   * For a diff before approving: the approved definition of a tool (if any) and the one the server
   * offers now, in the form this plugin compares them.
   */
  definitions(serverName: string, tool: DeepReadonly<Record<string, unknown>>): { pinned?: Record<string, unknown>; current: Record<string, unknown> } | undefined;
}

export type StageOutcome = 'passed' | 'allowed' | 'modified' | 'blocked' | 'completed' | 'error';

/** One plugin's part in processing one message. */
export interface PipelineStage {
  readonly handler: string;
  /** The plugin's display name ('Basic PII Filter'), which audit reasons name as the original Gatekit did. */
  readonly displayName?: string;
  readonly kind: 'middleware' | 'security';
  readonly outcome: StageOutcome;
  /** Reduced to `[blocked]` / `[modified]` once content was found sensitive. */
  readonly reason: string;
  readonly durationMs: number;
}

/**
 * The overall result of running a message through middleware and security:
 * `allowed` (security looked and let it pass), `no_security_evaluation` (no security plugin looked),
 * `blocked`, `completed_by_middleware`, or `error` (a critical plugin failed: fail closed).
 */
export type PipelineOutcome = 'allowed' | 'no_security_evaluation' | 'blocked' | 'completed_by_middleware' | 'error';

export interface PipelineResult<M> {
  readonly outcome: PipelineOutcome;
  /** The message to forward (after all modifications). Meaningless when blocked/completed/error. */
  readonly message: M;
  /** Set when outcome is `completed_by_middleware`, `blocked` or `error`: what to answer the sender with. */
  readonly response?: JsonRpcResponse;
  readonly modified: boolean;
  readonly securityEvaluated: boolean;
  /** A security plugin blocked or changed content: logs must carry neither the original text nor detailed reasons. */
  readonly sensitive: boolean;
  /** The handler that blocked or completed, or the first security plugin that redacted. */
  readonly decidedBy?: string;
  /** One line for humans and logs (already reduced when sensitive). */
  readonly reason: string;
  readonly stages: readonly PipelineStage[];
  readonly durationMs: number;
}

/**
 * What auditing plugins receive. `message` is the content that is safe to log: the modified
 * (redacted) message, or `undefined` when the message was blocked by security.
 */
export interface AuditEvent {
  readonly type: 'request' | 'response' | 'notification';
  readonly timestamp: Date;
  readonly serverName: string;
  readonly origin: RequestOrigin;
  readonly requestId?: JsonRpcId;
  /** The request method (for responses: the method of the request answered). */
  readonly method: string;
  /** For tools/call (and its response): the clean tool name. */
  readonly tool?: string;
  readonly message?: ReadonlyRequest | ReadonlyResponse | ReadonlyNotification;
  readonly pipeline: PipelineResult<unknown>;
  /** For responses: round-trip milliseconds from the request entering the gateway. */
  readonly durationMs?: number;
  /** For responses: the event the request was audited with (one exchange's two events, paired without ids). */
  readonly answers?: AuditEvent;
  /**
   * For requests, when an auditing plugin has an `outgoing` hook: the W3C trace context the request
   * came with, validated. Read from the request as passed, or, when a plugin blocked it, from the
   * request as received without its `tracestate` (ids are not content; a state string could be).
   */
  readonly trace?: IncomingTrace;
}

/** An auditing plugin instance. A critical one that throws or cannot write blocks the traffic it logs. */
export interface AuditingPlugin {
  record(event: AuditEvent): MaybePromise<void>;
  /**
   * The request as it leaves for its receiver, after `record` saw `audited`: return the request to
   * send instead, or undefined to send it as it is. For context the receiver should carry on with
   * (audit_otel puts its span in `_meta.traceparent`); a plugin without this hook changes nothing.
   */
  outgoing?(request: ReadonlyRequest, audited: AuditEvent): JsonRpcRequest | undefined;
  /** Flush everything written so far (called on shutdown and SIGTERM). */
  close?(): Promise<void>;
}

export type PluginInstance = InterceptorPlugin | AuditingPlugin;

/** What the gateway gives a plugin at creation. */
export interface PluginEnvironment {
  /** Folder of the config file (or the working directory for an embedded config). */
  readonly configDir: string;
  /** Absolute path of the config file, if there is one (the tool-pinning lockfile sits beside it). */
  readonly configPath?: string;
  /** Resolves a user path: `~`, `${VAR}`, relative to the config folder. */
  resolvePath(path: string): string;
  /** Diagnostics for the gateway's stderr (never stdout). */
  log(message: string): void;
  /** The entry's `critical` key: a plugin that can tell "cannot record now" (audit_otel) fails only when this is set. */
  readonly critical?: boolean;
}

/** One plugin entry after config validation: common keys resolved, plugin options parsed by its `configSchema`. */
export interface PluginEntryConfig {
  readonly handler: string;
  readonly kind: PluginKind;
  readonly enabled: boolean;
  /** 0–100, lower runs first. */
  readonly priority: number;
  readonly critical: boolean;
  /** The plugin-specific keys of `config`, as output by the plugin's `configSchema`. */
  readonly options: unknown;
}

/**
 * What the configuration and the extension know of a plugin: its name, kind, options and display
 * facts, and no code that runs on traffic. Descriptors are small and import no detector, so the
 * extension (which validates configs) bundles none; the implementation ({@link PluginDefinition})
 * is loaded by the gateway only. `configSchema` validates the plugin-specific keys of `config`
 * (the common `enabled`, `priority`, `critical` are stripped before it sees them); it should be a
 * strict zod object so unknown keys are reported with the list of valid ones.
 */
export interface PluginDescriptor<C = unknown> {
  readonly handler: string;
  readonly kind: PluginKind;
  /** Shown in block messages: `Request blocked: <displayName>`. */
  readonly displayName: string;
  /** One sentence for docs, errors and the settings UI. */
  readonly description: string;
  readonly configSchema: z.ZodType<C>;
  /** Priority when the entry sets none (default 50; call_trace runs late, at 90, as in Gatekit). */
  readonly defaultPriority?: number;
  /**
   * `critical` when the entry sets none (default true: fail closed). token_usage observes only and
   * audit_otel's collector is a network service: both say false, so their failure never stops a
   * developer's tools unless the config asks for it.
   */
  readonly defaultCritical?: boolean;
  /** True for plugins that may only be configured per server (tool_manager). */
  readonly serverOnly?: boolean;
  /**
   * Options naming files the plugin creates or writes (`output_file`, `lockfile`): validation
   * refuses a path outside the folders the user chose (src/config/write-paths.ts).
   */
  readonly writtenFileOptions?: readonly string[];
  /** What the plugin offers beyond its hooks, so the core and the extension find it without its name. */
  readonly offers?: PluginOffers;
}

/**
 * Facts a descriptor declares about what its plugin offers. Each is found by its key on any
 * descriptor (src/plugins/descriptors.ts), so a second plugin offering the same works unchanged.
 */
export interface PluginOffers {
  /**
   * The plugin keeps approved tool definitions in a lockfile; its instance offers
   * {@link InterceptorPlugin.toolApprovals}. `lockfileOption` names the option holding the
   * lockfile's path (absent: `gatekit.lock.json` beside the config file). `checkOptions` are the
   * option values that make an instance compare only (`gatekit-gateway pins check`): it approves
   * nothing by itself and withholds nothing, so every tool offered is compared with the lockfile.
   */
  readonly toolApprovals?: { readonly lockfileOption: string; readonly checkOptions: Readonly<Record<string, unknown>> };
  /**
   * The plugin decides which tools a server shows from an allowlist: option `option` is a list of
   * objects whose `toolKey` member is the upstream tool's name (and `displayNameKey` member, when
   * the plugin renames, the name the client sees instead). Option `hiddenOption`, a list of
   * upstream tool names, hides single tools and leaves the rest (and tools added later) visible.
   */
  readonly toolAllowlist?: { readonly option: string; readonly toolKey: string; readonly displayNameKey?: string; readonly hiddenOption: string };
  /** The plugin writes an audit log a user may open; option `fileOption` names the file. */
  readonly auditLog?: { readonly fileOption: string };
}

/** A plugin's implementation: its descriptor plus how to create an instance. Only the gateway loads these. */
export interface PluginDefinition<C = unknown> extends PluginDescriptor<C> {
  create(config: C, env: PluginEnvironment): PluginInstance;
}
