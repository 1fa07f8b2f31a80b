// The Gateway's control operations (hot reload, restart, approvals), driven in-process over streams
// with real fixture upstreams, as the control link invokes them.
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gateway } from '../../src/gateway/gateway';
import { settingsFromConfig } from '../../src/gateway/settings';
import { validateConfigObject } from '../../src/config/loader';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'servers', 'fixture-server.mjs');
const upstream = (name: string, ...flags: string[]) => ({ name, command: [process.execPath, FIXTURE, '--name', name, ...flags] });
const configOf = (upstreams: object[], plugins: object = {}) => ({ proxy: { transport: 'stdio', upstreams }, plugins });

class InProcessClient {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly messages: Record<string, unknown>[] = [];
  private buffer = '';
  private nextId = 1;

  constructor() {
    this.output.setEncoding('utf8');
    this.output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\n')) >= 0) {
        this.messages.push(JSON.parse(this.buffer.slice(0, at)));
        this.buffer = this.buffer.slice(at + 1);
      }
    });
  }

  async request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.input.write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }) + '\n');
    for (let i = 0; i < 400; i++) {
      const found = this.messages.find((m) => m.id === id);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no answer to ${method}`);
  }

  async toolNames(): Promise<string[]> {
    const list = await this.request('tools/list');
    return ((list.result as { tools: { name: string }[] }).tools ?? []).map((t) => t.name);
  }
}

describe('Gateway control operations (hot reload, restart)', function () {
  this.timeout(30000);
  let gateway: Gateway;
  let client: InProcessClient;
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-reload-'));
  const log: string[] = [];

  beforeEach(async () => {
    client = new InProcessClient();
    const loaded = validateConfigObject(configOf([upstream('alpha'), upstream('beta')]), { configDir: dir });
    gateway = new Gateway(settingsFromConfig(loaded, { log: (l) => log.push(l) }), { input: client.input, output: client.output, log: (l) => log.push(l) });
    gateway.start();
    await client.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
  });

  afterEach(async () => {
    client.input.end();
    assert.equal(await gateway.finished, 0);
  });

  it('applies a new config without dropping the client: servers added, removed, policy changed', async () => {
    assert.ok((await client.toolNames()).includes('beta__echo'));
    const result = await gateway.applyConfig(
      configOf([upstream('alpha'), upstream('gamma')], { middleware: { alpha: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo' }] } }] } }),
      path.join(dir, 'gatekit.yaml'),
    );
    assert.deepEqual(result, { applied: true, problems: [] });
    const names = await client.toolNames();
    assert.ok(names.includes('gamma__echo'), 'the new server serves');
    assert.ok(!names.some((n) => n.startsWith('beta__')), 'the removed server is gone');
    assert.deepEqual(names.filter((n) => n.startsWith('alpha__')), ['alpha__echo'], 'the new tool_manager policy applies');
    assert.ok(client.messages.some((m) => m.method === 'notifications/tools/list_changed'), 'the client was told to refetch');
  });

  it('keeps the old config and reports the problems of an invalid one', async () => {
    const result = await gateway.applyConfig(configOf([{ name: 'Bad Name', command: ['x'] }]), undefined);
    assert.equal(result.applied, false);
    assert.match(result.problems[0]!.path, /upstreams\[0\]\.name/);
    assert.ok((await client.toolNames()).includes('beta__echo'));
  });

  it('restarts one upstream while the client stays connected', async () => {
    const callsServed = async () => Number(((await client.request('tools/call', { name: 'alpha__count_calls', arguments: {} })).result as { content: { text: string }[] }).content[0]!.text);
    await client.request('tools/call', { name: 'alpha__echo', arguments: { text: 'x' } });
    assert.equal(await callsServed(), 1);
    await gateway.restartUpstreams(['alpha']);
    assert.equal(await callsServed(), 0, 'a fresh process has served nothing before');
    assert.ok((await client.toolNames()).includes('beta__echo'), 'the other server was left alone');
  });

  it('approves a changed tool definition through the pinning plugin, and the tool comes back', async () => {
    const pinned = configOf([upstream('alpha', '--mutate-description'), upstream('beta')], { security: { _global: [{ handler: 'tool_pinning' }] } });
    assert.equal((await gateway.applyConfig(pinned, path.join(dir, 'pins', 'gatekit.yaml'))).applied, true);
    assert.ok((await client.toolNames()).includes('alpha__echo'), 'first use pins it');
    await client.request('tools/call', { name: 'alpha__change_tools', arguments: {} });
    assert.ok(!(await client.toolNames()).includes('alpha__echo'), 'the changed definition is withheld');
    const refused = await client.request('tools/call', { name: 'alpha__echo', arguments: { text: 'x' } });
    assert.equal((refused.error as { data: { reason: string } }).data.reason, 'pin_mismatch');
    assert.deepEqual(await gateway.approveToolChanges({ server: 'alpha' }), { approved: 1 });
    assert.ok((await client.toolNames()).includes('alpha__echo'), 'approved: listed again');
    const allowed = await client.request('tools/call', { name: 'alpha__echo', arguments: { text: 'back' } });
    assert.ok(allowed.result, JSON.stringify(allowed));
  });

  it('reports the tools of a server without plugins as visible', async () => {
    const inventories: { server: string; tools: { name: string; visibility: string }[] }[] = [];
    gateway.onToolInventory((inventory) => inventories.push(inventory));
    await client.toolNames();
    for (let i = 0; i < 200 && inventories.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const beta = inventories.find((inv) => inv.server === 'beta');
    assert.ok(beta && beta.tools.length > 5, JSON.stringify(inventories));
    assert.ok(beta.tools.every((t) => t.visibility === 'visible'));
  });

  it('reports what the policy does to each tool: visible, renamed, hidden, and pin changes', async () => {
    const inventories: { server: string; tools: { name: string; visibility: string; pin: string; exposedName?: string }[] }[] = [];
    gateway.onToolInventory((inventory) => inventories.push(inventory));
    const policy = {
      middleware: { alpha: [{ handler: 'tool_manager', config: { tools: [{ tool: 'echo', display_name: 'say' }, { tool: 'whoami' }, { tool: 'change_tools' }] } }] },
      security: { _global: [{ handler: 'tool_pinning' }] },
    };
    await gateway.applyConfig(configOf([upstream('alpha', '--mutate-description'), upstream('beta')], policy), path.join(dir, 'inventory', 'gatekit.yaml'));
    await client.toolNames();
    const latest = async (server: string) => {
      for (let i = 0; i < 200; i++) {
        const found = [...inventories].reverse().find((inv) => inv.server === server);
        if (found) return new Map(found.tools.map((t) => [t.name, t]));
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no inventory for ${server}`);
    };
    const alpha = await latest('alpha');
    assert.equal(alpha.get('echo')?.visibility, 'renamed');
    assert.equal(alpha.get('echo')?.exposedName, 'alpha__say');
    assert.equal(alpha.get('whoami')?.visibility, 'visible');
    assert.equal(alpha.get('slow')?.visibility, 'hidden');
    assert.equal(alpha.get('whoami')?.pin, 'pinned');
    inventories.length = 0;
    await client.request('tools/call', { name: 'alpha__change_tools', arguments: {} });
    await client.toolNames();
    const changed = await latest('alpha');
    assert.equal(changed.get('echo')?.pin, 'changed');
    const echo = changed.get('echo') as { pinnedDefinition?: { description?: string }; currentDefinition?: { description?: string } };
    assert.ok(echo.pinnedDefinition && echo.currentDefinition, 'both definitions are there for a diff');
    assert.notEqual(echo.pinnedDefinition.description, echo.currentDefinition.description);
    assert.equal(changed.get('echo')?.visibility, 'blocked');
    assert.deepEqual(gateway.toolInventories().map((i) => i.server).sort(), ['alpha', 'beta']);
  });
});
