// Servers of both protocol eras behind the gateway. Upstream (src/gateway/upstream.ts) speaks the legacy
// era: it opens with `initialize`. This decorator of its transport first probes the server with
// `server/discover`, as the spec's stdio binding prescribes for a dual-era client (basic/versioning):
//   - a DiscoverResult naming 2026-07-28 → a modern server: the decorator answers Upstream's
//     `initialize` itself from the DiscoverResult and from then on translates: every request gets the
//     per-request `_meta` envelope; `ping`, `logging/setLevel` and `resources/subscribe` (gone in the
//     modern era) are answered here, the last through a `subscriptions/listen` stream; a result with
//     `resultType: "input_required"` becomes the server→client requests a legacy client knows, and their
//     answers go back in a retry with `inputResponses` and the server's `requestState`;
//   - any other answer (an error, or none within the probe's time) → a legacy server: `initialize` is
//     sent and everything passes through untouched.
// The verdict is remembered for the server (EraMemory), so a restart does not probe again.
import { ErrorCode, isRecord, makeError, makeResult, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { CloseReason, Received, SendCallback, UpstreamReceiver, UpstreamTransport } from '../transport/transport';
import { INPUT_CAPABLE_METHODS, INPUT_REQUEST_CAPABILITY, MODERN_PROTOCOL_VERSIONS, ModernErrorCode, ModernMeta } from './modern-meta';

/** What the gateway learnt of a server's era, kept across its restarts. */
export interface EraMemory {
  era?: 'legacy' | 'modern';
}

export interface DualEraUpstreamOptions {
  readonly log: (line: string) => void;
  /** How long a silent server gets to answer the probe before it is taken for a legacy one. */
  readonly probeTimeoutMs: number;
}

/** Rounds of input one call may take before the gateway gives up on a server that keeps asking. */
const MAX_INPUT_ROUNDS = 10;
/** Requests for input one round may carry. */
const MAX_INPUT_REQUESTS = 32;

const PROBE_ID = 'gatekit-era-probe';

type Mode = 'unknown' | 'probing' | 'legacy' | 'modern';

/** A call whose server asked for input, while the client answers it. */
interface Round {
  /** Upstream's id for the call (answers go back under it). */
  readonly callId: JsonRpcId;
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly requestState: string | undefined;
  /** Our request id → the key of the server's inputRequests. */
  readonly waiting: Map<string, string>;
  readonly responses: Record<string, unknown>;
  readonly number: number;
}

export class DualEraUpstreamTransport implements UpstreamTransport {
  private mode: Mode = 'unknown';
  private receiver!: UpstreamReceiver;
  private initialize: JsonRpcRequest | undefined;
  /** Upstream's callback for its `initialize`: told once the handshake left (or could not). */
  private initializeDone: SendCallback | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeRetried = false;
  /** Sent by Upstream while the probe was out: sent on once the era is known. */
  private held: [Received<JsonRpcMessage>, SendCallback | undefined][] = [];
  private logLevel: string | undefined;
  private readonly resourceUris = new Set<string>();
  private listenId: string | undefined;
  private nextId = 1;
  /** Input-capable calls sent to a modern server, by Upstream's id: the params a retry repeats. */
  private readonly calls = new Map<JsonRpcId, { method: string; params: Record<string, unknown>; rounds: number }>();
  /** Our retry's id → Upstream's id for the call. */
  private readonly retries = new Map<string, JsonRpcId>();
  /** Our server→client request's id → its round. */
  private readonly inputs = new Map<string, Round>();

  constructor(
    private readonly inner: UpstreamTransport,
    private readonly memory: EraMemory,
    private readonly options: DualEraUpstreamOptions,
  ) {}

  connect(receiver: UpstreamReceiver): Promise<void> {
    this.receiver = receiver;
    return this.inner.connect({
      message: (received) => this.fromServer(received),
      closed: (reason: CloseReason) => {
        clearTimeout(this.probeTimer);
        receiver.closed(reason);
      },
    });
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    switch (this.mode) {
      case 'legacy':
        return this.inner.send(outgoing, done);
      case 'probing':
        this.held.push([outgoing, done]);
        return;
      case 'modern':
        return this.toModernServer(outgoing.message, done);
      case 'unknown': {
        const message = outgoing.message;
        if (!('method' in message) || message.method !== 'initialize' || !('id' in message)) return this.inner.send(outgoing, done);
        if (this.memory.era === 'legacy') {
          this.mode = 'legacy';
          return this.inner.send(outgoing, done);
        }
        this.probe(message, done);
      }
    }
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
  close(): Promise<void> {
    clearTimeout(this.probeTimer);
    return this.inner.close();
  }
  abort(): void {
    clearTimeout(this.probeTimer);
    this.inner.abort();
  }

  // ---- the probe ----

  private probe(initialize: JsonRpcRequest, done: SendCallback | undefined): void {
    this.mode = 'probing';
    this.initialize = initialize;
    this.initializeDone = done;
    this.sendProbe();
    this.probeTimer = setTimeout(() => {
      // Withdrawn, so that a server that hangs does not keep a request (over HTTP: a stream) open.
      this.inner.send({ message: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: PROBE_ID, reason: 'no answer to server/discover in time' } } });
      this.settle('legacy', undefined);
    }, this.options.probeTimeoutMs);
    this.probeTimer.unref?.();
  }

  private sendProbe(): void {
    this.inner.send({ message: { jsonrpc: '2.0', id: PROBE_ID, method: 'server/discover', params: { _meta: this.envelope() } } }, (err) => {
      // Not an answer but a failure to ask (a broken pipe; over HTTP no connection, a sign-in needed, a
      // 5xx): the era is still unknown, and the handshake fails with the reason.
      if (err && this.mode === 'probing') this.probeFailed(err);
    });
  }

  private probeFailed(err: Error): void {
    clearTimeout(this.probeTimer);
    this.mode = 'unknown';
    const done = this.initializeDone;
    this.initializeDone = undefined;
    const held = this.held;
    this.held = [];
    done?.(err);
    for (const [, heldDone] of held) heldDone?.(err);
  }

  private settle(era: 'legacy' | 'modern', discovered: Record<string, unknown> | undefined): void {
    if (this.mode !== 'probing') return;
    clearTimeout(this.probeTimer);
    this.mode = era;
    this.memory.era = era;
    const initialize = this.initialize!;
    const done = this.initializeDone;
    this.initializeDone = undefined;
    if (era === 'legacy') {
      this.inner.send({ message: initialize }, done);
    } else {
      // serverInfo sits in the result's _meta (2026-07-28); some servers put it beside the capabilities.
      const info = isRecord(discovered!._meta) && isRecord(discovered!._meta[ModernMeta.serverInfo]) ? discovered!._meta[ModernMeta.serverInfo] : discovered!.serverInfo;
      const result: Record<string, unknown> = {
        protocolVersion: initialize.params?.protocolVersion,
        capabilities: isRecord(discovered!.capabilities) ? discovered!.capabilities : {},
        serverInfo: isRecord(info) ? info : { name: 'unknown', version: '0' },
      };
      if (typeof discovered!.instructions === 'string') result.instructions = discovered!.instructions;
      done?.(undefined);
      this.receiver.message({ message: makeResult(initialize.id, result) });
    }
    const held = this.held;
    this.held = [];
    for (const [outgoing, heldDone] of held) this.send(outgoing, heldDone);
  }

  /** The per-request `_meta` a modern server needs: who the client is and what it can do. */
  private envelope(): Record<string, unknown> {
    const params = this.initialize?.params ?? {};
    const envelope: Record<string, unknown> = {
      [ModernMeta.protocolVersion]: MODERN_PROTOCOL_VERSIONS[0],
      [ModernMeta.clientInfo]: isRecord(params.clientInfo) ? params.clientInfo : { name: 'gatekit', version: '0' },
      [ModernMeta.clientCapabilities]: isRecord(params.capabilities) ? params.capabilities : {},
    };
    if (this.logLevel !== undefined) envelope[ModernMeta.logLevel] = this.logLevel;
    return envelope;
  }

  // ---- Upstream → modern server ----

  private toModernServer(message: JsonRpcMessage, done: SendCallback | undefined): void {
    const answerHere = (id: JsonRpcId): void => {
      done?.(undefined);
      this.receiver.message({ message: makeResult(id, {}) });
    };
    if ('method' in message && 'id' in message) {
      const { id, method } = message;
      const params = message.params ?? {};
      if (method === 'ping') return answerHere(id);
      if (method === 'logging/setLevel') {
        if (typeof params.level === 'string') this.logLevel = params.level;
        return answerHere(id);
      }
      if (method === 'resources/subscribe' || method === 'resources/unsubscribe') {
        if (typeof params.uri === 'string') {
          const changed = method === 'resources/subscribe' ? !this.resourceUris.has(params.uri) : this.resourceUris.delete(params.uri);
          if (method === 'resources/subscribe') this.resourceUris.add(params.uri);
          if (changed) this.listen();
        }
        return answerHere(id);
      }
      if (INPUT_CAPABLE_METHODS.has(method)) this.calls.set(id, { method, params, rounds: 0 });
      return this.inner.send({ message: { ...message, params: this.withEnvelope(params) } }, done);
    }
    if ('method' in message) {
      // The modern era has no initialized notification and no roots notifications (roots are asked per request).
      if (message.method === 'notifications/initialized' || message.method === 'notifications/roots/list_changed') return done?.(undefined);
      if (message.method === 'notifications/cancelled') {
        const target = message.params?.requestId;
        const retry = [...this.retries.entries()].find(([, callId]) => callId === target)?.[0];
        this.forgetCall(target);
        if (retry !== undefined) return this.inner.send({ message: { ...message, params: { ...message.params, requestId: retry } } }, done);
      }
      return this.inner.send({ message }, done);
    }
    // An answer to one of our server→client requests (from an input round), or to anything else the server sent.
    const round = typeof message.id === 'string' ? this.inputs.get(message.id) : undefined;
    if (!round) return this.inner.send({ message }, done);
    done?.(undefined);
    this.answered(round, message.id as string, message);
  }

  private withEnvelope(params: Record<string, unknown>): Record<string, unknown> {
    const meta = isRecord(params._meta) ? params._meta : {};
    return { ...params, _meta: { ...meta, ...this.envelope() } };
  }

  /** (Re)opens the one listen stream that carries list changes and the resource updates subscribed to. */
  private listen(): void {
    if (this.listenId !== undefined) this.inner.send({ message: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: this.listenId, reason: 'subscriptions changed' } } });
    this.listenId = `gatekit-era-listen-${this.nextId++}`;
    const notifications: Record<string, unknown> = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };
    if (this.resourceUris.size) notifications.resourceSubscriptions = [...this.resourceUris];
    this.inner.send({ message: { jsonrpc: '2.0', id: this.listenId, method: 'subscriptions/listen', params: { notifications, _meta: this.envelope() } } });
  }

  // ---- server → Upstream ----

  private fromServer(received: Received): void {
    const message = received.message;
    if (isRecord(message) && message.id === PROBE_ID && !('method' in message)) return this.probeAnswered(message);
    if (this.mode !== 'modern' || !isRecord(message)) return this.receiver.message(received);
    if (typeof message.method === 'string') {
      if (!('id' in message)) return this.fromServerNotification(message);
      return this.receiver.message(received);
    }
    const id = message.id;
    if (id === null || id === undefined) return this.receiver.message(received);
    if (typeof id === 'string' && id.startsWith('gatekit-era-listen-')) return; // a listen ended (or was refused): list changes stop
    const callId = typeof id === 'string' && this.retries.has(id) ? this.retries.get(id)! : (id as JsonRpcId);
    if (typeof id === 'string') this.retries.delete(id);
    const result = message.result;
    if (isRecord(result) && result.resultType === 'input_required' && this.calls.has(callId)) return this.askClient(callId, result);
    this.forgetCall(callId);
    if (!isRecord(result)) return this.receiver.message(callId === id ? received : { message: { ...message, id: callId } });
    // Legacy results have no resultType; the envelope's serverInfo stays in _meta for whoever reads it.
    const { resultType: _complete, ...legacy } = result;
    this.receiver.message({ message: { ...message, id: callId, result: legacy } });
  }

  private fromServerNotification(message: Record<string, unknown>): void {
    if (message.method === 'notifications/subscriptions/acknowledged') return;
    const params = isRecord(message.params) ? message.params : undefined;
    if (params && isRecord(params._meta) && ModernMeta.subscriptionId in params._meta) {
      const meta = Object.fromEntries(Object.entries(params._meta).filter(([key]) => key !== ModernMeta.subscriptionId));
      return this.receiver.message({ message: { ...message, params: { ...params, _meta: meta } } });
    }
    this.receiver.message({ message });
  }

  private probeAnswered(answer: Record<string, unknown>): void {
    // Late (after the probe's time ran out) or repeated: the era is settled already.
    if (this.mode !== 'probing') return;
    const result = answer.result;
    const modern = isRecord(result) && Array.isArray(result.supportedVersions) && result.supportedVersions.includes(MODERN_PROTOCOL_VERSIONS[0]);
    if (!modern) {
      const error = isRecord(answer.error) ? answer.error : undefined;
      const supported = error && isRecord(error.data) && Array.isArray(error.data.supported) ? error.data.supported : undefined;
      if (error?.code === ModernErrorCode.UnsupportedProtocolVersion && !this.probeRetried && supported?.some((v) => (MODERN_PROTOCOL_VERSIONS as readonly unknown[]).includes(v))) {
        // It refused the version we asked in but lists one we speak (the spec's negotiation): ask once more.
        this.probeRetried = true;
        return this.sendProbe();
      }
      if (supported && supported.some((v) => typeof v === 'string' && v >= MODERN_PROTOCOL_VERSIONS[0])) {
        // A modern server of revisions we do not speak: say so rather than fall back to a handshake it refuses.
        this.options.log(`the server speaks MCP ${supported.filter((v) => typeof v === 'string').join(', ').slice(0, 200)} only; Gatekit speaks ${MODERN_PROTOCOL_VERSIONS.join(', ')} and the earlier revisions`);
      }
      return this.settle('legacy', undefined);
    }
    this.settle('modern', result);
    this.listen();
  }

  // ---- input rounds (a modern server's input_required, for a legacy client) ----

  private askClient(callId: JsonRpcId, result: Record<string, unknown>): void {
    const call = this.calls.get(callId)!;
    const requests = result.inputRequests;
    const requestState = typeof result.requestState === 'string' ? result.requestState : undefined;
    const entries = isRecord(requests) ? Object.entries(requests) : [];
    const refuse = (why: string): void => {
      this.forgetCall(callId);
      this.receiver.message({ message: makeError(callId, ErrorCode.InternalError, why) });
    };
    if (++call.rounds > MAX_INPUT_ROUNDS) return refuse(`The server asked for input more than ${MAX_INPUT_ROUNDS} times for one request`);
    if (requests !== undefined && !isRecord(requests)) return refuse('The server asked for input in a form Gatekit cannot relay (inputRequests is not an object)');
    if (entries.length > MAX_INPUT_REQUESTS) return refuse(`The server asked for more than ${MAX_INPUT_REQUESTS} inputs at once`);
    for (const [, request] of entries) {
      if (!isRecord(request) || typeof request.method !== 'string' || INPUT_REQUEST_CAPABILITY[request.method] === undefined || (request.params !== undefined && !isRecord(request.params))) {
        return refuse('The server asked for input Gatekit cannot relay (each input request must be elicitation/create, sampling/createMessage or roots/list)');
      }
    }
    if (entries.length === 0 && requestState === undefined) return refuse('The server answered input_required without asking for anything');
    const round: Round = { callId, method: call.method, params: call.params, requestState, waiting: new Map(), responses: {}, number: call.rounds };
    if (entries.length === 0) return this.retry(round);
    for (const [key, request] of entries) {
      const id = `gatekit-era-input-${this.nextId++}`;
      round.waiting.set(id, key);
      this.inputs.set(id, round);
      // Upstream relays it to the client like any request of a legacy server's: through the server's plugins.
      const { method, params } = request as { method: string; params?: Record<string, unknown> };
      this.receiver.message({ message: { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) } });
    }
  }

  private answered(round: Round, id: string, response: JsonRpcResponse): void {
    const key = round.waiting.get(id)!;
    round.waiting.delete(id);
    this.inputs.delete(id);
    if (!('result' in response)) {
      for (const other of round.waiting.keys()) this.inputs.delete(other);
      this.forgetCall(round.callId);
      this.receiver.message({ message: makeError(round.callId, ErrorCode.InternalError, `The client did not provide the input the server asked for (${key})`) });
      return;
    }
    // Defined as own properties: a server's key named `__proto__` stays a key.
    Object.defineProperty(round.responses, key, { value: response.result, enumerable: true, writable: true, configurable: true });
    if (round.waiting.size === 0) this.retry(round);
  }

  private retry(round: Round): void {
    if (!this.calls.has(round.callId)) return; // cancelled meanwhile
    const id = `gatekit-era-retry-${this.nextId++}`;
    this.retries.set(id, round.callId);
    const params: Record<string, unknown> = { ...round.params, inputResponses: round.responses };
    if (round.requestState !== undefined) params.requestState = round.requestState;
    this.inner.send({ message: { jsonrpc: '2.0', id, method: round.method, params: this.withEnvelope(params) } });
  }

  private forgetCall(callId: unknown): void {
    if (callId === undefined || callId === null) return;
    this.calls.delete(callId as JsonRpcId);
    for (const [retry, target] of this.retries) if (target === callId) this.retries.delete(retry);
    for (const [input, round] of this.inputs) if (round.callId === callId) this.inputs.delete(input);
  }
}

