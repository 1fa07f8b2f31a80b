// The views gateway's process owner: start, stop the way VS Code stops MCP servers, restart after crashes.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostGateway, type HostGatewayOptions } from '../../src/extension/host-gateway';

type Exit = { code: number | null; signal: NodeJS.Signals | null; expected: boolean };

function nextExit(gateway: HostGateway, ms = 10_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no exit')), ms);
    const subscription = gateway.onDidExit((exit) => {
      clearTimeout(timer);
      subscription.dispose();
      resolve(exit);
    });
  });
}

describe('extension views gateway process', () => {
  let temp: string;
  const gateways: HostGateway[] = [];
  const logs: string[] = [];
  let onLog: ((message: string) => void) | undefined;

  /** Resolves with the first log line (already logged or coming) that matches. */
  function logLine(pattern: RegExp): Promise<string> {
    const seen = logs.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      onLog = (message) => {
        if (pattern.test(message)) resolve(message);
      };
    });
  }

  function script(name: string, body: string): string {
    const file = path.join(temp, name);
    writeFileSync(file, body);
    return file;
  }

  function create(gatewayScript: string, overrides: Partial<HostGatewayOptions> = {}): HostGateway {
    const gateway = new HostGateway({
      gatewayScript,
      nodePath: process.execPath,
      environment: () => ({ GATEKIT_TEST_MARKER: 'yes' }),
      log: (_level, message) => {
        logs.push(message);
        onLog?.(message);
      },
      stopGraceMs: 300,
      ...overrides,
    });
    gateways.push(gateway);
    return gateway;
  }

  beforeEach(() => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-host-gateway-'));
    logs.length = 0;
  });
  afterEach(async () => {
    for (const g of gateways.splice(0)) await g.dispose();
    rmSync(temp, { recursive: true, force: true });
  });

  it('runs the gateway in control-only mode with the configured environment, and stops it by ending stdin', async () => {
    const file = script('gw.js', `
      process.stderr.write(JSON.stringify({ args: process.argv.slice(2), marker: process.env.GATEKIT_TEST_MARKER, electron: process.env.ELECTRON_RUN_AS_NODE }) + '\\n');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    `);
    const gateway = create(file);
    const started = logLine(/"args"/);
    gateway.start();
    assert.ok(gateway.running);
    const line = JSON.parse((await started).replace(/^\[views gateway\] /, ''));
    assert.deepEqual(line, { args: ['--control-only'], marker: 'yes', electron: '1' });
    const exit = nextExit(gateway);
    await gateway.stop();
    assert.deepEqual(await exit, { code: 0, signal: null, expected: true });
    assert.equal(gateway.running, false);
  });

  it('escalates to SIGTERM when the gateway ignores the end of stdin', async () => {
    const file = script('stubborn.js', `process.stdin.resume(); setInterval(() => {}, 1000);`);
    const gateway = create(file);
    gateway.start();
    const exit = nextExit(gateway);
    await gateway.stop();
    assert.equal((await exit).signal, 'SIGTERM');
  });

  it('restarts a crashing gateway a few times, then gives up', async () => {
    const file = script('crash.js', `process.exit(3);`);
    const gateway = create(file, { maxRestarts: 2 });
    const exits: Exit[] = [];
    const gaveUp = new Promise<void>((resolve) => {
      gateway.onDidExit((exit) => {
        exits.push(exit);
        if (exits.length === 3) resolve();
      });
    });
    gateway.start();
    await gaveUp;
    // After the third exit nothing is scheduled any more: a restart would need the user.
    assert.deepEqual(exits.map((e) => [e.code, e.expected]), [[3, false], [3, false], [3, false]]);
    assert.ok(logs.some((l) => /keeps exiting/.test(l)));
    assert.equal(gateway.running, false);
  });
});
