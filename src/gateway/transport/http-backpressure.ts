// Backpressure on a remote server's event streams. Over stdio a server that writes faster than the
// client reads fills its pipe and waits; over HTTP nothing would stop the SDK from reading (and the
// gateway from buffering) whatever a server floods its GET or SSE stream with. The gate sits as a fetch
// in front of the SDK's transport: while the gateway's client is not reading, event-stream bodies are
// not read either, so the socket's window fills and the server's writes wait, as they would on a pipe.
// Bundled into the http chunk only.
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export class ReadGate {
  private waiting: (() => void)[] | undefined;

  /** Stops reading event streams (a chunk already read is still delivered). */
  close(): void {
    this.waiting ??= [];
  }

  open(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    for (const resume of waiting ?? []) resume();
  }

  /** `fetch` whose event-stream bodies are read only while the gate is open. */
  wrap(fetch: FetchLike): FetchLike {
    return async (url, init) => {
      const response = await fetch(url, init);
      const type = (response.headers.get('content-type') ?? '').toLowerCase();
      if (!response.ok || !response.body || !type.startsWith('text/event-stream')) return response;
      return new Response(this.gated(response.body as ReadableStream<Uint8Array>), { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  }

  private passage(): Promise<void> | undefined {
    const waiting = this.waiting;
    return waiting ? new Promise<void>((resolve) => waiting.push(resolve)) : undefined;
  }

  private gated(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    // Pulled one chunk at a time (the default high-water mark of 1): nothing is read ahead.
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        await this.passage();
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        }
      },
      cancel: (reason) => reader.cancel(reason).catch(() => undefined),
    });
  }
}
