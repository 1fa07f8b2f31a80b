// Routes MCP between one client and many upstreams: the client's requests by namespace and resource
// URI, fanned out and merged for lists, with ids mapped both ways and cancellations forwarded. What
// the plugins make of each message is the exchange's (src/plugins/exchange.ts); the handshake, the
// lists and what the servers start live beside this file, and this class owns the session's state.
import { ErrorCode, isRecord, makeError, makeResult, type Classified, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import { auditRefusal, exchangeNotification, exchangeRequest, Unsent, type TrafficEvent } from '../plugins/exchange';
import type { ApprovalAnswer, ApprovalQuestion, RequestOrigin } from '../plugins/types';
import type { ClientElicitor } from './approval-asking';
import { loadChunk } from './chunks';
import type * as approvalChunk from './chunks/approval';
import { renameInMessage } from './namespacing';
import { namespacedName, splitNamespacedAmong } from '../shared/namespacing';
import type { ClientHandshake, Upstream } from './upstream';
import { SessionHandshake } from './handshake';
import { ListAggregator, LISTS } from './list-aggregation';
import { ServerTraffic } from './server-traffic';
import { withReplacedId } from './transport/raw-text';
import type { Received } from '../shared/received';
import { hasCapability, META_UNAVAILABLE, progressTokenOf, running, type ClientRequestState, type ForwardOptions, type RouterHost } from './routing';

export { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './handshake';
export { META_UNAVAILABLE, type RouterHost } from './routing';
export type { TrafficEvent, RequestOrigin };

function idKey(id: string | number): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

export class Router {
  private readonly inFlight = new Map<string, ClientRequestState>();
  /** Client requests by the progress token they carry: only the servers they went to may report progress on it. */
  private readonly clientProgress = new Map<string | number, ClientRequestState>();
  private readonly handshake: SessionHandshake;
  private readonly lists: ListAggregator;
  private readonly serverTraffic: ServerTraffic;
  private closed = false;
  /** Ids of the gateway's own requests in control-only mode (never a client's: they are strings of ours). */
  private nextInternalId = 1;
  /** `forward`, bound once for the parts that send on a client request's behalf. */
  private readonly forwardFn = (server: string, request: JsonRpcRequest, state: ClientRequestState, options?: ForwardOptions): Promise<JsonRpcResponse> =>
    this.forward(server, request, state, options);
  private readonly isClosed = (): boolean => this.closed;
  /** Whether a configured upstream has this name (a namespaced name is split after one). */
  private readonly isServer = (name: string): boolean => this.host.upstreams.has(name);
  /** Questions a plugin asks this client's user through elicitation (made at the first question). */
  private elicitor: ClientElicitor | undefined;
  /** VS Code first (it asks the same person for every client), else this client's elicitation, else no one. */
  private readonly askApproval = (question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalAnswer> | undefined => {
    const vscode = this.host.askApproval?.(question, signal);
    if (vscode !== undefined || !this.clientSupports('elicitation') || this.closed) return vscode;
    this.elicitor ??= new (loadChunk<typeof approvalChunk>('approval').ClientElicitor)((message, server) => this.host.sendToClient(message, undefined, server));
    return this.elicitor.ask(question, signal);
  };

  constructor(private readonly host: RouterHost) {
    this.handshake = new SessionHandshake(host);
    this.lists = new ListAggregator(host, this.forwardFn);
    this.serverTraffic = new ServerTraffic(host, {
      isOpen: () => this.handshake.isInitialized && !this.closed,
      reportsTo: (server, token) => this.reportsTo(server, token),
      forgetResources: (server) => this.lists.resources.forgetServer(server),
    });
    // Sessions over shared upstreams are told their servers' messages by the hub that owns them.
    if (!host.sharedUpstreams) for (const upstream of host.upstreams.values()) this.attach(upstream);
  }

  /** Stops answering: requests still in flight get -32004 so nothing waits forever. */
  close(): void {
    this.closed = true;
    for (const state of this.inFlight.values()) {
      state.abort?.abort();
      this.answer(state, makeError(state.id, ErrorCode.UpstreamUnavailable, 'Gatekit is shutting down'));
    }
    this.elicitor?.close();
  }

  /**
   * A message for the client could not be serialized (JSON.parse accepts nesting JSON.stringify
   * cannot write back): answer in its place so neither the client nor the server waits forever.
   */
  undeliverable(message: JsonRpcMessage, why: string): void {
    this.host.log(`could not send a '${'method' in message ? message.method : 'response'}' message to the client: ${why}`);
    if (!('method' in message)) {
      if (message.id !== null) this.host.sendToClient(makeError(message.id, ErrorCode.InternalError, `Gatekit could not send the response: ${why}`));
      return;
    }
    if ('id' in message && typeof message.id === 'number') this.serverTraffic.undeliverable(message.id, why);
  }

  /** Entry point for everything the client sends, already parsed and classified. */
  handleClient(classified: Classified, raw?: unknown): void {
    switch (classified.kind) {
      case 'invalid':
        // A malformed answer is not a request: answering it could collide with one of the client's
        // own ids. The server that asked is told instead, so it does not wait forever.
        if (isRecord(raw) && !('method' in raw) && ('result' in raw || 'error' in raw)) {
          if (this.elicitor?.onInvalidClientResponse(raw.id, classified.reason)) return;
          return this.serverTraffic.onInvalidClientResponse(raw.id, classified.reason);
        }
        this.host.sendToClient(makeError(classified.id, classified.code, classified.reason));
        return;
      case 'request':
        this.onClientRequest(classified.message);
        return;
      case 'notification':
        void this.onClientNotification(classified.message);
        return;
      case 'response':
        if (!this.elicitor?.onClientResponse(classified.message)) this.serverTraffic.onClientResponse(classified.message);
    }
  }

  /** Listens to an upstream's messages (called for each upstream, also those added by a config reload). */
  attach(upstream: Upstream): void {
    if (this.host.sharedUpstreams) return;
    upstream.on('notification', (n) => this.onServerNotification(upstream.name, n));
    upstream.on('request', (r) => this.onServerRequest(upstream.name, r));
    upstream.on('restarted', () => this.onUpstreamRestarted(upstream.name));
  }

  /** A server's notification for this router's client (the upstream's listener, or the session hub's choice). */
  onServerNotification(server: string, notification: JsonRpcNotification): void {
    void this.serverTraffic.onServerNotification(server, notification);
  }

  /** A server's request for this router's client (sampling, elicitation, roots…). */
  onServerRequest(server: string, request: JsonRpcRequest): void {
    void this.serverTraffic.onServerRequest(server, request);
  }

  onUpstreamRestarted(server: string): void {
    // Its lists may differ after a restart: make the client fetch them again.
    this.lists.resources.forgetServer(server);
    this.notifyListsChanged();
  }

  /** Ids of this client's requests still running that were sent on to `server` (who a server's request is likely for). */
  requestsCalling(server: string): JsonRpcId[] {
    const ids: JsonRpcId[] = [];
    for (const state of this.inFlight.values()) if (!state.done && state.calls.some((call) => call.upstream.name === server)) ids.push(state.id);
    return ids;
  }

  /** Whether this router relayed `server`'s request `upstreamId` to its client and waits for the answer. */
  relaysServerRequest(server: string, upstreamId: unknown): boolean {
    return this.serverTraffic.relays(server, upstreamId);
  }

  /** Whether the client said it handles `capability` (sampling, elicitation, roots) in its initialize. */
  clientSupports(capability: string): boolean {
    const caps = this.handshake.client?.capabilities;
    return isRecord(caps) && caps[capability] !== undefined && caps[capability] !== null;
  }

  /** The handshake the client made, for upstreams started after it (config reload). */
  get clientHandshake(): ClientHandshake | undefined {
    return this.handshake.client;
  }

  /** Tells the client to fetch its lists again (servers restarted, policy or config changed). */
  notifyListsChanged(): void {
    // A server a config reload removed must not keep its resources.
    const resources = this.lists.resources;
    for (const server of resources.servers()) if (!this.host.upstreams.has(server)) resources.forgetServer(server);
    if (!this.handshake.isInitialized || this.closed) return;
    for (const list of ['tools', 'prompts', 'resources']) {
      if (this.handshake.advertised(list)) this.host.sendToClient({ jsonrpc: '2.0', method: `notifications/${list}/list_changed` });
    }
  }

  // ---------------------------------------------------------------- without a client (--control-only)

  /**
   * Opens the session with a handshake of the gateway's own instead of a client's `initialize`
   * (control-only mode): every upstream starts as it would for a client. Resolves false when none
   * could (`fatal` has then been called, as for a client).
   */
  async openWithoutClient(handshake: ClientHandshake): Promise<boolean> {
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: `gatekit-internal-${this.nextInternalId++}`, method: 'initialize', params: { ...handshake } };
    return 'result' in (await this.handshake.initialize(request));
  }

  /**
   * Serves a list request of the gateway's own exactly as a client's (pipelines, audit, traffic,
   * tool inventories, resource index) and returns the merged answer instead of sending it.
   */
  listWithoutClient(method: 'tools/list' | 'resources/list' | 'resources/templates/list'): Promise<JsonRpcResponse> {
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: `gatekit-internal-${this.nextInternalId++}`, method, params: {} };
    return this.dispatch(request, { id: request.id, method, receivedAt: performance.now(), calls: [], done: false });
  }

  // ---------------------------------------------------------------- client requests

  private onClientRequest(request: JsonRpcRequest): void {
    const key = idKey(request.id);
    if (this.inFlight.has(key)) {
      this.host.sendToClient(makeError(request.id, ErrorCode.InvalidRequest, `Request id ${JSON.stringify(request.id)} is already in use by a request in progress`));
      return;
    }
    if (this.closed) {
      this.host.sendToClient(makeError(request.id, ErrorCode.UpstreamUnavailable, 'Gatekit is shutting down'));
      return;
    }
    const token = progressTokenOf(request);
    const meta = request.params?._meta;
    if (token === undefined && isRecord(meta) && 'progressToken' in meta) {
      // The SDKs' servers drop a whole message whose token is not a string or a number (it fails their
      // message schema), so forwarding it would leave the call waiting for its timeout.
      this.host.sendToClient(makeError(request.id, ErrorCode.InvalidParams, "Field 'params._meta.progressToken' must be a string or a number"));
      return;
    }
    const state: ClientRequestState = { id: request.id, method: request.method, receivedAt: performance.now(), calls: [], done: false };
    this.inFlight.set(key, state);
    if (token !== undefined) {
      state.progressToken = token;
      this.clientProgress.set(token, state);
    }
    this.dispatch(request, state).then(
      (response) => this.answer(state, response),
      (err: unknown) => {
        this.host.log(`internal error while handling '${request.method}': ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        this.answer(state, makeError(request.id, ErrorCode.InternalError, `Internal error: ${err instanceof Error ? err.message : String(err)}`));
      },
    );
  }

  /** Sends the one answer a client request gets; later attempts (after cancellation, shutdown) are dropped. */
  private answer(state: ClientRequestState, response: JsonRpcResponse): void {
    if (state.done) return;
    this.finish(state);
    if (response.id !== state.id) return this.host.sendToClient({ ...response, id: state.id });
    // An upstream's answer passed on unchanged is written from the text it came in.
    const text = state.answerText;
    this.host.sendToClient(response, text?.message === response ? text.raw : undefined);
  }

  /** Stops tracking a client request (answered or cancelled): no answer nor progress for it goes out any more. */
  private finish(state: ClientRequestState): void {
    state.done = true;
    this.inFlight.delete(idKey(state.id));
    if (state.progressToken !== undefined && this.clientProgress.get(state.progressToken) === state) this.clientProgress.delete(state.progressToken);
  }

  private async dispatch(request: JsonRpcRequest, state: ClientRequestState): Promise<JsonRpcResponse> {
    const { method } = request;
    if (method === 'initialize') return this.handshake.initialize(request);
    if (method === 'ping') return makeResult(request.id, {});
    const admitted = this.handshake.admit(request, this.isClosed);
    const refusal = admitted instanceof Promise ? await admitted : admitted;
    if (refusal) return refusal;
    const list = LISTS[method];
    if (list) return this.lists.aggregate(list, request, state);
    switch (method) {
      case 'tools/call': {
        const answer = await this.callByName(request, state, 'Tool');
        // Refused before any server's plugins saw it (not namespaced, unknown server): audited here.
        return state.calls.length === 0 && 'error' in answer && answer.error.code === ErrorCode.InvalidParams ? auditRefusal(this.host.plugins.pipelineFor(''), request, answer) : answer;
      }
      case 'prompts/get':
        return this.callByName(request, state, 'Prompt');
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.routeByUri(request, state, request.params?.uri);
      case 'completion/complete':
        return this.complete(request, state);
      case 'logging/setLevel':
        return this.broadcast(request, state, 'logging');
      default:
        return makeError(request.id, ErrorCode.MethodNotFound, `Method not found: ${method}`);
    }
  }

  /** tools/call and prompts/get: `server__name` picks the upstream, which sees its own name. */
  private async callByName(request: JsonRpcRequest, state: ClientRequestState, what: 'Tool' | 'Prompt'): Promise<JsonRpcResponse> {
    const name = request.params?.name;
    const lower = what.toLowerCase();
    if (typeof name !== 'string' || name === '') {
      return makeError(request.id, ErrorCode.InvalidParams, `${what} ${what === 'Tool' ? 'call' : 'request'} missing required 'name' parameter`);
    }
    const target = this.host.singleServer !== undefined ? { server: this.host.singleServer, name } : splitNamespacedAmong(name, this.isServer);
    if (!target) {
      return makeError(
        request.id,
        ErrorCode.InvalidParams,
        `${what} '${name}' is not properly namespaced. All ${lower} ${what === 'Tool' ? 'calls' : 'requests'} must use 'server__${lower}' format (e.g., 'filesystem__read_file')`,
      );
    }
    if (!this.host.upstreams.has(target.server)) {
      return makeError(request.id, ErrorCode.InvalidParams, `Unknown server '${target.server}' in request`);
    }
    // A name the server's list offered in a form the router left out is not callable either.
    const leftOut = this.lists.leftOutReason(what === 'Tool' ? 'tools' : 'prompts', target.server, target.name);
    if (leftOut !== undefined) {
      return makeError(request.id, ErrorCode.MethodNotFound, `${what} '${name}' is not available: ${leftOut}`, { reason: 'invalid_listing', server: target.server });
    }
    const clean: JsonRpcRequest = { ...request, params: { ...request.params, name: target.name } };
    const response = await this.forward(target.server, clean, state);
    if ('error' in response && typeof response.error.message === 'string') {
      const message = renameInMessage(response.error.message, target.name, name);
      if (message !== response.error.message) return { ...response, error: { ...response.error, message } };
    }
    return response;
  }

  private async routeByUri(request: JsonRpcRequest, state: ClientRequestState, uri: unknown): Promise<JsonRpcResponse> {
    if (typeof uri !== 'string' || uri === '') {
      return makeError(request.id, ErrorCode.InvalidParams, `Request '${request.method}' is missing the required 'uri' parameter`);
    }
    const target = await this.lists.resolveResource(uri);
    if (!target) {
      return makeError(request.id, ErrorCode.InvalidParams, `No server offers the resource '${uri}' (list resources first, or use the 'server__uri' form)`);
    }
    if ('ambiguous' in target) return ambiguousResource(request.id, uri, target.ambiguous);
    const clean = target.uri === uri ? request : { ...request, params: { ...request.params, uri: target.uri } };
    return this.forward(target.server, clean, state);
  }

  private async complete(request: JsonRpcRequest, state: ClientRequestState): Promise<JsonRpcResponse> {
    const ref = request.params?.ref;
    if (!isRecord(ref)) return makeError(request.id, ErrorCode.InvalidParams, "completion/complete is missing the required 'ref' parameter");
    if (ref.type === 'ref/prompt') {
      const single = this.host.singleServer;
      const target = typeof ref.name !== 'string' ? undefined : single !== undefined ? { server: single, name: ref.name } : splitNamespacedAmong(ref.name, this.isServer);
      if (!target || !this.host.upstreams.has(target.server)) {
        return makeError(request.id, ErrorCode.InvalidParams, `Unknown prompt '${String(ref.name)}' in completion reference: use 'server__prompt'`);
      }
      return this.forward(target.server, { ...request, params: { ...request.params, ref: { ...ref, name: target.name } } }, state);
    }
    if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
      const target = await this.lists.resolveResource(ref.uri);
      if (!target) return makeError(request.id, ErrorCode.InvalidParams, `No server offers the resource '${ref.uri}'`);
      if ('ambiguous' in target) return ambiguousResource(request.id, ref.uri, target.ambiguous);
      return this.forward(target.server, { ...request, params: { ...request.params, ref: { ...ref, uri: target.uri } } }, state);
    }
    return makeError(request.id, ErrorCode.InvalidParams, `Unsupported completion reference type '${String(ref.type)}'`);
  }

  /** Sends the request to every running server with the capability; the first success answers. */
  private async broadcast(request: JsonRpcRequest, state: ClientRequestState, capability: string): Promise<JsonRpcResponse> {
    const targets = running(this.host.upstreams).filter((u) => hasCapability(u, capability));
    if (targets.length === 0) return makeResult(request.id, {});
    const responses = await Promise.all(targets.map((u) => this.forward(u.name, request, state)));
    const failures = responses.filter((r) => 'error' in r);
    if (failures.length === responses.length) return failures[0]!;
    const result: Record<string, unknown> = {};
    if (failures.length) result._meta = { [META_UNAVAILABLE]: targets.filter((_, i) => 'error' in responses[i]!).map((u) => ({ server: u.name })) };
    return makeResult(request.id, result);
  }

  /**
   * Sends one clean request to one server through its exchange and returns the answer (with the
   * client's id). Never rejects for upstream failures.
   */
  private async forward(server: string, request: JsonRpcRequest, state: ClientRequestState, options?: ForwardOptions): Promise<JsonRpcResponse> {
    const upstream = this.host.upstreams.get(server)!;
    const fetch = options?.fetch;
    const send = (sent: JsonRpcRequest): Promise<Received<JsonRpcResponse>> | Unsent => {
      if (state.done) return new Unsent(makeError(request.id, ErrorCode.UpstreamUnavailable, 'Request was cancelled'));
      if (fetch) return fetch(sent).then((message) => ({ message }));
      return upstream.request(sent.method, sent.params, (upstreamId) => state.calls.push({ upstream, upstreamId }));
    };
    const exchange = {
      pipeline: this.host.plugins.pipelineFor(server),
      direction: 'client_to_server',
      startedAt: state.receivedAt,
      recordTraffic: this.host.traffic !== undefined,
      // An answer that came with its text keeps it, with the client's id spliced in.
      underId: withReplacedId,
      ...(options?.observeResponse ? { observeResponse: options.observeResponse } : {}),
      ...(request.method === 'tools/call' ? { askApproval: this.askApproval, signal: (state.abort ??= new AbortController()).signal } : {}),
    } as const;
    const { answer, record, raw } = await exchangeRequest(exchange, request, send);
    if (record) this.host.traffic?.(record);
    if (raw) state.answerText = { message: answer!, raw };
    return answer!;
  }

  // ---------------------------------------------------------------- client notifications

  private async onClientNotification(notification: JsonRpcNotification): Promise<void> {
    const params = notification.params ?? {};
    switch (notification.method) {
      case 'notifications/initialized':
      case 'notifications/cancelled':
        // Handled here rather than relayed as they came: still screened and audited (the original
        // logged every client notification), through the `_global` plugins, delivered nowhere.
        exchangeNotification(this.host.plugins.pipelineFor(''), 'notification_to_server', notification, () => undefined, false).catch((err: unknown) =>
          this.host.log(`could not audit '${notification.method}': ${err instanceof Error ? err.message : String(err)}`),
        );
    }
    switch (notification.method) {
      case 'notifications/initialized':
        return; // each upstream got its own at the end of its handshake
      case 'notifications/cancelled': {
        const requestId = params.requestId;
        const state = typeof requestId === 'string' || typeof requestId === 'number' ? this.inFlight.get(idKey(requestId)) : undefined;
        if (!state) return;
        // The client will ignore any answer now; stop tracking it and tell each upstream at once.
        this.finish(state);
        state.abort?.abort();
        const reason = typeof params.reason === 'string' ? params.reason : undefined;
        for (const call of state.calls) call.upstream.cancel(call.upstreamId, reason);
        return;
      }
      case 'notifications/progress': {
        const token = params.progressToken;
        const server = typeof token === 'string' || typeof token === 'number' ? this.serverTraffic.progressOwner(token) : undefined;
        if (server) await this.serverTraffic.notifyServer(server, notification);
        return;
      }
      default:
        // roots/list_changed and any other client notification concern every server.
        await Promise.all(running(this.host.upstreams).map((u) => this.serverTraffic.notifyServer(u.name, notification)));
    }
  }

  /** Whether `server` was sent the client request whose progress token this is (and it is still running). */
  private reportsTo(server: string, token: unknown): boolean {
    const state = typeof token === 'string' || typeof token === 'number' ? this.clientProgress.get(token) : undefined;
    return state !== undefined && !state.done && state.calls.some((call) => call.upstream.name === server);
  }
}

/** -32602 for a URI several servers claim: the client must pick one with the `server__uri` form. */
function ambiguousResource(id: JsonRpcRequest['id'], uri: string, servers: readonly string[]): JsonRpcResponse {
  const named = servers.map((s) => `'${s}'`);
  return makeError(
    id,
    ErrorCode.InvalidParams,
    `The resource '${uri}' is ambiguous: servers ${named.slice(0, -1).join(', ')} and ${named[named.length - 1]} ${servers.length === 2 ? 'both' : 'all'} offer it; name one with the 'server__uri' form (e.g. '${namespacedName(servers[0]!, uri)}')`,
    { servers: [...servers] },
  );
}
