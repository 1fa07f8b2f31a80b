// Proves the fixture servers are correct MCP servers (official SDK client) and misbehave exactly when asked (raw NDJSON).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Message } from 'vscode-jsonrpc/node';
import { NdjsonMessageReader, NdjsonMessageWriter, type InvalidLine } from '../../../src/gateway/transport/ndjson';
import { waitFor } from './helpers';

const serversDir = path.resolve(__dirname, '../../fixtures/servers');
const fixtureServer = path.join(serversDir, 'fixture-server.mjs');
// The benchmark's upstream is the minimal server: checked here so the baseline is a correct MCP server.
const minimalServer = path.resolve(__dirname, '../../../bench/servers/bench-server.mjs');

/** Text of the first content block of a tools/call result. */
function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  const first = content?.[0];
  assert.equal(first?.type, 'text');
  return first.text ?? '';
}

async function connectSdkClient(args: string[]): Promise<Client> {
  const client = new Client(
    { name: 'fixture-test', version: '0.0.1' },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
  );
  await client.connect(new StdioClientTransport({ command: process.execPath, args, stderr: 'pipe' }));
  return client;
}

/** A fixture server driven with raw NDJSON through our own transport, to see exactly what it sends. */
class RawSession {
  readonly child: ChildProcess;
  readonly messages: Record<string, unknown>[] = [];
  readonly invalid: InvalidLine[] = [];
  readonly writer: NdjsonMessageWriter;
  readonly exited: Promise<number | null>;
  private nextId = 1;

