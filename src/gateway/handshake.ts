// The session's handshake: answers the client's `initialize` (starting the upstreams with its
// capabilities, merging theirs, screening their instructions), and holds requests pipelined behind it.
import { isSignInRequiredText } from '../shared/sign-in';
import { ErrorCode, isRecord, makeError, makeResult, type JsonRpcRequest, type JsonRpcResponse } from '../shared/jsonrpc';
import type { MessageContext } from '../plugins/types';
import type { ClientHandshake, Upstream } from './upstream';
import { META_UNAVAILABLE, type RouterHost } from './routing';

/** Protocol versions this gateway speaks, oldest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;
export const LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[SUPPORTED_PROTOCOL_VERSIONS.length - 1]!;

/** Client requests sent right after `initialize` (pipelined) that wait for its answer; beyond, they are refused. */
const MAX_WAITING_FOR_HANDSHAKE = 1000;

export class SessionHandshake {
  private initialized = false;
  private initializing = false;
  private handshake: ClientHandshake | undefined;
  /** Settles once the answer to `initialize` is on its way: requests pipelined behind it wait for this. */
  private handshakeDone: Promise<void> | undefined;
  private waitingForHandshake = 0;
  /** The capabilities the client was told of: no `list_changed` for a list it was told does not exist. */
  private advertisedCapabilities: Record<string, unknown> = {};

  constructor(private readonly host: RouterHost) {}

  get isInitialized(): boolean {
    return this.initialized;
  }

  /** Whether the client's `initialize` answer advertised this capability (`tools`, `prompts`, `resources`…). */
  advertised(capability: string): boolean {
    return Object.hasOwn(this.advertisedCapabilities, capability);
  }

  /** The handshake the client made, for upstreams started after it (config reload). */
  get client(): ClientHandshake | undefined {
    return this.handshake;
  }

  /**
   * Undefined when `request` may be served now; else the answer refusing it. A request pipelined
   * behind `initialize` waits for its answer first (only then is the result a promise).
   */
  admit(request: JsonRpcRequest, isClosed: () => boolean): JsonRpcResponse | undefined | Promise<JsonRpcResponse | undefined> {
    if (this.initialized) return undefined;
    if (this.handshakeDone) return this.afterHandshake(request, this.handshakeDone, isClosed);
    return makeError(request.id, ErrorCode.InvalidRequest, `Received '${request.method}' before initialization: send 'initialize' first`);
  }

  private async afterHandshake(request: JsonRpcRequest, done: Promise<void>, isClosed: () => boolean): Promise<JsonRpcResponse | undefined> {
    // Sent right behind `initialize`, before its answer (pipelined): served in order once it is done.
    if (this.waitingForHandshake >= MAX_WAITING_FOR_HANDSHAKE) {
      return makeError(request.id, ErrorCode.InvalidRequest, `Too many requests (${MAX_WAITING_FOR_HANDSHAKE}) are waiting for 'initialize' to finish`);
    }
    this.waitingForHandshake++;
    await done;
    this.waitingForHandshake--;
    if (!this.initialized) return makeError(request.id, ErrorCode.InvalidRequest, `Received '${request.method}' while 'initialize' failed: the session is not initialized`);
    if (isClosed()) return makeError(request.id, ErrorCode.UpstreamUnavailable, 'Gatekit is shutting down');
    return undefined;
  }

  async initialize(request: JsonRpcRequest): Promise<JsonRpcResponse> {
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
    // A server waiting for the user to sign in comes up later (tools/list_changed): not a failed start.
    const awaitingSignIn = failed.some((u) => isSignInRequiredText(u.lastError));
    if (running.length === 0 && !awaitingSignIn) {
      const detail = failed.map((u) => `${u.name}: ${u.lastError ?? u.state}`).join('; ');
      const servers = await Promise.all(failed.map(async (u) => ({ name: u.name, error: u.lastError ?? u.state, ...(await this.screenStderr(u, request)) })));
      this.initializing = false;
      this.host.fatal(`No upstream server could start (${detail})`);
      return makeError(request.id, ErrorCode.InternalError, `No upstream server could start: ${detail}`, {
        fix_instructions: 'Check each upstream command in the configuration: run it by hand to see why it exits, and make sure it speaks MCP on stdio.',
        servers,
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
    this.advertisedCapabilities = merged;
    const result: Record<string, unknown> = { protocolVersion, capabilities: merged, serverInfo: this.host.serverInfo };
    if (instructions.length) result.instructions = instructions.join('\n\n');
    if (failed.length) result._meta = { [META_UNAVAILABLE]: await Promise.all(failed.map(async (u) => ({ server: u.name, error: u.lastError ?? u.state, ...(await this.screenStderr(u, request)) }))) };
    return makeResult(request.id, result);
  }

  /**
   * A server that crashed on start-up: its last stderr lines (the cause, `missing API_KEY`), through
   * its response hooks like any error it could send, so secrets and PII are redacted before they
   * reach the client. Withheld entirely when a plugin blocks them.
   */
  private async screenStderr(upstream: Upstream, clientRequest: JsonRpcRequest): Promise<{ stderr?: string[] }> {
    const lines = upstream.lastStderr;
    if (lines.length === 0) return {};
    const ctx: MessageContext = { serverName: upstream.name, origin: 'client', request: clientRequest, requestId: clientRequest.id };
    const outcome = await this.host.plugins.pipelineFor(upstream.name).processResponse(makeError(clientRequest.id, ErrorCode.UpstreamUnavailable, 'stderr', { stderr: [...lines] }), ctx);
    const data = !outcome.response && 'error' in outcome.message && isRecord(outcome.message.error.data) ? outcome.message.error.data : undefined;
    const screened = Array.isArray(data?.stderr) ? data.stderr.filter((line): line is string => typeof line === 'string') : undefined;
    return { stderr: screened ?? [`(${lines.length} lines withheld: ${outcome.reason ?? 'blocked by a security plugin'})`] };
  }

  /**
   * Runs an upstream's `initialize` answer through its response hooks so its instructions are
   * screened too (the answer the upstream gave its own handshake: no exchange of the client's).
   */
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
}
