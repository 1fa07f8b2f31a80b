// tool_manager's `hidden` list (issue #16 item 10): hiding single tools without freezing an
// allowlist, so tools a server adds later stay visible. Drives the built gateway with the official
// SDK client against server-everything from npm and the fixture server (which adds a tool on demand).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectSdk, eventually, GATEWAY, fixtureServer, realServer, textOf, writeConfig, type SdkSession } from './harness';

const hidingPlugins = (server: string, config: Record<string, unknown>) => ({ plugins: { middleware: { [server]: [{ handler: 'tool_manager', config }] } } });

/** The error a call got: code and `data.reason`, or undefined when it succeeded. */
async function refusal(session: SdkSession, name: string, args: Record<string, unknown> = {}): Promise<{ code: number; reason: unknown; message: string } | undefined> {
  try {
    await session.client.callTool({ name, arguments: args });
    return undefined;
  } catch (err) {
    if (!(err instanceof McpError)) throw err;
    return { code: err.code, reason: (err.data as { reason?: unknown } | undefined)?.reason, message: err.message };
  }
}

async function toolNames(session: SdkSession): Promise<string[]> {
  return (await session.client.listTools()).tools.map((t) => t.name);
}

describe('tool_manager hidden list through the gateway', function () {
  this.timeout(60000);
  let session: SdkSession | undefined;

  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  it('hides one tool of server-everything and leaves every other one listed and callable', async () => {
    const plain = await connectSdk(writeConfig([{ name: 'everything', command: realServer('everything') }]));
    const all = await toolNames(plain);
    await plain.close();
    session = await connectSdk(writeConfig([{ name: 'everything', command: realServer('everything') }], hidingPlugins('everything', { hidden: ['echo'] })));
    const names = await toolNames(session);
    assert.deepEqual(names, all.filter((name) => name !== 'everything__echo'));
    assert.ok(names.length > 5 && names.includes('everything__get-sum'), names.join(', '));
    const refused = await refusal(session, 'everything__echo', { message: 'hi' });
    assert.deepEqual(refused, { code: -32601, reason: 'hidden_by_policy', message: "MCP error -32601: Tool 'everything__echo' is not available" });
    assert.match(textOf(await session.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } })), /5/);
  });

  it("keeps an original Gatekit allowlist's meaning, and hidden wins over it", async () => {
    const config = { tools: [{ tool: 'echo' }, { tool: 'get-sum', display_name: 'add' }, { tool: 'get-env' }], hidden: ['get-env', 'not-a-tool'] };
    session = await connectSdk(writeConfig([{ name: 'everything', command: realServer('everything') }], hidingPlugins('everything', config)));
    assert.deepEqual(await toolNames(session), ['everything__add', 'everything__echo']);
    assert.equal((await refusal(session, 'everything__get-env'))?.reason, 'hidden_by_policy');
    assert.equal((await refusal(session, 'everything__get-sum', { a: 1, b: 1 }))?.reason, 'hidden_by_policy', 'renamed: the own name is not shown');
    assert.match(textOf(await session.client.callTool({ name: 'everything__add', arguments: { a: 2, b: 3 } })), /5/);
  });

  it('shows a tool the server adds later, which an allowlist would have hidden', async () => {
    const config = writeConfig([{ name: 'fx', command: fixtureServer('--name', 'fx') }], hidingPlugins('fx', { hidden: ['crash'] }));
    session = await connectSdk(config);
    let changed = 0;
    session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const before = await toolNames(session);
    assert.ok(!before.includes('fx__crash') && before.includes('fx__echo') && !before.includes('fx__extra_tool'), before.join(', '));
    await session.client.callTool({ name: 'fx__change_tools', arguments: {} });
    await eventually(() => changed > 0, 10000, 'tools/list_changed');
    const after = await toolNames(session);
    assert.ok(after.includes('fx__extra_tool'), `the added tool is visible: ${after.join(', ')}`);
    assert.ok(!after.includes('fx__crash'));
    assert.equal((await refusal(session, 'fx__crash'))?.reason, 'hidden_by_policy', 'the hidden tool is still refused without reaching the server');
  });

  it('refuses bad hidden lists with the field and line (--validate-only)', () => {
    for (const [config, expected] of [
      [{ hidden: ['ok', 'bad name'] }, /at plugins\.middleware\.fx\[0\]\.config\.hidden\[1\] \(.*gatekit\.yaml, line \d+\)/],
      [{}, /Give 'tools'.*or 'hidden'/],
      [{ hidden: 'crash' }, /config\.hidden/],
    ] as const) {
      const file = writeConfig([{ name: 'fx', command: fixtureServer() }], hidingPlugins('fx', config));
      const run = spawnSync(process.execPath, [GATEWAY, '--config', file, '--validate-only'], { encoding: 'utf8' });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.match(run.stdout + run.stderr, expected);
    }
  });
});
