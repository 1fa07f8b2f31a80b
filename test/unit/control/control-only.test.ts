// Control-only mode in-process: a real Gateway with real upstream processes and no client. It opens
// the upstreams with the views' handshake, reports tool inventories, lists again when told the
// lists changed (by a server, by a hot reload), answers what servers ask a client, writes nothing,
// and stops when its input ends.
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gateway } from '../../../src/gateway/gateway';
import { settingsFromConfig } from '../../../src/gateway/settings';
import { validateConfigObject } from '../../../src/config/loader';
import { controlOnlyHandshake } from '../../../src/gateway/control/control-only';
import type { ToolInventoryParams } from '../../../src/shared/protocol';

const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'servers', 'fixture-server.mjs');

/**
 * A server that writes every message it receives to a file. On its first `tools/list` (the session
 * is open by then) it asks the client for `ping`, `roots/list` and `sampling/createMessage`, adds a
 * tool and says so with `notifications/tools/list_changed`.
 */
const RECORDER = `
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const record = process.argv[2];
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const tools = [{ name: 'probe', inputSchema: { type: 'object' } }];
let lists = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  appendFileSync(record, JSON.stringify(m) + '\\n');
  if (m.method === 'initialize') {
    send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: { listChanged: true }, resources: {} }, serverInfo: { name: 'recorder', version: '1' } } });
  } else if (m.method === 'tools/list') {
    send({ jsonrpc: '2.0', id: m.id, result: { tools } });
    if (++lists > 1) return;
    send({ jsonrpc: '2.0', id: 's-ping', method: 'ping' });
    send({ jsonrpc: '2.0', id: 's-roots', method: 'roots/list' });
    send({ jsonrpc: '2.0', id: 's-sample', method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } });
    tools.push({ name: 'added', inputSchema: { type: 'object' } });
    send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  } else if (m.method === 'resources/list') {
    send({ jsonrpc: '2.0', id: m.id, result: { resources: [] } });
  } else if (m.method === 'resources/templates/list') {
    send({ jsonrpc: '2.0', id: m.id, result: { resourceTemplates: [] } });
  } else if (m.method !== undefined && m.id !== undefined) {
    send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'not here' } });
  }
});
process.stdin.on('end', () => process.exit(0));
`;

/** Polls `probe` until it returns a value, or fails after `ms`. */
async function eventually<T>(probe: () => T | undefined, what: string, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('control-only gateway (no client)', function () {
  this.timeout(30000);
  let dir: string;
  let input: PassThrough;
  let written: number;
  let gateway: Gateway;
  const log: string[] = [];

  const fixture = (name: string) => ({ name, command: [process.execPath, FIXTURE, '--name', name] });
  const recorder = () => ({ name: 'rec', command: [process.execPath, path.join(dir, 'recorder.mjs'), path.join(dir, 'record.jsonl')] });
  const configOf = (upstreams: object[]) => ({ proxy: { transport: 'stdio', upstreams } });
  /** What the recorder received, parsed. */
  const received = (): Record<string, unknown>[] => {
    try {
      return readFileSync(path.join(dir, 'record.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  const inventory = (server: string): ToolInventoryParams | undefined => gateway.toolInventories().find((i) => i.server === server);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatekit-control-only-'));
    writeFileSync(path.join(dir, 'recorder.mjs'), RECORDER);
    log.length = 0;
    input = new PassThrough();
    const output = new PassThrough();
    written = 0;
    output.on('data', (chunk: Buffer) => (written += chunk.length));
    const loaded = validateConfigObject(configOf([fixture('alpha'), recorder()]), { configDir: dir });
    gateway = new Gateway(settingsFromConfig(loaded, { log: (l) => log.push(l) }), { input, output, log: (l) => log.push(l) });
    gateway.startWithoutClient(controlOnlyHandshake('1.2.3'));
  });

  afterEach(async () => {
    input.end();
    await gateway.finished;
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the upstreams with the views\' handshake, lists tools, resources and templates, and reports inventories', async () => {
    const alpha = await eventually(() => inventory('alpha'), 'the inventory of alpha');
    const echo = alpha.tools.find((t) => t.name === 'echo');
    assert.deepEqual([echo?.exposedName, echo?.visibility, echo?.pin], ['alpha__echo', 'visible', 'none']);
    const initialize = received().find((m) => m.method === 'initialize');
    assert.deepEqual((initialize?.params as Record<string, unknown>).clientInfo, { name: 'gatekit-vscode-views', version: '1.2.3' });
    assert.equal((initialize?.params as Record<string, unknown>).protocolVersion, '2025-06-18');
    assert.deepEqual((initialize?.params as Record<string, unknown>).capabilities, {});
    for (const method of ['tools/list', 'resources/list', 'resources/templates/list']) {
      await eventually(() => received().find((m) => m.method === method), `a ${method} at the recorder`);
    }
  });

  it('answers servers\' requests itself: ping, no roots, nothing to sample', async () => {
    const answer = (id: string) => eventually(() => received().find((m) => m.id === id && !('method' in m)), `the answer to ${id}`);
    assert.deepEqual(await answer('s-ping'), { jsonrpc: '2.0', id: 's-ping', result: {} });
    assert.deepEqual(await answer('s-roots'), { jsonrpc: '2.0', id: 's-roots', result: { roots: [] } });
    const refused = (await answer('s-sample')) as { error: { code: number; message: string } };
    assert.equal(refused.error.code, -32601);
    assert.match(refused.error.message, /no user to ask/);
  });

  it('lists again when a server\'s tools change and after a hot reload', async () => {
    const changed = await eventually(() => inventory('rec')?.tools.find((t) => t.name === 'added'), 'the tool the recorder added');
    assert.equal(changed.exposedName, 'rec__added');
    const reloaded = await gateway.applyConfig(configOf([fixture('alpha'), recorder(), fixture('gamma')]), path.join(dir, 'gatekit.yaml'));
    assert.deepEqual(reloaded, { applied: true, problems: [] });
    const gamma = await eventually(() => inventory('gamma'), 'the inventory of the server the reload added');
    assert.ok(gamma.tools.some((t) => t.exposedName === 'gamma__echo'));
  });

  it('writes nothing to its output and stops, exit 0, when its input ends', async () => {
    await eventually(() => inventory('rec')?.tools.find((t) => t.name === 'added'), 'the second listing');
    input.end();
    assert.equal(await gateway.finished, 0);
    assert.equal(written, 0, 'nothing reached the output');
  });
});

describe('control-only gateway whose servers all fail', function () {
  this.timeout(30000);

  it('stops with exit code 1, as it does for a client\'s initialize', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-control-only-'));
    const log: string[] = [];
    const input = new PassThrough();
    try {
      const loaded = validateConfigObject({ proxy: { transport: 'stdio', upstreams: [{ name: 'down', command: [process.execPath, FIXTURE, '--crash-on-start'] }] } }, { configDir: dir });
      const gateway = new Gateway(settingsFromConfig(loaded, { log: (l) => log.push(l) }), { input, output: new PassThrough(), log: (l) => log.push(l) });
      gateway.startWithoutClient(controlOnlyHandshake('1.2.3'));
      assert.equal(await gateway.finished, 1);
      assert.ok(log.some((line) => /No upstream server could start/.test(line)), log.join('\n'));
    } finally {
      input.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
