// The gateway process's lifecycle owner: it creates the plugins, the upstream pool and the router,
// connects them to the client's stdio, and takes everything down in order at the end.
import { NdjsonMessageReader, NdjsonMessageWriter, DEFAULT_MAX_LINE_BYTES } from './transport/ndjson';
import { Upstream, type ClientHandshake, type UpstreamSpec, type UpstreamState } from './upstream';
import { Router, type TrafficEvent } from './router';
import { PluginHost, type PluginLookup, type PluginsByKind } from '../plugins/pipeline';
import type { PluginEnvironment } from '../plugins/types';
import { classifyMessage, ErrorCode, makeError, type JsonRpcMessage } from '../shared/jsonrpc';

/** Everything the gateway needs, already validated and resolved. */
export interface GatewaySettings {
  readonly upstreams: readonly UpstreamSpec[];
  readonly plugins: PluginsByKind;
  readonly pluginEnv: PluginEnvironment;
  readonly registry: PluginLookup;
  readonly maxLineBytes?: number;
  readonly serverInfo: { name: string; version: string };
}

export interface GatewayIo {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Diagnostics (stderr). */
  log(line: string): void;
}

/** Health of one upstream, for the control link and logs. */
export interface ServerStatus {
  readonly name: string;
  readonly state: UpstreamState;
  readonly detail?: string;
}

/** How long the whole shutdown may take before the process gives up waiting (VS Code waits 10 s). */
const SHUTDOWN_DEADLINE_MS = 4500;

export class Gateway {
  readonly upstreams = new Map<string, Upstream>();
  readonly plugins: PluginHost;
  private readonly router: Router;
  private readonly writer: NdjsonMessageWriter;
  private reader: NdjsonMessageReader | undefined;
  private shuttingDown: Promise<number> | undefined;
  private lastWrite: Promise<void> = Promise.resolve();
  private exitCode = 0;
  private readonly trafficListeners = new Set<(event: TrafficEvent) => void>();
  private readonly statusListeners = new Set<(status: ServerStatus) => void>();
  /** Settles when the gateway has shut down; resolves with the process exit code. */
  readonly finished: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    private readonly settings: GatewaySettings,
    private readonly io: GatewayIo,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    this.writer = new NdjsonMessageWriter(io.output);
    this.writer.onError((err) => {
      io.log(`client output failed: ${err instanceof Error ? err.message : String(err)}`);
      void this.shutdown(0);
    });
    this.plugins = new PluginHost(settings.plugins, settings.registry, settings.pluginEnv);
    // Every plugin is created now: one that cannot load stops start-up (the caller reports it).
    this.plugins.loadAll(settings.upstreams.map((u) => u.name));
    for (const spec of settings.upstreams) {
      const upstream = new Upstream(spec, io.log);
      upstream.on('state', (state, detail) => {
        const status: ServerStatus = detail === undefined ? { name: spec.name, state } : { name: spec.name, state, detail };
        for (const listener of this.statusListeners) listener(status);
      });
      this.upstreams.set(spec.name, upstream);
    }
    const traffic = (event: TrafficEvent): void => this.trafficListeners.forEach((listener) => listener(event));
    const listeners = this.trafficListeners;
    this.router = new Router({
      upstreams: this.upstreams,
      plugins: this.plugins,
      serverInfo: settings.serverInfo,
      sendToClient: (message) => this.send(message),
      connectUpstreams: (handshake) => this.connectUpstreams(handshake),
      log: io.log,
      fatal: (reason) => {
        io.log(reason);
        this.exitCode = 1;
        // The router answers the request first; leave once that answer is on its way.
        setImmediate(() => void this.shutdown(1));
      },
      // Traffic events are built only while someone listens (the hot path stays lean otherwise).
      get traffic() {
        return listeners.size ? traffic : undefined;
      },
    });
  }

  /** Spawns the upstreams (their handshake waits for the client's) and starts reading the client. */
  start(): void {
    for (const upstream of this.upstreams.values()) {
      try {
        upstream.spawnEarly();
      } catch (err) {
        this.io.log(`[${upstream.name}] ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const reader = new NdjsonMessageReader(this.io.input, { maxLineBytes: this.settings.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES });
    this.reader = reader;
    reader.onInvalidLine((info) => {
      if (info.reason === 'not_json') this.send(makeError(null, ErrorCode.ParseError, 'Parse error: the line is not valid JSON'));
      else this.send(makeError(null, ErrorCode.InvalidRequest, `Message of ${info.bytes} bytes exceeds the limit of ${this.settings.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES} bytes`));
    });
    reader.onError((err) => this.io.log(`client input error: ${err instanceof Error ? err.message : String(err)}`));
    reader.onClose(() => void this.shutdown(this.exitCode));
    reader.listen((value) => this.router.handleClient(classifyMessage(value)));
  }

  /** Observes every finished exchange (the control link feeds the traffic view from this). */
  onTraffic(listener: (event: TrafficEvent) => void): { dispose(): void } {
    this.trafficListeners.add(listener);
    return { dispose: () => this.trafficListeners.delete(listener) };
  }

  onServerStatus(listener: (status: ServerStatus) => void): { dispose(): void } {
    this.statusListeners.add(listener);
    return { dispose: () => this.statusListeners.delete(listener) };
  }

  serverStatuses(): ServerStatus[] {
    return [...this.upstreams.values()].map((u) => (u.lastError ? { name: u.name, state: u.state, detail: u.lastError } : { name: u.name, state: u.state }));
  }

  /**
   * Closes everything in order: stop answering, stop the upstreams (stdin end → SIGTERM → SIGKILL),
   * flush the audit logs, flush our stdout. Idempotent; resolves with the exit code.
   */
  shutdown(exitCode = 0): Promise<number> {
    this.shuttingDown ??= this.doShutdown(exitCode);
    return this.shuttingDown;
  }

  private async doShutdown(exitCode: number): Promise<number> {
    this.router.close();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DEADLINE_MS).unref());
    const stopping = Promise.allSettled([...this.upstreams.values()].map((u) => u.stop()));
    await Promise.race([stopping, deadline]);
    try {
      await this.plugins.close();
    } catch (err) {
      this.io.log(`closing plugins failed: ${err instanceof Error ? err.message : String(err)}`);
      exitCode = exitCode || 1;
    }
    this.reader?.dispose();
    // Writes keep their order, so once the last one is handed to the stream all of them are.
    await this.lastWrite.catch(() => undefined);
    this.finish(exitCode);
    return exitCode;
  }

  private send(message: JsonRpcMessage): void {
    // Failures surface once through writer.onError.
    this.lastWrite = this.writer.write(message).catch(() => undefined);
  }

  private async connectUpstreams(handshake: ClientHandshake): Promise<void> {
    await Promise.all(
      [...this.upstreams.values()].map((u) =>
        u.connect(handshake).catch((err: unknown) => {
          this.io.log(`[${u.name}] did not start: ${err instanceof Error ? err.message : String(err)}`);
        }),
      ),
    );
  }
}
