// An upstream server as a child process speaking MCP over its stdio: spawning it (never through a
// shell), newline-delimited JSON on its stdin and stdout, its stderr copied to our log, and ending
// its whole process tree (stdin end, then SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { NdjsonMessageReader, NdjsonMessageWriter } from './ndjson';
import { rawTextOf } from './raw-text';
import { spawnTarget } from '../spawn-command';
import { homedir } from 'node:os';
import { sandboxedLaunch, type SandboxRequest } from '../sandbox';
import type { CloseReason, SendCallback, UpstreamReceiver, UpstreamTransport, Received } from './transport';
import type { JsonRpcMessage } from '../../shared/jsonrpc';

/** What it takes to start one server on stdio. */
export interface StdioServerSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Largest line accepted on the server's stdout, in bytes. */
  readonly maxLineBytes: number;
  /** Run inside the OS sandbox; a server whose sandbox cannot be had does not start. */
  readonly sandbox?: SandboxRequest;
}

/** Grace periods of the shutdown sequence: end stdin, then SIGTERM, then SIGKILL. */
const STDIN_GRACE_MS = 1500;
const SIGTERM_GRACE_MS = 1500;
/** A stderr line longer than this is logged in pieces rather than buffered whole. */
const MAX_STDERR_LINE_CHARS = 8192;
/** The server's last stderr lines kept for a client's error after a crash (and each line cut to this). */
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_LINE_CHARS = 300;
/** How long an exit waits for the rest of the server's stderr before it is reported. */
const STDERR_DRAIN_MS = 500;

/** One run of the server's process: `connect` spawns it, its exit closes the connection. */
export class StdioUpstreamTransport implements UpstreamTransport {
  private child: ChildProcess | undefined;
  private writer: NdjsonMessageWriter | undefined;
  private receiver: UpstreamReceiver | undefined;
  /** Settles when the process is gone and its pipes are closed. */
  private exited: Promise<void> = Promise.resolve();
  private receivingPaused = false;
  /** Set once the end was reported: 'exit' and a later 'error' (a failed kill) must not both count. */
  private ended = false;
  /** The current process's last stderr lines (see {@link CloseReason.lastOutput}). */
  private stderrTail: string[] = [];

  constructor(
    private readonly spec: StdioServerSpec,
    private readonly log: (line: string) => void,
  ) {}

  /** Spawns the process (throws when it cannot be spawned at all); a command that does not exist is reported as closed. */
  connect(receiver: UpstreamReceiver): Promise<void> {
    if (this.receiver) throw new Error(`The connection to '${this.spec.name}' was opened already`);
    this.receiver = receiver;
    try {
      this.spawnProcess();
    } catch (err) {
      this.receiver = undefined;
      throw err;
    }
    return Promise.resolve();
  }

  send(outgoing: Received<JsonRpcMessage>, done?: SendCallback): void {
    const writer = this.writer;
    if (!writer) {
      if (done) process.nextTick(done, new Error('its input is closed'));
      return;
    }
    if (outgoing.raw) writer.sendText(outgoing.raw, done);
    else writer.send(outgoing.message, done);
  }

  get backlog(): number {
    return this.writer?.backlog ?? 0;
  }

  /** Stops reading the server's stdout: its pipe fills and it waits. */
  pauseReceiving(): void {
    this.receivingPaused = true;
    this.child?.stdout?.pause();
  }

  resumeReceiving(): void {
    this.receivingPaused = false;
    this.child?.stdout?.resume();
  }

