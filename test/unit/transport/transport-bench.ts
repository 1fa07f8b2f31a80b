// Micro-benchmarks of the NDJSON transport: reader throughput, and whether joining a tick's writes pays (`npx tsx test/unit/transport/transport-bench.ts`).

import { spawn } from 'node:child_process';
import { NdjsonMessageReader, NdjsonMessageWriter } from '../../../src/gateway/transport/ndjson';
import { FakeReadable } from './helpers';
import type { Message } from 'vscode-jsonrpc/node';

const MESSAGES = 200_000;
const BURST = 50;
const message = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello world' }] } } as Message;

type Sink = (msg: Message) => Promise<void>;

const drainWaits = new WeakMap<NodeJS.WritableStream, Promise<void>>();
/** One 'drain' listener per stream however many writers wait. */
function waitForDrain(stream: NodeJS.WritableStream): Promise<void> {
  let wait = drainWaits.get(stream);
  if (wait === undefined) {
    wait = new Promise((resolve) =>
      stream.once('drain', () => {
        drainWaits.delete(stream);
        resolve();
      }),
    );
    drainWaits.set(stream, wait);
  }
  return wait;
}

/** The simplest correct writer: one stream write per message, wait for 'drain' when told to. */
function naiveSink(stream: NodeJS.WritableStream): Sink {
  let drained: Promise<void> = Promise.resolve();
  return async (msg) => {
    await drained;
    if (!stream.write(JSON.stringify(msg) + '\n')) {
      drained = waitForDrain(stream);
    }
  };
}

/** One stream write per message, but corked for the tick so the stream can writev them. */
function corkSink(stream: NodeJS.WritableStream & { cork(): void; uncork(): void }): Sink {
  let drained: Promise<void> = Promise.resolve();
  let corked = false;
  return async (msg) => {
    await drained;
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(() => {
        corked = false;
        stream.uncork();
      });
    }
    if (!stream.write(JSON.stringify(msg) + '\n')) {
      drained = waitForDrain(stream);
    }
  };
}

async function run(name: string, makeSink: (stream: NodeJS.WritableStream) => Sink): Promise<number> {
  const child = spawn('sh', ['-c', 'cat > /dev/null'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const sink = makeSink(child.stdin);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < MESSAGES; sent += BURST) {
    // Bursts model messages arriving from many upstream 'data' events.
    const writes: Promise<void>[] = [];
    for (let i = 0; i < BURST; i++) writes.push(sink(message));
    await Promise.all(writes);
    await new Promise((resolve) => setImmediate(resolve));
  }
  child.stdin.end();
  await exited;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = MESSAGES / seconds;
  process.stderr.write(`${name.padEnd(28)} ${Math.round(rate).toLocaleString('en')} msg/s\n`);
  return rate;
}

/** Parses `count` lines of `line` fed in 64 KiB chunks; returns messages per second. */
function readerRate(line: string, count: number): number {
  const source = new FakeReadable();
  const reader = new NdjsonMessageReader(source.asStream());
  let received = 0;
  reader.listen(() => received++);
  const bytes = Buffer.from((line + '\n').repeat(count));
  const started = process.hrtime.bigint();
  for (let i = 0; i < bytes.length; i += 65536) source.push(bytes.subarray(i, i + 65536));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (received !== count) throw new Error(`received ${received} of ${count}`);
  return count / seconds;
}

function benchReader(): void {
  const small = JSON.stringify(message);
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { text: 'x'.repeat(32 * 1024 * 1024 - 100) } });
  for (let round = 0; round < 3; round++) {
    const smallRate = readerRate(small, 200_000);
    const bigRate = readerRate(big, 1);
    process.stderr.write(
      `reader: ${Math.round(smallRate).toLocaleString('en')} small msg/s (${small.length} B); 32 MB message in ${(1000 / bigRate).toFixed(0)} ms\n`,
    );
  }
}

async function main(): Promise<void> {
  benchReader();
  const rounds = 3;
  const best = { naive: 0, cork: 0, ndjson: 0 };
  for (let round = 0; round < rounds; round++) {
    best.naive = Math.max(best.naive, await run('one write per message', naiveSink));
    best.cork = Math.max(best.cork, await run('cork per tick', (s) => corkSink(s as never)));
    best.ndjson = Math.max(
      best.ndjson,
      await run('NdjsonMessageWriter (join)', (s) => {
        const writer = new NdjsonMessageWriter(s);
        return (msg) => writer.write(msg);
      }),
    );
  }
  process.stderr.write(
    `best of ${rounds}: join/naive = ${(best.ndjson / best.naive).toFixed(2)}x, cork/naive = ${(best.cork / best.naive).toFixed(2)}x\n`,
  );
}

void main();
