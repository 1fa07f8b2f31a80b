// Lists and resources across servers: fans a list request out, follows each server's pages, screens
// and merges them under namespaced names, reports the tool inventory, and finds a resource's server.
import { describeError, ErrorCode, isRecord, makeError, makeResult, type JsonRpcFailure, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import { ResourceIndex, isValidToolName } from './namespacing';
import { namespacedName, splitNamespacedAmong } from '../shared/namespacing';
import { screenList, type LeftOut, type NamedListKey } from './list-items';
import { ToolListTrace } from './tool-inventory';
import { MergedCacheHints } from './eras/modern-meta';
import { hasCapability, META_UNAVAILABLE, running, type ClientRequestState, type Forward, type RouterHost } from './routing';

/** Pages followed per server for one list request, so a server that loops its cursor cannot hang us. */
const MAX_PAGES = 1000;

export type ListKind = { method: string; key: 'tools' | 'prompts' | 'resources' | 'resourceTemplates'; capability: 'tools' | 'prompts' | 'resources'; namespace: boolean };

// Looked up by the client's method name: no prototype, so `constructor` or `__proto__` is no list.
export const LISTS: Record<string, ListKind> = Object.assign(Object.create(null) as Record<string, ListKind>, {
  'tools/list': { method: 'tools/list', key: 'tools', capability: 'tools', namespace: true },
  'prompts/list': { method: 'prompts/list', key: 'prompts', capability: 'prompts', namespace: true },
  'resources/list': { method: 'resources/list', key: 'resources', capability: 'resources', namespace: false },
  'resources/templates/list': { method: 'resources/templates/list', key: 'resourceTemplates', capability: 'resources', namespace: false },
} satisfies Record<string, ListKind>);

type Collected = { items: Record<string, unknown>[]; leftOut: LeftOut[] } | { error: string };

/** Owns what the lists taught the router: which server offers which resource, and which names it left out. */
export class ListAggregator {
  readonly resources = new ResourceIndex(
    (line) => this.host.log(line),
    (servers) => {
      for (const server of servers) this.host.resourceAmbiguity?.(server, this.resources.ambiguousClaims(server));
    },
  );
  /** tools/prompts → server → names its last complete list offered but the router left out, and why. */
  /** Whether a configured upstream has this name (namespaced names are split after one). */
  private readonly isServer = (name: string): boolean => this.host.upstreams.has(name);
  private readonly leftOutNames: Record<NamedListKey, Map<string, Map<string, string>>> = { tools: new Map(), prompts: new Map() };
  private nextInternalId = 1;

  constructor(
    private readonly host: RouterHost,
    private readonly forward: Forward,
  ) {}

  /** Why `name` of `server`'s last list was left out, if it was (such a name is not callable either). */
  leftOutReason(key: NamedListKey, server: string, name: string): string | undefined {
    return this.leftOutNames[key].get(server)?.get(name);
  }

  /** Fans a list request out to every server, follows each one's pages, merges and namespaces. */
  async aggregate(list: ListKind, request: JsonRpcRequest, state: ClientRequestState): Promise<JsonRpcResponse> {
    if (request.params?.cursor !== undefined) {
      // Everything is returned in one page, so no cursor of ours exists to be passed back.
      return makeError(request.id, ErrorCode.InvalidParams, `Invalid cursor for '${list.method}': this server returns complete lists`);
    }
    const targets = running(this.host.upstreams).filter((u) => hasCapability(u, list.capability));
    const skipped = [...this.host.upstreams.values()].filter((u) => u.state !== 'running').map((u) => ({ server: u.name, error: u.lastError ?? u.state }));
    const hints = new MergedCacheHints();
    const pages = await Promise.all(targets.map((u) => this.collectPages(list, u.name, request, state, hints)));
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
        if (list.namespace && this.host.singleServer !== undefined) {
          // One server seen as itself: its own names, nothing to route between.
          items.push(item);
        } else if (list.namespace) {
          // Screened already: a tool or prompt here has a string name (a tool's matches the name rule).
          const full = namespacedName(server, String(item.name));
          if (list.key === 'tools' && !isValidToolName(full)) {
            this.host.log(`[${server}] tool '${String(item.name)}' left out: '${full}' is not a valid MCP tool name (letters, digits, _ and -, at most 64)`);
            unavailable.push({ server, error: `tool '${String(item.name)}' has a name that cannot be namespaced` });
            continue;
          }
          // A name that would be routed to another server (`fs` listing `_x` as `fs___x` while a
          // server `fs_` exists) is left out: the client could not reach it, and it would stand
          // beside that server's own `x` under the same name.
          const routed = splitNamespacedAmong(full, this.isServer)?.server;
          if (routed !== server) {
            // A tool's name passed the name rule and may be quoted; a prompt's is only one line of text.
            const what = list.key === 'tools' ? `tool '${String(item.name)}'` : 'a prompt';
            this.host.log(`[${server}] ${what} left out: its namespaced name would reach server '${routed ?? '?'}'`);
            unavailable.push({ server, error: `${what} has a name that would reach another server` });
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
    // A list missing a server's part changes when it is back: no caching hint then (a modern client gets 0).
    const result: Record<string, unknown> = { [list.key]: items, ...(unavailable.length ? {} : hints.merged()) };
    if (unavailable.length) result._meta = { [META_UNAVAILABLE]: unavailable };
    return makeResult(request.id, result);
  }

  private async collectPages(list: ListKind, server: string, request: JsonRpcRequest, state: ClientRequestState, hints: MergedCacheHints): Promise<Collected> {
    if (list.key === 'tools' || list.key === 'prompts') return this.collectNamedList(list, list.key, server, request, state, hints);
    const items: Record<string, unknown>[] = [];
    const failure = await this.followPages(server, list.method, request.params, (params) => this.forward(server, { ...request, params }, state), (result) => {
      hints.note(result);
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
   * each plugin judges the same tools as the router and sees all of them together. The tool
   * inventory is read from that same run.
   */
  private async collectNamedList(list: ListKind, key: NamedListKey, server: string, request: JsonRpcRequest, state: ClientRequestState, hints: MergedCacheHints): Promise<Collected> {
    const upstream = this.host.upstreams.get(server)!;
    let leftOut: LeftOut[] = [];
    let screenedTools: readonly Record<string, unknown>[] | undefined;
    const fetchAll = async (sent: JsonRpcRequest): Promise<JsonRpcResponse> => {
      const raw: unknown[] = [];
      const fetchPage = (params: Record<string, unknown>): Promise<JsonRpcResponse> =>
        state.done
          ? Promise.resolve(makeError(sent.id, ErrorCode.UpstreamUnavailable, 'Request was cancelled'))
          : upstream.request(sent.method, params, (upstreamId) => state.calls.push({ upstream, upstreamId })).then((got) => got.message);
      const failure = await this.followPages(server, list.method, sent.params, fetchPage, (result) => {
        hints.note(result);
        const pageItems = result[key];
        if (Array.isArray(pageItems)) raw.push(...(pageItems as unknown[]));
      });
      if (failure) return failure;
      const screened = screenList(key, raw);
      leftOut = screened.leftOut;
      if (key === 'tools') screenedTools = screened.items;
      return makeResult(sent.id, { [key]: screened.items });
    };
    const trace = key === 'tools' && this.host.toolInventory ? new ToolListTrace() : undefined;
    const response = await this.forward(server, request, state, { fetch: fetchAll, ...(trace ? { observeResponse: trace.observe } : {}) });
    if ('error' in response) return { error: `${list.method} failed: ${describeError(response.error)}` };
    const names = new Map<string, string>();
    for (const entry of leftOut) if (entry.name !== undefined) names.set(entry.name, entry.reason);
    this.leftOutNames[key].set(server, names);
    if (screenedTools && trace) this.reportInventory(server, trace, screenedTools, leftOut);
    const items = response.result[key];
    return { items: Array.isArray(items) ? items.filter(isRecord) : [], leftOut };
  }

  private reportInventory(server: string, trace: ToolListTrace, tools: readonly Record<string, unknown>[], leftOut: readonly LeftOut[]): void {
    let inventory;
    try {
      inventory = trace.inventory(server, tools, this.host.plugins, leftOut);
    } catch (err) {
      this.host.log(`[${server}] tool inventory failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.host.toolInventory?.(inventory);
  }

  /**
   * Finds the server of a resource URI: the `server__uri` form when its prefix names a configured
   * server (so no other server's claim can intercept it), then the index (an exact listing wins over
   * templates; a URI two servers claim is ambiguous), then the only resource server.
   */
  async resolveResource(uri: string): Promise<{ server: string; uri: string } | { ambiguous: readonly string[] } | undefined> {
    // One server seen as itself: every URI is its own, unchanged (no `server__uri` form to strip).
    if (this.host.singleServer !== undefined) return this.host.upstreams.has(this.host.singleServer) ? { server: this.host.singleServer, uri } : undefined;
    const prefixed = splitNamespacedAmong(uri, this.isServer);
    if (prefixed && this.host.upstreams.has(prefixed.server)) return { server: prefixed.server, uri: prefixed.name };
    let owner = this.resources.lookup(uri);
    if (!owner && !this.resources.isPopulated) {
      await this.refreshResourceIndex();
      owner = this.resources.lookup(uri);
    }
    if (owner) return 'server' in owner ? { server: owner.server, uri } : owner;
    const resourceServers = running(this.host.upstreams).filter((u) => hasCapability(u, 'resources'));
    if (resourceServers.length === 1) return { server: resourceServers[0]!.name, uri };
    return undefined;
  }

  private async refreshResourceIndex(): Promise<void> {
    const state: ClientRequestState = { id: `gatekit-internal-${this.nextInternalId++}`, method: 'resources/list', receivedAt: performance.now(), calls: [], done: false };
    for (const method of ['resources/list', 'resources/templates/list']) {
      await this.aggregate(LISTS[method]!, { jsonrpc: '2.0', id: state.id, method }, state);
    }
    this.resources.markPopulated();
  }
}
