// Real remote MCP servers for the process tests: @modelcontextprotocol/server-everything in its
// Streamable HTTP and legacy HTTP+SSE modes, as child processes on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { realServer } from './harness';

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
