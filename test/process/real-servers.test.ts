// The gateway in front of three real MCP servers from npm, driven by the official SDK client.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectSdk, realServer, textOf, writeConfig, type SdkSession, type UpstreamEntry } from './harness';
import { startEverything, type RemoteServer } from './remote-servers';

// The same tests with the everything server reached three ways: as a child process (stdio), and as
// a remote server in its Streamable HTTP and legacy HTTP+SSE modes; the other two stay local.
const EVERYTHING_TRANSPORTS = [
  { label: 'stdio', mode: undefined },
  { label: 'Streamable HTTP', mode: 'streamableHttp' },
  { label: 'HTTP+SSE', mode: 'sse' },
] as const;

for (const { label, mode } of EVERYTHING_TRANSPORTS) {
  describe(`gateway with real npm MCP servers (everything over ${label}, filesystem, memory)`, function () {
    this.timeout(60000);
    let session: SdkSession;
    let files: string;
    let memoryFile: string;
    let remoteEverything: RemoteServer | undefined;
    const rootsAsked: number[] = [];

    before(async () => {
      files = mkdtempSync(path.join(tmpdir(), 'gatekit-fs-'));
      writeFileSync(path.join(files, 'hello.txt'), 'hello from the filesystem server\n');
      memoryFile = path.join(mkdtempSync(path.join(tmpdir(), 'gatekit-mem-')), 'memory.jsonl');
      remoteEverything = mode ? await startEverything(mode) : undefined;
      const everything: UpstreamEntry = remoteEverything
        ? ({ name: 'everything', transport: 'http', url: remoteEverything.url } as unknown as UpstreamEntry)
        : { name: 'everything', command: realServer('everything') };
      const config = writeConfig([
        everything,
        { name: 'fs', command: realServer('filesystem', files) },
        // `env` is honoured (the original ignored it): the memory server stores its graph where we say.
        { name: 'memory', command: realServer('memory'), env: { MEMORY_FILE_PATH: memoryFile } },
      ]);
      session = await connectSdk(config, { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
      session.client.setRequestHandler(ListRootsRequestSchema, async () => {
        rootsAsked.push(Date.now());
        return { roots: [{ uri: `file://${files}`, name: 'test files' }] };
      });
      session.client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
        model: 'test-model',
        role: 'assistant',
        content: { type: 'text', text: `sampled: ${JSON.stringify(request.params.messages[0]?.content)}` },
      }));
      session.client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { color: 'green', number: 7, pets: 'cats' } }));
    });

    after(async () => {
      await session?.close();
      await remoteEverything?.stop();
    });

    it('answers initialize itself with merged capabilities and the servers instructions', () => {
      const caps = session.client.getServerCapabilities()!;
      assert.ok(caps.tools, 'tools capability');
      assert.ok(caps.resources?.subscribe, 'resources.subscribe from the everything server');
      assert.ok(caps.prompts, 'prompts');
      assert.ok(caps.logging, 'logging');
      assert.ok(caps.completions, 'completions');
      assert.equal(session.client.getServerVersion()?.name, 'gatekit');
      assert.match(session.client.getInstructions() ?? '', /## everything/);
    });

    it('lists every server tool namespaced as server__name, sorted', async () => {
      const { tools } = await session.client.listTools();
      const names = tools.map((t) => t.name);
      assert.deepEqual(names, [...names].sort());
      for (const expected of ['everything__echo', 'everything__get-sum', 'fs__read_text_file', 'fs__list_directory', 'memory__create_entities', 'memory__read_graph']) {
        assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
      }
      for (const name of names) assert.match(name, /^[a-zA-Z0-9_-]{1,64}$/);
    });

    it('routes tools/call to the right server by namespace', async () => {
      const echoed = await session.client.callTool({ name: 'everything__echo', arguments: { message: 'hi there' } });
      assert.match(textOf(echoed), /hi there/);
      const sum = await session.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } });
      assert.match(textOf(sum), /42/);
      const file = await session.client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(files, 'hello.txt') } });
      assert.match(textOf(file), /hello from the filesystem server/);
    });

    it('honours an upstream env: the memory server writes where MEMORY_FILE_PATH says', async () => {
      await session.client.callTool({ name: 'memory__create_entities', arguments: { entities: [{ name: 'Gatekit', entityType: 'project', observations: ['routes MCP'] }] } });
      const graph = await session.client.callTool({ name: 'memory__read_graph', arguments: {} });
      assert.match(textOf(graph), /Gatekit/);
      assert.match(readFileSync(memoryFile, 'utf8'), /Gatekit/);
    });

    it('relays server→client requests: sampling and elicitation reach the client and the answers go back', async () => {
      const sampled = await session.client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 10 } });
      assert.match(JSON.stringify(sampled), /sampled: /);
      const elicited = await session.client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(elicited), /green/);
    });

    it('relays roots/list: the filesystem server asks the client for roots through the gateway', async () => {
      const roots = await session.client.callTool({ name: 'everything__get-roots-list', arguments: {} });
      assert.match(JSON.stringify(roots), /test files/);
      assert.ok(rootsAsked.length >= 1);
    });

    it('lists, gets and completes prompts through the namespace', async () => {
      const { prompts } = await session.client.listPrompts();
      const names = prompts.map((p) => p.name);
      assert.ok(names.includes('everything__args-prompt'), names.join(', '));
      const prompt = await session.client.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Paris', state: 'IDF' } });
      assert.match(JSON.stringify(prompt.messages), /Paris/);
      const completion = await session.client.complete({ ref: { type: 'ref/prompt', name: 'everything__completable-prompt' }, argument: { name: 'department', value: 'E' } });
      assert.ok(completion.completion.values.length > 0, JSON.stringify(completion));
    });

    it('lists resources and templates unchanged, and routes reads and subscriptions by URI', async () => {
      const { resources } = await session.client.listResources();
      assert.ok(resources.length >= 1);
      const first = resources[0]!;
      const read = await session.client.readResource({ uri: first.uri });
      assert.equal(read.contents[0]?.uri, first.uri);
      const { resourceTemplates } = await session.client.listResourceTemplates();
      assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'demo://resource/dynamic/text/{resourceId}'));
      const dynamic = await session.client.readResource({ uri: 'demo://resource/dynamic/text/3' });
      assert.equal(dynamic.contents[0]?.uri, 'demo://resource/dynamic/text/3');
      await session.client.subscribeResource({ uri: first.uri });
      await session.client.unsubscribeResource({ uri: first.uri });
      await assert.rejects(session.client.readResource({ uri: 'nowhere://nothing' }), /-32602|No server offers/);
    });

    it('broadcasts logging/setLevel and passes log notifications down', async () => {
      const messages: unknown[] = [];
      session.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params));
      await session.client.setLoggingLevel('debug');
      await session.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
      const deadline = Date.now() + 15000;
      while (messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await session.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
      assert.ok(messages.length > 0, 'a log notification from the everything server arrived');
    });

    it('answers ping locally and rejects unknown methods and bad names with Gatekit errors', async () => {
      await session.client.ping();
      await assert.rejects(session.client.request({ method: 'nope/nothing', params: {} } as never, {} as never), /-32601|Method not found/);
      await assert.rejects(session.client.callTool({ name: 'echo', arguments: {} }), /not properly namespaced/);
      await assert.rejects(session.client.callTool({ name: 'nope__echo', arguments: {} }), /Unknown server 'nope'/);
    });
  });
}
