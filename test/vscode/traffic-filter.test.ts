// The Traffic view says why (issue #16 items 5 and 6), against the real gateway and the real memory
// server: a redaction in a response is labelled as such with the plugin and what it found, a blocked
// request shows the plugin's reason instead of "[blocked]", list calls are hidden by default, and
// the view filters by decision, server and tool and searches.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { TrafficFilter } from '../../src/extension/traffic-filter';
import type { TrafficNode } from '../../src/extension/views/traffic-view';
import { gatekit, labelText, memoryServer, resetSettings, setUserSettings, startLikeVsCode, stateEvents, waitFor, configVersionOf } from './helpers';

type EntryNode = Extract<TrafficNode, { kind: 'entry' }>;

describe('traffic rows say why, and filter', () => {
  let extension: GatekitExtension;
  let chat: { client: Client; stderr: () => string };
  let sessionId: string;

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    await vscode.commands.executeCommand('gatekit.clearTraffic');
    await vscode.commands.executeCommand('gatekit.clearTrafficFilter');
    const memory = memoryServer(extension, 'memory-traffic');
    // What the server already knows: an e-mail address comes back in a response the request never held.
    const memoryFile = (memory.env as Record<string, string>).MEMORY_FILE_PATH!;
    mkdirSync(path.dirname(memoryFile), { recursive: true });
    writeFileSync(memoryFile, `${JSON.stringify({ type: 'entity', name: 'jane', entityType: 'person', observations: ['mail jane.doe@acme-corp.io'] })}\n`);
    await setUserSettings(extension, {
      upstreams: [{ ...memory, name: 'memory' }],
      plugins: {
        security: {
          _global: [
            { handler: 'basic_pii_filter', config: { action: 'redact' } },
            { handler: 'basic_secrets_filter', config: { action: 'block' } },
          ],
        },
      },
    });
    const definition = extension.provider.definition();
    assert.ok(definition);
    chat = await startLikeVsCode(definition);
    sessionId = (await waitFor('the chat gateway', () => extension.sessions().find((s) => s.identity.mode === 'stdio' && s.identity.configVersion === configVersionOf(definition)), stateEvents(extension))).identity.sessionId;
    await chat.client.listTools();
    await chat.client.callTool({ name: 'memory__read_graph', arguments: {} });
    await chat.client.callTool({ name: 'memory__create_entities', arguments: { entities: [{ name: 'deploy', entityType: 'doc', observations: ['key AKIAZ3MHQW7XKT2LPQ5R'] }] } }).catch(() => undefined);
    await chat.client.callTool({ name: 'memory__search_nodes', arguments: { query: 'nothing here' } });
    await waitFor('four exchanges of the chat session', () => (extension.traffic.session(sessionId)?.entries.length ?? 0) >= 4, stateEvents(extension));
  });

  after(async () => {
    await chat?.client.close();
    await vscode.commands.executeCommand('gatekit.clearTrafficFilter');
    await vscode.commands.executeCommand('gatekit.clearTraffic');
    if (extension) await resetSettings(extension);
  });

  function rows(): { node: EntryNode; label: string; description: string; tooltip: string }[] {
    extension.trafficView.refresh();
    const session = extension.trafficView.getChildren().find((n) => n.kind === 'session' && n.sessionId === sessionId);
    if (session === undefined) return [];
    return extension.trafficView.getChildren(session).map((node) => {
      const item = extension.trafficView.getTreeItem(node);
      // appendText escapes Markdown and spaces: compare the text a reader sees.
      const markdown = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
      const tooltip = markdown.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
      return { node: node as EntryNode, label: labelText(item), description: String(item.description ?? ''), tooltip };
    });
  }

  function row(label: string): ReturnType<typeof rows>[number] {
    const found = rows().find((r) => r.label === label);
    assert.ok(found, `a row ${label}; rows: ${rows().map((r) => r.label).join(', ')}`);
    return found;
  }

  it('labels a redaction in the response with the plugin, what it found, and the server-to-client side', () => {
    const redacted = row('tools/call memory__read_graph');
    assert.match(redacted.description, /^response redacted by basic_pii_filter: email redacted/);
    assert.match(redacted.tooltip, /redacted in the response \(server → client\)/);
  });

  it('shows the reason of a blocked request instead of [blocked]', () => {
    const blocked = row('tools/call memory__create_entities');
    assert.match(blocked.description, /^request blocked by basic_secrets_filter: \S/);
    assert.doesNotMatch(blocked.description, /\[blocked\]/);
    assert.doesNotMatch(blocked.description + blocked.tooltip, /AKIAZ3MHQW7XKT2LPQ5R/, 'the secret itself is not repeated');
    assert.match(blocked.tooltip, /blocked in the request \(client → server\)/);
  });

  it('hides list calls by default and says how many rows it shows', async () => {
    assert.ok(extension.traffic.session(sessionId)?.entries.some((e) => e.event.method === 'tools/list'), 'a tools/list exchange was recorded');
    assert.ok(!rows().some((r) => r.label === 'tools/list'));
    assert.match(extension.trafficTree?.message ?? '', /^Showing \d+ of \d+ exchanges \(list calls hidden\)/);
    await vscode.commands.executeCommand('gatekit.filterTraffic', { showListCalls: true });
    assert.ok(rows().some((r) => r.label === 'tools/list'));
    await vscode.commands.executeCommand('gatekit.filterTraffic', {});
  });

  it('filters by decision, server and tool, and searches', async () => {
    await vscode.commands.executeCommand('gatekit.filterTraffic', { decisions: ['blocked'] });
    assert.deepEqual(rows().map((r) => r.label), ['tools/call memory__create_entities']);
    assert.match(extension.trafficTree?.message ?? '', /blocked/);

    await vscode.commands.executeCommand('gatekit.filterTraffic', { tools: ['search_nodes'], servers: ['memory'] });
    assert.deepEqual(rows().map((r) => r.label), ['tools/call memory__search_nodes']);

    await vscode.commands.executeCommand('gatekit.filterTraffic', { servers: ['no-such-server'] });
    assert.deepEqual(rows(), []);

    await vscode.commands.executeCommand('gatekit.clearTrafficFilter');
    await vscode.commands.executeCommand('gatekit.searchTraffic', 'NOTHING HERE');
    assert.deepEqual(rows().map((r) => r.label), ['tools/call memory__search_nodes'], 'search looks into the request, any case');

    await vscode.commands.executeCommand('gatekit.clearTrafficFilter');
    assert.equal(rows().length, 3);
  });

  it('takes only what it understands from a hostile filter object', async () => {
    const filter = await vscode.commands.executeCommand<TrafficFilter>('gatekit.filterTraffic', {
      decisions: ['blocked', '__proto__', 5, { toString: 'x' }],
      servers: 'memory',
      tools: [null],
      text: `  ${'x'.repeat(10_000)}`,
      showListCalls: 'yes',
      __proto__: { polluted: true },
    });
    assert.deepEqual(filter.decisions, ['blocked']);
    assert.equal(filter.servers, undefined);
    assert.equal(filter.tools, undefined);
    assert.equal(filter.text?.length, 200);
    assert.equal(filter.showListCalls, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(rows(), []);
    await vscode.commands.executeCommand('gatekit.clearTrafficFilter');
  });
});
