// A raw newline-JSON MCP load client: spawns one stdio server (direct, gateway or proxy) and drives it
// without parsing hot-path responses, so the client is never the bottleneck of what it measures.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const NEWLINE = 0x0a;
const ID_KEY = Buffer.from('"id":');
const ERROR_KEY = Buffer.from('"error"');
/** Where to look for `"id":` at either end of a response line (key order differs between servers). */
const ID_WINDOW = 160;
/** Small lines are checked for an error answer; big ones are checked by a full parse in `check`. */
const ERROR_SCAN_MAX = 2048;
const CLOSE_GRACE_MS = 5000;

/** Every live child of this process, so an aborted run can still kill them all. */
const liveChildren = new Set();

/** Kills every child still running (used on abort and at exit). */
export function killAllChildren() {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
}

/** Reads a number (in kB) from /proc/<pid>/status, e.g. VmHWM (peak RSS) or VmRSS; undefined off Linux. */
export function procStatusKb(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process in milliseconds, from /proc/<pid>/stat; undefined off Linux. */
export function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** Process ids of the children of `pid` (Linux), e.g. the upstream a proxy started. */
export function procChildren(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** USER_HZ is 100 on every Linux the benchmark runs on. */
const CLOCK_TICKS = 100;

/**
 * One stdio MCP session. Responses to requests made with `request` are parsed in full; responses
 * to the load generators are recognised by their id alone (read from a small window of raw bytes).
 */
export class LoadClient {
  /**
   * @param {string} label for error messages
   * @param {string} command program to spawn
   * @param {string[]} args its arguments
   * @param {{ env?: Record<string,string>, cwd?: string }} [options]
   */
  constructor(label, command, args, options = {}) {
    this.label = label;
    this.spawnedAt = performance.now();
    this.child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
    liveChildren.add(this.child);
    this.pid = this.child.pid;
    this.stderrTail = '';
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      liveChildren.delete(this.child);
      resolve({ code, signal });
    }));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text) => {
      this.stderrTail = (this.stderrTail + text).slice(-8192);
    });
    this.child.stdin.on('error', () => undefined);
    this.nextId = 1;
    /** id → resolve, for requests answered with a parsed message. */
    this.parsed = new Map();
    /** Called with (id, isError, lineBytes, receivedAt) for every other response. */
    this.onRaw = undefined;
    this.outbox = '';
    this.partial = [];
    this.partialBytes = 0;
    this.failure = undefined;
    this.child.stdout.on('data', (chunk) => this.onData(chunk));
    this.child.once('exit', (code, signal) => this.fail(new Error(`${label} exited (${signal ?? `code ${code}`}): ${this.stderrTail.trim().slice(-800)}`)));
  }

  /** Sends a request and resolves with the parsed response; rejects on timeout or exit. */
  request(method, params, timeoutMs = 60_000) {
    const id = this.nextId++;
    const line = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.parsed.delete(id);
        reject(new Error(`${this.label}: no answer to '${method}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.parsed.set(id, { resolve: (message) => (clearTimeout(timer), resolve(message)), reject: (err) => (clearTimeout(timer), reject(err)) });
      this.child.stdin.write(line + '\n');
    });
  }

  notify(method, params) {
    this.child.stdin.write(JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params }) + '\n');
  }

  /** The MCP handshake; resolves with the initialize result. */
  async initialize(timeoutMs = 30_000) {
    const response = await this.request(
      'initialize',
      { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'gatekit-bench', version: '1.0.0' } },
      timeoutMs,
    );
    if (response.error) throw new Error(`${this.label}: initialize failed: ${response.error.message}`);
    this.notify('notifications/initialized');
    return response.result;
  }

  /** Queues a raw request line; `flush` (or the end of the current 'data' event) sends the queue in one write. */
  queue(line) {
    this.outbox += line;
  }

  flush() {
    if (this.outbox !== '') {
      const out = this.outbox;
      this.outbox = '';
      this.child.stdin.write(out);
    }
  }

  /**
   * Runs `count` calls one at a time; returns each round trip in microseconds.
   * @param {(id: number) => string} lineFor the request line (with '\n') for an id
   */
  sequential(count, lineFor) {
    return new Promise((resolve, reject) => {
      const times = new Float64Array(count);
      let done = 0;
      let started = 0;
      let expected = 0;
      const sendNext = () => {
        expected = this.nextId++;
        started = performance.now();
        this.child.stdin.write(lineFor(expected));
      };
      this.onRaw = (id, isError, _bytes, receivedAt) => {
        if (id !== expected) return;
        if (isError) return this.stopRaw(reject, new Error(`${this.label}: a call was answered with an error`));
        times[done++] = (receivedAt - started) * 1000;
        if (done === count) return this.stopRaw(resolve, times);
        sendNext();
      };
      this.rejectRaw = reject;
      sendNext();
    });
  }

  /**
   * Keeps `inFlight` calls outstanding for `durationMs`; resolves with completed calls per second.
   * A burst of answers is refilled with one write, as a real client's event loop would.
   */
  throughput(inFlight, durationMs, lineFor) {
    return new Promise((resolve, reject) => {
      let outstanding = 0;
      let completed = 0;
      let errors = 0;
      const startedAt = performance.now();
      const deadline = startedAt + durationMs;
      let lastAt = startedAt;
      this.onRaw = (_id, isError, _bytes, receivedAt) => {
        outstanding--;
        completed++;
        lastAt = receivedAt;
        if (isError) errors++;
        if (receivedAt < deadline) {
          outstanding++;
          this.queue(lineFor(this.nextId++));
        } else if (outstanding === 0) {
          if (errors > 0) return this.stopRaw(reject, new Error(`${this.label}: ${errors} calls answered with an error`));
          this.stopRaw(resolve, { perSecond: completed / ((lastAt - startedAt) / 1000), completed, seconds: (lastAt - startedAt) / 1000 });
        }
      };
      this.rejectRaw = reject;
      for (let i = 0; i < inFlight; i++) {
        outstanding++;
        this.queue(lineFor(this.nextId++));
      }
      this.flush();
    });
  }

  stopRaw(settle, value) {
    this.onRaw = undefined;
    this.rejectRaw = undefined;
    settle(value);
  }

  fail(error) {
    if (this.failure) return;
    this.failure = error;
    for (const pending of this.parsed.values()) pending.reject(error);
    this.parsed.clear();
    if (this.rejectRaw) this.stopRaw(this.rejectRaw, error);
  }

  onData(chunk) {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    while (newline !== -1) {
      if (this.partialBytes === 0) {
        this.onLine(chunk, start, newline);
      } else {
        this.partial.push(chunk.subarray(start, newline));
        const parts = this.partial;
        const bytes = this.partialBytes + newline - start;
        this.partial = [];
        this.partialBytes = 0;
        this.onParts(parts, bytes);
      }
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      this.partial.push(start === 0 ? chunk : chunk.subarray(start));
      this.partialBytes += chunk.length - start;
    }
    this.flush();
  }

  onLine(buffer, start, end) {
    if (end === start) return;
    const id = idIn(buffer, start, end);
    if (id === undefined) return; // a notification: nothing to count
    const entry = this.parsed.get(id);
    if (entry !== undefined) {
      this.parsed.delete(id);
      entry.resolve(JSON.parse(buffer.toString('utf8', start, end)));
      return;
    }
    const isError = end - start <= ERROR_SCAN_MAX && includes(buffer, ERROR_KEY, start, end);
    this.onRaw?.(id, isError, end - start, performance.now());
  }

  /** A line that arrived in several chunks (big results): the id is read from its first or last part. */
  onParts(parts, bytes) {
    const first = parts[0];
    const last = parts[parts.length - 1];
    let id = idAtHead(first, 0, first.length);
    if (id === undefined) {
      // The id may sit at the end, possibly split over the last two parts.
      const tail = last.length >= ID_WINDOW || parts.length < 2 ? last : Buffer.concat([parts[parts.length - 2], last]);
      id = idAtTail(tail, 0, tail.length);
    }
    if (id === undefined) return;
    const entry = this.parsed.get(id);
    if (entry !== undefined) {
      this.parsed.delete(id);
      entry.resolve(JSON.parse(Buffer.concat(parts, bytes).toString('utf8')));
      return;
    }
    this.onRaw?.(id, false, bytes, performance.now());
  }
}

function includes(buffer, needle, start, end) {
  const at = buffer.indexOf(needle, start);
  return at !== -1 && at + needle.length <= end;
}

/** The numeric id of a response line whose `"id":` key is near its start (our order), or undefined. */
function idAtHead(buffer, start, end) {
  const at = buffer.indexOf(ID_KEY, start);
  return at !== -1 && at < start + ID_WINDOW && at < end ? digitsAt(buffer, at + ID_KEY.length, end) : undefined;
}

/** The numeric id of a response line whose `"id":` key is near its end (the SDK's order), or undefined. */
function idAtTail(buffer, start, end) {
  const at = buffer.lastIndexOf(ID_KEY, end - 1);
  return at >= start && at >= end - ID_WINDOW ? digitsAt(buffer, at + ID_KEY.length, end) : undefined;
}

function idIn(buffer, start, end) {
  return idAtHead(buffer, start, end) ?? idAtTail(buffer, start, end);
}

function digitsAt(buffer, from, end) {
  let value = 0;
  for (let i = from; i < end; i++) {
    const byte = buffer[i];
    if (byte === 0x20) continue;
    if (byte < 0x30 || byte > 0x39) break;
    value = value * 10 + (byte - 0x30);
  }
  return value;
}

/** Closes stdin, waits for the exit, and kills the process if it lingers. */
export async function closeClient(client) {
  client.child.stdin.end();
  const timer = setTimeout(() => client.child.kill('SIGKILL'), CLOSE_GRACE_MS);
  const result = await client.exited;
  clearTimeout(timer);
  return result;
}
