// The extension's own gateway, run in control-only mode: it starts the configured servers so the views
// show their health and tools before any chat uses them. It serves no MCP client. Plain Node.
import { spawn, type ChildProcess } from 'node:child_process';
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import { gatewayNodeArgs } from './gateway-command';

export interface HostGatewayOptions {
  /** Absolute path of dist/gateway.js. */
  gatewayScript: string;
  /** The Node to run it with (the extension host's own executable, with ELECTRON_RUN_AS_NODE). */
  nodePath: string;
  /** Environment for each start: config and control-link variables (read at every start). */
  environment(): Record<string, string>;
  /** Working folder at each start (the first workspace folder once trusted). */
  cwd?(): string | undefined;
  log(level: 'error' | 'warn' | 'info' | 'debug', message: string): void;
  /** Unexpected exits restarted in a row before giving up (default 3). */
  maxRestarts?: number;
  /** How long to wait after ending stdin before SIGTERM, and again before SIGKILL (default 3000). */
  stopGraceMs?: number;
}

/** How long a gateway must have run for its next crash to count as a new series of failures. */
const STABLE_AFTER_MS = 30_000;
const STOP_GRACE_MS = 3000;

/**
 * Owns one control-only gateway process: starts it, restarts it after a crash (a few times), and
 * stops it the way VS Code stops MCP servers (stdin end, then SIGTERM, then SIGKILL).
 */
export class HostGateway {
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  private crashes = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly exitEmitter = new Emitter<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }>();
  private disposed = false;

  /** The process exited (expected: we stopped it). */
  readonly onDidExit: Event<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }> = this.exitEmitter.event;

  constructor(private readonly options: HostGatewayOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the gateway unless it runs already. */
  start(): void {
    if (this.disposed || this.child !== undefined) return;
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const env = { ...process.env, ...this.options.environment(), ELECTRON_RUN_AS_NODE: '1' };
    const cwd = this.options.cwd?.();
    const child = spawn(this.options.nodePath, [...gatewayNodeArgs(this.options.gatewayScript), '--control-only'], {
      env,
      ...(cwd ? { cwd } : {}),
      // stdin stays open: its end tells a control-only gateway to stop (also when we die).
      stdio: ['pipe', 'ignore', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    this.startedAt = Date.now();
    this.options.log('info', `views gateway started (pid ${child.pid ?? '?'})`);
    let pending = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trimEnd();
        pending = pending.slice(newline + 1);
        if (line !== '') this.options.log('info', `[views gateway] ${line}`);
      }
    });
    child.stdin?.on('error', () => undefined);
    child.on('error', (error) => {
      this.options.log('error', `views gateway could not start: ${error.message}`);
      if (child.pid === undefined && this.child === child) this.child = undefined;
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const expected = this.stopping !== undefined || this.disposed;
      this.exitEmitter.fire({ code, signal, expected });
      if (expected) return;
      this.options.log('warn', `views gateway exited (${signal ?? `code ${String(code)}`})`);
      if (Date.now() - this.startedAt > STABLE_AFTER_MS) this.crashes = 0;
      this.crashes++;
      if (this.crashes > (this.options.maxRestarts ?? 3)) {
        this.options.log('error', 'views gateway keeps exiting; not restarting it (use "Gatekit: Restart Gateway")');
        return;
      }
      const delay = 500 * 2 ** (this.crashes - 1);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.start();
      }, delay);
    });
  }

  /** Stops and starts again (new configuration, or the user asked). */
  async restart(): Promise<void> {
    await this.stop();
    this.crashes = 0;
    this.start();
  }

  /** Ends stdin, then SIGTERM, then SIGKILL; resolves when the process is gone. */
  stop(): Promise<void> {
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const child = this.child;
    if (child === undefined) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      child.once('exit', () => {
        timers.forEach(clearTimeout);
        this.stopping = undefined;
        resolve();
      });
      child.stdin?.end();
      const grace = this.options.stopGraceMs ?? STOP_GRACE_MS;
      timers.push(setTimeout(() => child.kill('SIGTERM'), grace));
      timers.push(setTimeout(() => child.kill('SIGKILL'), 2 * grace));
    });
    return this.stopping;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
    this.exitEmitter.dispose();
  }
}
