// Multi round-trip requests (spec page basic/patterns/mrtr) for a modern client in front of legacy
// servers. A legacy server asks the client for input in the middle of a call (an `elicitation/create`,
// `sampling/createMessage` or `roots/list` request); a modern client cannot be asked, so the call is
// answered with `resultType: "input_required"` listing what the server asked, and the client's retry
// (a new request with `inputResponses` and our `requestState`) answers the server's requests. The
// server's call itself never stopped: the retry takes over its answer. The client's input reaches the
// server through the router as the client's answer to the server's request, so every plugin screens it
// exactly as a legacy client's answer.
//
// `requestState` is a random single-use token naming a call held here, bound to the call's method and
// parameters and valid for `inputTimeoutMs`: a client cannot forge, replay or move it to another
// request, and nothing the client puts in it reaches a server.
import { randomBytes } from 'node:crypto';
import { ErrorCode, isRecord, makeError, makeResult, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { SendCallback } from '../transport/transport';
import { INPUT_CAPABLE_METHODS, INPUT_KEY_META, INPUT_REQUEST_CAPABILITY, LOG_LEVELS, withModernResultFields, type ModernEnvelope } from './modern-meta';

export interface InputRoundsHost {
  readonly toRouter: (message: JsonRpcMessage) => void;
  /** `related`: the client's id of the request the message belongs to (a log message of its call). */
  readonly toClient: (message: JsonRpcMessage, done?: SendCallback, related?: JsonRpcId) => void;
  readonly log: (line: string) => void;
  readonly inputTimeoutMs: number;
  /**
   * The router's ids of the requests that are calling `server` (when the host can tell): a server's
   * request for input is then attributed among those calls only, not among every running call.
   */
  readonly callsOn?: (server: string) => readonly JsonRpcId[];
}

/** Calls a client may keep waiting for its input at once; beyond, new rounds are refused. */
const MAX_WAITING_ROUNDS = 1000;

/** A server's request for input, as the client is shown it. */
interface Asked {
  /** The router's id for the server's request (answered with the client's input). */
  readonly routerId: JsonRpcId;
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  /** Shown to the client in an input_required result (else it waits for the next one). */
  shown: boolean;
}

/** A modern client's request, forwarded to the router under our id. */
interface Call {
  readonly routerId: number;
  /** The client's id to answer with; undefined while the client owes us a retry. */
  clientId: JsonRpcId | undefined;
  readonly method: string;
  /** Its parameters without envelope and input: a retry must repeat them. */
  readonly params: Record<string, unknown>;
  /** Canonical text of method and params, computed when the client is first asked for input. */
  fingerprint?: string;
  capabilities: Record<string, unknown>;
  /** The least severe log level the client wants for this request (LOG_LEVELS index); undefined: no logs. */
  logLevel: number | undefined;
  /** By the key the client sees in `inputRequests`. */
  readonly asked: Map<string, Asked>;
  /** The token the client must send back, while it owes us a retry. */
  token?: string;
  timer?: NodeJS.Timeout;
  /** The router's answer, when it came while the client still owed us a retry. */
  answer?: JsonRpcResponse;
  showScheduled?: boolean;
}

export class InputRounds {
  private nextRouterId = 1;
  private readonly calls = new Map<number, Call>();
  private readonly byClientId = new Map<JsonRpcId, Call>();
  private readonly byToken = new Map<string, Call>();

  constructor(private readonly host: InputRoundsHost) {}

  /**
   * A client request (a retry or a new one) with its envelope removed from `params`: forwards it to
   * the router, or returns the error that refuses it.
   */
  forward(request: JsonRpcRequest, envelope: Pick<ModernEnvelope, 'capabilities' | 'logLevel'>, params: Record<string, unknown> | undefined): JsonRpcResponse | undefined {
    const { capabilities, logLevel } = envelope;
    const { requestState, inputResponses, ...rest } = params ?? {};
    if (requestState !== undefined) return this.retry(request, envelope, rest, requestState, inputResponses);
    if (inputResponses !== undefined) return makeError(request.id, ErrorCode.InvalidParams, 'inputResponses without requestState: Gatekit always sends a requestState with input_required');
    if (this.byClientId.has(request.id)) return makeError(request.id, ErrorCode.InvalidRequest, `Request id ${JSON.stringify(request.id)} is already in use by a request not yet answered`);
    const routerId = this.nextRouterId++;
    const call: Call = { routerId, clientId: request.id, method: request.method, params: rest, capabilities, logLevel, asked: new Map() };
    this.calls.set(routerId, call);
    this.byClientId.set(request.id, call);
    this.host.toRouter({ jsonrpc: '2.0', id: routerId, method: request.method, ...(params ? { params: rest } : {}) });
    return undefined;
  }

  private retry(request: JsonRpcRequest, envelope: Pick<ModernEnvelope, 'capabilities' | 'logLevel'>, rest: Record<string, unknown>, state: unknown, inputs: unknown): JsonRpcResponse | undefined {
    const call = typeof state === 'string' ? this.byToken.get(state) : undefined;
    if (!call) return makeError(request.id, ErrorCode.InvalidParams, 'requestState is not one Gatekit issued, or it was already used or has expired: send the request again without it');
    if (call.fingerprint !== fingerprintOf(request.method, rest)) {
      return makeError(request.id, ErrorCode.InvalidParams, 'requestState belongs to another request: a retry must repeat the method and parameters of the request that was answered with input_required');
    }
    if (inputs !== undefined && !isRecord(inputs)) return makeError(request.id, ErrorCode.InvalidParams, 'inputResponses must be an object keyed by the names in inputRequests');
    if (this.byClientId.has(request.id)) return makeError(request.id, ErrorCode.InvalidRequest, `Request id ${JSON.stringify(request.id)} is already in use by a request not yet answered`);
    this.byToken.delete(call.token!);
    clearTimeout(call.timer);
    call.token = undefined;
    call.timer = undefined;
    call.clientId = request.id;
    call.capabilities = envelope.capabilities;
    call.logLevel = envelope.logLevel;
    this.byClientId.set(request.id, call);
    for (const [key, asked] of call.asked) {
      if (!asked.shown || !inputs || !Object.hasOwn(inputs, key)) continue;
      const input = inputs[key];
      call.asked.delete(key);
      // The client's input goes to the router as its answer to the server's request: screened by the
      // server's plugins like any client answer.
      this.host.toRouter(isRecord(input) ? { jsonrpc: '2.0', id: asked.routerId, result: input } : makeError(asked.routerId, ErrorCode.InvalidParams, `The client's input for '${asked.method}' was not an object`));
    }
    if (call.answer) return this.finish(call, call.answer);
    for (const asked of call.asked.values()) asked.shown = false;
    if (call.asked.size) this.scheduleShow(call);
    return undefined;
  }

  /** The client cancelled one of its requests: true when it was one of ours. */
  cancel(clientId: JsonRpcId): boolean {
    const call = this.byClientId.get(clientId);
    if (!call) return false;
    this.drop(call);
    this.host.toRouter({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.routerId, reason: 'cancelled by the client' } });
    return true;
  }

  /** The router answered a call. */
  routerAnswers(response: JsonRpcResponse, done: SendCallback | undefined): void {
    const call = typeof response.id === 'number' ? this.calls.get(response.id) : undefined;
    if (!call) {
      this.host.log(`dropped the answer to a request the client no longer waits for (id ${String(response.id)})`);
      return;
    }
    if (call.clientId === undefined) {
      // The client owes us a retry: it takes this answer when it comes.
      call.answer = response;
      done?.(undefined);
      return;
    }
    this.host.toClient(this.finish(call, response), done);
  }

  /** A server's request, relayed by the router: becomes input the calling client is asked for. `server`: which one sent it, when known. */
  serverAsks(request: JsonRpcRequest, _done: SendCallback | undefined, server?: string): void {
    if (request.method === 'ping') return this.host.toRouter(makeResult(request.id, {}));
    const capability = INPUT_REQUEST_CAPABILITY[request.method];
    const refuse = (why: string): void => this.host.toRouter(makeError(request.id, ErrorCode.MethodNotFound, why));
    if (capability === undefined) return refuse(`'${request.method}' cannot reach a client of MCP 2026-07-28 (servers ask it for elicitation, sampling and roots only, during a request)`);
    const onServer = server !== undefined && this.host.callsOn ? new Set(this.host.callsOn(server)) : undefined;
    const calls = [...this.calls.values()].filter((call) => INPUT_CAPABLE_METHODS.has(call.method) && (!onServer || onServer.has(call.routerId)));
    if (calls.length !== 1) {
      // Legacy servers do not say which call a request belongs to; guessing could show one request's
      // question in another's answer, so only an unambiguous call is asked.
      return refuse(calls.length === 0 ? `'${request.method}' came outside any call: a client of MCP 2026-07-28 can only be asked during one` : `'${request.method}' came while ${calls.length} calls were running: Gatekit cannot tell which one it belongs to`);
    }
    const call = calls[0]!;
    if (!isRecord(call.capabilities[capability])) return refuse(`The client did not declare the '${capability}' capability for this request`);
    if (this.byToken.size >= MAX_WAITING_ROUNDS && call.clientId !== undefined) return refuse('Too many calls are waiting for the client’s input');
    const { key, params } = inputKeyOf(request, call.asked);
    call.asked.set(key, { routerId: request.id, method: request.method, params, shown: false });
    this.scheduleShow(call);
  }

  /** A server notification that concerns the rounds (a server gave up on a request): true when handled. */
  serverNotifies(notification: JsonRpcNotification, done: SendCallback | undefined): boolean {
    if (notification.method === 'notifications/cancelled') {
      const id = notification.params?.requestId;
      for (const call of this.calls.values()) {
        for (const [key, asked] of call.asked) if (asked.routerId === id) call.asked.delete(key);
      }
      return true;
    }
    if (notification.method === 'notifications/message') {
      this.deliverLog(notification, done);
      return true;
    }
    // Everything else (progress) goes to the client.
    this.host.toClient(notification, done);
    return true;
  }

  /**
   * A server's log message reaches the request that asked for it (`_meta` logLevel) when its level is
   * at or above the one asked. A legacy server's message does not say which call it comes from, so it
   * is delivered only while exactly one call is running: with several, it could be another client's
   * (over HTTP, modern clients share this adapter), and it is withheld.
   */
  private deliverLog(notification: JsonRpcNotification, done: SendCallback | undefined): void {
    const level = notification.params?.level;
    const index = typeof level === 'string' ? LOG_LEVELS.indexOf(level) : -1;
    const running = [...this.calls.values()].filter((call) => call.clientId !== undefined);
    const call = running.length === 1 ? running[0]! : undefined;
    if (index === -1 || call?.logLevel === undefined || index < call.logLevel) {
      done?.(undefined);
      return;
    }
    this.host.toClient(notification, done, call.clientId);
  }

  /** The client is gone: stop every timer. */
  dispose(): void {
    for (const call of this.calls.values()) clearTimeout(call.timer);
  }

  /** Shows the client what the servers asked, once the requests of this turn are all in. */
  private scheduleShow(call: Call): void {
    if (call.showScheduled) return;
    call.showScheduled = true;
    setImmediate(() => {
      call.showScheduled = false;
      if (call.clientId === undefined || !this.calls.has(call.routerId)) return;
      // fromEntries defines own properties: a server naming its key `__proto__` gets a key, not a prototype.
      const inputRequests: Record<string, unknown> = Object.fromEntries(
        [...call.asked].map(([key, asked]) => {
          asked.shown = true;
          return [key, { method: asked.method, ...(asked.params ? { params: asked.params } : {}) }];
        }),
      );
      if (!Object.keys(inputRequests).length) return;
      call.fingerprint ??= fingerprintOf(call.method, call.params);
      const token = randomBytes(24).toString('base64url');
      const clientId = call.clientId;
      this.byClientId.delete(clientId);
      call.clientId = undefined;
      call.token = token;
      this.byToken.set(token, call);
      call.timer = setTimeout(() => this.expire(call), this.host.inputTimeoutMs);
      call.timer.unref?.();
      this.host.toClient(makeResult(clientId, { resultType: 'input_required', inputRequests, requestState: token }));
    });
  }

  /** The client never came back with the input: the server learns it will not get it, the call ends. */
  private expire(call: Call): void {
    this.host.log(`a client did not answer the input a server asked for within ${this.host.inputTimeoutMs} ms: the call was cancelled`);
    for (const asked of call.asked.values()) {
      this.host.toRouter(makeError(asked.routerId, ErrorCode.InternalError, `The client did not provide the input within ${Math.round(this.host.inputTimeoutMs / 1000)} s`));
    }
    this.drop(call);
    if (!call.answer) this.host.toRouter({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.routerId, reason: 'the client did not provide the input asked for' } });
  }

  private drop(call: Call): void {
    clearTimeout(call.timer);
    this.calls.delete(call.routerId);
    if (call.clientId !== undefined) this.byClientId.delete(call.clientId);
    if (call.token !== undefined) this.byToken.delete(call.token);
  }

  /** The client's answer to a call: the router's, under the client's id, with `resultType`. */
  private finish(call: Call, response: JsonRpcResponse): JsonRpcResponse {
    const clientId = call.clientId!;
    this.drop(call);
    if (!('result' in response)) return { ...response, id: clientId };
    return { ...response, id: clientId, result: withModernResultFields(call.method, response.result) };
  }
}