  /** Ends the process: stdin end, then SIGTERM, then SIGKILL; resolves when it has exited. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = this.exited;
    // A paused stdout never ends, and 'close' (which `exited` waits for) needs its end.
    child.stdout?.resume();
    this.writer?.end();
    if (await settlesWithin(exited, STDIN_GRACE_MS)) return;
    signalTree(child, 'SIGTERM');
    if (await settlesWithin(exited, SIGTERM_GRACE_MS)) return;
    signalTree(child, 'SIGKILL');
    await exited;
  }

  abort(): void {
    const child = this.child;
    this.receiver = undefined;
    this.child = undefined;
    this.writer = undefined;
    if (child) signalTree(child, 'SIGKILL');
  }

  private spawnProcess(): void {
    const [command, ...args] = this.spec.command;
    if (!command) throw new Error(`Upstream '${this.spec.name}' has an empty command`);
    let child: ChildProcess;
    const env = { ...inheritableEnvironment(process.env), ...this.spec.env };
    const launch = this.spec.sandbox ? this.sandboxed(command, args, this.spec.sandbox, env) : { file: command, args };
    if (launch === undefined) return;
    try {
      // Never a shell; a Windows batch file (npx.cmd) goes through cmd.exe with escaped arguments.
      const target = spawnTarget(launch.file, launch.args, { platform: process.platform, env, ...(this.spec.cwd ? { cwd: this.spec.cwd } : {}) });
      child = spawn(target.file, target.args, {
        cwd: this.spec.cwd,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
        windowsVerbatimArguments: target.windowsVerbatimArguments,
        // Its own process group, so the whole tree (npx → node …) can be signalled at shutdown.
        detached: process.platform !== 'win32',
      });
    } catch (err) {
      throw new Error(`could not start '${command}': ${errorText(err)}`, { cause: err });
    }
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    // A command that cannot be run (ENOENT, EACCES) emits 'error' and never 'exit'.
    child.once('error', (err) => this.onExit(child, { kind: 'unreachable', description: `could not start '${command}': ${err.message}` }));
    child.once('exit', (code, signal) => this.onExit(child, { kind: 'exited', description: describeExit(code, signal) }));
    child.stdin!.on('error', () => undefined); // EPIPE after a crash is reported by 'exit'

    const name = this.spec.name;
    const reader = new NdjsonMessageReader(child.stdout!, { maxLineBytes: this.spec.maxLineBytes });
    reader.onInvalidLine((info) => {
      // A cut-off or malformed message may carry content no security plugin has seen: show banners only.
      const preview = /^\s*[[{]/.test(info.preview) ? '(looks like a damaged JSON message; content not shown)' : info.preview;
      this.log(`[${name}] dropped a non-protocol line on stdout (${info.reason}, ${info.bytes} bytes): ${preview}`);
    });
    reader.onError((err) => this.log(`[${name}] stdout error: ${errorText(err)}`));
    // Lines still buffered when the process exits are delivered after its exit, as they arrive.
    // The line's bytes travel with the message when the reader kept them (large lines) and no key
    // in them appears twice (see rawTextOf): written on as they came when nothing changes them.
    reader.listen((message, _line, bytes) => {
      const raw = bytes ? rawTextOf(bytes) : undefined;
      this.receiver?.message(raw ? { message, raw } : { message });
    });
    if (this.receivingPaused) child.stdout!.pause();
    this.writer = new NdjsonMessageWriter(child.stdin!);
    this.writer.onError(() => undefined);
    const tail: string[] = (this.stderrTail = []);
    forwardStderr(child, (line) => {
      this.log(`[${name}] ${line}`);
      // Colour codes and other control characters mean nothing in a client's error panel.
      const plain = line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
      tail.push(plain.length > STDERR_TAIL_LINE_CHARS ? `${plain.slice(0, STDERR_TAIL_LINE_CHARS)}…` : plain);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    });
  }

  /**
   * The engine's command around the server's. When no sandbox can be had the server must not start
   * unconfined: that is reported like a command that cannot be run (closed, unreachable), so the
   * server fails with the reason while the others keep serving.
   */
  private sandboxed(command: string, args: readonly string[], request: SandboxRequest, env: NodeJS.ProcessEnv): { file: string; args: readonly string[] } | undefined {
    try {
      const launch = sandboxedLaunch(command, args, request, {
        platform: process.platform,
        gatewayEnv: process.env,
        serverEnv: env,
        cwd: this.spec.cwd ?? process.cwd(),
        home: homedir(),
        nodeBinary: process.execPath,
      });
      for (const note of launch.notes) this.log(`[${this.spec.name}] ${note}`);
      return launch;
    } catch (err) {
      const description = `not started: sandbox requested but unavailable: ${errorText(err)}`;
      process.nextTick(() => {
        if (this.ended) return;
        this.ended = true;
        this.receiver?.closed({ kind: 'unreachable', description });
      });
      return undefined;
    }
  }

  private onExit(child: ChildProcess, reason: CloseReason): void {
    if (child !== this.child || this.ended) return;
    this.ended = true;
    this.writer = undefined;
    // `child` stays: a close() after the exit still waits for its pipes to close.
    const tail = this.stderrTail;
    // Its last stderr lines may still be in the pipe: reported once they are read (or after a moment,
    // when a grandchild holds the pipe open), so the crash's cause is in the tail.
    void settlesWithin(this.exited, STDERR_DRAIN_MS).then(() => this.receiver?.closed({ ...reason, lastOutput: () => tail }));
  }
}

/**
 * The gateway's environment minus its own variables: `GATEKIT_*` carries the control link's socket
 * and token and the whole configuration (every server's `env`, tokens included), none of which a
 * server may see. A server's own `env` from the configuration is added on top by the caller.
 * Windows names are case-insensitive, so the prefix is compared in upper case.
 */
function inheritableEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.toUpperCase().startsWith(GATEKIT_ENV_PREFIX)) out[key] = value;
  }
  return out;
}

const GATEKIT_ENV_PREFIX = 'GATEKIT_';

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Signals the child's process group (its whole tree) on POSIX, the child itself elsewhere. */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, signal);
    else if (signal === 'SIGKILL') killWindowsTree(child.pid);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Windows has no process groups: taskkill /T ends the tree (cmd.exe → npx → node) that child.kill would orphan. */
function killWindowsTree(pid: number): void {
  const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true, shell: false });
  killer.once('error', () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Hands the server's stderr on line by line (to our log, prefixed with its name, and to its tail). */
function forwardStderr(child: ChildProcess, onLine: (line: string) => void): void {
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > MAX_STDERR_LINE_CHARS) {
      lines.push(partial);
      partial = '';
    }
    for (const line of lines) if (line.trim()) onLine(line.replace(/\r$/, ''));
  });
  child.stderr!.on('end', () => {
    if (partial.trim()) onLine(partial);
  });
}
