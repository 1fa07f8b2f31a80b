// Several clients over one set of upstream processes. Each client session has its own router; the
// hub is the one listener of every upstream and decides which session(s) a server's message is for:
//   - progress: the session whose request carries the token (tokens are the gateway's, unique);
//   - the server cancelling a request it sent: the session that request was relayed to;
//   - resources/updated: the sessions that subscribed to that URI;
//   - logging messages: every session whose log level admits it; list_changed and the rest: every session;
//   - a server's request (sampling, elicitation…): the one session with a request running on that
//     server. When no session or several do, nobody can say whose user should answer: the request
//     is refused with an error (never guessed), and `ping` is answered by the hub itself.
// Ids cannot collide between clients: each router keeps its client's ids, and every request an
// upstream sees carries an id its Upstream allocated.
import { randomUUID } from 'node:crypto';
import { ErrorCode, makeError, makeResult, type JsonRpcNotification, type JsonRpcRequest } from '../../shared/jsonrpc';
import type { Router } from '../router';
import type { Upstream } from '../upstream';
import type { RawText } from '../../shared/received';
import { ClientSession, type SessionOutput, type SessionRegistry } from './client-session';
import type { JsonRpcMessage } from '../../shared/jsonrpc';

/** The client capability a server request needs (a client that did not declare it is not asked). */
const CAPABILITY_OF: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** Sessions open at once; beyond, a new client is refused (each one holds a router and its maps). */
export const MAX_SESSIONS = 256;

export interface SessionHubOptions {
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly log: (line: string) => void;
  /** How long a modern client's call waits for the input a server asked for (its retry). */
  readonly inputTimeoutMs: number;
  /** A router over the shared upstreams that sends its client's messages to `sendToClient`. */
  /** `server`: the session sees that one upstream under its own names (the per-server endpoint). */
  readonly createRouter: (sendToClient: (message: JsonRpcMessage, raw?: RawText, server?: string) => void, server?: string) => Router;
}

export class SessionHub implements SessionRegistry {
  private readonly sessions = new Map<string, ClientSession>();
  private readonly progressOwners = new Map<string, ClientSession>();
  private nextProgressToken = 1;
  private closed = false;

  constructor(private readonly options: SessionHubOptions) {}

  get inputTimeoutMs(): number {
    return this.options.inputTimeoutMs;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Whether `name` is an upstream a per-server session can present. */
  hasServer(name: string): boolean {
    return this.options.upstreams.has(name);
  }

  /** A new session with an unguessable id, or undefined when the gateway is closing or full. */
  open(output: SessionOutput, server?: string): ClientSession | undefined {
    if (this.closed || this.sessions.size >= MAX_SESSIONS) return undefined;
    const session = new ClientSession(randomUUID(), this, (send) => this.options.createRouter(send, server), output, server);
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): ClientSession | undefined {
    return this.sessions.get(id);
  }

  /** Ends one session (the client's DELETE, or its connection's end). */
  end(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    session.close();
    return true;
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.sessions.keys()]) this.end(id);
  }

  /** Servers restarted or the policy changed: every session's client lists again. */
  notifyListsChanged(): void {
    for (const session of this.sessions.values()) session.router.notifyListsChanged();
  }

  claimProgressToken(session: ClientSession): string {
    const token = `gatekit-progress-${this.nextProgressToken++}`;
    this.progressOwners.set(token, session);
    return token;
  }

  releaseProgressToken(token: string): void {
    this.progressOwners.delete(token);
  }

  subscribedElsewhere(session: ClientSession, uri: string): boolean {
    for (const other of this.sessions.values()) if (other !== session && other.server === session.server && other.hasSubscription(uri)) return true;
    return false;
  }

  /** Becomes the listener of an upstream's messages (each upstream, also those a reload adds). */
  attach(upstream: Upstream): void {
    upstream.on('notification', (n) => this.onServerNotification(upstream.name, n));
    upstream.on('request', (r) => this.onServerRequest(upstream, r));
    upstream.on('restarted', () => {
      for (const session of this.sessions.values()) if (session.serves(upstream.name)) session.router.onUpstreamRestarted(upstream.name);
    });
  }

  private onServerNotification(server: string, notification: JsonRpcNotification): void {
    const params = notification.params ?? {};
    const sessions = [...this.sessions.values()].filter((s) => s.serves(server));
    let targets: ClientSession[];
    switch (notification.method) {
      case 'notifications/progress': {
        const owner = typeof params.progressToken === 'string' ? this.progressOwners.get(params.progressToken) : undefined;
        targets = owner ? [owner] : [];
        break;
      }
      case 'notifications/cancelled':
        targets = sessions.filter((s) => s.router.relaysServerRequest(server, params.requestId));
        break;
      case 'notifications/resources/updated':
        targets = sessions.filter((s) => s.subscribedTo(server, params.uri));
        break;
      case 'notifications/message':
        targets = sessions.filter((s) => s.wantsLog(params.level));
        break;
      default:
        targets = sessions;
    }
    if (targets.length === 0 && notification.method === 'notifications/progress') this.options.log(`[${server}] dropped a progress notification no session asked for`);
    for (const session of targets) session.router.onServerNotification(server, notification);
  }

  private onServerRequest(upstream: Upstream, request: JsonRpcRequest): void {
    if (request.method === 'ping') {
      upstream.send(makeResult(request.id, {}));
      return;
    }
    const capability = CAPABILITY_OF[request.method];
    let callers = [...this.sessions.values()].filter((s) => s.serves(upstream.name) && s.router.requestsCalling(upstream.name).length > 0);
    // Of several, only those able to answer are candidates (a client without sampling is never asked to sample).
    if (callers.length > 1 && capability !== undefined) callers = callers.filter((s) => s.router.clientSupports(capability));
    if (callers.length !== 1) {
      const why = callers.length === 0 ? 'no client has a request running on this server' : `${callers.length} clients have requests running on this server`;
      this.options.log(`[${upstream.name}] refused its '${request.method}' request: ${why}, so it cannot be attributed to one client`);
      upstream.send(
        makeError(request.id, ErrorCode.InvalidRequest, `Gatekit serves several clients and cannot tell which one this '${request.method}' request is for (${why}); send it while handling that client's request`),
      );
      return;
    }
    const session = callers[0]!;
    if (capability !== undefined && !session.router.clientSupports(capability)) {
      upstream.send(makeError(request.id, ErrorCode.MethodNotFound, `The client does not support '${request.method}' (it did not declare the '${capability}' capability)`));
      return;
    }
    session.router.onServerRequest(upstream.name, request);
  }
}
