// Process-level test harness: runs the built gateway (dist/gateway.js) as a child process with a
// config written to a temp folder, driven by the official MCP SDK client or by raw NDJSON lines.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { stringify } from 'yaml';

export const ROOT = path.resolve(__dirname, '..', '..');
export const GATEWAY = path.join(ROOT, 'dist', 'gateway.js');
export const FIXTURE_SERVER = path.join(ROOT, 'test', 'fixtures', 'servers', 'fixture-server.mjs');

/** The command of a real MCP server from npm, run on this Node (no npx round trip). */
export function realServer(pkg: 'everything' | 'filesystem' | 'memory', ...args: string[]): string[] {
  return [process.execPath, path.join(ROOT, 'node_modules', '@modelcontextprotocol', `server-${pkg}`, 'dist', 'index.js'), ...args];
}

export function fixtureServer(...args: string[]): string[] {
  return [process.execPath, FIXTURE_SERVER, ...args];
}

export interface UpstreamEntry {
  name: string;
  command: string[];
  [key: string]: unknown;
}

/** Writes a Gatekit config (YAML) into a fresh temp folder and returns its path. */
export function writeConfig(upstreams: UpstreamEntry[], extra: Record<string, unknown> = {}, proxyExtra: Record<string, unknown> = {}): string {
  if (!existsSync(GATEWAY)) throw new Error(`${GATEWAY} is missing: run 'npm run build' first`);
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-test-'));
  const file = path.join(dir, 'gatekit.yaml');
  writeFileSync(file, stringify({ proxy: { transport: 'stdio', upstreams, ...proxyExtra }, ...extra }));
  return file;
}

export interface SdkSession {
  client: Client;
  transport: StdioClientTransport;
  stderr: string[];
  configPath: string;
  close(): Promise<void>;
}

/** Starts the gateway with the SDK client attached (initialized). */
export async function connectSdk(
  configPath: string,
  options: { capabilities?: Record<string, unknown>; extraArgs?: string[]; env?: Record<string, string> } = {},
): Promise<SdkSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GATEWAY, '--config', configPath, ...(options.extraArgs ?? [])],
    stderr: 'pipe',
    // The SDK client refuses lines over 10 MiB by default; the gateway carries tens of MiB.
    maxBufferSize: 64 * 1024 * 1024,
    env: { ...(process.env as Record<string, string>), ...options.env },
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (process.env.GATEKIT_TEST_DEBUG) process.stderr.write(chunk);
  });
  const client = new Client({ name: 'gatekit-tests', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  await client.connect(transport);
  return {
    client,
    transport,
    stderr,
    configPath,
    close: async () => {
      await client.close();
    },
  };
}

/** Messages received from a gateway, and waiting for the one a test needs (with a deadline). */
export class MessageLog {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: { test: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];

  /** @param context what to add to a time-out error (recent stderr, say) */
  constructor(private readonly context: () => string) {}

  add(message: Record<string, unknown>): void {
    this.messages.push(message);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(message)) return true;
      w.resolve(message);
      return false;
    });
  }

  /** Resolves with the first message (already received or coming) that passes `test`. */
  waitFor(test: (m: Record<string, unknown>) => boolean, timeoutMs = 15000, what = 'message'): Promise<Record<string, unknown>> {
    const found = this.messages.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; last messages ${JSON.stringify(this.messages.slice(-5)).slice(0, 1500)}; ${this.context()}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** The answer to request `id` (a response, never a request of the gateway's that has the same id). */
  response(id: unknown, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.waitFor((m) => m.id === id && !('method' in m) && ('result' in m || 'error' in m), timeoutMs, `response to ${JSON.stringify(id)}`);
  }
}

/** A gateway driven by raw NDJSON lines, for malformed input and exact wire checks. */
export class RawSession {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdoutLines: string[] = [];
  readonly stderr: string[] = [];
  readonly received = new MessageLog(() => `stderr: ${this.stderr.slice(-20).join('\n').slice(0, 1500)}`);
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private buffer = '';

  get messages(): Record<string, unknown>[] {
    return this.received.messages;
  }

  constructor(configPath: string | undefined, extraArgs: string[] = []) {
    const args = configPath ? [GATEWAY, '--config', configPath, ...extraArgs] : [GATEWAY, ...extraArgs];
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 1);
        this.stdoutLines.push(line);
        this.received.add(JSON.parse(line) as Record<string, unknown>); // anything else on stdout fails the test
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.stderr.push(...chunk.split('\n').filter(Boolean)));
    this.child.stdin.on('error', () => undefined);
  }

  sendLine(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  send(message: unknown): void {
    this.sendLine(JSON.stringify(message));
  }

  waitFor(test: (m: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>> {
    return this.received.waitFor(test, timeoutMs, what);
  }

  response(id: unknown, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.received.response(id, timeoutMs);
  }

  async request(id: number | string, method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.response(id);
  }

  async initialize(protocolVersion = '2025-06-18', capabilities: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const response = await this.request('init', 'initialize', { protocolVersion, capabilities, clientInfo: { name: 'raw-test', version: '1' } });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return response;
  }

  /** Closes stdin (as VS Code does first) and waits for the exit. */
  async end(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Whether a process id is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it is true or the deadline passes (for process-table checks, not timing). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('');
}
