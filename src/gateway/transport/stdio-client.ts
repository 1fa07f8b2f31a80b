// The client the gateway serves, over a pair of byte streams (our own stdin and stdout, or the
// streams control-only mode hands over): newline-delimited JSON in both directions.
import { NdjsonMessageReader, NdjsonMessageWriter } from './ndjson';
import type { ClientReceiver, ClientTransport, SendCallback, Received } from './transport';
import type { JsonRpcMessage } from '../../shared/jsonrpc';

export interface StdioClientOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Largest line accepted from the client, in bytes. */
  readonly maxLineBytes: number;
  /** Diagnostics (stderr): stream errors are logged here. */
  readonly log: (line: string) => void;
}

export class StdioClientTransport implements ClientTransport {
  private readonly writer: NdjsonMessageWriter;
  private reader: NdjsonMessageReader | undefined;
  private receiver: ClientReceiver | undefined;
  /** Set once the client was reported gone (the first of: input ended, output failed). */
  private closeReported = false;
  /** An output failure before anyone listened, reported when someone does. */
  private outputFailedEarly = false;

  constructor(private readonly options: StdioClientOptions) {
    this.writer = new NdjsonMessageWriter(options.output);
    // The writer's error event is the tuple [error, message, count] of vscode-jsonrpc's MessageWriter.
    this.writer.onError(([error]) => {
      options.log(`client output failed: ${error.message}`);
      if (this.receiver) this.reportClosed('output_failed');
      else this.outputFailedEarly = true;
    });
  }

  listen(receiver: ClientReceiver): void {
    if (this.receiver) throw new Error('The client transport is listened to already');
    this.receiver = receiver;
    if (this.outputFailedEarly) this.reportClosed('output_failed');
    const reader = new NdjsonMessageReader(this.options.input, { maxLineBytes: this.options.maxLineBytes });
    this.reader = reader;
    reader.onInvalidLine((info) => receiver.malformed({ reason: info.reason, bytes: info.bytes }));
    reader.onError((err) => this.options.log(`client input error: ${err instanceof Error ? err.message : String(err)}`));
    reader.onClose(() => this.reportClosed('ended'));
    // Without its bytes: nothing the client sends is written on unchanged (requests are re-addressed
    // to an upstream), so checking them for reuse would be wasted work.
    reader.listen((message) => receiver.message({ message }));
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    if (outgoing.raw) this.writer.sendText(outgoing.raw, done);
    else this.writer.send(outgoing.message, done);
  }

  get backlog(): number {
    return this.writer.backlog;
  }

  pauseReceiving(): void {
    this.options.input.pause();
  }

  resumeReceiving(): void {
    this.options.input.resume();
  }

  onDrain(listener: () => void): { dispose(): void } {
    const output = this.options.output;
    output.on('drain', listener);
    return { dispose: () => output.removeListener('drain', listener) };
  }

  flushed(): Promise<void> {
    return this.writer.flushed();
  }

  close(): void {
    this.reader?.dispose();
  }

  private reportClosed(reason: 'ended' | 'output_failed'): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.receiver?.closed(reason);
  }
}
