// MCP stdio framing (one JSON value per '\n'-terminated line) as vscode-jsonrpc message reader/writer.

import {
  AbstractMessageReader,
  AbstractMessageWriter,
  Emitter,
  type Disposable,
  type Event,
  type Message,
  type MessageWriter,
} from 'vscode-jsonrpc/node';
import type { RawText, Received } from '../../shared/received';

export type { RawText, Received };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const PREVIEW_CHARS = 120;
/** Decoding a few bytes more than the preview needs keeps the cost of a preview independent of the line length. */
const PREVIEW_BYTES = PREVIEW_CHARS * 4;

/** Default upper bound of one line, in bytes, without its terminator. */
export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;

/** A line the reader dropped, reported so the owner can log it or answer -32700. */
export interface InvalidLine {
  /** `not_json`: the line does not parse; `too_long`: the line exceeds `maxLineBytes`. */
  reason: 'not_json' | 'too_long';
  /** Length of the line in bytes, without its terminator. */
  bytes: number;
  /** The first 120 characters of the line, for logs only (may end inside a character). */
  preview: string;
}

/** Options of {@link NdjsonMessageReader}. */
export interface NdjsonReaderOptions {
  /** Largest accepted line in bytes, without its '\n' / '\r\n' terminator. Default 32 MiB. */
  maxLineBytes?: number;
}

/**
 * Lines shorter than this are not handed over as bytes: serializing a small message again costs less
 * than remembering its bytes (each weak-map entry costs the garbage collector), and the view itself
 * would be an allocation per message on the hot path.
 */
export const REUSABLE_LINE_BYTES = 4096;

/**
 * Receives each parsed value. `line` is the exact text it was parsed from (no terminator) and, for a
 * line of at least {@link REUSABLE_LINE_BYTES}, `bytes` the same line as received (a view into the
 * read buffer, not a copy), so a caller that forwards the value unchanged can have it written
 * without serializing again (`rawTextOf` in raw-text.ts, carried as the `raw` of a {@link Received} message).
 */
export type NdjsonDataCallback = (message: Message, line: string, bytes: Buffer | undefined) => void;

/**
 * Reads newline-delimited JSON from a byte stream.
 *
 * Every JSON value of a complete line is delivered, whatever its type: deciding whether it is a valid
 * JSON-RPC message is the router's job. Lines that do not parse, or are longer than `maxLineBytes`,
 * are reported on {@link onInvalidLine} and dropped; an over-long line is skipped without being
 * buffered. Blank lines are ignored and a trailing '\r' is tolerated. An unterminated last line is
 * parsed when the stream ends.
 */
export class NdjsonMessageReader extends AbstractMessageReader {
  private readonly maxLineBytes: number;
  private readonly invalidLineEmitter = new Emitter<InvalidLine>();
  private callback: NdjsonDataCallback | undefined;
  private streamListeners: Disposable | undefined;
  private closed = false;
  private atStreamStart = true;

  /** Pieces of the current, not yet terminated line (subarrays of received chunks). */
  private partialChunks: Buffer[] = [];
  private partialBytes = 0;
  /** Set while skipping an over-long line up to its newline. */
  private discarding = false;
  private discardedBytes = 0;
  private discardedPreview = '';
  private discardedEndsWithCarriageReturn = false;

