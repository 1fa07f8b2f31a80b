// Runs the built gateway as an HTTP server (proxy.transport: http, port 0) and connects official SDK
// clients to it over Streamable HTTP with the bearer token.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { GATEWAY, type UpstreamEntry } from './harness';

export const TEST_TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

export interface HttpGateway {
  readonly url: URL;
  readonly token: string;
  readonly stderr: string[];
  readonly dir: string;
  readonly child: ChildProcess;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** Keys of proxy.http beside the defaults (port 0, token from GATEKIT_TEST_TOKEN). */
  readonly http?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly extra?: Record<string, unknown>;
  /** Extra command-line arguments. */
  readonly args?: string[];
}

/** Writes the config and starts the gateway; resolves once it listens (with its URL), rejects when it exits first. */
export async function startHttpGateway(upstreams: UpstreamEntry[], options: StartOptions = {}): Promise<HttpGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-http-'));
  const file = path.join(dir, 'gatekit.yaml');
  writeFileSync(file, stringify({ proxy: { transport: 'http', http: { port: 0, token_env: 'GATEKIT_TEST_TOKEN', ...options.http }, upstreams }, ...options.extra }));
  return runHttpGateway(file, dir, options);
}

/** Starts the gateway on an existing config file (see startHttpGateway). */
export async function runHttpGateway(file: string, dir: string, options: StartOptions = {}): Promise<HttpGateway> {
  const child = spawn(process.execPath, [GATEWAY, '--config', file, ...(options.args ?? [])], {
    env: { ...process.env, GATEKIT_TEST_TOKEN: TEST_TOKEN, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      const lines = chunk.toString('utf8').split('\n').filter(Boolean);
      stderr.push(...lines);
      if (process.env.GATEKIT_TEST_DEBUG) process.stderr.write(chunk);
      for (const line of lines) {
        const match = /serving MCP at (\S+)/.exec(line);
        if (match) resolve(new URL(match[1]!));
      }
    });
    void exited.then((code) => reject(new Error(`the gateway exited (${code}) before serving:\n${stderr.join('\n')}`)));
  });
  return {
    url,
    token: options.env?.GATEKIT_TEST_TOKEN ?? TEST_TOKEN,
    stderr,
    dir,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** An SDK client connected (initialized) to the gateway over Streamable HTTP. */
export async function connectHttpClient(gateway: HttpGateway, capabilities: Record<string, unknown> = {}, name = 'gatekit-http-test'): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(gateway.url, { requestInit: { headers: { Authorization: `Bearer ${gateway.token}` } } });
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return client;
}

/** A raw HTTP exchange with the gateway (for what an SDK client never sends). */
export async function rawRequest(
  gateway: HttpGateway,
  init: { method?: string; path?: string; headers?: Record<string, string>; body?: string; token?: string | null },
): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...init.headers };
  const token = init.token === undefined ? gateway.token : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(new URL(init.path ?? gateway.url.pathname, gateway.url), { method: init.method ?? 'POST', headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
