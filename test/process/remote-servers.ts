// Remote MCP servers for the process tests: @modelcontextprotocol/server-everything in its Streamable
// HTTP and legacy HTTP+SSE modes (child processes on a free loopback port), and a small server made
// of the SDK's server parts for behaviour everything does not show (404 on a lost session, TLS).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { realServer, type UpstreamEntry } from './harness';

export type EverythingMode = 'streamableHttp' | 'sse';

export interface RemoteServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (its sessions are gone) and starts a new one on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts server-everything in `mode` and resolves once it listens. */
export async function startEverything(mode: EverythingMode): Promise<RemoteServer> {
  const port = await freePort();
  let child: ChildProcess = await launch(mode, port);
  const stopChild = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: `http://127.0.0.1:${port}${mode === 'sse' ? '/sse' : '/mcp'}`,
    port,
    restart: async () => {
      await stopChild();
      child = await launch(mode, port);
    },
    stop: stopChild,
  };
}

function launch(mode: EverythingMode, port: number): Promise<ChildProcess> {
  const [node, script] = realServer('everything');
  const child = spawn(node!, [script!, mode], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (/listening on port|running on port/i.test(seen)) {
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server-everything ${mode} exited (${code}) before listening: ${seen.slice(-500)}`)));
  });
}

export interface RecordedRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
}

export interface SdkHttpServer {
  readonly url: string;
  readonly port: number;
  /** Every request the server saw, in order. */
  readonly requests: RecordedRequest[];
  /** Messages of `slow` calls that were cancelled (the client's cancellation reached the server). */
  readonly cancelled: string[];
  /** Forgets every session, as a restarted server does: their next request gets 404. */
  forgetSessions(): void;
  close(): Promise<void>;
}

export interface SdkHttpServerOptions {
  /** serverInfo.name of the MCP server (default 'fixture-remote'). */
  readonly name?: string;
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly port?: number;
  /** Answers a request itself (a redirect, an error) instead of the MCP server: return true when it did. */
  readonly intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/**
 * A Streamable HTTP server made of the official SDK's server parts (McpServer with an `echo` tool,
 * StreamableHTTPServerTransport per session), in this process. Used where server-everything shows
 * no such behaviour: it answers 404 for a forgotten session (the spec's session expiry; everything
 * answers 400), serves TLS, records the headers it got.
 */
export async function startSdkHttpServer(options: SdkHttpServerOptions = {}): Promise<SdkHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const requests: RecordedRequest[] = [];
  const cancelled: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push({ method: req.method ?? '', headers: req.headers });
    if (options.intercept?.(req, res)) return;
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (transport) return void transport.handleRequest(req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      return;
    }
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const server = new McpServer({ name: options.name ?? 'fixture-remote', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echoes its message', inputSchema: { message: z.string() } }, ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }));
    // Sends `steps` progress notifications, then waits until cancelled (recorded) or 30 s pass.
    server.registerTool('slow', { description: 'Reports progress, then waits to be cancelled', inputSchema: { message: z.string(), steps: z.number() } }, async ({ message, steps }, extra) => {
      const token = extra._meta?.progressToken;
      for (let step = 1; step <= steps && token !== undefined; step++) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step, total: steps } });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          cancelled.push(message);
          resolve();
        });
      });
      return { content: [{ type: 'text', text: `slow: ${message}` }] };
    });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  };
  const httpServer: HttpServer = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createHttpServer(handle);
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/mcp`,
    port,
    requests,
    cancelled,
    forgetSessions: () => {
      for (const transport of sessions.values()) void transport.close();
      sessions.clear();
    },
    close: async () => {
      for (const transport of sessions.values()) void transport.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost (openssl, in a temp folder). */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

/** A remote upstream entry for writeConfig (the harness types local ones). */
export function remote(name: string, url: string, extra: Record<string, unknown> = {}): UpstreamEntry {
  return { name, transport: 'http', url, ...extra } as unknown as UpstreamEntry;
}

/** What the modern fixture saw of one request (its `mcp-*` headers), or of one that the client ended early. */
export interface ModernRequestSeen {
  readonly http: string;
  readonly method?: string;
  readonly headers: Record<string, string>;
  readonly closedEarly?: boolean;
}

export interface ModernHttpServer {
  readonly url: string;
  readonly requests: ModernRequestSeen[];
  stop(): Promise<void>;
}

/**
 * test/fixtures/servers/modern-server.mjs serving MCP 2026-07-28 over Streamable HTTP (the 2.x
 * server SDK's createMcpHandler, legacy refused); `hostile` is its MODERN_HOSTILE misbehaviour.
 */
export async function startModernHttp(hostile = ''): Promise<ModernHttpServer> {
  const script = path.join(__dirname, '..', 'fixtures', 'servers', 'modern-server.mjs');
  const child = spawn(process.execPath, [script, '--http'], { env: { ...process.env, PORT: '0', MODERN_HOSTILE: hostile }, stdio: ['ignore', 'pipe', 'pipe'] });
  const requests: ModernRequestSeen[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) requests.push(JSON.parse(line) as ModernRequestSeen);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on port (\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the modern fixture exited (${code}) before listening: ${seen.slice(-500)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