  /**
   * @param readable the byte stream to read (a child's stdout, our stdin, a socket)
   * @param options `maxLineBytes` bounds the memory one line may take
   */
  constructor(
    private readonly readable: NodeJS.ReadableStream,
    options: NdjsonReaderOptions = {},
  ) {
    super();
    const limit = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${String(limit)}`);
    }
    this.maxLineBytes = limit;
  }

  /** Fired for each dropped line: not JSON, or longer than `maxLineBytes`. */
  get onInvalidLine(): Event<InvalidLine> {
    return this.invalidLineEmitter.event;
  }

  /**
   * Starts reading; call at most once. The callback also receives the line's text as second argument.
   * Disposing the result stops reading (without closing the stream).
   */
  listen(callback: NdjsonDataCallback): Disposable {
    if (this.callback !== undefined) {
      throw new Error('NdjsonMessageReader.listen may only be called once');
    }
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => {
      this.onData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    };
    const onEnd = (): void => this.onEnd();
    const onError = (error: unknown): void => this.fireError(error);
    this.readable.on('data', onData);
    this.readable.on('end', onEnd);
    // 'close' without 'end' happens when the stream is destroyed (child killed, socket reset).
    this.readable.on('close', onEnd);
    this.readable.on('error', onError);
    const listeners: Disposable = {
      dispose: () => {
        this.readable.removeListener('data', onData);
        this.readable.removeListener('end', onEnd);
        this.readable.removeListener('close', onEnd);
        // Swapped, not removed: a later stream error must not become an uncaught exception.
        this.readable.removeListener('error', onError);
        this.readable.on('error', ignoreError);
      },
    };
    this.streamListeners = listeners;
    return listeners;
  }

  /** Stops reading and releases the events; does not close the stream. */
  override dispose(): void {
    this.streamListeners?.dispose();
    this.streamListeners = undefined;
    this.partialChunks = [];
    this.invalidLineEmitter.dispose();
    super.dispose();
  }

  private onData(chunk: Buffer): void {
    let lineStart = 0;
    // Only the new chunk is searched: the pending pieces are known to hold no newline.
    let newline = chunk.indexOf(NEWLINE, lineStart);
    while (newline !== -1) {
      this.finishLine(chunk, lineStart, newline);
      lineStart = newline + 1;
      newline = chunk.indexOf(NEWLINE, lineStart);
    }
    if (lineStart < chunk.length) {
      this.keepPartial(chunk, lineStart);
    }
  }

  /** Handles the line made of the pending pieces plus `chunk[start, end)`. */
  private finishLine(chunk: Buffer, start: number, end: number): void {
    if (this.discarding) {
      // The terminator's '\r' may be the last discarded byte of an earlier chunk.
      const endsWithCarriageReturn = end > start ? chunk[end - 1] === CARRIAGE_RETURN : this.discardedEndsWithCarriageReturn;
      const bytes = this.discardedBytes + (end - start) - (endsWithCarriageReturn ? 1 : 0);
      const preview = this.discardedPreview;
      this.discarding = false;
      this.discardedBytes = 0;
      this.discardedPreview = '';
      this.reportInvalid('too_long', bytes, preview);
      return;
    }
    if (this.partialBytes === 0) {
      // Fast path: the whole line is in this chunk, decode it straight from there.
      this.handleLine(chunk, start, end);
      return;
    }
    this.partialChunks.push(chunk.subarray(start, end));
    const line = Buffer.concat(this.partialChunks, this.partialBytes + (end - start));
    this.partialChunks = [];
    this.partialBytes = 0;
    this.handleLine(line, 0, line.length);
  }

  private keepPartial(chunk: Buffer, start: number): void {
    const tailBytes = chunk.length - start;
    if (this.discarding) {
      this.discardedBytes += tailBytes;
      this.discardedEndsWithCarriageReturn = chunk[chunk.length - 1] === CARRIAGE_RETURN;
      return;
    }
    this.partialChunks.push(chunk.subarray(start));
    this.partialBytes += tailBytes;
    // One byte of slack: a line of exactly maxLineBytes may still be followed by its '\r'.
    if (this.partialBytes > this.maxLineBytes + 1) {
      this.discarding = true;
      this.discardedBytes = this.partialBytes;
      this.discardedEndsWithCarriageReturn = chunk[chunk.length - 1] === CARRIAGE_RETURN;
      this.discardedPreview = previewOf(Buffer.concat(this.partialChunks, Math.min(this.partialBytes, PREVIEW_BYTES)));
      this.partialChunks = [];
      this.partialBytes = 0;
    }
  }

  private handleLine(buffer: Buffer, start: number, end: number): void {
    if (end > start && buffer[end - 1] === CARRIAGE_RETURN) {
      end -= 1;
    }
    const bytes = end - start;
    if (bytes === 0) {
      return;
    }
    if (bytes > this.maxLineBytes) {
      this.reportInvalid('too_long', bytes, previewOf(buffer.subarray(start, Math.min(end, start + PREVIEW_BYTES))));
      return;
    }
    const atStreamStart = this.atStreamStart;
    this.atStreamStart = false;
    let text = buffer.toString('utf8', start, end);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Rare paths are kept out of the hot one: blank lines and a byte-order mark opening the stream.
      if (text.trim() === '') {
        return;
      }
      if (atStreamStart && text.charCodeAt(0) === 0xfeff) {
        text = text.slice(1);
        // The mark is left out of the bytes too (U+FEFF is three bytes in UTF-8).
        start += 3;
        try {
          value = JSON.parse(text);
        } catch {
          this.reportInvalid('not_json', bytes, text.slice(0, PREVIEW_CHARS));
          return;
        }
      } else {
        this.reportInvalid('not_json', bytes, text.slice(0, PREVIEW_CHARS));
        return;
      }
    }
    this.deliver(value as Message, text, end - start >= REUSABLE_LINE_BYTES ? buffer.subarray(start, end) : undefined);
  }

  private deliver(message: Message, line: string, bytes: Buffer | undefined): void {
    const callback = this.callback;
    if (callback === undefined) {
      return;
    }
    try {
      callback(message, line, bytes);
    } catch (error) {
      // A throwing consumer must not break framing nor escape as an uncaught exception from 'data'.
      this.fireError(error);
    }
  }

  private reportInvalid(reason: InvalidLine['reason'], bytes: number, preview: string): void {
    this.invalidLineEmitter.fire({ reason, bytes, preview });
  }

  private onEnd(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.discarding) {
      this.finishLine(Buffer.alloc(0), 0, 0);
    } else if (this.partialBytes > 0) {
      const line = Buffer.concat(this.partialChunks, this.partialBytes);
      this.partialChunks = [];
      this.partialBytes = 0;
      this.handleLine(line, 0, line.length);
    }
    this.fireClose();
  }
}

function previewOf(bytes: Buffer): string {
  return bytes.toString('utf8').slice(0, PREVIEW_CHARS);
}

/**
 * Most messages joined into one write. Measured with 64 calls in flight through the gateway
 * (bench/run.mjs): 8 and 32 did no better, and one write per tick kept about 0.6× of the throughput.
 */
const MAX_LINES_PER_WRITE = 16;

/** Told once what became of a write: `undefined` when it was handed to the stream, else why it failed. */
export type WriteCallback = (error: Error | undefined) => void;

/** The parts of a Node Writable the writer uses beyond `NodeJS.WritableStream`. */
interface WritableState {
  destroyed?: boolean;
  writableEnded?: boolean;
}

/**
 * Writes newline-delimited JSON to a byte stream.
 *
 * Order is kept. Messages written in the same tick are joined into one `write` call (up to 16 per
 * call), which costs one stream write instead of one per message. When the stream reports backpressure (`write`
 * returns false), later messages wait in memory for 'drain'. A promise resolves when its message
 * has been handed to the stream, so awaiting it applies backpressure to the caller. Stream errors
 * (EPIPE, a destroyed stream) fire `onError` and reject the pending and later writes; they never
 * surface as uncaught exceptions.
 */
export class NdjsonMessageWriter extends AbstractMessageWriter implements MessageWriter {
  /** Serialized lines, or the text a message was received in (see {@link Received}), without terminators. */
  private queuedLines: (string | RawText)[] = [];
  /** Whether some queued line is bytes: the batch is then written as one Buffer. */
  private queuedBytes = false;
  /** Callbacks of the queued lines (not one per line: a send without a callback adds none). */
  private queuedCallbacks: WriteCallback[] = [];
  /** Characters in `queuedLines`, so the backlog is known without summing. */
  private queuedChars = 0;
  private flushScheduled = false;
  private waitingForDrain = false;
  private endRequested = false;
  private failure: Error | undefined;
  private errorCount = 0;
  private readonly detachStream: () => void;

  /** @param writable the byte stream to write (a child's stdin, our stdout, a socket) */
  constructor(private readonly writable: NodeJS.WritableStream) {
    super();
    const onError = (error: Error): void => this.fail(error);
    const onClose = (): void => {
      const closedError = new Error('The stream was closed');
      if (this.queuedLines.length > 0) {
        this.fail(closedError);
      } else {
        // A close after end() is the normal way out, not an error; later writes still reject.
        this.failure ??= closedError;
      }
      this.fireClose();
    };
    const onDrain = (): void => {
      this.waitingForDrain = false;
      this.flush();
    };
    // Without an 'error' listener an EPIPE on a pipe would be an uncaught exception.
    writable.on('error', onError);
    writable.on('close', onClose);
    writable.on('drain', onDrain);
    this.detachStream = () => {
      // Swapped, not removed: a late EPIPE must not become an uncaught exception.
      writable.removeListener('error', onError);
      writable.on('error', ignoreError);
      writable.removeListener('close', onClose);
      writable.removeListener('drain', onDrain);
    };
  }

  /** Serializes `msg` as one line. Rejects if it cannot be serialized or the stream failed. */
  write(msg: Message, raw?: RawText): Promise<void> {
    return new Promise((resolve, reject) => this.send(msg, (error) => (error ? reject(error) : resolve()), raw));
  }

  /**
   * `write` without a promise, for hot paths: `done`, if given, learns once whether the message was
   * handed to the stream or why not (never synchronously for a failure, like a rejection).
   */
  send(msg: Message, done?: WriteCallback, raw?: RawText): void {
    if (raw !== undefined) {
      // The message as it was received (see Received): its own bytes, not serialized again.
      this.enqueue(raw, done);
      return;
    }
    let line: string | undefined;
    try {
      line = JSON.stringify(msg);
    } catch (error) {
      if (done) process.nextTick(done, asError(error));
      return;
    }
    if (line === undefined) {
      if (done) process.nextTick(done, new TypeError('The message is not serializable as JSON'));
      return;
    }
    this.enqueue(line, done);
  }

  /**
   * `send` for a message whose exact JSON is known as bytes (a transport's `raw`): the pieces are
   * written as one line. Refused (through `done`) when they hold a newline, which would split the
   * framing: bytes come from peers, so they are checked, not trusted.
   */
  sendText(parts: RawText, done?: WriteCallback): void {
    if (parts.some((part) => part.indexOf(NEWLINE) !== -1)) {
      if (done) process.nextTick(done, new TypeError('A serialized message must not contain a newline'));
      return;
    }
    this.enqueue(parts, done);
  }

  /** Resolves once every write accepted so far has been handed to the stream (or has failed). */
  flushed(): Promise<void> {
    if (this.queuedLines.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.queuedCallbacks.push(() => resolve()));
  }

  /**
   * Writes an already serialized JSON text as one line, e.g. the `line` a reader delivered for a
   * message forwarded unchanged. Rejects a text holding a newline, which would split the framing.
   */
  writeSerialized(line: string): Promise<void> {
    if (line.indexOf('\n') !== -1) {
      return Promise.reject(new TypeError('A serialized message must not contain a newline'));
    }
    return new Promise((resolve, reject) => this.enqueue(line, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * How much is accepted but not yet written out, in characters (bytes for known texts): lines waiting for 'drain' plus the
   * stream's own buffer. Owners compare it with a limit to stop feeding a peer that stopped reading.
   */
  get backlog(): number {
    return this.queuedChars + ((this.writable as { writableLength?: number }).writableLength ?? 0);
  }

  /** Ends the stream once every write accepted so far has been handed to it. */
  end(): void {
    if (this.endRequested) {
      return;
    }
    this.endRequested = true;
    if (this.failure === undefined && this.queuedLines.length === 0 && !this.waitingForDrain) {
      this.writable.end();
    }
  }

  /** Detaches from the stream and releases the events; does not close the stream. */
  override dispose(): void {
    this.detachStream();
    this.rejectQueued(new Error('The writer was disposed'));
    super.dispose();
  }

  private enqueue(line: string | RawText, done: WriteCallback | undefined): void {
    if (this.failure !== undefined) {
      if (done) process.nextTick(done, this.failure);
      return;
    }
    if (this.endRequested) {
      if (done) process.nextTick(done, new Error('The writer was ended'));
      return;
    }
    const state = this.writable as WritableState;
    if (state.destroyed === true || state.writableEnded === true) {
      const error = new Error('The stream is closed');
      this.fail(error);
      if (done) process.nextTick(done, error);
      return;
    }
    this.queuedLines.push(line);
    if (typeof line === 'string') {
      this.queuedChars += line.length + 1;
    } else {
      this.queuedBytes = true;
      for (const part of line) this.queuedChars += part.byteLength;
      this.queuedChars += 1;
    }
    if (done) this.queuedCallbacks.push(done);
    if (this.queuedLines.length >= MAX_LINES_PER_WRITE && !this.waitingForDrain) {
      // Under load, hand a full batch over now: the peer starts on it while we produce the rest
      // (one write per tick would make the processes take turns instead of working at once).
      this.flush();
    }
    if (!this.flushScheduled && !this.waitingForDrain) {
      this.flushScheduled = true;
      // nextTick adds no timer latency, yet writes made in the same synchronous run (or the same
      // cascade of promise jobs, which Node drains before the tick queued from it) share one write.
      process.nextTick(this.scheduledFlush);
    }
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.waitingForDrain || this.failure !== undefined) {
      return;
    }
    if (this.queuedLines.length > 0) {
      const lines = this.queuedLines;
      const callbacks = this.queuedCallbacks;
      const bytes = this.queuedBytes;
      this.queuedLines = [];
      this.queuedCallbacks = [];
      this.queuedChars = 0;
      this.queuedBytes = false;
      // Without bytes in the batch, every queued line is a string.
      const text = lines as string[];
      const data = bytes ? joinToBuffer(lines) : text.length === 1 ? text[0] + '\n' : text.join('\n') + '\n';
      let accepted: boolean;
      try {
        accepted = this.writable.write(data, (error?: Error | null) => {
          if (error) {
            this.fail(error);
          }
        });
      } catch (error) {
        const failure = asError(error);
        for (const done of callbacks) {
          done(failure);
        }
        this.fail(failure);
        return;
      }
      for (const done of callbacks) {
        done(undefined);
      }
      if (!accepted) {
        this.waitingForDrain = true;
        return;
      }
    }
    if (this.endRequested) {
      this.writable.end();
    }
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) {
      return;
    }
    this.failure = error;
    this.errorCount += 1;
    this.rejectQueued(error);
    this.fireError(error, undefined, this.errorCount);
  }

  private rejectQueued(error: Error): void {
    const callbacks = this.queuedCallbacks;
    this.queuedLines = [];
    this.queuedCallbacks = [];
    this.queuedChars = 0;
    this.queuedBytes = false;
    for (const done of callbacks) {
      done(error);
    }
  }
}

const NEWLINE_BYTES = Buffer.from('\n');

/** One buffer holding every line of a batch, each followed by its newline: one write, known bytes copied once. */
function joinToBuffer(lines: readonly (string | RawText)[]): Buffer {
  const chunks: Uint8Array[] = [];
  let text = '';
  for (const line of lines) {
    if (typeof line === 'string') {
      text += line + '\n';
      continue;
    }
    if (text !== '') chunks.push(Buffer.from(text, 'utf8'));
    text = '';
    chunks.push(...line, NEWLINE_BYTES);
  }
  if (text !== '') chunks.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(chunks);
}

function ignoreError(): void {
  // The owner stopped listening; the error has nowhere useful to go.
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
