// Builds each server's plugin pipeline from the config (global + per-server lists) and runs messages
// through it: middleware and security in priority order, then auditing in definition order.
import { ErrorCode, makeError, type JsonRpcErrorObject, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import type {
  AuditEvent,
  AuditingPlugin,
  InterceptorPlugin,
  MessageContext,
  PipelineResult,
  PipelineStage,
  PluginDecision,
  PluginDefinition,
  PluginEnvironment,
  PluginEntryConfig,
  PluginKind,
  StageOutcome,
} from './types';

export type { PluginEntryConfig };

/** `plugins.<kind>`: `_global` or a server name → the entries configured there. */
export type PluginScopes = Readonly<Record<string, readonly PluginEntryConfig[]>>;
export type PluginsByKind = Readonly<Partial<Record<PluginKind, PluginScopes>>>;

export interface PluginLookup {
  find(handler: string): PluginDefinition | undefined;
}

/** A plugin instance that failed at run time, for the caller to report. */
export class PluginFailure extends Error {
  constructor(
    readonly handler: string,
    readonly critical: boolean,
    cause: unknown,
  ) {
    super(`Plugin '${handler}' failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Raised by the pipeline's setup when a plugin cannot be created. */
export class PluginLoadError extends Error {
  constructor(
    readonly handler: string,
    message: string,
  ) {
    super(message);
  }
}

interface LoadedInterceptor {
  readonly handler: string;
  readonly kind: 'middleware' | 'security';
  readonly displayName: string;
  readonly priority: number;
  readonly critical: boolean;
  readonly order: number;
  readonly instance: InterceptorPlugin;
}

interface LoadedAuditor {
  readonly handler: string;
  readonly critical: boolean;
  readonly instance: AuditingPlugin;
}

type Hook = 'onRequest' | 'onResponse' | 'onNotification';

const GLOBAL_SCOPE = '_global';

/**
 * Owns every plugin instance of one configuration. An entry under `_global` becomes one instance
 * shared by all servers (so one audit file has one writer); a server-level entry gets its own.
 */
export class PluginHost {
  private readonly instances = new Map<PluginEntryConfig, LoadedInterceptor | LoadedAuditor>();
  private readonly pipelines = new Map<string, ServerPipeline>();
  private order = 0;

  constructor(
    private readonly plugins: PluginsByKind,
    private readonly registry: PluginLookup,
    private readonly env: PluginEnvironment,
  ) {}

  /** Creates every plugin for the given servers up front, so a plugin that cannot load stops start-up. */
  loadAll(serverNames: readonly string[]): void {
    for (const server of serverNames) this.pipelineFor(server);
  }

  /** The pipeline of one server (built on first use). */
  pipelineFor(serverName: string): ServerPipeline {
    let pipeline = this.pipelines.get(serverName);
    if (!pipeline) {
      pipeline = this.build(serverName);
      this.pipelines.set(serverName, pipeline);
    }
    return pipeline;
  }

  /** Every middleware and security instance, once each (for control requests such as approvals). */
  interceptors(): InterceptorPlugin[] {
    return [...this.instances.values()].filter((l): l is LoadedInterceptor => 'kind' in l).map((l) => l.instance);
  }

  /** Closes every instance (flushing audit logs); waits for all, reports the first failure. */
  async close(): Promise<void> {
    const closing = [...this.instances.values()].map((loaded) => Promise.resolve(loaded.instance.close?.()));
    const results = await Promise.allSettled(closing);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private build(serverName: string): ServerPipeline {
    const interceptors: LoadedInterceptor[] = [];
    for (const kind of ['middleware', 'security'] as const) {
      for (const entry of effectiveEntries(this.plugins[kind], serverName)) {
        interceptors.push(this.load(entry) as LoadedInterceptor);
      }
    }
    // Lower priority first; on ties middleware before security, then definition order.
    interceptors.sort(
      (a, b) => a.priority - b.priority || kindRank(a.kind) - kindRank(b.kind) || a.order - b.order,
    );
    const auditors = effectiveEntries(this.plugins.auditing, serverName).map((e) => this.load(e) as LoadedAuditor);
    return new ServerPipeline(serverName, interceptors, auditors, this.env);
  }

  private load(entry: PluginEntryConfig): LoadedInterceptor | LoadedAuditor {
    const existing = this.instances.get(entry);
    if (existing) return existing;
    const definition = this.registry.find(entry.handler);
    if (!definition) throw new PluginLoadError(entry.handler, `Unknown plugin handler '${entry.handler}'`);
    let instance;
    try {
      instance = definition.create(entry.options, entry.critical ? { ...this.env, critical: true } : this.env);
    } catch (err) {
      throw new PluginLoadError(entry.handler, `Plugin '${entry.handler}' failed to load: ${err instanceof Error ? err.message : String(err)}`);
    }
    const loaded =
      definition.kind === 'auditing'
        ? { handler: entry.handler, critical: entry.critical, instance: instance as AuditingPlugin }
        : {
            handler: entry.handler,
            kind: definition.kind,
            displayName: definition.displayName,
            priority: entry.priority,
            critical: entry.critical,
            order: this.order++,
            instance: instance as InterceptorPlugin,
          };
    this.instances.set(entry, loaded);
    return loaded;
  }
}

function kindRank(kind: 'middleware' | 'security'): number {
  return kind === 'middleware' ? 0 : 1;
}

/**
 * `_global` entries, with a same-handler entry of the server replacing the global one in place,
 * the server's other entries appended, and disabled ones dropped (so a server-level
 * `enabled: false` switches a global plugin off for that server).
 */
export function effectiveEntries(scopes: PluginScopes | undefined, serverName: string): PluginEntryConfig[] {
  if (!scopes) return [];
  // Own keys only: a server may be called 'constructor'.
  const own = (key: string): readonly PluginEntryConfig[] => (Object.hasOwn(scopes, key) ? scopes[key]! : []);
  const merged: PluginEntryConfig[] = [...own(GLOBAL_SCOPE)];
  for (const entry of own(serverName)) {
    const at = merged.findIndex((e) => e.handler === entry.handler);
    if (at >= 0) merged[at] = entry;
    else merged.push(entry);
  }
  return merged.filter((e) => e.enabled);
}

/** The middleware, security and auditing plugins that apply to one upstream server. */
export class ServerPipeline {
  private readonly requestHooks: LoadedInterceptor[];
  private readonly responseHooks: LoadedInterceptor[];
  private readonly notificationHooks: LoadedInterceptor[];

  constructor(
    readonly serverName: string,
    private readonly interceptors: readonly LoadedInterceptor[],
    private readonly auditors: readonly LoadedAuditor[],
    private readonly env: PluginEnvironment,
  ) {
    this.requestHooks = interceptors.filter((p) => typeof p.instance.onRequest === 'function');
    // Responses unwind in reverse order, so the plugin nearest the server sees the server's own
    // names first (a plugin that pins definitions hashes them before a renaming middleware changes them).
    this.responseHooks = interceptors.filter((p) => typeof p.instance.onResponse === 'function').reverse();
    this.notificationHooks = interceptors.filter((p) => typeof p.instance.onNotification === 'function');
    this.rewritesOutgoing = auditors.some((a) => typeof a.instance.outgoing === 'function');
  }

  /**
   * The request as the auditing plugins' `outgoing` hooks leave it, in definition order. A hook that
   * throws is logged and skipped: context for the receiver is never worth failing a call.
   */
  outgoing(request: JsonRpcRequest, audited: AuditEvent): JsonRpcRequest {
    let current = request;
    for (const auditor of this.auditors) {
      if (typeof auditor.instance.outgoing !== 'function') continue;
      try {
        current = auditor.instance.outgoing(current, audited) ?? current;
      } catch (err) {
        this.auditFailure(auditor, err);
      }
    }
    return current;
  }

  /** Whether an auditing plugin may replace requests as they leave (see {@link ServerPipeline.outgoing}). */
  readonly rewritesOutgoing: boolean;

  /** Whether any auditing plugin listens (lets the router skip building audit events). */
  get audits(): boolean {
    return this.auditors.length > 0;
  }

  /** No plugin at all applies to this server: the router may forward without running the pipeline. */
  get isEmpty(): boolean {
    return this.interceptors.length === 0 && this.auditors.length === 0;
  }

  /** The handlers in the order they run, for status displays. */
  get handlers(): string[] {
    return [...this.interceptors.map((p) => p.handler), ...this.auditors.map((a) => a.handler)];
  }

  processRequest(request: JsonRpcRequest, ctx: MessageContext): Promise<PipelineResult<JsonRpcRequest>> {
    return Promise.resolve(this.requestStage(request, ctx));
  }

  processResponse(response: JsonRpcResponse, ctx: MessageContext): Promise<PipelineResult<JsonRpcResponse>> {
    return Promise.resolve(this.responseStage(response, ctx));
  }

  processNotification(notification: JsonRpcNotification, ctx: MessageContext): Promise<PipelineResult<JsonRpcNotification>> {
    return Promise.resolve(this.notificationStage(notification, ctx));
  }

  /** The request hooks; a plain result (no promise) when every hook decided synchronously. */
  requestStage(request: JsonRpcRequest, ctx: MessageContext): MaybePromise<PipelineResult<JsonRpcRequest>> {
    return this.run('onRequest', this.requestHooks, request, ctx, undefined);
  }

  /**
   * The response hooks; a plain result when every hook decided synchronously. `observe` is told of
   * every plugin that changed the response, with the response as that plugin left it.
   */
  responseStage(response: JsonRpcResponse, ctx: MessageContext, observe?: StageObserver<JsonRpcResponse>): MaybePromise<PipelineResult<JsonRpcResponse>> {
    return this.run('onResponse', this.responseHooks, response, ctx, observe);
  }

  notificationStage(notification: JsonRpcNotification, ctx: MessageContext): MaybePromise<PipelineResult<JsonRpcNotification>> {
    return this.run('onNotification', this.notificationHooks, notification, ctx, undefined);
  }

  /**
   * Hands the event to every auditing plugin. Rejects with a PluginFailure when a critical one
   * fails, so the caller can stop the traffic it could not record; non-critical failures are logged.
   */
  audit(event: AuditEvent): Promise<void> {
    const recorded = this.record(event);
    if (isThenable(recorded)) return recorded.then(throwFailure);
    return recorded ? Promise.reject(recorded) : Promise.resolve();
  }

  /**
   * `audit` without a promise when every auditing plugin recorded synchronously: undefined once
   * recorded, or the failure of a critical plugin (non-critical failures are logged).
   */
  record(event: AuditEvent): MaybePromise<PluginFailure | undefined> {
    const auditors = this.auditors;
    for (let i = 0; i < auditors.length; i++) {
      const auditor = auditors[i]!;
      let recorded: void | Promise<void>;
      try {
        recorded = auditor.instance.record(event);
      } catch (err) {
        const failure = this.auditFailure(auditor, err);
        if (auditor.critical) return i === auditors.length - 1 ? failure : this.recordRest(event, i + 1, failure);
        continue;
      }
      if (isThenable(recorded)) return this.recordRest(event, i, undefined, recorded);
    }
    return undefined;
  }

  /** The rest of `record` from auditor `index` on, once one of them returned a promise or a critical one failed. */
  private async recordRest(event: AuditEvent, index: number, failed: PluginFailure | undefined, pending?: Promise<void>): Promise<PluginFailure | undefined> {
    let failure = failed;
    for (let i = index; i < this.auditors.length; i++) {
      const auditor = this.auditors[i]!;
      try {
        await (i === index && pending ? pending : auditor.instance.record(event));
      } catch (err) {
        const wrapped = this.auditFailure(auditor, err);
        if (auditor.critical) failure ??= wrapped;
      }
    }
    return failure;
  }

  private auditFailure(auditor: LoadedAuditor, err: unknown): PluginFailure {
    const failure = new PluginFailure(auditor.handler, auditor.critical, err);
    this.env.log(`[${this.serverName}] ${failure.message}`);
    return failure;
  }

  /**
   * Runs the hooks in order. Most hooks decide synchronously, so the loop awaits nothing until a
   * hook returns a promise; from that hook on it continues asynchronously. The result is the same
   * either way; it is a promise only when some hook returned one.
   */
  private run<M extends JsonRpcMessage>(
    hook: Hook,
    plugins: readonly LoadedInterceptor[],
    message: M,
    ctx: MessageContext,
    observe: StageObserver<M> | undefined,
  ): MaybePromise<PipelineResult<M>> {
    if (plugins.length === 0) return passThrough(message);
    const state = new PipelineRun(message, this, hook, observe);
    for (let i = 0; i < plugins.length; i++) {
      const plugin = plugins[i]!;
      let decision: MaybeDecision<M>;
      try {
        decision = state.call(plugin, ctx);
      } catch (err) {
        const failed = state.fail(plugin, err);
        if (failed) return failed;
        continue;
      }
      if (isThenable(decision)) return this.runAsync(state, plugins, i, decision, ctx);
      const decided = state.apply(plugin, decision);
      if (decided) return decided;
    }
    return state.passed();
  }

  /** The rest of `run` once hook `index` returned `pending`: every later decision is awaited. */
  private async runAsync<M extends JsonRpcMessage>(
    state: PipelineRun<M>,
    plugins: readonly LoadedInterceptor[],
    index: number,
    pending: Promise<PluginDecision<M> | undefined>,
    ctx: MessageContext,
  ): Promise<PipelineResult<M>> {
    for (let i = index; i < plugins.length; i++) {
      const plugin = plugins[i]!;
      let decision: PluginDecision<M> | undefined;
      try {
        decision = await (i === index ? pending : state.call(plugin, ctx));
      } catch (err) {
        const failed = state.fail(plugin, err);
        if (failed) return failed;
        continue;
      }
      const decided = state.apply(plugin, decision);
      if (decided) return decided;
    }
    return state.passed();
  }

  /** Reports a hook that threw (for PipelineRun). */
  logFailure(failure: PluginFailure): void {
    this.env.log(`[${this.serverName}] ${failure.message}`);
  }
}

type MaybeDecision<M> = PluginDecision<M> | undefined | Promise<PluginDecision<M> | undefined>;

/** A value, or a promise of it when some plugin answered asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** Told of each plugin that changed a message, with the message as that plugin left it. */
export type StageObserver<M> = (handler: string, kind: 'middleware' | 'security', message: M) => void;

function throwFailure(failure: PluginFailure | undefined): void {
  if (failure) throw failure;
}

export function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The state of one message going through the hooks of one pipeline. */
class PipelineRun<M extends JsonRpcMessage> {
  private readonly started = performance.now();
  /** When the running stage began: the previous stage's end (one clock read per stage). */
  private stageStart = this.started;
  private readonly stages: PipelineStage[] = [];
  private current: M;
  private modified = false;
  private securityEvaluated = false;
  private sensitive = false;
  private redactedBy: string | undefined;

  constructor(
    private readonly message: M,
    private readonly pipeline: ServerPipeline,
    private readonly hook: Hook,
    private readonly observe: StageObserver<M> | undefined,
  ) {
    this.current = message;
  }

  call(plugin: LoadedInterceptor, ctx: MessageContext): MaybeDecision<M> {
    // `plugins` holds only instances with this hook (see the constructor); it is called as their method.
    const hooks = plugin.instance as unknown as Record<Hook, (m: M, c: MessageContext) => MaybeDecision<M>>;
    return hooks[this.hook](this.current, ctx);
  }

  /** A hook threw or rejected: the result when that ends the run (critical plugin: fail closed). */
  fail(plugin: LoadedInterceptor, err: unknown): PipelineResult<M> | undefined {
    const failure = new PluginFailure(plugin.handler, plugin.critical, err);
    this.pipeline.logFailure(failure);
    this.push(plugin, 'error', failure.message);
    if (!plugin.critical) return undefined;
    return this.finish('error', failure.message, {
      response: errorFor(this.message, { code: ErrorCode.InternalError, message: failure.message, data: { plugin: plugin.handler } }),
      decidedBy: plugin.handler,
    });
  }

  /** Takes one plugin's decision: the result when it ends the run (blocked, completed). */
  apply(plugin: LoadedInterceptor, decision: PluginDecision<M> | undefined): PipelineResult<M> | undefined {
    const security = plugin.kind === 'security';
    if (security) this.securityEvaluated = true;
    if (!decision) {
      this.push(plugin, security ? 'allowed' : 'passed', '');
      return undefined;
    }
    const reason = decision.reason ?? '';
    const current = this.current;
    if (!security && decision.completedResponse && 'id' in current && 'method' in current) {
      this.push(plugin, 'completed', reason);
      return this.finish('completed_by_middleware', reason, { response: decision.completedResponse, decidedBy: plugin.handler });
    }
    if (security && decision.allowed === false) {
      this.sensitive = true;
      this.push(plugin, 'blocked', reason);
      return this.finish('blocked', '[blocked]', { response: blockedResponse(this.message, plugin, decision), decidedBy: plugin.handler });
    }
    if (decision.modified && decision.modified !== current) {
      this.current = decision.modified;
      this.modified = true;
      if (security) {
        this.sensitive = true;
        this.redactedBy ??= plugin.handler;
      }
      this.push(plugin, 'modified', reason);
      this.observe?.(plugin.handler, plugin.kind, this.current);
      return undefined;
    }
    this.push(plugin, security ? 'allowed' : 'passed', reason);
    return undefined;
  }

  /** The result when every hook let the message through. */
  passed(): PipelineResult<M> {
    let reason = '';
    if (this.sensitive) {
      if (this.modified) reason = '[modified]';
    } else {
      for (const s of this.stages) if (s.reason) reason += reason ? `; ${s.reason}` : s.reason;
    }
    return this.finish(this.securityEvaluated ? 'allowed' : 'no_security_evaluation', reason, this.redactedBy ? { decidedBy: this.redactedBy } : undefined);
  }

  private push(plugin: LoadedInterceptor, outcome: StageOutcome, reason: string): void {
    const now = performance.now();
    this.stages.push({ handler: plugin.handler, displayName: plugin.displayName, kind: plugin.kind, outcome, reason, durationMs: now - this.stageStart });
    this.stageStart = now;
  }

  private finish(outcome: PipelineResult<M>['outcome'], reason: string, extra?: { response?: JsonRpcResponse | undefined; decidedBy?: string }): PipelineResult<M> {
    const result: { -readonly [K in keyof PipelineResult<M>]: PipelineResult<M>[K] } = {
      outcome,
      message: this.current,
      modified: this.modified,
      securityEvaluated: this.securityEvaluated,
      sensitive: this.sensitive,
      reason,
      stages: this.sensitive ? this.stages.map(reduceStage) : this.stages,
      durationMs: this.stageStart - this.started,
    };
    if (extra?.response) result.response = extra.response;
    if (extra?.decidedBy) result.decidedBy = extra.decidedBy;
    return result;
  }
}

function reduceStage(s: PipelineStage): PipelineStage {
  return s.reason && (s.outcome === 'modified' || s.outcome === 'blocked' || s.outcome === 'allowed') ? { ...s, reason: `[${s.outcome}]` } : s;
}

/** The result of a pipeline with no plugin for this hook: the message goes on unchanged. */
export function passThrough<M>(message: M): PipelineResult<M> {
  return {
    outcome: 'no_security_evaluation',
    message,
    modified: false,
    securityEvaluated: false,
    sensitive: false,
    reason: '',
    stages: [],
    durationMs: 0,
  };
}

/** The response that replaces a message a security plugin blocked. */
function blockedResponse(message: JsonRpcMessage, plugin: LoadedInterceptor, decision: PluginDecision<unknown>): JsonRpcResponse | undefined {
  if ('method' in message) {
    if (!('id' in message)) return undefined; // a blocked notification is dropped
    const error = decision.error ?? {
      code: ErrorCode.SecurityBlocked,
      message: `Request blocked: ${plugin.displayName}`,
      data: { plugin: plugin.handler, reason: decision.reason ?? '' },
    };
    return makeError(message.id, error.code, error.message, error.data);
  }
  return makeError(message.id, ErrorCode.SecurityBlocked, 'Response blocked by security handler', {
    plugin: plugin.handler,
    reason: decision.reason ?? '',
  });
}

function errorFor(message: JsonRpcMessage, error: JsonRpcErrorObject): JsonRpcResponse | undefined {
  if ('method' in message && !('id' in message)) return undefined;
  const id = 'id' in message ? message.id : null;
  return makeError(id, error.code, error.message, error.data);
}