/**
 * The key a server's request is shown under in `inputRequests`, and its params as the client sees
 * them. A legacy server's request has no key of its own; one may name it in
 * `_meta["dev.gatekit/inputKey"]` (a modern server's own keys travel this way through the gateway),
 * taken when it is a short plain name not already used by this call, and removed from what the
 * client is shown. Otherwise the key is ours, from the request's id.
 */
function inputKeyOf(request: JsonRpcRequest, asked: ReadonlyMap<string, Asked>): { key: string; params: Record<string, unknown> | undefined } {
  const meta = request.params?._meta;
  const named = isRecord(meta) ? meta[INPUT_KEY_META] : undefined;
  if (!isRecord(meta) || !Object.hasOwn(meta, INPUT_KEY_META)) return { key: `input-${String(request.id)}`, params: request.params };
  const { [INPUT_KEY_META]: _key, ...otherMeta } = meta;
  const { _meta: _all, ...rest } = request.params!;
  const params = Object.keys(otherMeta).length ? { ...rest, _meta: otherMeta } : rest;
  const usable = typeof named === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(named) && !asked.has(named);
  return { key: usable ? named : `input-${String(request.id)}`, params };
}

/**
 * A canonical text of a request's method and parameters (keys sorted), to recognise its retry. Params
 * nested beyond the stack's depth read as one text no retry can match (the call simply cannot be retried).
 */
function fingerprintOf(method: string, params: Record<string, unknown>): string {
  const { _meta: _ignored, ...salient } = params;
  try {
    return `${method}\n${canonicalJson(salient)}`;
  } catch {
    return `${method}\n(unreadable)\n${randomBytes(8).toString('hex')}`;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

