// What the router's parts share: the host around them, the state of one client request, and the
// few facts about upstreams each part asks. The Router owns the state; its parts are handed it.
import { isRecord, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import type { PluginHost } from '../plugins/pipeline';
import type { ApprovalAnswer, ApprovalQuestion } from '../plugins/types';
import type { TrafficEvent } from '../plugins/exchange';
import type { ClientHandshake, Upstream } from './upstream';
import type { ToolInventoryParams } from '../shared/protocol';
import type { RawText, Received } from '../shared/received';

/** Key under a result's `_meta` that lists servers left out of an aggregated answer. */
export const META_UNAVAILABLE = 'gatekit/unavailableServers';

/** What the router needs from the process around it. */
export interface RouterHost {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly plugins: PluginHost;
  readonly serverInfo: { name: string; version: string };
  /**
   * Writes a message to the client; from `raw` (its text as received) when given. `server` names the
   * upstream a server-started message (request, notification) came from, for a transport that must
   * pick which of the client's streams carries it (Streamable HTTP).
   */
  sendToClient(message: JsonRpcMessage, raw?: RawText, server?: string): void;
  /**
   * Set when the upstreams are shared by several client sessions: the router does not listen to
   * them itself; the session hub hands it the server messages meant for its client.
   */
  readonly sharedUpstreams?: boolean;
  /**
   * Set when the client sees one server as if it were that server (`--server NAME`, the per-server
   * HTTP endpoint): names are not namespaced, and `upstreams` holds that server alone.
   */
  readonly singleServer?: string;
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
  /** Asks VS Code to approve a tool call (the control link), or undefined when no window is connected. */
  askApproval?(question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalAnswer> | undefined;
}

/** One client request the router is serving. */
export interface ClientRequestState {
  readonly id: JsonRpcId;
  readonly method: string;
  readonly receivedAt: number;
  /** Upstream requests made on its behalf, for forwarding a cancellation. */
  readonly calls: { upstream: Upstream; upstreamId: number }[];
  done: boolean;
  /** The client's `_meta.progressToken`, if it asked for progress. */
  progressToken?: string | number;
  /** The last answer `forward` got with its text as received: written from that text if it is the answer. */
  answerText?: Received<JsonRpcResponse>;
  /** For tools/call: aborted when the client cancels it (withdraws a question a plugin asks about it). */
  abort?: AbortController;
}

/** Fetches what a request asks of its server in place of one upstream request (all pages of a list). */
export type Fetch = (sent: JsonRpcRequest) => Promise<JsonRpcResponse>;

/** Sends one request on a client request's behalf to one server through its plugins (the Router's `forward`). */
export type Forward = (server: string, request: JsonRpcRequest, state: ClientRequestState, options?: ForwardOptions) => Promise<JsonRpcResponse>;

export interface ForwardOptions {
  readonly fetch?: Fetch;
  /** Told of each plugin that changed the answer. */
  readonly observeResponse?: (handler: string, kind: 'middleware' | 'security', message: JsonRpcResponse) => void;
}

export function hasCapability(upstream: Upstream, capability: string): boolean {
  const caps = upstream.initializeResult?.capabilities;
  return isRecord(caps) && caps[capability] !== undefined && caps[capability] !== null;
}

/** The upstreams that are up now. */
export function running(upstreams: ReadonlyMap<string, Upstream>): Upstream[] {
  return [...upstreams.values()].filter((u) => u.state === 'running');
}

/** A request's `_meta.progressToken`, when it is a valid token (a string or a number). */
export function progressTokenOf(request: JsonRpcRequest): string | number | undefined {
  const meta = request.params?._meta;
  if (!isRecord(meta)) return undefined;
  const token = meta.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}
