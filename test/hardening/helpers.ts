// Shared tools of the hardening tests: a wire-level client that audits every byte the gateway prints,
// process-table checks, peak memory, and fast-check runs that print their case counts and seeds.
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { classifyMessage } from '../../src/shared/jsonrpc';
import { GATEWAY, MessageLog, ROOT } from '../process/harness';

export const HOSTILE_SERVER = path.join(ROOT, 'test', 'fixtures', 'servers', 'hostile-server.mjs');

/** The gateway under test; GATEKIT_HARDENING_GATEWAY points it at a deliberately broken build (to check the tests catch it). */
export const GATEWAY_UNDER_TEST = process.env.GATEKIT_HARDENING_GATEWAY ?? GATEWAY;

/** The command of the steerable hostile fixture server (see test/fixtures/servers/README.md). */
export function hostileServer(...args: string[]): string[] {
  return [process.execPath, HOSTILE_SERVER, ...args];
}

/** What a property run reports, for the summary printed by the tests and recorded in docs/reliability.md. */
export interface RunSummary {
  name: string;
  cases: number;
  seed: number;
}

/**
 * Runs a fast-check property and prints how many cases it ran. On failure the error names the seed
 * and path, so `GATEKIT_FUZZ_SEED=<seed>` reproduces the run. `GATEKIT_FUZZ_RUNS` scales the count.
 */
