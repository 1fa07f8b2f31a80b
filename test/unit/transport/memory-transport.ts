// A second implementation of the transport seam, for tests: linked in-memory endpoints (no process,
// no framing) and a small in-process MCP server on the far end. If Upstream and Gateway work over
// these, they depend on the interfaces and not on stdio.
import type {
  ClientReceiver,
  ClientTransport,
  CloseReason,
  SendCallback,
  UpstreamReceiver,
  UpstreamTransport,
  Received,
} from '../../../src/gateway/transport/transport';
import type { JsonRpcMessage } from '../../../src/shared/jsonrpc';

type Json = Record<string, unknown>;

/**
 * One end of an in-memory link. What one end posts reaches the other on a later turn of the event
 * loop, as a copy (the two ends share no object, as two processes would not).
 */
export class LinkEnd {
  peer!: LinkEnd;
  private handler: ((value: unknown) => void) | undefined;
  private closeHandler: (() => void) | undefined;
  private paused = false;
  private inbox: unknown[] = [];
  closed = false;

  onMessage(handler: (value: unknown) => void): void {
    this.handler = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandler = handler;
  }

  post(value: unknown): void {
    if (this.closed) throw new Error('the link is closed');
    const copy: unknown = JSON.parse(JSON.stringify(value));
    const peer = this.peer;
    setImmediate(() => peer.receive(copy));
  }

  /** Closes both ends; each learns it on a later turn. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.closed = true;
    setImmediate(() => {
      this.closeHandler?.();
      this.peer.closeHandler?.();
    });
  }

  pause(): void {
    this.paused = true;
  }

  /** Messages that arrived while paused, waiting for `resume`. */
  get queued(): number {
    return this.inbox.length;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  resume(): void {
    this.paused = false;
    const waiting = this.inbox;
    this.inbox = [];
    for (const value of waiting) this.receive(value);
  }

  private receive(value: unknown): void {
    if (this.paused) this.inbox.push(value);
    else this.handler?.(value);
  }
}

export function linkedPair(): [LinkEnd, LinkEnd] {
  const a = new LinkEnd();
  const b = new LinkEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** An upstream connection over one end of a link; `server` is told of the other end at `connect`. */
export class MemoryUpstreamTransport implements UpstreamTransport {
  private readonly end: LinkEnd;
  private readonly serverEnd: LinkEnd;
  private receiver: UpstreamReceiver | undefined;
  /** Every message sent, in order, as given (to check what the Upstream put on the wire). */
  readonly sent: Received<JsonRpcMessage>[] = [];

  /** Our end of the link (to look at what waits while receiving is paused). */
  get clientEnd(): LinkEnd {
    return this.end;
  }

  /**
   * @param serve starts the server on the far end of the link
   * @param refusal when given, `connect` rejects with it (a server that cannot be reached)
   */
  constructor(
    private readonly serve: (serverEnd: LinkEnd) => void,
    private readonly refusal?: Error,
  ) {
    [this.end, this.serverEnd] = linkedPair();
  }

  connect(receiver: UpstreamReceiver): Promise<void> {
    if (this.refusal) return Promise.reject(this.refusal);
    this.receiver = receiver;
    this.end.onMessage((message) => this.receiver?.message({ message }));
    this.end.onClose(() => this.receiver?.closed(closedByPeer));
    this.serve(this.serverEnd);
    // Opening takes a turn, like a real connection: the Upstream's sends before then must wait.
    return new Promise((resolve) => setImmediate(resolve));
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    this.sent.push(outgoing);
    if (this.end.closed) {
      if (done) setImmediate(done, new Error('the link is closed'));
      return;
    }
    // A raw text is what goes out when given: the peer parses it, as it would parse bytes.
    this.end.post(outgoing.raw ? JSON.parse(Buffer.concat(outgoing.raw).toString('utf8')) : outgoing.message);
    if (done) setImmediate(done, undefined);
  }

  get backlog(): number {
    return 0;
  }

  pauseReceiving(): void {
    this.end.pause();
  }

  resumeReceiving(): void {
    this.end.resume();
  }

  close(): Promise<void> {
    if (this.end.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.end.onClose(() => {
        this.receiver?.closed(closedByUs);
        resolve();
      });
      this.end.close();
    });
  }

  abort(): void {
    this.receiver = undefined;
    this.end.close();
  }
}

const closedByPeer: CloseReason = { kind: 'exited', description: 'the in-memory server closed the link' };
const closedByUs: CloseReason = { kind: 'exited', description: 'closed by the gateway' };

/** The client side of the gateway over a link: the test holds the other end. */
export class MemoryClientTransport implements ClientTransport {
  private receiver: ClientReceiver | undefined;
  private readonly drainListeners = new Set<() => void>();
  constructor(private readonly end: LinkEnd) {}

