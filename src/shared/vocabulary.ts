// The facts both processes speak of: a server's state, what the gateway decided about an exchange,
// the record of that exchange, and a problem in a configuration. Defined once here; the gateway
// produces them, the control protocol carries them, the extension shows them.
import type { JsonRpcMessage } from './jsonrpc';

/** Lifecycle of an upstream server (its process or connection). */
export type ServerState = 'idle' | 'starting' | 'running' | 'crashed' | 'restarting' | 'failed' | 'stopped';

/** Health of one upstream server. */
export interface ServerStatus {
  readonly name: string;
  readonly state: ServerState;
  /** The last failure or other detail, for humans (exit code, spawn error, timeout...). */
  readonly detail?: string;
  /**
   * Resources this server offers that another server offers too, each `<uri or template> (also
   * <servers>)`, at most 20: reads of them are refused as ambiguous unless named `server__uri`.
   */
  readonly ambiguousResources?: readonly string[];
  /** The server runs in the operating system's sandbox (`sandbox.enabled`; docs/sandbox.md). */
  readonly sandboxed?: boolean;
}

/** What the gateway did with an exchange: `redacted` means a security plugin changed content. */
export type TrafficDecision = 'allowed' | 'modified' | 'redacted' | 'blocked' | 'error';

/**
 * `client_to_server`: a client request and its answer; `server_to_client`: a server's request
 * (sampling, elicitation, roots) and the client's answer; `notification_to_*`: a notification.
 */
export type TrafficDirection = 'client_to_server' | 'server_to_client' | 'notification_to_client' | 'notification_to_server';

/** What every record of a finished exchange says, inside the gateway and on the control link alike. */
export interface ExchangeSummary {
  /** Epoch milliseconds. */
  timestamp: number;
  direction: TrafficDirection;
  /** The upstream server (empty when the gateway answered on its own). */
  server: string;
  method: string;
  /** For tools/call: the tool name. */
  tool?: string;
  decision: TrafficDecision;
  /** The plugin that decided (blocked, redacted, completed). */
  plugin?: string;
  /** Why, already reduced to `[blocked]`/`[modified]` where content was sensitive. */
  reason: string;
  durationMs?: number;
}

/**
 * One finished exchange inside the gateway, bodies still messages (the control link serializes them
 * into a `TrafficEvent` off the message path).
 */
export interface ExchangeRecord extends Readonly<ExchangeSummary> {
  /** As sent on the wire after the pipeline (so redacted content stays redacted); absent when blocked. */
  readonly request?: JsonRpcMessage;
  readonly response?: JsonRpcMessage;
}

/** One validation problem of a configuration, with the field path (`proxy.upstreams[0].name`). */
export interface ConfigProblem {
  /** Field path such as `proxy.upstreams[0].name`; empty for the document as a whole. */
  readonly path: string;
  /** What is wrong, without the location. */
  readonly message: string;
  /** 1-based line in the config text, when the config came from text. */
  readonly line?: number;
  /** What to change. */
  readonly fixInstructions?: string;
  /** The change as data, when it is mechanical (an editor offers it as a quick fix). */
  readonly repair?: ConfigRepair;
}

/**
 * A mechanical fix of one config problem, at the problem's path: `unknownKey` — the last segment
 * is a key that does not belong there (remove it, or rename it to `suggestion`); `replaceValue` —
 * the value there should be one of `values` (the closest first).
 */
export type ConfigRepair =
  | { readonly kind: 'unknownKey'; readonly key: string; readonly suggestion?: string }
  | { readonly kind: 'replaceValue'; readonly values: readonly string[] };
