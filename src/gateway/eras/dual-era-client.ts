// Serves clients of both protocol eras over one client transport (spec page basic/versioning,
// "dual-era server"). A client that opens with `initialize` is legacy and passes through untouched. A
// client that opens with `server/discover` or a request carrying `_meta["io.modelcontextprotocol/
// protocolVersion"]` is modern (2026-07-28): there is no handshake, so this adapter performs one with
// the router on the client's behalf and then translates in both directions, so that nothing above the
// transport seam (router, plugins, upstreams, all of them legacy-era) needs to know:
//   - client request ids are replaced by our own (a modern client may reuse an id once answered, while
//     the router may still be busy with it);
//   - results gain `resultType: "complete"`;
//   - a server's request for input during a call (elicitation, sampling, roots) becomes an
//     `input_required` result, and the client's retry with `inputResponses` answers it (input-rounds.ts);
//   - notifications outside a request reach the client only through a `subscriptions/listen` stream.
import { ErrorCode, isRecord, isValidId, makeError, makeResult, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { ClientReceiver, ClientTransport, Received, SendCallback } from '../transport/transport';
import { envelopeOf, isModernVersion, MODERN_PROTOCOL_VERSIONS, ModernErrorCode, ModernMeta, REMOVED_IN_MODERN, withModernResultFields, withoutEnvelope } from './modern-meta';
import { InputRounds } from './input-rounds';
import { Subscriptions } from './subscriptions';

export interface DualEraOptions {
  /** The versions the legacy handshake speaks, oldest first (server/discover lists them too). */
  readonly legacyVersions: readonly string[];
  readonly log: (line: string) => void;
  /** How long a call waits for a client to come back with the input a server asked for. */
  readonly inputTimeoutMs: number;
  /**
   * What the router is told about the client instead of the first request's envelope: over HTTP one
   * adapter serves every modern client of an endpoint, so no one client's identity or capabilities
   * may stand for all (each request's own capabilities still decide what it can be asked).
   */
  readonly handshake?: { readonly capabilities: Record<string, unknown>; readonly clientInfo: Record<string, unknown> };
  /** The router's ids of the requests calling `server` (see InputRoundsHost.callsOn). */
  readonly callsOn?: (server: string) => readonly JsonRpcId[];
}

/**
 * A client transport that can carry a message as part of the answer to one request (the HTTP
 * per-request model: a log message goes on that request's own response stream).
 */
export interface RequestScopedTransport extends ClientTransport {
  sendRelated(message: JsonRpcMessage, clientRequestId: JsonRpcId, done?: SendCallback): void;
}

function isRequestScoped(transport: ClientTransport): transport is RequestScopedTransport {
  return typeof (transport as Partial<RequestScopedTransport>).sendRelated === 'function';
}

type Era = 'undecided' | 'legacy' | 'modern';

/** What the router answered to the handshake this adapter made for a modern client. */
interface RouterHandshake {
  readonly capabilities: Record<string, unknown>;
  readonly serverInfo: unknown;
  readonly instructions: string | undefined;
}

/** Ids of the requests this adapter itself sends the router: strings, never one of the numbers it gives client requests. */
const OWN_ID_PREFIX = 'gatekit-era-';

export class DualEraClientTransport implements ClientTransport {
  private era: Era = 'undecided';
  private receiver!: ClientReceiver;
  private handshake: RouterHandshake | undefined;
  private handshaking = false;
  /** Modern requests that arrived while the handshake was under way, served once it is done. */
  private waiting: JsonRpcRequest[] = [];
  private nextOwnId = 1;
  /** Answers to the adapter's own requests, by id. */
  private readonly ownRequests = new Map<string, (response: JsonRpcResponse) => void>();
  private readonly rounds: InputRounds;
  private readonly subscriptions: Subscriptions;

  constructor(
    private readonly inner: ClientTransport,
    private readonly options: DualEraOptions,
  ) {
    this.rounds = new InputRounds({
      toRouter: (message) => this.toRouter(message),
      toClient: (message, done, related) => (related !== undefined && isRequestScoped(this.inner) ? this.inner.sendRelated(message, related, done) : this.inner.send({ message }, done)),
      log: options.log,
      inputTimeoutMs: options.inputTimeoutMs,
      ...(options.callsOn ? { callsOn: options.callsOn } : {}),
    });
    this.subscriptions = new Subscriptions({
      toClient: (message) => this.inner.send({ message }),
      ownRequest: (method, params) => this.ownRequest(method, params),
      canSubscribeResources: () => isRecord(this.handshake?.capabilities.resources) && this.handshake.capabilities.resources.subscribe === true,
    });
  }

  /** Which era the client turned out to speak (for logs and tests). */
  get clientEra(): Era {
    return this.era;
  }

  listen(receiver: ClientReceiver): void {
    this.receiver = receiver;
    this.inner.listen({
      message: (received) => this.fromClient(received),
      malformed: (input) => receiver.malformed(input),
      closed: (reason) => {
        this.rounds.dispose();
        receiver.closed(reason);
      },
    });
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    if (this.era !== 'modern') return this.inner.send(outgoing, done);
    this.fromRouter(outgoing.message, done);
  }

  /** A message the router sends on behalf of `server` (a request it relays): attributed among the calls on that server. */
  sendFromServer(outgoing: Received<JsonRpcMessage>, server: string, done?: SendCallback): void {
    if (this.era !== 'modern') return this.inner.send(outgoing, done);
    this.fromRouter(outgoing.message, done, server);
  }

  get backlog(): number {
    return this.inner.backlog;
  }
  pauseReceiving(): void {
    this.inner.pauseReceiving();
  }
  resumeReceiving(): void {
    this.inner.resumeReceiving();
  }
  onDrain(listener: () => void): { dispose(): void } {
    return this.inner.onDrain(listener);
  }
  flushed(): Promise<void> {
    return this.inner.flushed();
  }
  close(): void {
    this.rounds.dispose();
    this.inner.close();
  }

  // ---- client → router ----

  private fromClient(received: Received): void {
    if (this.era === 'legacy') return this.receiver.message(received);
    const message = received.message;
    if (this.era === 'undecided') this.era = eraOpenedBy(message);
    if (this.era !== 'modern') return this.receiver.message(received);
    if (!isRecord(message) || typeof message.method !== 'string') {
      // A modern client never answers requests (servers ask through input_required): pass anything
      // else on, for the router to refuse as it refuses every malformed message.
      return this.receiver.message(received);
    }
    if (!('id' in message)) return this.fromClientNotification(message.method, isRecord(message.params) ? message.params : undefined, received);
    if (!isValidId(message.id)) return this.receiver.message(received);
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: message.id, method: message.method, ...(isRecord(message.params) ? { params: message.params } : {}) };
    this.fromClientRequest(request);
  }

  private fromClientNotification(method: string, params: Record<string, unknown> | undefined, received: Received): void {
    if (method === 'notifications/cancelled') {
      const id = params?.requestId;
      if (isValidId(id) && (this.subscriptions.cancel(id) || this.rounds.cancel(id))) return;
      return;
    }
    this.receiver.message(received);
  }

  private fromClientRequest(request: JsonRpcRequest): void {
    if (request.method === 'initialize') {
      return this.answer(makeError(request.id, ErrorCode.InvalidRequest, `This connection speaks MCP ${MODERN_PROTOCOL_VERSIONS.join(', ')} (per-request _meta); 'initialize' belongs to the earlier revisions and cannot follow it`));
    }
    const envelope = envelopeOf(request.params);
    if (envelope.protocolVersion === undefined && request.method !== 'server/discover') {
      return this.answer(makeError(request.id, ErrorCode.InvalidRequest, `Missing _meta["${ModernMeta.protocolVersion}"]: every request of MCP ${MODERN_PROTOCOL_VERSIONS[0]} declares its protocol version`));
    }
    if (envelope.protocolVersion !== undefined && !(MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(envelope.protocolVersion)) {
      return this.answer(
        makeError(request.id, ModernErrorCode.UnsupportedProtocolVersion, 'Unsupported protocol version', {
          supported: [...MODERN_PROTOCOL_VERSIONS],
          requested: envelope.protocolVersion.slice(0, 100),
        }),
      );
    }
    if (!this.handshake) {
      this.waiting.push(request);
      if (!this.handshaking) this.performHandshake(request);
      return;
    }
    this.serve(request);
  }

  /** Serves a modern request once the router is initialized. */
  private serve(request: JsonRpcRequest): void {
    const handshake = this.handshake!;
    if (request.method === 'server/discover') {
      const result: Record<string, unknown> = {
        supportedVersions: [...MODERN_PROTOCOL_VERSIONS, ...[...this.options.legacyVersions].reverse()],
        capabilities: handshake.capabilities,
        _meta: { [ModernMeta.serverInfo]: handshake.serverInfo },
      };
      if (handshake.instructions !== undefined) result.instructions = handshake.instructions;
      return this.answer(makeResult(request.id, result), request.method);
    }
    if (REMOVED_IN_MODERN.has(request.method)) {
      return this.answer(makeError(request.id, ErrorCode.MethodNotFound, `Method not found: '${request.method}' does not exist in MCP ${MODERN_PROTOCOL_VERSIONS.join(', ')}`));
    }
    if (request.method === 'subscriptions/listen') {
      const refusal = this.subscriptions.listen(request);
      if (refusal) this.answer(refusal);
      return;
    }
    const refusal = this.rounds.forward(request, envelopeOf(request.params), withoutEnvelope(request.params));
    if (refusal) this.answer(refusal);
  }

  /** Initializes the router for a modern client, with the identity and capabilities its first request declares. */
  private performHandshake(first: JsonRpcRequest): void {
    this.handshaking = true;
    const envelope = envelopeOf(first.params);
    const legacy = this.options.legacyVersions;
    const fixed = this.options.handshake;
    void this.ownRequest('initialize', {
      protocolVersion: legacy[legacy.length - 1],
      capabilities: fixed?.capabilities ?? envelope.capabilities,
      clientInfo: fixed?.clientInfo ?? envelope.clientInfo ?? { name: 'unknown', version: '0' },
    }).then((response) => {
      this.handshaking = false;
      const waiting = this.waiting;
      this.waiting = [];
      if (!('result' in response)) {
        // The gateway could not start (no server came up): every waiting request learns why; the next one tries again.
        for (const request of waiting) this.answer({ ...response, id: request.id });
        return;
      }
      const result = response.result;
      this.handshake = {
        capabilities: isRecord(result.capabilities) ? result.capabilities : {},
        serverInfo: result.serverInfo,
        instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
      };
      this.toRouter({ jsonrpc: '2.0', method: 'notifications/initialized' });
      for (const request of waiting) this.serve(request);
    });
  }

  private ownRequest(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse> {
    const id = `${OWN_ID_PREFIX}${this.nextOwnId++}`;
    return new Promise((resolve) => {
      this.ownRequests.set(id, resolve);
      this.toRouter({ jsonrpc: '2.0', id, method, params });
    });
  }

  private toRouter(message: JsonRpcMessage): void {
    this.receiver.message({ message });
  }

  /** Answers the client directly, with the modern era's result fields. */
  private answer(response: JsonRpcResponse, method = ''): void {
    this.inner.send({ message: 'result' in response ? { ...response, result: withModernResultFields(method, response.result) } : response });
  }

  // ---- router → client ----

  private fromRouter(message: JsonRpcMessage, done: SendCallback | undefined, server?: string): void {
    if ('method' in message) {
      if ('id' in message) return this.rounds.serverAsks(message, done, server);
      if (!this.subscriptions.deliver(message, done)) this.rounds.serverNotifies(message, done);
      return;
    }
    const id = message.id;
    if (typeof id === 'string' && id.startsWith(OWN_ID_PREFIX)) {
      const resolve = this.ownRequests.get(id);
      this.ownRequests.delete(id);
      resolve?.(message);
      return;
    }
    if (id === null) return this.inner.send({ message }, done);
    this.rounds.routerAnswers(message, done);
  }
}

/** Which era a client's first message opens, if it decides one. */
function eraOpenedBy(message: unknown): Era {
  if (!isRecord(message) || typeof message.method !== 'string' || !('id' in message)) return 'undecided';
  if (message.method === 'initialize') return 'legacy';
  if (message.method === 'server/discover') return 'modern';
  const version = envelopeOf(message.params).protocolVersion;
  return version !== undefined && isModernVersion(version) ? 'modern' : 'undecided';
}

