// The one exchange of the plugin layer: a message, in either direction, through one server's plugins
// — request hooks → audit → send → response hooks → audit — and the one traffic record it leaves.
// The router decides where a message goes; this module decides what the plugins make of it.
import { ErrorCode, makeError, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import type { AuditEvent, MessageContext, PipelineResult, RequestOrigin } from './types';
import type { RawText, Received } from '../shared/received';
import type { ExchangeRecord } from '../shared/vocabulary';
import { incomingTrace, type IncomingTrace } from './trace-context';
import { isThenable, passThrough, type MaybePromise, type PluginFailure, type ServerPipeline, type StageObserver } from './pipeline';

/** One finished exchange, for the traffic view and status displays (defined in src/shared/vocabulary). */
export type TrafficEvent = ExchangeRecord;

/**
 * What `send` returns when the request was not sent after all (cancelled meanwhile, too many
 * waiting) or its answer is not to be passed on (the asker is gone): the exchange ends with
 * `answer`, without a response stage and without a traffic record.
 */
export class Unsent {
  constructor(readonly answer: JsonRpcResponse | undefined) {}
}

/**
 * Delivers the request as the request hooks left it and resolves with the answer as received (with
 * its text, when it came with one), under whatever id the receiver gave it.
 */
export type Send = (request: JsonRpcRequest) => Promise<Received<JsonRpcResponse> | Unsent> | Unsent;

/** One request and its answer through one server's plugins. */
export interface RequestExchange {
  readonly pipeline: ServerPipeline;
  /** `client_to_server` for a client's request, `server_to_client` for a server's (sampling, roots). */
  readonly direction: 'client_to_server' | 'server_to_client';
  /** When the request entered the gateway (round-trip times count from there). */
  readonly startedAt: number;
  /** Whether someone listens for the traffic record (otherwise none is built). */
  readonly recordTraffic: boolean;
  /** The answer under the id of the request the exchange started with (the transport's, which can keep its text). */
  readonly underId: (answer: Received<JsonRpcResponse>, id: JsonRpcId) => Received<JsonRpcResponse>;
  /** Told of each plugin that changed the answer (the tool inventory follows the tools through it). */
  readonly observeResponse?: StageObserver<JsonRpcResponse>;
  /** For a client's request: who a plugin may ask to approve it (see {@link MessageContext.askApproval}). */
  readonly askApproval?: MessageContext['askApproval'];
  /** For a client's request: aborted when the client cancels it. */
  readonly signal?: AbortSignal;
}

/** How an exchange ended: the answer for the asker (none when it is gone) and its traffic record. */
export interface Exchanged {
  readonly answer: JsonRpcResponse | undefined;
  readonly record: TrafficEvent | undefined;
  /** The answer's text as received, while the answer is the very message received (no plugin replaced it). */
  readonly raw?: RawText;
}

const NO_ANSWER: Exchanged = { answer: undefined, record: undefined };

/**
 * Runs a request through the request hooks, audits it, sends it, runs the answer through the
 * response hooks, audits that, and returns the answer with one traffic record. A plugin or audit
 * failure becomes an error answer (fail closed); nothing here rejects for upstream failures. Only the
 * send and an asynchronous plugin are awaited: with synchronous plugins, the stages cost no promise.
 */
export function exchangeRequest(exchange: RequestExchange, request: JsonRpcRequest, send: Send): Promise<Exchanged> {
  return exchange.pipeline.isEmpty ? exchangeUnfiltered(exchange, request, send) : exchangeFiltered(exchange, request, send);
}

async function exchangeFiltered(exchange: RequestExchange, request: JsonRpcRequest, send: Send): Promise<Exchanged> {
  const { pipeline } = exchange;
  const origin: RequestOrigin = exchange.direction === 'client_to_server' ? 'client' : 'server';
  const serverName = pipeline.serverName;
  const ctx: MessageContext =
    exchange.askApproval || exchange.signal
      ? { serverName, origin, requestId: request.id, ...(exchange.askApproval ? { askApproval: exchange.askApproval } : {}), ...(exchange.signal ? { signal: exchange.signal } : {}) }
      : { serverName, origin, requestId: request.id };
  const staged = pipeline.requestStage(request, ctx);
  const pre = isThenable(staged) ? await staged : staged;
  const passed = passedMessage(pre);
  const requestEvent = pipeline.audits ? auditEvent('request', serverName, origin, request, pre, passed, undefined) : undefined;
  if (requestEvent && pipeline.rewritesOutgoing) (requestEvent as Mutable<AuditEvent>).trace = traceOf(request, passed);
  let failure = requestEvent ? auditOutcome(pipeline.record(requestEvent), request.id) : undefined;
  if (isThenable(failure)) failure = await failure;
  if (failure || pre.response) {
    let answer = failure ?? withId(pre.response!, request.id);
    // A request a plugin answered (blocked, completed by middleware) gets its response record too,
    // as in the original: the request's pipeline, and the answer the client got.
    if (!failure && pipeline.audits) {
      let responseFailure = auditOutcome(pipeline.record(auditEvent('response', serverName, origin, request, pre, answer, performance.now() - exchange.startedAt, requestEvent)), request.id);
      if (isThenable(responseFailure)) responseFailure = await responseFailure;
      if (responseFailure) answer = responseFailure;
    }
    return settled(answer, exchange.recordTraffic ? trafficRecord(exchange.direction, serverName, request, pre, passed, answer, exchange.startedAt, undefined) : undefined);
  }
  // An auditing plugin may add context for the receiver (trace context); the others leave it as passed.
  const sent = requestEvent && pipeline.rewritesOutgoing ? pipeline.outgoing(pre.message, requestEvent) : pre.message;
  const sending = send(sent);
  if (sending instanceof Unsent) return settled(sending.answer, undefined);
  const received = await sending;
  if (received instanceof Unsent) return settled(received.answer, undefined);
  const got = received.message.id === request.id ? received : exchange.underId(received, request.id);
  const response = got.message;
  const durationMs = performance.now() - exchange.startedAt;
  const responseCtx: MessageContext = { serverName, origin, request: sent, requestId: request.id, durationMs };
  const unwound = pipeline.responseStage(response, responseCtx, exchange.observeResponse);
  const post = isThenable(unwound) ? await unwound : unwound;
  const final = post.response ? withId(post.response, request.id) : post.message;
  failure = pipeline.audits ? auditOutcome(pipeline.record(auditEvent('response', serverName, origin, sent, post, final, durationMs, requestEvent)), request.id) : undefined;
  if (isThenable(failure)) failure = await failure;
  const answer = failure ?? final;
  // The text received stays true only while the answer is the very message it was parsed into.
  const raw = answer === response ? got.raw : undefined;
  return settled(answer, exchange.recordTraffic ? trafficRecord(exchange.direction, serverName, sent, post, sent, answer, exchange.startedAt, pre) : undefined, raw);
}

/** `exchangeRequest` for a server without plugins: the same outcome, without empty stages. */
async function exchangeUnfiltered(exchange: RequestExchange, request: JsonRpcRequest, send: Send): Promise<Exchanged> {
  const sending = send(request);
  if (sending instanceof Unsent) return settled(sending.answer, undefined);
  const received = await sending;
  if (received instanceof Unsent) return settled(received.answer, undefined);
  const got = received.message.id === request.id ? received : exchange.underId(received, request.id);
  const response = got.message;
  const record = exchange.recordTraffic ? trafficRecord(exchange.direction, exchange.pipeline.serverName, request, passThrough(response), request, response, exchange.startedAt, undefined) : undefined;
  return settled(response, record, got.raw);
}

/**
 * Runs a notification through the notification hooks and audits it, then delivers it unless a
 * plugin blocked it or it could not be recorded (then it is dropped: fail closed). Returns the
 * traffic record when a plugin blocked or changed it (a notification passed as it came is not shown).
 */
export async function exchangeNotification(
  pipeline: ServerPipeline,
  direction: 'notification_to_client' | 'notification_to_server',
  notification: JsonRpcNotification,
  deliver: (notification: JsonRpcNotification) => void,
  recordTraffic: boolean,
): Promise<TrafficEvent | undefined> {
  const startedAt = performance.now();
  const serverName = pipeline.serverName;
  const origin: RequestOrigin = direction === 'notification_to_client' ? 'server' : 'client';
  const ctx: MessageContext = { serverName, origin };
  const staged = pipeline.notificationStage(notification, ctx);
  const result = isThenable(staged) ? await staged : staged;
  if (pipeline.audits) {
    const event: AuditEvent = { type: 'notification', timestamp: new Date(), serverName, origin, method: notification.method, ...(passedMessage(result) ? { message: result.message } : {}), pipeline: result };
    const recorded = pipeline.record(event);
    if ((isThenable(recorded) ? await recorded : recorded) !== undefined) return undefined;
  }
  if (result.outcome === 'blocked' || result.outcome === 'error') {
    return recordTraffic ? trafficRecord(direction, serverName, notification, result, undefined, undefined, startedAt, undefined) : undefined;
  }
  deliver(result.message);
  return recordTraffic && result.modified ? trafficRecord(direction, serverName, notification, result, result.message, undefined, startedAt, undefined) : undefined;
}

/**
 * Records a client request the gateway itself refused before any server's plugins saw it (a tool
 * name without `server__`, an unknown server), as the original Gatekit did: the request, blocked with
 * the refusal as its reason, then the error answered. `pipeline` is the `_global` one (no server).
 * Returns the answer, or the audit failure's error when a critical audit plugin could not record it.
 */
export async function auditRefusal(pipeline: ServerPipeline, request: JsonRpcRequest, answer: JsonRpcResponse): Promise<JsonRpcResponse> {
  if (!pipeline.audits || !('error' in answer)) return answer;
  const reason = typeof answer.error.message === 'string' ? answer.error.message : 'refused';
  const refused: PipelineResult<unknown> = {
    outcome: 'blocked',
    message: request,
    response: answer,
    modified: false,
    securityEvaluated: false,
    sensitive: false,
    decidedBy: 'gatekit',
    reason,
    stages: [{ handler: 'gatekit', displayName: 'Gatekit', kind: 'middleware', outcome: 'blocked', reason, durationMs: 0 }],
    durationMs: 0,
  };
  const requestEvent = auditEvent('request', pipeline.serverName, 'client', request, refused, undefined, undefined);
  for (const event of [requestEvent, auditEvent('response', pipeline.serverName, 'client', request, refused, answer, 0, requestEvent)]) {
    const failure = await auditOutcome(pipeline.record(event), request.id);
    if (failure) return failure;
  }
  return answer;
}

function settled(answer: JsonRpcResponse | undefined, record: TrafficEvent | undefined, raw?: RawText): Exchanged {
  if (raw !== undefined) return { answer, record, raw };
  return answer === undefined && record === undefined ? NO_ANSWER : { answer, record };
}

/** A critical audit plugin that could not record blocks the traffic (fail closed): the error to answer with. */
function auditOutcome(outcome: MaybePromise<PluginFailure | undefined>, id: JsonRpcId): MaybePromise<JsonRpcResponse | undefined> {
  if (isThenable(outcome)) return outcome.then((failure) => failure && auditFailed(failure, id));
  return outcome && auditFailed(outcome, id);
}

function auditFailed(failure: PluginFailure, id: JsonRpcId): JsonRpcResponse {
  return makeError(id, ErrorCode.InternalError, `Blocked because the audit log could not be written: ${failure.message}`);
}

/** Built field by field rather than with spreads: this runs twice per audited call. */
function auditEvent(
  type: 'request' | 'response',
  serverName: string,
  origin: RequestOrigin,
  request: JsonRpcRequest,
  result: PipelineResult<unknown>,
  message: JsonRpcRequest | JsonRpcResponse | undefined,
  durationMs: number | undefined,
  answers?: AuditEvent,
): AuditEvent {
  const event: Mutable<AuditEvent> = { type, timestamp: new Date(), serverName, origin, requestId: request.id, method: request.method, pipeline: result };
  const tool = toolOf(request);
  if (tool !== undefined) event.tool = tool;
  if (message) event.message = message;
  if (durationMs !== undefined) event.durationMs = durationMs;
  if (answers) event.answers = answers;
  return event;
}

/** The record of one exchange; `requestResult` is the request's pipeline result when `result` is its answer's (a redaction there counts too). */
function trafficRecord(
  direction: TrafficEvent['direction'],
  server: string,
  request: JsonRpcMessage,
  result: PipelineResult<unknown>,
  shownRequest: JsonRpcMessage | undefined,
  response: JsonRpcMessage | undefined,
  startedAt: number,
  requestResult: PipelineResult<unknown> | undefined,
): TrafficEvent {
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
  // Field by field in the order the views have always received them, without spreads.
  const record = { timestamp: Date.now(), direction, server, method: 'method' in request ? request.method : '' } as Mutable<TrafficEvent>;
  const tool = toolOf(request);
  if (tool !== undefined) record.tool = tool;
  record.decision = decision;
  const plugin = result.decidedBy ?? requestResult?.decidedBy;
  if (plugin) record.plugin = plugin;
  // A request a plugin let through with a reason (an approval) says so when the answer has none;
  // a request whose content was found sensitive keeps its reason out (the answer's own is reduced).
  record.reason = result.reason || (requestResult && !requestResult.sensitive ? requestResult.reason : '');
  record.durationMs = performance.now() - startedAt;
  if (shownRequest) record.request = shownRequest;
  if (response) record.response = response;
  return record;
}

/**
 * The message a pipeline let through, or undefined when it blocked it or a security plugin failed
 * on it: then the message was not (fully) scanned, so no log, audit file or traffic event may show it.
 */
function passedMessage<M>(result: PipelineResult<M>): M | undefined {
  return result.outcome === 'blocked' || result.outcome === 'error' ? undefined : result.message;
}

/** An answer a plugin made, under the id of the request it answers. */
function withId(response: JsonRpcResponse, id: JsonRpcId): JsonRpcResponse {
  return response.id === id ? response : { ...response, id };
}

/** The trace context of a request for the audit (see {@link AuditEvent.trace}). */
function traceOf(received: JsonRpcRequest, passed: JsonRpcRequest | undefined): IncomingTrace {
  if (passed) return incomingTrace(passed);
  const trace = incomingTrace(received);
  return trace.parent?.traceState === undefined ? trace : { parent: { traceId: trace.parent.traceId, spanId: trace.parent.spanId, flags: trace.parent.flags } };
}

/** The clean tool name of a tools/call. */
export function toolOf(message: JsonRpcMessage): string | undefined {
  if ('method' in message && message.method === 'tools/call' && typeof message.params?.name === 'string') return message.params.name;
  return undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
