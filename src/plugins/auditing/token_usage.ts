// `token_usage`: estimated tokens per server and tool. Output tokens are what the model sends (a
// client's request), input tokens what comes back into its context (the server's answer); for a
// request a server makes of the model (sampling) the roles swap. One CSV row per request and answer,
// and counters in a state file shared by concurrent gateways. Fails open: counting never blocks.
import type { AuditEvent, AuditingPlugin, PluginDefinition, PluginEnvironment } from '../types';
import { loadChunk } from '../../gateway/chunks';
import type * as TokenizerChunk from '../../gateway/chunks/tokenizer';
import { megabytes, openAuditFile } from './audit-file';
import { neutraliseCell } from './audit_csv';
import { needsQuoting } from './audit_csv.descriptor';
import { tokenUsageDescriptor, type TokenUsageOptions } from './token_usage.descriptor';
import { OVERFLOW_NAME, slotFor, TokenUsageStateFile, type UsageTable } from './token_usage_state';

/** The original's columns, in order. */
export const TOKEN_USAGE_COLUMNS = ['timestamp', 'server', 'method', 'tool', 'input_tokens', 'output_tokens'] as const;

/** Requests waiting for their answer; beyond this the oldest is forgotten (a client cannot grow it without bound). */
const MAX_PENDING = 10_000;

interface PendingRequest {
  readonly method: string;
  readonly tool: string;
  readonly tokens: number;
}

/** The text the model sees of a message: its params, result or error, as JSON. */
function payloadText(event: AuditEvent): string {
  const message = event.message as Record<string, unknown> | undefined;
  if (!message) return '';
  const payload = 'params' in message ? message.params : 'result' in message ? message.result : message.error;
  try {
    return payload === undefined ? '' : (JSON.stringify(payload) ?? '');
  } catch {
    return ''; // cyclic or too deep: nothing countable
  }
}

/** One CSV cell: formula triggers neutralised, quoted when it holds a delimiter or a quote. */
function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = neutraliseCell(value);
  return needsQuoting(text, { quote_char: '"' }) ? `"${text.split('"').join('""')}"` : text;
}

/** The CSV row (without its line break). */
export function tokenUsageRow(timestamp: Date, server: string, method: string, tool: string, input: number, output: number): string {
  return [timestamp.toISOString(), server, method, tool, input, output].map(csvCell).join(',');
}

class TokenUsageAuditor implements AuditingPlugin {
  private readonly csv;
  private readonly state: TokenUsageStateFile;
  private readonly counts: UsageTable = new Map();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly timer: NodeJS.Timeout;
  private tokenizer: typeof TokenizerChunk | undefined;
  private dirty = false;
  private flushing: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;
  private warned = new Set<string>();

  constructor(
    options: TokenUsageOptions,
    private readonly env: PluginEnvironment,
  ) {
    this.csv = openAuditFile({
      path: env.resolvePath(options.output_file),
      maxBytes: megabytes(options.max_file_size_mb),
      backupCount: options.backup_count,
      header: TOKEN_USAGE_COLUMNS.join(','),
      onWarning: (message) => env.log(message),
    });
    const log = (line: string): void => env.log(line);
    this.state = new TokenUsageStateFile({ path: env.resolvePath(options.state_file), pid: process.pid, log });
    this.timer = setInterval(() => void this.flush(), options.flush_interval_seconds * 1000);
    this.timer.unref();
  }

  async record(event: AuditEvent): Promise<void> {
    if (this.closed || event.type === 'notification' || event.requestId === undefined) return;
    const key = `${event.origin}\0${event.serverName}\0${typeof event.requestId}\0${String(event.requestId)}`;
    const tokens = this.count(payloadText(event));
    if (event.type === 'request') {
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      this.pending.set(key, { method: event.method, tool: event.method === 'tools/call' && event.tool ? event.tool : OVERFLOW_NAME, tokens });
      return;
    }
    const request = this.pending.get(key);
    this.pending.delete(key);
    const method = request?.method ?? event.method;
    const tool = request?.tool ?? (event.method === 'tools/call' && event.tool ? event.tool : OVERFLOW_NAME);
    // A client's request is written by the model; a server's request (sampling) is read by it.
    const fromModel = request?.tokens ?? 0;
    const [input, output] = event.origin === 'client' ? [tokens, fromModel] : [fromModel, tokens];
    const slot = slotFor(this.counts, event.serverName, tool);
    slot.input_tokens += input;
    slot.output_tokens += output;
    slot.calls += 1;
    this.dirty = true;
    await this.csv.append(tokenUsageRow(event.timestamp, event.serverName, method, tool, input, output));
  }

  /** Tokens of `text`; the tokenizer is loaded on first use. Fails open: a failure counts the estimate. */
  private count(text: string): number {
    if (text === '') return 0;
    try {
      this.tokenizer ??= loadChunk<typeof TokenizerChunk>('tokenizer');
      return this.tokenizer.countTextTokens(text).tokens;
    } catch (err) {
      this.warnOnce('tokenizer', `token_usage: counting with cl100k_base failed (${err instanceof Error ? err.message : String(err)}); using the rough estimate`);
      return Math.ceil(text.length / 4);
    }
  }

  /** Publishes the counters when they changed; one write at a time. Fails open: a failed write is logged and tried again later. */
  private flush(): Promise<void> {
    if (!this.dirty) return this.flushing;
    this.dirty = false;
    const snapshot = copyTable(this.counts);
    this.flushing = this.flushing.then(() =>
      this.state.publish(snapshot).catch((err: unknown) => {
        this.dirty = true;
        this.warnOnce('flush', `token_usage: could not update the state file (${err instanceof Error ? err.message : String(err)}); counting goes on`);
      }),
    );
    return this.flushing;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      await this.flushing;
      await this.state.retire(copyTable(this.counts)).catch((err: unknown) => this.env.log(`token_usage: could not save the counters (${err instanceof Error ? err.message : String(err)})`));
      await this.csv.close();
    })();
    return this.closed;
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.env.log(message);
  }
}

function copyTable(table: UsageTable): UsageTable {
  return new Map([...table].map(([server, tools]) => [server, new Map([...tools].map(([tool, counts]) => [tool, { ...counts }]))]));
}

/** Gatekit's token usage estimator. */
export const tokenUsage: PluginDefinition<TokenUsageOptions> = {
  ...tokenUsageDescriptor,
  create: (options, env) => new TokenUsageAuditor(options, env),
};