  constructor(script: string, args: string[]) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    const reader = new NdjsonMessageReader(this.child.stdout!);
    reader.onInvalidLine((i) => this.invalid.push(i));
    reader.listen((m) => this.messages.push(m as unknown as Record<string, unknown>));
    this.writer = new NdjsonMessageWriter(this.child.stdin!);
    this.writer.onError(() => undefined);
  }

  async request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    await this.writer.write({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) } as Message);
    await waitFor(() => this.messages.some((m) => m.id === id && !('method' in m)), 10_000, `the answer to ${method}`);
    return this.messages.find((m) => m.id === id && !('method' in m))!;
  }

  async initialize(): Promise<Record<string, unknown>> {
    const answer = await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    });
    await this.writer.write({ jsonrpc: '2.0', method: 'notifications/initialized' } as Message);
    return answer;
  }

  callTool(name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.request('tools/call', { name, arguments: args });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('fixture servers', function () {
  this.timeout(20_000);
  const clients: Client[] = [];
  const sessions: RawSession[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const s of sessions.splice(0)) s.kill();
  });
  const sdk = async (...args: string[]): Promise<Client> => {
    const client = await connectSdkClient(args);
    clients.push(client);
    return client;
  };
  const raw = (script: string, ...args: string[]): RawSession => {
    const session = new RawSession(script, args);
    sessions.push(session);
    return session;
  };

  describe('as a correct MCP server (official SDK client)', () => {
    it('initializes with its name, the full capabilities and instructions', async () => {
      const client = await sdk(fixtureServer, '--name', 'alpha');
      assert.deepEqual(client.getServerVersion(), { name: 'alpha', version: '1.0.0' });
      assert.deepEqual(client.getServerCapabilities(), {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      });
      assert.match(client.getInstructions() ?? '', /alpha/);
      await client.ping();
      const whoami = JSON.parse(textOf(await client.callTool({ name: 'whoami' }))) as {
        initialize: { protocolVersion: string; capabilities: Record<string, unknown>; clientInfo: { name: string } };
      };
      assert.equal(whoami.initialize.clientInfo.name, 'fixture-test');
      assert.deepEqual(Object.keys(whoami.initialize.capabilities).sort(), ['elicitation', 'roots', 'sampling']);
    });

    it('lists its tools and echoes', async () => {
      const client = await sdk(fixtureServer, '--description', 'Custom description');
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const expected of ['echo', 'whoami', 'slow', 'big', 'crash', 'sample', 'flood', 'count_calls']) {
        assert.ok(names.includes(expected), `missing ${expected}`);
      }
      assert.equal(tools.find((t) => t.name === 'echo')?.description, 'Custom description');
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'héllo' } })), 'héllo');
      assert.equal(textOf(await client.callTool({ name: 'big', arguments: { bytes: 100_000 } })).length, 100_000);
    });

    it('paginates tools, resources and prompts with opaque cursors', async () => {
      const client = await sdk(fixtureServer, '--tools', '10', '--resources', '5', '--page-size', '4');
      const allTools: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor });
        assert.ok(page.tools.length <= 4);
        allTools.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== undefined);
      assert.equal(allTools.length, 19 + 10);
      assert.equal(new Set(allTools).size, allTools.length, 'no tool repeated across pages');
      assert.equal(pages, 8);
      assert.ok(allTools.includes('tool_9'));
      assert.equal(textOf(await client.callTool({ name: 'tool_3', arguments: { value: 'v' } })), 'tool_3: v');

      const firstResources = await client.listResources();
      assert.equal(firstResources.resources.length, 4);
      const rest = await client.listResources({ cursor: firstResources.nextCursor! });
      assert.deepEqual(
        rest.resources.map((r) => r.uri),
        ['fixture://fixture/item/4'],
      );
      assert.equal(rest.nextCursor, undefined);
      await assert.rejects(client.listPrompts({ cursor: 'not-a-cursor' }));
    });

    it('serves resources, templates, subscriptions, prompts, completions and log levels', async () => {
      const client = await sdk(fixtureServer, '--name', 'res', '--resources', '2');
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(
        resourceTemplates.map((t) => t.uriTemplate),
        ['fixture://res/item/{id}'],
      );
      const read = await client.readResource({ uri: 'fixture://res/item/7' });
      assert.deepEqual(read.contents, [{ uri: 'fixture://res/item/7', mimeType: 'text/plain', text: 'item 7 of res' }]);
      await assert.rejects(client.readResource({ uri: 'fixture://other/item/1' }), /not found/);
      await client.subscribeResource({ uri: 'fixture://res/item/1' });
      const prompt = await client.getPrompt({ name: 'greeting', arguments: { name: 'Ada' } });
      assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: 'Hello, Ada!' });
      const completion = await client.complete({
        ref: { type: 'ref/prompt', name: 'greeting' },
        argument: { name: 'name', value: 'b' },
      });
      assert.deepEqual(completion.completion.values, ['bob']);
      await client.setLoggingLevel('warning');
      await client.sendRootsListChanged();
      await client.sendRootsListChanged();
      // Notifications carry no answer: ask until the server has seen both.
      let whoami: { logLevel: string; rootsListChangedCount: number; subscriptions: string[] } | undefined;
      const deadline = Date.now() + 10_000;
      while (whoami?.rootsListChangedCount !== 2) {
        assert.ok(Date.now() < deadline, 'the server never saw both roots/list_changed');
        whoami = JSON.parse(textOf(await client.callTool({ name: 'whoami' }))) as typeof whoami;
      }
      assert.equal(whoami?.logLevel, 'warning');
      assert.deepEqual(whoami?.subscriptions, ['fixture://res/item/1']);
      await assert.rejects(client.request({ method: 'no/such/method' } as never, {} as never), /-32601|not found/i);
    });

    it('asks its client for sampling, elicitation and roots, and reports progress and logs', async () => {
      const client = await sdk(fixtureServer);
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: 'assistant',
        content: { type: 'text', text: 'sampled' },
        model: 'test-model',
      }));
      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { confirm: true } }));
      client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp', name: 'tmp' }] }));
      const logs: unknown[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));

      assert.equal(JSON.parse(textOf(await client.callTool({ name: 'sample' }))).model, 'test-model');
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'elicit' }))), { action: 'accept', content: { confirm: true } });
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'roots' }))), { roots: [{ uri: 'file:///tmp', name: 'tmp' }] });
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'ping_client' }))), {});

      const progress: number[] = [];
      await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
      assert.deepEqual(progress, [1, 2, 3]);

      await client.callTool({ name: 'log', arguments: { level: 'error', data: 'boom' } });
      await client.callTool({ name: 'flood', arguments: { count: 100 } });
      await waitFor(() => logs.length === 101, 10_000, 'all log notifications');
      assert.equal(logs[0], 'boom');
    });

    it('stops a cancelled slow call and records the cancellation', async () => {
      const client = await sdk(fixtureServer);
      const abort = new AbortController();
      const call = client.callTool({ name: 'slow', arguments: { ms: 60_000 } }, undefined, { signal: abort.signal });
      // Cancel only once the server has the request: an echo sent after it is answered after it arrived.
      await client.callTool({ name: 'echo', arguments: { text: 'sync' } });
      abort.abort();
      await assert.rejects(call);
      let cancelled: unknown[] = [];
      const deadline = Date.now() + 10_000;
      while (cancelled.length === 0) {
        assert.ok(Date.now() < deadline, 'the server never saw the cancellation');
        cancelled = JSON.parse(textOf(await client.callTool({ name: 'cancelled_requests' }))) as unknown[];
      }
      assert.equal(cancelled.length, 1);
      assert.equal(typeof cancelled[0], 'number');
    });

    it('announces tool changes', async () => {
      const added = await sdk(fixtureServer);
      await added.callTool({ name: 'change_tools' });
      assert.ok((await added.listTools()).tools.some((t) => t.name === 'extra_tool'));
      const mutated = await sdk(fixtureServer, '--mutate-description');
      await mutated.callTool({ name: 'change_tools' });
      const tools = (await mutated.listTools()).tools;
      assert.ok(!tools.some((t) => t.name === 'extra_tool'));
      assert.match(tools.find((t) => t.name === 'echo')?.description ?? '', /changed/);
    });

    it('the minimal server answers initialize, tools/list and both tools', async () => {
      const client = await sdk(minimalServer);
      assert.deepEqual(
        (await client.listTools()).tools.map((t) => t.name),
        ['echo', 'big'],
      );
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'fast' } })), 'fast');
      assert.equal(textOf(await client.callTool({ name: 'big', arguments: { bytes: 12345 } })).length, 12345);
    });
  });

  describe('misbehaving on request (raw NDJSON)', () => {
    it('answers twice, answers a never-sent id, and counts calls', async () => {
      const s = raw(fixtureServer);
      await s.initialize();
      const twice = await s.callTool('answer_twice');
      await waitFor(() => s.messages.filter((m) => m.id === twice.id).length === 2, 5000, 'the second answer');
      const right = await s.callTool('wrong_id');
      assert.equal(textOf(right.result), 'right answer');
      assert.ok(s.messages.some((m) => m.id === (right.id as number) + 1_000_000));
      assert.equal(textOf((await s.callTool('count_calls')).result), '2');
    });

    it('prints noise around its answers', async () => {
      const s = raw(fixtureServer, '--noise');
      await s.initialize();
      await s.callTool('echo', { text: 'x' });
      await waitFor(() => s.invalid.length >= 3, 5000, 'noise lines');
      assert.ok(s.invalid.every((i) => i.reason === 'not_json'));
    });

    it('writes megabytes without a newline after initialize, then works again', async () => {
      const s = raw(fixtureServer, '--garbage-no-newline', '3');
      await s.initialize();
      await waitFor(() => s.invalid.length === 1, 10_000, 'the garbage line');
      assert.deepEqual(s.invalid, [{ reason: 'not_json', bytes: 3 * 1024 * 1024, preview: 'g'.repeat(120) }]);
      assert.equal(textOf((await s.callTool('echo', { text: 'after' })).result), 'after');
    });

    it('crashes on the crash tool, on start, and after initialize', async () => {
      const crashing = raw(fixtureServer);
      await crashing.initialize();
      await crashing.writer.write({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'crash' } } as Message);
      assert.equal(await crashing.exited, 1);
      assert.ok(!crashing.messages.some((m) => m.id === 99));

      assert.equal(await raw(fixtureServer, '--crash-on-start').exited, 1);

      const leaving = raw(fixtureServer, '--exit-after-init');
      const answer = await leaving.initialize().catch(() => leaving.messages.find((m) => m.id === 1));
      assert.ok(answer !== undefined && 'result' in answer);
      assert.equal(await leaving.exited, 1);
    });

    it('never answers initialize with --hang-on-start, but exits when stdin closes', async () => {
      const s = raw(fixtureServer, '--hang-on-start');
      await s.writer.write({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } as Message);
      await s.writer.write({ jsonrpc: '2.0', id: 2, method: 'ping' } as Message);
      await waitFor(() => s.messages.some((m) => m.id === 2), 5000, 'the ping answer');
      assert.ok(!s.messages.some((m) => m.id === 1));
      s.writer.end();
      assert.equal(await s.exited, 0);
    });

    it('survives stdin EOF and SIGTERM when asked, and dies on SIGKILL', async () => {
      const s = raw(fixtureServer, '--ignore-stdin-eof', '--ignore-sigterm', '--stderr-chatter');
      const stderr: string[] = [];
      s.child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
      await s.initialize();
      s.writer.end();
      await waitFor(() => stderr.join('').includes('stdin closed'), 5000, 'the stdin-closed note');
      s.child.kill('SIGTERM');
      await waitFor(() => stderr.join('').includes('ignoring SIGTERM'), 5000, 'the SIGTERM note');
      assert.equal(s.child.exitCode, null);
      s.child.kill('SIGKILL');
      await s.exited;
      assert.equal(s.child.signalCode, 'SIGKILL');
      assert.match(stderr.join(''), /starting up/);
    });

    it('stops reading stdin after initialize with --no-read, so its writer feels backpressure', async () => {
      const s = raw(fixtureServer, '--no-read');
      await s.initialize();
      let pushedBack = false;
      const big = 'x'.repeat(64 * 1024);
      // A pipe holds at most a few hundred KiB: some write must have to wait for 'drain'.
      for (let i = 0; i < 200 && !pushedBack; i++) {
        void s.writer.write({ jsonrpc: '2.0', method: 'notifications/noise', params: { big } } as Message).catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
        pushedBack = s.child.stdin!.writableNeedDrain;
      }
      assert.ok(pushedBack);
    });

    it('waits --start-delay before reading', async () => {
      const s = raw(fixtureServer, '--start-delay', '300');
      const started = Date.now();
      await s.initialize();
      assert.ok(Date.now() - started >= 250);
    });
  });
});
