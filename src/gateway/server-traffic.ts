// What the servers start: their requests to the client (sampling, elicitation, roots) relayed under
// a gateway id and answered back, their notifications (progress, cancellation, list changes), and the
// client's notifications to them. Every message goes through the server's exchange.
import { ErrorCode, makeError, type JsonRpcId, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import { exchangeNotification, exchangeRequest, Unsent } from '../plugins/exchange';
import { progressTokenOf, type RouterHost } from './routing';
import { withReplacedId } from './transport/raw-text';
import type { Received } from '../shared/received';

/** Server→client requests waiting for the client at once; beyond, a server flooding requests is refused. */
const MAX_WAITING_SERVER_REQUESTS = 1000;

interface ServerRequestState {
  readonly server: string;
  readonly upstreamId: JsonRpcId;
  /** As the request hooks left it (what the client was sent). */
  readonly request: JsonRpcRequest;
  readonly progressToken?: string | number;
  /** Ends the request's exchange: with the client's answer, or Unsent when there is none to pass on. */
  readonly settle: (answer: Received<JsonRpcResponse> | Unsent) => void;
}

/** What the relay asks of the session around it. */
export interface SessionView {
  /** Initialized and not closing: a client is there to relay to. */
  isOpen(): boolean;
  /** Whether `server` was sent the running client request whose progress token this is. */
  reportsTo(server: string, token: unknown): boolean;
  /** A server's resources changed: forget where they were. */
  forgetResources(server: string): void;
}

const GONE = new Unsent(undefined);

/** Owns the requests servers sent to the client and the progress tokens they carry. */
export class ServerTraffic {
  private readonly serverRequests = new Map<number, ServerRequestState>();
  private readonly progressOwners = new Map<string | number, string>();
  private nextGatewayId = 1;

  constructor(
    private readonly host: RouterHost,
    private readonly session: SessionView,
  ) {}

  /** The server that sent the request whose progress token this is. */
  progressOwner(token: string | number): string | undefined {
    return this.progressOwners.get(token);
  }

  /** Whether `server`'s request `upstreamId` was relayed to the client and is waiting for its answer. */
  relays(server: string, upstreamId: unknown): boolean {
    for (const state of this.serverRequests.values()) if (state.server === server && state.upstreamId === upstreamId) return true;
    return false;
  }

  /** A server's request for the client, through the server's exchange; its answer goes back under the server's id. */
  async onServerRequest(server: string, request: JsonRpcRequest): Promise<void> {
    const upstream = this.host.upstreams.get(server)!;
    if (!this.session.isOpen()) {
      upstream.send(makeError(request.id, ErrorCode.UpstreamUnavailable, 'The client is not connected'));
      return;
    }
    const exchange = { pipeline: this.host.plugins.pipelineFor(server), direction: 'server_to_client', startedAt: performance.now(), recordTraffic: this.host.traffic !== undefined, underId: withReplacedId } as const;
    const { answer, record } = await exchangeRequest(exchange, request, (sent) => this.relay(server, request.id, sent));
    if (answer) this.host.upstreams.get(server)?.send(answer);
    if (record) this.host.traffic?.(record);
  }

  /** Sends the request to the client under a gateway id; settles when the client answers or the request is dropped. */
  private relay(server: string, upstreamId: JsonRpcId, sent: JsonRpcRequest): Promise<Received<JsonRpcResponse> | Unsent> | Unsent {
    if (this.serverRequests.size >= MAX_WAITING_SERVER_REQUESTS) {
      // Each waiting request is kept until the client answers: a server must not grow that without bound.
      return new Unsent(makeError(upstreamId, ErrorCode.UpstreamUnavailable, `Too many requests (${MAX_WAITING_SERVER_REQUESTS}) are waiting for the client`));
    }
    const gatewayId = this.nextGatewayId++;
    const token = progressTokenOf(sent);
    return new Promise((settle) => {
      this.serverRequests.set(gatewayId, { server, upstreamId, request: sent, settle, ...(token !== undefined ? { progressToken: token } : {}) });
      if (token !== undefined) this.progressOwners.set(token, server);
      this.host.sendToClient({ ...sent, id: gatewayId }, undefined, server);
    });
  }

  /** The client's answer to a request a server made through us: map it back and end its exchange. */
  onClientResponse(response: JsonRpcResponse): void {
    const gatewayId = response.id;
    const state = typeof gatewayId === 'number' ? this.take(gatewayId) : undefined;
    if (!state) {
      this.host.log(`dropped a client response to unknown request id ${JSON.stringify(response.id)}`);
      return;
    }
    const upstream = this.host.upstreams.get(state.server);
    state.settle(upstream && upstream.state === 'running' ? { message: response } : GONE);
  }

  onInvalidClientResponse(id: unknown, reason: string): void {
    const state = typeof id === 'number' ? this.forget(id) : undefined;
    this.host.log(`dropped an invalid client response to ${state ? `'${state.request.method}' of ${state.server}` : `unknown request id ${String(JSON.stringify(id)).slice(0, 100)}`}: ${reason}`);
    if (state) this.host.upstreams.get(state.server)?.send(makeError(state.upstreamId, ErrorCode.InternalError, `The client sent an invalid response: ${reason}`));
  }

  /** A relayed request could not be written to the client: the server is answered in its place. */
  undeliverable(gatewayId: number, why: string): void {
    const state = this.forget(gatewayId);
    if (state) this.host.upstreams.get(state.server)?.send(makeError(state.upstreamId, ErrorCode.InternalError, `Gatekit could not relay the request to the client: ${why}`));
  }

  /** Stops waiting for the client's answer to a relayed request; the caller settles its exchange. */
  private take(gatewayId: number): ServerRequestState | undefined {
    const state = this.serverRequests.get(gatewayId);
    if (!state) return undefined;
    this.serverRequests.delete(gatewayId);
    if (state.progressToken !== undefined) this.progressOwners.delete(state.progressToken);
    return state;
  }

  /** Stops waiting for the client's answer; the request's exchange ends without one (callers answer the server if needed). */
  private forget(gatewayId: number): ServerRequestState | undefined {
    const state = this.take(gatewayId);
    state?.settle(GONE);
    return state;
  }

  async onServerNotification(server: string, notification: JsonRpcNotification): Promise<void> {
    if (!this.session.isOpen()) return;
    let message = notification;
    if (notification.method === 'notifications/cancelled') {
      // The server gave up on a request it sent us: cancel it at the client under our id.
      const upstreamId = notification.params?.requestId;
      const entry = [...this.serverRequests.entries()].find(([, s]) => s.server === server && s.upstreamId === upstreamId);
      if (!entry) return;
      this.forget(entry[0]);
      message = { ...notification, params: { ...notification.params, requestId: entry[0] } };
    } else if (notification.method === 'notifications/resources/list_changed') {
      this.session.forgetResources(server);
    } else if (notification.method === 'notifications/progress' && !this.session.reportsTo(server, notification.params?.progressToken)) {
      // Progress on a token of a request this server was not sent: another server's, or none at all.
      this.host.log(`[${server}] dropped a progress notification for a request it was not sent`);
      return;
    }
    const pipeline = this.host.plugins.pipelineFor(server);
    const record = await exchangeNotification(pipeline, 'notification_to_client', message, (n) => this.host.sendToClient(n, undefined, server), this.host.traffic !== undefined);
    if (record) this.host.traffic?.(record);
  }

  /** A client notification for one server, through that server's exchange. */
  async notifyServer(server: string, notification: JsonRpcNotification): Promise<void> {
    const pipeline = this.host.plugins.pipelineFor(server);
    // The traffic view has never listed the client's notifications: no record is asked for.
    await exchangeNotification(pipeline, 'notification_to_server', notification, (n) => this.host.upstreams.get(server)?.send(n), false);
  }
}
