// Routes MCP between one client and many upstreams: answers the handshake, fans out and merges
// lists, routes calls by namespace and resources by URI, relays server→client requests, maps ids
// both ways, forwards cancellations, and runs every message through the server's plugin pipeline.
import {
  describeError,
  ErrorCode,
  isRecord,
  makeError,
  makeResult,
  type Classified,
  type JsonRpcFailure,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../shared/jsonrpc';
import type { AuditEvent, MessageContext, PipelineResult, RequestOrigin } from '../plugins/types';
import { passThrough, type PluginHost, type ServerPipeline } from '../plugins/pipeline';
import { toolApprovalAnnotation } from '../plugins/capabilities';
import { renameInMessage, ResourceIndex, isValidToolName } from './namespacing';
import { namespacedName, splitNamespaced } from '../shared/namespacing';
import type { ExchangeRecord } from '../shared/vocabulary';
import { screenList, type LeftOut, type NamedListKey } from './list-items';
import type { ClientHandshake, Upstream } from './upstream';
import { withReplacedId } from './transport/ndjson';
import type { ToolInventoryEntry, ToolInventoryParams } from '../shared/protocol';

/** Protocol versions this gateway speaks, oldest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;
export const LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[SUPPORTED_PROTOCOL_VERSIONS.length - 1]!;

/** Key under a result's `_meta` that lists servers left out of an aggregated answer. */
export const META_UNAVAILABLE = 'gatekit/unavailableServers';

/** Pages followed per server for one list request, so a server that loops its cursor cannot hang us. */
const MAX_PAGES = 1000;

/** Client requests sent right after `initialize` (pipelined) that wait for its answer; beyond, they are refused. */
const MAX_WAITING_FOR_HANDSHAKE = 1000;

/** Server→client requests waiting for the client at once; beyond, a server flooding requests is refused. */
const MAX_WAITING_SERVER_REQUESTS = 1000;

/** One finished exchange, for the traffic view and status displays (defined in src/shared/vocabulary). */
export type TrafficEvent = ExchangeRecord;

/** What the router needs from the process around it. */
export interface RouterHost {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly plugins: PluginHost;
  readonly serverInfo: { name: string; version: string };
  /** Writes a message to the client. */
  sendToClient(message: JsonRpcMessage): void;
  /** Starts every upstream with the client's handshake; resolves when each is up or has failed. */
  connectUpstreams(handshake: ClientHandshake): Promise<void>;
  log(line: string): void;
  /** Called for every finished exchange when someone listens. */
  traffic?: (event: TrafficEvent) => void;
  /** Called with what the policy does to each upstream tool, after each tools/list, when someone listens. */
  toolInventory?: (inventory: ToolInventoryParams) => void;
  /**
   * Called with what a server claims together with another server (URIs, templates, URIs read
   * that both's templates match: reads of them are refused as ambiguous), whenever that changes.
   */
  resourceAmbiguity?: (server: string, claims: readonly string[]) => void;
  /** Called when the client's initialize could not be served by any upstream (the process exits 1). */
  fatal(reason: string): void;
}

interface ClientRequestState {
  readonly id: JsonRpcId;
  readonly method: string;
  readonly receivedAt: number;
  /** Upstream requests made on its behalf, for forwarding a cancellation. */
  readonly calls: { upstream: Upstream; upstreamId: number }[];
  done: boolean;
  /** The client's `_meta.progressToken`, if it asked for progress. */
  progressToken?: string | number;
}

interface ServerRequestState {
  readonly server: string;
  readonly upstreamId: JsonRpcId;
  readonly request: JsonRpcRequest;
  readonly receivedAt: number;
  readonly progressToken?: string | number;
}

type ListKind = { method: string; key: 'tools' | 'prompts' | 'resources' | 'resourceTemplates'; capability: 'tools' | 'prompts' | 'resources'; namespace: boolean };

// Looked up by the client's method name: no prototype, so `constructor` or `__proto__` is no list.
const LISTS: Record<string, ListKind> = Object.assign(Object.create(null) as Record<string, ListKind>, {
  'tools/list': { method: 'tools/list', key: 'tools', capability: 'tools', namespace: true },
  'prompts/list': { method: 'prompts/list', key: 'prompts', capability: 'prompts', namespace: true },
  'resources/list': { method: 'resources/list', key: 'resources', capability: 'resources', namespace: false },
  'resources/templates/list': { method: 'resources/templates/list', key: 'resourceTemplates', capability: 'resources', namespace: false },
} satisfies Record<string, ListKind>);

function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

export class Router {
  private readonly inFlight = new Map<string, ClientRequestState>();
  private readonly serverRequests = new Map<number, ServerRequestState>();
  private readonly progressOwners = new Map<string | number, string>();
  /** Client requests by the progress token they carry: only the servers they went to may report progress on it. */
  private readonly clientProgress = new Map<string | number, ClientRequestState>();
  private readonly resources = new ResourceIndex(
    (line) => this.host.log(line),
    (servers) => {
      for (const server of servers) this.host.resourceAmbiguity?.(server, this.resources.ambiguousClaims(server));
    },
  );
  /** tools/prompts → server → names its last complete list offered but the router left out, and why. */
  private readonly leftOutNames: Record<NamedListKey, Map<string, Map<string, string>>> = { tools: new Map(), prompts: new Map() };
  private nextGatewayId = 1;
  private nextInternalId = 1;
  private initialized = false;
  private handshake: ClientHandshake | undefined;
  private initializing = false;
  /** Settles once the answer to `initialize` is on its way: requests pipelined behind it wait for this. */
  private handshakeDone: Promise<void> | undefined;
  private waitingForHandshake = 0;
  private closed = false;

  constructor(private readonly host: RouterHost) {
    for (const upstream of host.upstreams.values()) this.attach(upstream);
  }

  /** Stops answering: requests still in flight get -32004 so nothing waits forever. */
  close(): void {
    this.closed = true;
    for (const state of this.inFlight.values()) {
      this.answer(state, makeError(state.id, ErrorCode.UpstreamUnavailable, 'Gatekit is shutting down'));
    }
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
    if ('id' in message && typeof message.id === 'number') {
      const state = this.forgetServerRequest(message.id);
      if (state) this.host.upstreams.get(state.server)?.send(makeError(state.upstreamId, ErrorCode.InternalError, `Gatekit could not relay the request to the client: ${why}`));
    }
  }

  /** Entry point for everything the client sends, already parsed and classified. */
  handleClient(classified: Classified, raw?: unknown): void {
    switch (classified.kind) {
      case 'invalid':
        // A malformed answer is not a request: answering it could collide with one of the client's
        // own ids. The server that asked is told instead, so it does not wait forever.
        if (isRecord(raw) && !('method' in raw) && ('result' in raw || 'error' in raw)) return this.onInvalidClientResponse(raw.id, classified.reason);
        this.host.sendToClient(makeError(classified.id, classified.code, classified.reason));
        return;
      case 'request':
        this.onClientRequest(classified.message);
        return;
      case 'notification':
        void this.onClientNotification(classified.message);
        return;
      case 'response':
        void this.onClientResponse(classified.message);
    }
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
    const state: ClientRequestState = { id: request.id, method: request.method, receivedAt: performance.now(), calls: [], done: false };
    this.inFlight.set(key, state);
    const token = progressTokenOf(request);
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
    this.host.sendToClient(response.id === state.id ? response : { ...response, id: state.id });
  }

  /** Stops tracking a client request (answered or cancelled): no answer nor progress for it goes out any more. */
  private finish(state: ClientRequestState): void {
    state.done = true;
    this.inFlight.delete(idKey(state.id));
    if (state.progressToken !== undefined && this.clientProgress.get(state.progressToken) === state) this.clientProgress.delete(state.progressToken);
  }

  private async dispatch(request: JsonRpcRequest, state: ClientRequestState): Promise<JsonRpcResponse> {
    const { method } = request;
    if (method === 'initialize') return this.initialize(request);
    if (method === 'ping') return makeResult(request.id, {});
    if (!this.initialized && this.handshakeDone) {
      // Sent right behind `initialize`, before its answer (pipelined): served in order once it is done.
      if (this.waitingForHandshake >= MAX_WAITING_FOR_HANDSHAKE) {
        return makeError(request.id, ErrorCode.InvalidRequest, `Too many requests (${MAX_WAITING_FOR_HANDSHAKE}) are waiting for 'initialize' to finish`);
      }
      this.waitingForHandshake++;
      await this.handshakeDone;
      this.waitingForHandshake--;
      if (!this.initialized) return makeError(request.id, ErrorCode.InvalidRequest, `Received '${method}' while 'initialize' failed: the session is not initialized`);
      if (this.closed) return makeError(request.id, ErrorCode.UpstreamUnavailable, 'Gatekit is shutting down');
    }
    if (!this.initialized) {
      return makeError(request.id, ErrorCode.InvalidRequest, `Received '${method}' before initialization: send 'initialize' first`);
    }
    const list = LISTS[method];
    if (list) return this.aggregateList(list, request, state);
    switch (method) {
      case 'tools/call':
        return this.callByName(request, state, 'Tool');
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

  private async initialize(request: JsonRpcRequest): Promise<JsonRpcResponse> {
    if (this.initialized || this.initializing) {
      return makeError(request.id, ErrorCode.InvalidRequest, 'The session is already initialized');
    }
    let release!: () => void;
    this.handshakeDone = new Promise((resolve) => (release = resolve));
    try {
      return await this.performInitialize(request);
    } finally {
      if (!this.initialized) this.initializing = false;
      // After this turn's microtasks, so the answer to `initialize` is written before any waiting request's.
      setImmediate(release);
    }
  }

  private async performInitialize(request: JsonRpcRequest): Promise<JsonRpcResponse> {
    this.initializing = true;
    const params = request.params ?? {};
    const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : LATEST_PROTOCOL_VERSION;
    const protocolVersion = (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : LATEST_PROTOCOL_VERSION;
    const capabilities = isRecord(params.capabilities) ? params.capabilities : {};
    const clientInfo = isRecord(params.clientInfo) ? params.clientInfo : { name: 'unknown', version: '0' };
    this.handshake = { protocolVersion, capabilities, clientInfo };
    await this.host.connectUpstreams(this.handshake);

    const running = [...this.host.upstreams.values()].filter((u) => u.state === 'running');
    const failed = [...this.host.upstreams.values()].filter((u) => u.state !== 'running');
    if (running.length === 0) {
      const detail = failed.map((u) => `${u.name}: ${u.lastError ?? u.state}`).join('; ');
      this.initializing = false;
      this.host.fatal(`No upstream server could start (${detail})`);
      return makeError(request.id, ErrorCode.InternalError, `No upstream server could start: ${detail}`, {
        fix_instructions: 'Check each upstream command in the configuration: run it by hand to see why it exits, and make sure it speaks MCP on stdio.',
        servers: failed.map((u) => ({ name: u.name, error: u.lastError ?? u.state })),
      });
    }
    const instructions: string[] = [];
    const merged = { tools: { listChanged: true } } as Record<string, unknown>;
    let subscribe = false;
    for (const upstream of running) {
      const caps = isRecord(upstream.initializeResult?.capabilities) ? upstream.initializeResult.capabilities : {};
      if (caps.resources) {
        subscribe ||= isRecord(caps.resources) && caps.resources.subscribe === true;
        merged.resources = { subscribe, listChanged: true };
      }
      if (caps.prompts) merged.prompts = { listChanged: true };
      if (caps.logging) merged.logging = {};
      if (caps.completions) merged.completions = {};
      const text = await this.screenInstructions(upstream, request);
      if (text) instructions.push(`## ${upstream.name}\n${text}`);
    }
    this.initialized = true;
    this.initializing = false;
    const result: Record<string, unknown> = { protocolVersion, capabilities: merged, serverInfo: this.host.serverInfo };
    if (instructions.length) result.instructions = instructions.join('\n\n');
    if (failed.length) result._meta = { [META_UNAVAILABLE]: failed.map((u) => ({ server: u.name, error: u.lastError ?? u.state })) };
    return makeResult(request.id, result);
  }

  /** Runs an upstream's `initialize` answer through its pipeline so its instructions are screened too. */
  private async screenInstructions(upstream: Upstream, clientRequest: JsonRpcRequest): Promise<string | undefined> {
    const result = upstream.initializeResult ?? {};
    if (typeof result.instructions !== 'string' || !result.instructions) return undefined;
    const pipeline = this.host.plugins.pipelineFor(upstream.name);
    const response = makeResult(clientRequest.id, result);
    const ctx: MessageContext = { serverName: upstream.name, origin: 'client', request: clientRequest, requestId: clientRequest.id };
    const outcome = await pipeline.processResponse(response, ctx);
    if (outcome.response || !('result' in outcome.message)) {
      this.host.log(`[${upstream.name}] server instructions withheld: ${outcome.reason}`);
      return undefined;
    }
    const text = outcome.message.result.instructions;
    return typeof text === 'string' ? text : undefined;
  }

  /** tools/call and prompts/get: `server__name` picks the upstream, which sees its own name. */
  private async callByName(request: JsonRpcRequest, state: ClientRequestState, what: 'Tool' | 'Prompt'): Promise<JsonRpcResponse> {
    const name = request.params?.name;
    const lower = what.toLowerCase();
    if (typeof name !== 'string' || name === '') {
      return makeError(request.id, ErrorCode.InvalidParams, `${what} ${what === 'Tool' ? 'call' : 'request'} missing required 'name' parameter`);
    }
    const target = splitNamespaced(name);
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
    const leftOut = this.leftOutNames[what === 'Tool' ? 'tools' : 'prompts'].get(target.server)?.get(target.name);
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
    const target = await this.resolveResource(uri);
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
      const target = typeof ref.name === 'string' ? splitNamespaced(ref.name) : undefined;
      if (!target || !this.host.upstreams.has(target.server)) {
        return makeError(request.id, ErrorCode.InvalidParams, `Unknown prompt '${String(ref.name)}' in completion reference: use 'server__prompt'`);
      }
      return this.forward(target.server, { ...request, params: { ...request.params, ref: { ...ref, name: target.name } } }, state);
    }
    if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
      const target = await this.resolveResource(ref.uri);
      if (!target) return makeError(request.id, ErrorCode.InvalidParams, `No server offers the resource '${ref.uri}'`);
      if ('ambiguous' in target) return ambiguousResource(request.id, ref.uri, target.ambiguous);
      return this.forward(target.server, { ...request, params: { ...request.params, ref: { ...ref, uri: target.uri } } }, state);
    }
    return makeError(request.id, ErrorCode.InvalidParams, `Unsupported completion reference type '${String(ref.type)}'`);
  }

  /** Sends the request to every running server with the capability; the first success answers. */
  private async broadcast(request: JsonRpcRequest, state: ClientRequestState, capability: string): Promise<JsonRpcResponse> {
    const targets = this.running().filter((u) => hasCapability(u, capability));
    if (targets.length === 0) return makeResult(request.id, {});
    const responses = await Promise.all(targets.map((u) => this.forward(u.name, request, state)));
    const failures = responses.filter((r) => 'error' in r);
    if (failures.length === responses.length) return failures[0]!;
    const result: Record<string, unknown> = {};
    if (failures.length) result._meta = { [META_UNAVAILABLE]: targets.filter((_, i) => 'error' in responses[i]!).map((u) => ({ server: u.name })) };
    return makeResult(request.id, result);
  }

  /** Fans a list request out to every server, follows each one's pages, merges and namespaces. */
  private async aggregateList(list: ListKind, request: JsonRpcRequest, state: ClientRequestState): Promise<JsonRpcResponse> {
    if (request.params?.cursor !== undefined) {
      // Everything is returned in one page, so no cursor of ours exists to be passed back.
      return makeError(request.id, ErrorCode.InvalidParams, `Invalid cursor for '${list.method}': this server returns complete lists`);
    }
    const targets = this.running().filter((u) => hasCapability(u, list.capability));
    const skipped = [...this.host.upstreams.values()].filter((u) => u.state !== 'running').map((u) => ({ server: u.name, error: u.lastError ?? u.state }));
    const pages = await Promise.all(targets.map((u) => this.collectPages(list, u.name, request, state)));
    const items: Record<string, unknown>[] = [];
    const unavailable = [...skipped];
    pages.forEach((outcome, i) => {
      const server = targets[i]!.name;
      if ('error' in outcome) {
        unavailable.push({ server, error: outcome.error });
        return;
      }
      for (const { reason } of outcome.leftOut) {
        this.host.log(`[${server}] ${list.method}: ${reason}`);
        unavailable.push({ server, error: reason });
      }
      for (const item of outcome.items) {
        if (list.namespace) {
          // Screened already: a tool or prompt here has a string name (a tool's matches the name rule).
          const full = namespacedName(server, String(item.name));
          if (list.key === 'tools' && !isValidToolName(full)) {
            this.host.log(`[${server}] tool '${String(item.name)}' left out: '${full}' is not a valid MCP tool name (letters, digits, _ and -, at most 64)`);
            unavailable.push({ server, error: `tool '${String(item.name)}' has a name that cannot be namespaced` });
            continue;
          }
          items.push({ ...item, name: full });
        } else {
          items.push(item);
          if (list.key === 'resources' && typeof item.uri === 'string') this.resources.addResource(item.uri, server);
          if (list.key === 'resourceTemplates' && typeof item.uriTemplate === 'string') this.resources.addTemplate(item.uriTemplate, server);
        }
      }
    });
    if (list.namespace) items.sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
    const result: Record<string, unknown> = { [list.key]: items };
    if (unavailable.length) result._meta = { [META_UNAVAILABLE]: unavailable };
    return makeResult(request.id, result);
  }

  private async collectPages(
    list: ListKind,
    server: string,
    request: JsonRpcRequest,
    state: ClientRequestState,
  ): Promise<{ items: Record<string, unknown>[]; leftOut: LeftOut[] } | { error: string }> {
    if (list.key === 'tools' || list.key === 'prompts') return this.collectNamedList(list, list.key, server, request, state);
    const items: Record<string, unknown>[] = [];
    const failure = await this.followPages(server, list.method, request.params, (params) => this.forward(server, { ...request, params }, state), (result) => {
      const pageItems = result[list.key];
      if (Array.isArray(pageItems)) for (const item of pageItems) if (isRecord(item)) items.push(item);
    });
    return failure ? { error: `${list.method} failed: ${describeError(failure.error)}` } : { items, leftOut: [] };
  }

  /**
   * Asks for page after page (at most MAX_PAGES, stopping at a missing or repeated cursor, so a
   * server that loops its cursor cannot hang us); returns the first error answer, if any.
   */
  private async followPages(
    server: string,
    method: string,
    baseParams: Record<string, unknown> | undefined,
    fetchPage: (params: Record<string, unknown>) => Promise<JsonRpcResponse>,
    onPage: (result: Record<string, unknown>) => void,
  ): Promise<JsonRpcFailure | undefined> {
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Record<string, unknown> = { ...baseParams };
      if (cursor !== undefined) params.cursor = cursor;
      const response = await fetchPage(params);
      if ('error' in response) return response;
      onPage(response.result);
      const next = response.result.nextCursor;
      if (typeof next !== 'string' || next === '' || seen.has(next)) break;
      seen.add(next);
      cursor = next;
      if (page === MAX_PAGES - 1) this.host.log(`[${server}] stopped following '${method}' pages after ${MAX_PAGES}`);
    }
    return undefined;
  }

  /**
   * A server's complete tool or prompt list: every page fetched first, screened (invalid entries and
   * every copy of a name listed twice left out), then run through the pipeline once as one list, so
   * each plugin judges the same tools as the router and sees all of them together.
   */
  private async collectNamedList(
    list: ListKind,
    key: NamedListKey,
    server: string,
    request: JsonRpcRequest,
    state: ClientRequestState,
  ): Promise<{ items: Record<string, unknown>[]; leftOut: LeftOut[] } | { error: string }> {
    const upstream = this.host.upstreams.get(server)!;
    let leftOut: LeftOut[] = [];
    let screenedTools: readonly Record<string, unknown>[] | undefined;
    const fetchAll = async (sent: JsonRpcRequest): Promise<JsonRpcResponse> => {
      const raw: unknown[] = [];
      const fetchPage = (params: Record<string, unknown>): Promise<JsonRpcResponse> =>
        state.done
          ? Promise.resolve(makeError(sent.id, ErrorCode.UpstreamUnavailable, 'Request was cancelled'))
          : upstream.request(sent.method, params, (upstreamId) => state.calls.push({ upstream, upstreamId }));
      const failure = await this.followPages(server, list.method, sent.params, fetchPage, (result) => {
        const pageItems = result[key];
        if (Array.isArray(pageItems)) raw.push(...(pageItems as unknown[]));
      });
      if (failure) return failure;
      const screened = screenList(key, raw);
      leftOut = screened.leftOut;
      if (key === 'tools') screenedTools = screened.items;
      return makeResult(sent.id, { [key]: screened.items });
    };
    const response = await this.forward(server, request, state, fetchAll);
    if ('error' in response) return { error: `${list.method} failed: ${describeError(response.error)}` };
    const names = new Map<string, string>();
    for (const entry of leftOut) if (entry.name !== undefined) names.set(entry.name, entry.reason);
    this.leftOutNames[key].set(server, names);
    if (screenedTools && this.host.toolInventory) void this.reportInventory(server, screenedTools, leftOut);
    const items = response.result[key];
    return { items: Array.isArray(items) ? items.filter(isRecord) : [], leftOut };
  }

  /**
   * Works out what the policy does to each of a server's tools (visible, renamed, hidden by
   * middleware, blocked by security; pin state) by running each through the response pipeline on
   * its own, off the client's path.
   */
  private async reportInventory(server: string, rawTools: readonly unknown[], leftOut: readonly LeftOut[] = []): Promise<void> {
    const pipeline = this.host.plugins.pipelineFor(server);
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: 'gatekit-inventory', method: 'tools/list' };
    const ctx: MessageContext = { serverName: server, origin: 'client', request };
    const tools: ToolInventoryEntry[] = [];
    try {
      for (const tool of rawTools) {
        if (!isRecord(tool) || typeof tool.name !== 'string') continue;
        const name = tool.name;
        const outcome = await pipeline.processResponse(makeResult(request.id, { tools: [tool] }), ctx);
        const listed = 'result' in outcome.message && Array.isArray(outcome.message.result.tools) ? outcome.message.result.tools : [];
        const exposed = outcome.response === undefined && isRecord(listed[0]) ? listed[0] : undefined;
        const remover = exposed ? undefined : outcome.stages.find((s) => s.outcome !== 'passed' && s.outcome !== 'allowed');
        const approval = toolApprovalAnnotation(this.host.plugins.interceptors(), server, tool);
        const entry: ToolInventoryEntry = {
          name,
          visibility: exposed ? (exposed.name === name ? 'visible' : 'renamed') : remover?.kind === 'security' || outcome.response ? 'blocked' : 'hidden',
          pin: approval.pin,
        };
        if (exposed) entry.exposedName = namespacedName(server, String(exposed.name));
        const description = exposed?.description ?? tool.description;
        if (typeof description === 'string') entry.description = description;
        if (remover) entry.reason = `${remover.kind === 'security' ? 'removed' : 'hidden'} by ${remover.handler}`;
        tools.push({ ...entry, ...approval });
      }
      // Left out by the router before any plugin: shown as blocked, with the router's reason.
      for (const { name, reason } of leftOut) if (name !== undefined) tools.push({ name, visibility: 'blocked', pin: 'none', reason });
    } catch (err) {
      this.host.log(`[${server}] tool inventory failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.host.toolInventory?.({ server, tools });
  }

  private running(): Upstream[] {
    return [...this.host.upstreams.values()].filter((u) => u.state === 'running');
  }

  /**
   * Finds the server of a resource URI: the `server__uri` form when its prefix names a configured
   * server (so no other server's claim can intercept it), then the index (an exact listing wins over
   * templates; a URI two servers claim is ambiguous), then the only resource server.
   */
  private async resolveResource(uri: string): Promise<{ server: string; uri: string } | { ambiguous: readonly string[] } | undefined> {
    const prefixed = splitNamespaced(uri);
    if (prefixed && this.host.upstreams.has(prefixed.server)) return { server: prefixed.server, uri: prefixed.name };
    let owner = this.resources.lookup(uri);
    if (!owner && !this.resources.isPopulated) {
      await this.refreshResourceIndex();
      owner = this.resources.lookup(uri);
    }
    if (owner) return 'server' in owner ? { server: owner.server, uri } : owner;
    const resourceServers = this.running().filter((u) => hasCapability(u, 'resources'));
    if (resourceServers.length === 1) return { server: resourceServers[0]!.name, uri };
    return undefined;
  }

  private async refreshResourceIndex(): Promise<void> {
    const state: ClientRequestState = { id: `gatekit-internal-${this.nextInternalId++}`, method: 'resources/list', receivedAt: performance.now(), calls: [], done: false };
    for (const method of ['resources/list', 'resources/templates/list']) {
      await this.aggregateList(LISTS[method]!, { jsonrpc: '2.0', id: state.id, method }, state);
    }
    this.resources.markPopulated();
  }

  /**
   * Sends one clean request to one server through its pipeline and returns the response (with the
   * client's id) after the response pipeline. Never rejects for upstream failures.
   */
  private async forward(server: string, request: JsonRpcRequest, state: ClientRequestState, fetch?: (sent: JsonRpcRequest) => Promise<JsonRpcResponse>): Promise<JsonRpcResponse> {
    const upstream = this.host.upstreams.get(server)!;
    const pipeline = this.host.plugins.pipelineFor(server);
    if (pipeline.isEmpty) return this.forwardUnfiltered(upstream, server, request, state, fetch);
    const started = state.receivedAt;
    const ctx: MessageContext = { serverName: server, origin: 'client', requestId: request.id };
    const pre = await pipeline.processRequest(request, ctx);
    const preFailure = await this.auditRequest(pipeline, pre, request, ctx);
    if (preFailure || pre.response) {
      const answer = preFailure ?? withId(pre.response!, request.id);
      this.report('client_to_server', server, request, pre, passedMessage(pre), answer, started);
      return answer;
    }
    if (state.done) return makeError(request.id, ErrorCode.UpstreamUnavailable, 'Request was cancelled');
    const sent = pre.message;
    const upstreamResponse = await (fetch ? fetch(sent) : upstream.request(sent.method, sent.params, (upstreamId) => state.calls.push({ upstream, upstreamId })));
    const response = withId(upstreamResponse, request.id);
    const durationMs = performance.now() - started;
    const post = await pipeline.processResponse(response, { ...ctx, request: sent, durationMs });
    const final = post.response ? withId(post.response, request.id) : post.message;
    const postFailure = await this.auditResponse(pipeline, post, sent, final, ctx, durationMs);
    const answer = postFailure ?? final;
    this.report('client_to_server', server, sent, post, sent, answer, started, pre);
    return answer;
  }

  /** `forward` for a server without plugins: the same outcome, without awaiting empty pipeline stages. */
  private async forwardUnfiltered(
    upstream: Upstream,
    server: string,
    request: JsonRpcRequest,
    state: ClientRequestState,
    fetch?: (sent: JsonRpcRequest) => Promise<JsonRpcResponse>,
  ): Promise<JsonRpcResponse> {
    if (state.done) return makeError(request.id, ErrorCode.UpstreamUnavailable, 'Request was cancelled');
    const upstreamResponse = await (fetch ? fetch(request) : upstream.request(request.method, request.params, (upstreamId) => state.calls.push({ upstream, upstreamId })));
    const response = withId(upstreamResponse, request.id);
    if (this.host.traffic) this.report('client_to_server', server, request, passThrough(response), request, response, state.receivedAt);
    return response;
  }

  private auditRequest(pipeline: ServerPipeline, pre: PipelineResult<JsonRpcRequest>, request: JsonRpcRequest, ctx: MessageContext): Promise<JsonRpcResponse | undefined> {
    // A blocked request's content must not reach any log: the event carries no message then.
    return this.auditExchange(pipeline, 'request', request, pre, passedMessage(pre), ctx);
  }

  private auditResponse(
    pipeline: ServerPipeline,
    post: PipelineResult<JsonRpcResponse>,
    request: JsonRpcRequest,
    final: JsonRpcResponse,
    ctx: MessageContext,
    durationMs: number,
  ): Promise<JsonRpcResponse | undefined> {
    return this.auditExchange(pipeline, 'response', request, post, final, ctx, durationMs);
  }

  private auditExchange(
    pipeline: ServerPipeline,
    type: 'request' | 'response',
    request: JsonRpcRequest,
    result: PipelineResult<unknown>,
    message: JsonRpcRequest | JsonRpcResponse | undefined,
    ctx: MessageContext,
    durationMs?: number,
  ): Promise<JsonRpcResponse | undefined> {
    if (!pipeline.audits) return NOT_BLOCKED;
    // Built field by field rather than with spreads: this runs twice per audited call.
    const event: Mutable<AuditEvent> = { type, timestamp: new Date(), serverName: ctx.serverName, origin: ctx.origin, requestId: request.id, method: request.method, pipeline: result };
    const tool = toolOf(request).tool;
    if (tool !== undefined) event.tool = tool;
    if (message) event.message = message;
    if (durationMs !== undefined) event.durationMs = durationMs;
    return this.auditOrFail(pipeline, event, request.id);
  }

  /** A critical audit plugin that could not record blocks the traffic (fail closed). */
  private auditOrFail(pipeline: ServerPipeline, event: AuditEvent, id: JsonRpcId): Promise<JsonRpcResponse | undefined> {
    return pipeline.audit(event).then(
      () => undefined,
      (err: unknown) => makeError(id, ErrorCode.InternalError, `Blocked because the audit log could not be written: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private report(
    direction: TrafficEvent['direction'],
    server: string,
    request: JsonRpcMessage,
    result: PipelineResult<unknown>,
    shownRequest: JsonRpcMessage | undefined,
    response: JsonRpcMessage | undefined,
    startedAt: number,
    /** The request's pipeline result, when `result` is its response's (a redaction there counts too). */
    requestResult?: PipelineResult<unknown>,
  ): void {
    const traffic = this.host.traffic;
    if (!traffic) return;
    const method = 'method' in request ? request.method : '';
    const decision: TrafficEvent['decision'] =
      result.outcome === 'blocked'
        ? 'blocked'
        : result.outcome === 'error' || (response && 'error' in response)
          ? 'error'
          : result.sensitive || requestResult?.sensitive
            ? 'redacted'
            : result.modified
              ? 'modified'
              : 'allowed';
    traffic({
      timestamp: Date.now(),
      direction,
      server,
      method,
      ...toolOf(request),
      decision,
      ...((result.decidedBy ?? requestResult?.decidedBy) ? { plugin: (result.decidedBy ?? requestResult?.decidedBy)! } : {}),
      reason: result.reason,
      durationMs: performance.now() - startedAt,
      ...(shownRequest ? { request: shownRequest } : {}),
      ...(response ? { response } : {}),
    });
  }

  // ---------------------------------------------------------------- notifications and relayed requests

  private async onClientNotification(notification: JsonRpcNotification): Promise<void> {
    const params = notification.params ?? {};
    switch (notification.method) {
      case 'notifications/initialized':
        return; // each upstream got its own at the end of its handshake
      case 'notifications/cancelled': {
        const requestId = params.requestId;
        const state = typeof requestId === 'string' || typeof requestId === 'number' ? this.inFlight.get(idKey(requestId)) : undefined;
        if (!state) return;
        // The client will ignore any answer now; stop tracking it and tell each upstream at once.
        this.finish(state);
        const reason = typeof params.reason === 'string' ? params.reason : undefined;
        for (const call of state.calls) call.upstream.cancel(call.upstreamId, reason);
        return;
      }
      case 'notifications/progress': {
        const token = params.progressToken;
        const server = typeof token === 'string' || typeof token === 'number' ? this.progressOwners.get(token) : undefined;
        if (server) await this.notifyServer(server, notification);
        return;
      }
      default:
        // roots/list_changed and any other client notification concern every server.
        await Promise.all(this.running().map((u) => this.notifyServer(u.name, notification)));
    }
  }

  private async notifyServer(server: string, notification: JsonRpcNotification): Promise<void> {
    const pipeline = this.host.plugins.pipelineFor(server);
    const ctx: MessageContext = { serverName: server, origin: 'client' };
    const result = await pipeline.processNotification(notification, ctx);
    if (await this.auditNotification(pipeline, result, notification, ctx)) return;
    if (result.outcome === 'blocked' || result.outcome === 'error') return;
    this.host.upstreams.get(server)?.send(result.message);
  }

  private async auditNotification(pipeline: ServerPipeline, result: PipelineResult<JsonRpcNotification>, notification: JsonRpcNotification, ctx: MessageContext): Promise<boolean> {
    if (!pipeline.audits) return false;
    const event: AuditEvent = {
      type: 'notification',
      timestamp: new Date(),
      serverName: ctx.serverName,
      origin: ctx.origin,
      method: notification.method,
      ...(passedMessage(result) ? { message: result.message } : {}),
      pipeline: result,
    };
    try {
      await pipeline.audit(event);
      return false;
    } catch {
      return true; // could not record: drop it (fail closed)
    }
  }

  /** Listens to an upstream's messages (called for each upstream, also those added by a config reload). */
  attach(upstream: Upstream): void {
    upstream.on('notification', (n) => void this.onServerNotification(upstream.name, n));
    upstream.on('request', (r) => void this.onServerRequest(upstream.name, r));
    upstream.on('restarted', () => {
      // Its lists may differ after a restart: make the client fetch them again.
      this.resources.forgetServer(upstream.name);
      this.notifyListsChanged();
    });
  }

  /** The handshake the client made, for upstreams started after it (config reload). */
  get clientHandshake(): ClientHandshake | undefined {
    return this.handshake;
  }

  /** Tells the client to fetch its lists again (servers restarted, policy or config changed). */
  notifyListsChanged(): void {
    // A server a config reload removed must not keep its resources.
    for (const server of this.resources.servers()) if (!this.host.upstreams.has(server)) this.resources.forgetServer(server);
    if (!this.initialized || this.closed) return;
    for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed']) {
      this.host.sendToClient({ jsonrpc: '2.0', method });
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
    return 'result' in (await this.initialize(request));
  }

  /**
   * Serves a list request of the gateway's own exactly as a client's (pipelines, audit, traffic,
   * tool inventories, resource index) and returns the merged answer instead of sending it.
   */
  listWithoutClient(method: 'tools/list' | 'resources/list' | 'resources/templates/list'): Promise<JsonRpcResponse> {
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: `gatekit-internal-${this.nextInternalId++}`, method, params: {} };
    return this.dispatch(request, { id: request.id, method, receivedAt: performance.now(), calls: [], done: false });
  }

  private async onServerNotification(server: string, notification: JsonRpcNotification): Promise<void> {
    if (!this.initialized || this.closed) return;
    let message = notification;
    if (notification.method === 'notifications/cancelled') {
      // The server gave up on a request it sent us: cancel it at the client under our id.
      const upstreamId = notification.params?.requestId;
      const entry = [...this.serverRequests.entries()].find(([, s]) => s.server === server && s.upstreamId === upstreamId);
      if (!entry) return;
      this.forgetServerRequest(entry[0]);
      message = { ...notification, params: { ...notification.params, requestId: entry[0] } };
    } else if (notification.method === 'notifications/resources/list_changed') {
      this.resources.forgetServer(server);
    } else if (notification.method === 'notifications/progress' && !this.reportsTo(server, notification)) {
      // Progress on a token of a request this server was not sent: another server's, or none at all.
      this.host.log(`[${server}] dropped a progress notification for a request it was not sent`);
      return;
    }
    const pipeline = this.host.plugins.pipelineFor(server);
    const ctx: MessageContext = { serverName: server, origin: 'server' };
    const result = await pipeline.processNotification(message, ctx);
    if (await this.auditNotification(pipeline, result, message, ctx)) return;
    if (result.outcome === 'blocked' || result.outcome === 'error') {
      this.report('notification_to_client', server, message, result, undefined, undefined, performance.now());
      return;
    }
    this.host.sendToClient(result.message);
    if (result.modified) this.report('notification_to_client', server, message, result, result.message, undefined, performance.now());
  }

  /** Whether `server` was sent the client request whose progress token the notification names (and it is still running). */
  private reportsTo(server: string, notification: JsonRpcNotification): boolean {
    const token = notification.params?.progressToken;
    const state = typeof token === 'string' || typeof token === 'number' ? this.clientProgress.get(token) : undefined;
    return state !== undefined && !state.done && state.calls.some((call) => call.upstream.name === server);
  }

  private async onServerRequest(server: string, request: JsonRpcRequest): Promise<void> {
    const upstream = this.host.upstreams.get(server)!;
    if (!this.initialized || this.closed) {
      upstream.send(makeError(request.id, ErrorCode.UpstreamUnavailable, 'The client is not connected'));
      return;
    }
    const pipeline = this.host.plugins.pipelineFor(server);
    const ctx: MessageContext = { serverName: server, origin: 'server', requestId: request.id };
    const pre = await pipeline.processRequest(request, ctx);
    const failure = await this.auditRequest(pipeline, pre, request, ctx);
    if (failure || pre.response) {
      upstream.send(withId(failure ?? pre.response!, request.id));
      this.report('server_to_client', server, request, pre, undefined, failure ?? pre.response, performance.now());
      return;
    }
    if (this.serverRequests.size >= MAX_WAITING_SERVER_REQUESTS) {
      // Each waiting request is kept until the client answers: a server must not grow that without bound.
      upstream.send(makeError(request.id, ErrorCode.UpstreamUnavailable, `Too many requests (${MAX_WAITING_SERVER_REQUESTS}) are waiting for the client`));
      return;
    }
    const gatewayId = this.nextGatewayId++;
    const meta = pre.message.params?._meta;
    const token = isRecord(meta) && (typeof meta.progressToken === 'string' || typeof meta.progressToken === 'number') ? meta.progressToken : undefined;
    this.serverRequests.set(gatewayId, { server, upstreamId: request.id, request: pre.message, receivedAt: performance.now(), ...(token !== undefined ? { progressToken: token } : {}) });
    if (token !== undefined) this.progressOwners.set(token, server);
    this.host.sendToClient({ ...pre.message, id: gatewayId });
  }

  private forgetServerRequest(gatewayId: number): ServerRequestState | undefined {
    const state = this.serverRequests.get(gatewayId);
    if (!state) return undefined;
    this.serverRequests.delete(gatewayId);
    if (state.progressToken !== undefined) this.progressOwners.delete(state.progressToken);
    return state;
  }

  private onInvalidClientResponse(id: unknown, reason: string): void {
    const state = typeof id === 'number' ? this.forgetServerRequest(id) : undefined;
    this.host.log(`dropped an invalid client response to ${state ? `'${state.request.method}' of ${state.server}` : `unknown request id ${String(JSON.stringify(id)).slice(0, 100)}`}: ${reason}`);
    if (state) this.host.upstreams.get(state.server)?.send(makeError(state.upstreamId, ErrorCode.InternalError, `The client sent an invalid response: ${reason}`));
  }

  /** The client's answer to a request a server made through us: map it back and pass it on. */
  private async onClientResponse(response: JsonRpcResponse): Promise<void> {
    const gatewayId = response.id;
    const state = typeof gatewayId === 'number' ? this.forgetServerRequest(gatewayId) : undefined;
    if (!state) {
      this.host.log(`dropped a client response to unknown request id ${JSON.stringify(response.id)}`);
      return;
    }
    const upstream = this.host.upstreams.get(state.server);
    if (!upstream || upstream.state !== 'running') return;
    const pipeline = this.host.plugins.pipelineFor(state.server);
    const durationMs = performance.now() - state.receivedAt;
    const ctx: MessageContext = { serverName: state.server, origin: 'server', request: state.request, requestId: state.upstreamId, durationMs };
    const mapped = withId(response, state.upstreamId);
    const post = await pipeline.processResponse(mapped, ctx);
    const final = post.response ? withId(post.response, state.upstreamId) : post.message;
    const failure = await this.auditResponse(pipeline, post, state.request, final, ctx, durationMs);
    upstream.send(failure ?? final);
    this.report('server_to_client', state.server, state.request, post, state.request, failure ?? final, state.receivedAt);
  }
}

/**
 * The message a pipeline let through, or undefined when it blocked it or a security plugin failed
 * on it: then the message was not (fully) scanned, so no log, audit file or traffic event may show it.
 */
function passedMessage<M>(result: PipelineResult<M>): M | undefined {
  return result.outcome === 'blocked' || result.outcome === 'error' ? undefined : result.message;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NOT_BLOCKED: Promise<undefined> = Promise.resolve(undefined);

/** The response under another id; an upstream's answer keeps its text, so it is not serialized again. */
function withId(response: JsonRpcResponse, id: JsonRpcId): JsonRpcResponse {
  return response.id === id ? response : withReplacedId(response, id);
}

/** -32602 for a URI several servers claim: the client must pick one with the `server__uri` form. */
function ambiguousResource(id: JsonRpcId, uri: string, servers: readonly string[]): JsonRpcResponse {
  const named = servers.map((s) => `'${s}'`);
  return makeError(
    id,
    ErrorCode.InvalidParams,
    `The resource '${uri}' is ambiguous: servers ${named.slice(0, -1).join(', ')} and ${named[named.length - 1]} ${servers.length === 2 ? 'both' : 'all'} offer it; name one with the 'server__uri' form (e.g. '${namespacedName(servers[0]!, uri)}')`,
    { servers: [...servers] },
  );
}

function hasCapability(upstream: Upstream, capability: string): boolean {
  const caps = upstream.initializeResult?.capabilities;
  return isRecord(caps) && caps[capability] !== undefined && caps[capability] !== null;
}

/** A request's `_meta.progressToken`, when it is a valid token (a string or a number). */
function progressTokenOf(request: JsonRpcRequest): string | number | undefined {
  const meta = request.params?._meta;
  if (!isRecord(meta)) return undefined;
  const token = meta.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

function toolOf(message: JsonRpcMessage): { tool?: string } {
  if ('method' in message && message.method === 'tools/call' && typeof message.params?.name === 'string') return { tool: message.params.name };
  return {};
}

export type { RequestOrigin };
