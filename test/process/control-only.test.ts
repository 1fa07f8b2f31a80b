// The extension's views gateway as the extension runs it: `dist/gateway.js --control-only` with the
// configuration in the environment and the extension's control server. It serves no MCP client:
// the tool inventory of a real npm server arrives over the control link, a hot reload's new server
// is listed too, stdout carries nothing, and ending stdin stops it with exit code 0.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlServer, type GatewaySession } from '../../src/extension/control-server';
import type { ToolInventoryEntry } from '../../src/shared/protocol';
import { fixtureServer, GATEWAY, realServer } from './harness';

describe('control-only gateway process (the views gateway)', function () {
  this.timeout(60000);
  let temp: string;
  let server: ControlServer;

  beforeEach(async () => {
    temp = mkdtempSync(path.join(tmpdir(), 'gatekit-control-only-'));
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
  });
  afterEach(() => {
    server.dispose();
    rmSync(temp, { recursive: true, force: true });
  });

  /** Resolves with a server's inventory once one arrives that `accept`s, or rejects after 30 s. */
  function inventoryOf(name: string, stderr: string[], accept: (tools: ToolInventoryEntry[]) => boolean = () => true): Promise<{ session: GatewaySession; tools: ToolInventoryEntry[] }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no inventory of '${name}'; stderr: ${stderr.join('').slice(-2000)}`)), 30000);
      const subscription = server.onToolInventory(({ session, server: reported }) => {
        const tools = session.inventories.get(reported);
        if (reported !== name || tools === undefined || !accept(tools)) return;
        clearTimeout(timer);
        subscription.dispose();
        resolve({ session, tools });
      });
    });
  }

  it('reports a real server\'s tools over the control link, lists again after a hot reload, writes nothing to stdout, and stops when stdin ends', async () => {
    const configBase = path.join(temp, 'gatekit.yaml');
    const config = { proxy: { transport: 'stdio', upstreams: [{ name: 'everything', command: realServer('everything') }] } };
    const gateway = spawn(process.execPath, [GATEWAY, '--control-only'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GATEKIT_CONFIG_JSON: JSON.stringify(config),
        GATEKIT_CONFIG_BASE: configBase,
        GATEKIT_CONTROL_SOCKET: server.socketPath,
        GATEKIT_CONTROL_TOKEN: server.token,
        GATEKIT_CONTROL_DIR: temp,
      },
    });
    const stdout: Buffer[] = [];
    const stderr: string[] = [];
    gateway.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    gateway.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    try {
      const { session, tools } = await inventoryOf('everything', stderr);
      assert.equal(session.identity.mode, 'control-only');
      assert.equal(session.identity.pid, gateway.pid);
      const echo = tools.find((t) => t.name === 'echo');
      assert.deepEqual([echo?.exposedName, echo?.visibility], ['everything__echo', 'visible'], JSON.stringify(tools.map((t) => t.name)));
      // The definition the Servers view's details show: as the model is sent it.
      assert.equal(echo?.definition?.name, 'everything__echo');
      assert.equal((echo?.definition?.inputSchema as { type?: unknown } | undefined)?.type, 'object');
      assert.ok(Number.isSafeInteger(echo?.tokens) && echo!.tokens! > 0);

      // A hot reload that adds a server: the gateway lists again and reports it.
      const added = inventoryOf('extra', stderr);
      const reload = { proxy: { transport: 'stdio', upstreams: [...config.proxy.upstreams, { name: 'extra', command: fixtureServer('--name', 'extra') }] } };
      const [result] = await server.applyConfig({ config: reload, configBase, version: 'v2' });
      assert.deepEqual(result?.result, { applied: true, problems: [] });
      assert.ok((await added).tools.some((t) => t.exposedName === 'extra__echo'));
    } finally {
      gateway.stdin.end();
    }
    assert.equal(await exited, 0, stderr.join('').slice(-2000));
    assert.equal(Buffer.concat(stdout).length, 0, `stdout carried: ${Buffer.concat(stdout).toString().slice(0, 500)}`);
  });
});