export async function checkProperty<T>(name: string, property: fc.IAsyncProperty<T> | fc.IProperty<T>, numRuns: number, extra: Partial<fc.Parameters<T>> = {}): Promise<RunSummary> {
  const seed = process.env.GATEKIT_FUZZ_SEED ? Number(process.env.GATEKIT_FUZZ_SEED) : Date.now() ^ (Math.random() * 0x100000000);
  const scaled = process.env.GATEKIT_FUZZ_RUNS ? Math.max(1, Math.round(numRuns * Number(process.env.GATEKIT_FUZZ_RUNS))) : numRuns;
  const details = await fc.check(property as fc.IAsyncProperty<T>, { numRuns: scaled, seed, ...extra });
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${name} failed (reproduce with GATEKIT_FUZZ_SEED=${details.seed}): ${cause}\n${(fc.defaultReportMessage(details) ?? '').slice(0, 20000)}`);
  }
  console.log(`      ${name}: ${details.numRuns} cases, seed ${details.seed}`);
  return { name, cases: details.numRuns, seed: details.seed };
}

/** One message the gateway printed, or the reason a line was not a protocol message. */
export type WireLine = { ok: true; message: Record<string, unknown>; bytes: number } | { ok: false; problem: string; preview: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Drives the built gateway over raw NDJSON and checks every byte of its stdout: each line must be
 * valid UTF-8, valid JSON and a JSON-RPC 2.0 message. Problems are collected, never thrown from the
 * stream handler, so a test can report them all.
 */
export class WireClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly problems: string[] = [];
  readonly stderr: string[] = [];
  /** Every stdout line as text, as written (a parsed message hides which of two duplicate keys came first). */
  readonly lines: string[] = [];
  readonly received = new MessageLog(() => `stderr: ${this.stderr.slice(-20).join('\n').slice(0, 1500)}`);
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdoutBytes = 0;
  private pending: Buffer[] = [];
  /** Called for each request the gateway sends (server→client requests relayed through it). */
  onRequest: ((request: Record<string, unknown>) => void) | undefined;

  /**
   * `cwd`: the gateway's working folder. `realPipe`: its stdout is an OS pipe (`| cat`, POSIX only)
   * rather than the socket pair Node gives children, as with clients written in other languages:
   * then `/dev/stdout` can be opened by path, which is what a stray log file setting would do.
   */
  constructor(configPath: string, extraArgs: string[] = [], env: Record<string, string> = {}, options: { cwd?: string; realPipe?: boolean } = {}) {
    const argv = [GATEWAY_UNDER_TEST, '--config', configPath, ...extraArgs];
    const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
    const [file, args] = options.realPipe ? ['/bin/sh', ['-c', `${[process.execPath, ...argv].map(quote).join(' ')} | cat`]] : [process.execPath, argv];
    this.child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...process.env, GATEKIT_CONTROL: 'off', ...env },
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stdout.on('end', () => {
      if (this.pending.length) this.problems.push(`stdout ended inside a line (${Buffer.concat(this.pending).length} bytes without a newline)`);
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr.push(...chunk.split('\n').filter(Boolean));
      if (process.env.GATEKIT_TEST_DEBUG) process.stderr.write(chunk);
    });
    this.child.stdin.on('error', () => undefined);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get messages(): Record<string, unknown>[] {
    return this.received.messages;
  }

  private onStdout(chunk: Buffer): void {
    this.stdoutBytes += chunk.length;
    let start = 0;
    let newline = chunk.indexOf(0x0a, start);
    while (newline !== -1) {
      this.pending.push(chunk.subarray(start, newline));
      const line = Buffer.concat(this.pending);
      this.pending = [];
      this.onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  private onLine(bytes: Buffer): void {
    const preview = bytes.subarray(0, 200).toString('latin1');
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      this.problems.push(`stdout line is not valid UTF-8: ${preview}`);
      return;
    }
    this.lines.push(text);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.problems.push(`stdout line is not JSON: ${preview}`);
      return;
    }
    const classified = classifyMessage(value);
    if (classified.kind === 'invalid') {
      this.problems.push(`stdout line is not a JSON-RPC 2.0 message (${classified.reason}): ${preview}`);
      return;
    }
    const message = value as Record<string, unknown>;
    this.received.add(message);
    if (classified.kind === 'request') this.onRequest?.(message);
  }

  sendLine(line: string | Buffer): boolean {
    if (typeof line === 'string') return this.child.stdin.write(line + '\n');
    return this.child.stdin.write(Buffer.concat([line, Buffer.from('\n')]));
  }

  send(message: unknown): boolean {
    return this.sendLine(JSON.stringify(message));
  }

  waitFor(test: (m: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>> {
    return this.received.waitFor(test, timeoutMs, what);
  }

  response(id: unknown, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.received.response(id, timeoutMs);
  }

  request(id: number | string, method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>> {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.response(id, timeoutMs);
  }

  async initialize(capabilities: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const response = await this.request('init', 'initialize', { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 'hardening', version: '1' } }, 30000);
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return response;
  }

  /** Responses (result or error) that carry `id`. */
  answersTo(id: unknown): Record<string, unknown>[] {
    return this.messages.filter((m) => !('method' in m) && m.id === id);
  }

  end(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    return this.exited;
  }
}

/** Every process whose command line contains `marker` (fixture servers get a unique one). */
export function processesWith(marker: string): { pid: number; args: string }[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2]!.includes(marker) && !m[2]!.startsWith('ps '))
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}

/** Polls `check` until it holds or the deadline passes (process tables and files, never timing). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asserts, with a deadline for the kernel to reap them, that no process carrying `marker` is left. */
export async function assertNoOrphans(marker: string, timeoutMs = 5000): Promise<void> {
  await eventually(() => processesWith(marker).length === 0, timeoutMs, `no process left with marker ${marker}: ${JSON.stringify(processesWith(marker))}`).catch((err: Error) => {
    throw new Error(`orphan processes: ${JSON.stringify(processesWith(marker))} (${err.message})`);
  });
}

/** After a failed test: kills the gateway and every process carrying `marker` (its upstreams are in their own process groups). */
export function killAll(client: WireClient, marker: string): void {
  if (client.child.exitCode === null && client.child.signalCode === null) client.child.kill('SIGKILL');
  for (const { pid } of processesWith(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Peak and current resident memory of a live process, in bytes (Linux /proc). */
export function memoryOf(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), current: kb('VmRSS') };
}

export const MiB = 1024 * 1024;
