// The call_approval prompt in the real host (issue #16 item 3): a tool call through the gateway that
// VS Code starts raises a quick pick naming the server, the tool and the arguments (hidden characters
// as escapes); Deny is the focused default, Allow once and Allow for this session take effect in the
// gateway, and a cancelled call takes its question away.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { GatekitExtension } from '../../src/extension/gatekit-extension';
import type { ShownQuestion } from '../../src/extension/approval-prompt';
import { fixtureServer, gatekit, resetSettings, setUserSettings, startChatGateway, stateEvents, waitFor } from './helpers';

describe('call approval prompt', () => {
  let extension: GatekitExtension;
  let chat: { client: Client; stderr: () => string };

  before(async () => {
    extension = await gatekit();
    await resetSettings(extension);
    await setUserSettings(extension, {
      upstreams: [fixtureServer(extension, 'fixture')],
      plugins: { middleware: { _global: [{ handler: 'call_approval', config: { rules: [{ tools: ['echo', 'whoami'] }], timeout_seconds: 120 } }] } },
    });
    chat = await startChatGateway(extension);
  });

  after(async () => {
    await chat?.client.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (extension) await resetSettings(extension);
  });

  function prompt(): Promise<ShownQuestion> {
    return waitFor('the approval prompt', () => extension.approvals.shown, [(l) => extension.approvals.onDidChange(l)], 30_000);
  }

  function promptGone(): Promise<true> {
    return waitFor('the prompt to close', () => extension.approvals.shown === undefined || undefined, [(l) => extension.approvals.onDidChange(l)], 30_000);
  }

  /** The traffic row whose reason matches: every decision is visible where the user looks. */
  function trafficRow(reason: RegExp): Promise<{ plugin?: string; reason: string }> {
    return waitFor(
      `a traffic row with ${reason}`,
      () => extension.traffic.sessions().flatMap((s) => s.entries).map((e) => e.event).find((e) => e.method === 'tools/call' && reason.test(e.reason)),
      stateEvents(extension),
    );
  }

  /** Answers the quick pick as a user would: `down` times the Down key, then Enter. */
  async function choose(down: number): Promise<void> {
    for (let i = 0; i < down; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }

  it('asks before the call runs, naming server, tool and arguments; Enter on the default denies', async () => {
    const calling = chat.client.callTool({ name: 'fixture__echo', arguments: { text: 'drop\u202Etable' } });
    const shown = await prompt();
    assert.match(shown.title, /allow 'echo' on server 'fixture'\?/);
    assert.match(shown.placeholder, /rule 1: tool "echo" or "whoami"/);
    assert.deepEqual(shown.items.slice(0, 3), ['$(circle-slash) Deny', '$(check) Allow once', '$(check-all) Allow for this session']);
    assert.ok(shown.items.some((item) => item.includes('text: "drop\\u{202E}table"')), `the RTL override is shown as an escape: ${JSON.stringify(shown.items)}`);
    await choose(0);
    await assert.rejects(calling, /Call denied by Call Approval: the user denied the call \(user-deny via vscode\)/);
    await promptGone();
    const row = await trafficRow(/user-deny via vscode/);
    assert.equal(row.plugin, 'call_approval');
  });

  it('Allow once runs this call only', async () => {
    const calling = chat.client.callTool({ name: 'fixture__echo', arguments: { text: 'once' } });
    await prompt();
    await choose(1);
    const result = await calling;
    assert.match(JSON.stringify(result.content), /once/);
    await promptGone();
    await trafficRow(/Approved by the user once \(user-once via vscode\)/);
    const again = chat.client.callTool({ name: 'fixture__echo', arguments: { text: 'twice' } });
    await prompt();
    await choose(0);
    await assert.rejects(again, /user-deny/);
    await promptGone();
  });

  it('Allow for this session lets later calls of the tool through without asking', async () => {
    const calling = chat.client.callTool({ name: 'fixture__whoami', arguments: {} });
    await prompt();
    await choose(2);
    await calling;
    await promptGone();
    const again = await chat.client.callTool({ name: 'fixture__whoami', arguments: {} });
    assert.ok(!again.isError);
    assert.equal(extension.approvals.shown, undefined, 'no second question');
  });

  it('a cancelled call takes its question away', async () => {
    const abort = new AbortController();
    const calling = chat.client.callTool({ name: 'fixture__echo', arguments: { text: 'never mind' } }, undefined, { signal: abort.signal });
    await prompt();
    abort.abort();
    await assert.rejects(calling);
    await promptGone();
  });
});
