// --control-only (the extension's views gateway) serves no MCP client. This session stands where the
// client would, in-process: it opens the router with the gateway's own handshake, has it list every
// server's tools and resources (so the router reports tool inventories and resource ambiguity, which
// the control link sends to the views), lists again when the lists change, and answers what servers
// ask a client itself, since there is no user to ask. Nothing is parsed and nothing reaches stdout.
import { classifyMessage, ErrorCode, makeError, makeResult, type Classified, type JsonRpcMessage, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { ClientHandshake } from '../upstream';

/** The lists a control-only gateway keeps current. */
export type ControlOnlyList = 'tools/list' | 'resources/list' | 'resources/templates/list';

/** What the session needs from the router (the `Router` provides it). */
export interface ClientlessRouter {
  /** Starts the upstreams with `handshake`; false when none could start. */
  openWithoutClient(handshake: ClientHandshake): Promise<boolean>;
  /** Serves one list request as a client's would be served, and returns the answer. */
  listWithoutClient(method: ControlOnlyList): Promise<JsonRpcResponse>;
  /** Takes a message as if the client had sent it (here: answers to servers' requests). */
  handleClient(classified: Classified, raw?: unknown): void;
}

/** The handshake upstreams of a control-only gateway see: the client info and capabilities of the views. */
export function controlOnlyHandshake(gatewayVersion: string): ClientHandshake {
  return { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'gatekit-vscode-views', version: gatewayVersion } };
}

/** The client side of a control-only gateway. The `Gateway` gives it everything the router sends the client. */
export class ControlOnlySession {
  private listingTools = false;
  private listToolsAgain = false;

  constructor(
    private readonly router: ClientlessRouter,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens the router with `handshake`, then lists tools, then resources and templates. Never rejects. */
  async open(handshake: ClientHandshake): Promise<void> {
    let opened: boolean;
    try {
      opened = await this.router.openWithoutClient(handshake);
    } catch (err) {
      this.log(`internal error while handling 'initialize': ${describe(err)}`);
      return;
    }
    // A failed open has already stopped the gateway (fatal, exit 1), as it does for a client.
    if (!opened) return;
    await this.listTools();
    this.listResources();
  }

  /** Takes what the router would send the client: list changes and servers' requests. */
  receive(message: JsonRpcMessage): void {
    // Answers to this session's own requests are return values, never sent.
    if (!('method' in message)) return;
    if (message.method === 'notifications/tools/list_changed') void this.listTools();
    if (message.method === 'notifications/resources/list_changed') this.listResources();
    if (!('id' in message)) return;
    const answer =
      message.method === 'ping'
        ? makeResult(message.id, {})
        : message.method === 'roots/list'
          ? makeResult(message.id, { roots: [] })
          : makeError(message.id, ErrorCode.MethodNotFound, 'The Gatekit views gateway has no user to ask');
    // Answered on a later turn, as a client's answer would arrive: never inside the router's own send.
    setImmediate(() => this.router.handleClient(classifyMessage(answer), answer));
  }

  /** Lists tools (the router reports inventories as it goes); a change during a listing lists once more after it. */
  private async listTools(): Promise<void> {
    if (this.listingTools) {
      this.listToolsAgain = true;
      return;
    }
    this.listingTools = true;
    try {
      do {
        this.listToolsAgain = false;
        await this.list('tools/list');
      } while (this.listToolsAgain);
    } finally {
      this.listingTools = false;
    }
  }

  /**
   * Lists resources and templates only so the router indexes them: resources two servers offer show
   * up as ambiguous in the server statuses (the Servers view warns) before anyone reads one.
   */
  private listResources(): void {
    void this.list('resources/list');
    void this.list('resources/templates/list');
  }

  /** A failing list is already answered with an error (and audited) by the router: only a fault of ours is logged. */
  private list(method: ControlOnlyList): Promise<void> {
    return this.router.listWithoutClient(method).then(
      () => undefined,
      (err: unknown) => this.log(`internal error while handling '${method}': ${describe(err)}`),
    );
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