  listen(receiver: ClientReceiver): void {
    this.receiver = receiver;
    this.end.onMessage((message) => receiver.message({ message }));
    this.end.onClose(() => this.receiver?.closed('ended'));
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    if (this.end.closed) {
      if (done) setImmediate(done, new Error('the link is closed'));
      return;
    }
    this.end.post(outgoing.message);
    if (done) setImmediate(done, undefined);
  }

  get backlog(): number {
    return 0;
  }

  pauseReceiving(): void {
    this.end.pause();
  }

  resumeReceiving(): void {
    this.end.resume();
  }

  onDrain(listener: () => void): { dispose(): void } {
    this.drainListeners.add(listener);
    return { dispose: () => this.drainListeners.delete(listener) };
  }

  flushed(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  close(): void {
    this.receiver = undefined;
  }
}

/**
 * A small MCP server living on one end of a link. Tools: `echo` (answers its arguments, after
 * `delayMs` if given), `notify` (sends a log notification first), `ask` (asks the client for its
 * roots and answers with them), `hang` (never answers), `crash` (closes the link).
 */
export class InMemoryServer {
  /** Every message the server received, in order. */
  readonly received: Json[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: Json) => void>();

  constructor(
    private readonly end: LinkEnd,
    private readonly serverName: string,
  ) {
    end.onMessage((value) => this.handle(value as Json));
  }

  private handle(message: Json): void {
    this.received.push(message);
    if (typeof message.method !== 'string') {
      // An answer to one of our requests.
      this.waiting.get(message.id as number)?.(message);
      return;
    }
    if (message.id === undefined) return; // notifications need no answer
    const reply = (result: Json): void => this.end.post({ jsonrpc: '2.0', id: message.id, result });
    const params = (message.params ?? {}) as Json;
    switch (message.method) {
      case 'initialize':
        reply({ protocolVersion: params.protocolVersion, capabilities: { tools: { listChanged: true } }, serverInfo: { name: this.serverName, version: '1' } });
        return;
      case 'tools/list':
        reply({ tools: ['echo', 'notify', 'ask', 'hang', 'crash'].map((name) => ({ name, description: `${name} tool`, inputSchema: { type: 'object' } })) });
        return;
      case 'tools/call':
        this.call(params, reply);
        return;
      default:
        this.end.post({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } });
    }
  }

  private call(params: Json, reply: (result: Json) => void): void {
    const args = (params.arguments ?? {}) as Json;
    const text = (value: unknown): Json => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });
    switch (params.name) {
      case 'echo':
        if (typeof args.delayMs === 'number') setTimeout(() => reply(text(args)), args.delayMs);
        else reply(text(args));
        return;
      case 'notify':
        this.end.post({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: args.data } });
        reply(text('notified'));
        return;
      case 'ask': {
        const id = this.nextId++;
        this.waiting.set(id, (answer) => {
          this.waiting.delete(id);
          reply(text(answer.result ?? answer.error));
        });
        this.end.post({ jsonrpc: '2.0', id, method: 'roots/list' });
        return;
      }
      case 'hang':
        return;
      case 'crash':
        this.end.close();
        return;
      default:
        reply({ content: [{ type: 'text', text: `unknown tool ${String(params.name)}` }], isError: true });
    }
  }
}
