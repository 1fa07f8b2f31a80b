// `gatekit-gateway pins check` (issue #18, team policy from the repository): starts the configured
// servers without a client and compares their tools with the lockfile, for CI. Exit 0 all match,
// 1 mismatch, 2 usage/config error, 3 a server did not start; the lockfile is never written.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectSdk, fixtureServer, GATEWAY, realServer, writeConfig } from './harness';

const PINNING = { plugins: { security: { _global: [{ handler: 'tool_pinning' }] } } };

function gatekit(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [GATEWAY, ...args], { encoding: 'utf8', timeout: 30000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function check(configPath: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return gatekit('pins', 'check', '--config', configPath, ...args);
}

/** Runs the gateway once with a client that lists the tools: tool pinning records them in the lockfile. */
async function listOnce(configPath: string): Promise<void> {
  const session = await connectSdk(configPath);
  try {
    await session.client.listTools();
  } finally {
    await session.close();
  }
}

function lockfileOf(configPath: string): string {
  return path.join(path.dirname(configPath), 'gatekit.lock.json');
}

describe('pins check', function () {
  this.timeout(60000);

  it('passes once the tools are pinned, fails naming a changed tool, and never writes the lockfile', async () => {
    const configPath = writeConfig(
      [
        { name: 'fx', command: fixtureServer() },
        { name: 'mem', command: realServer('memory') },
      ],
      PINNING,
    );
    await listOnce(configPath);
    const lockfile = lockfileOf(configPath);
    assert.ok(existsSync(lockfile));

    const ok = check(configPath);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /fx: ok/);
    assert.match(ok.stdout, /mem: ok/);

    // The fixture's echo tool now describes itself differently.
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/fixture-server\.mjs\n/, 'fixture-server.mjs\n        - --description\n        - Sends the text somewhere else.\n'));
    const before = readFileSync(lockfile);
    const changed = check(configPath);
    assert.equal(changed.status, 1, changed.stdout + changed.stderr);
    assert.match(changed.stdout, /CHANGED\s+fx__echo \(description\)/);
    assert.match(changed.stdout, /gatekit-gateway pins approve fx__echo --config /);
    assert.doesNotMatch(changed.stdout, /mem__/);
    assert.deepEqual(readFileSync(lockfile), before, 'check must not write the lockfile');

    const json = check(configPath, '--json');
    assert.equal(json.status, 1);
    const report = JSON.parse(json.stdout) as { ok: boolean; servers: { server: string; changed: { tool: string; fields: string[] }[]; new: string[]; missing: string[] }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(report.servers.find((s) => s.server === 'fx')?.changed, [{ tool: 'echo', fields: ['description'] }]);
    assert.deepEqual(readFileSync(lockfile), before);

    // The CI flow: the gateway records the change as pending, a reviewer approves it, check passes.
    await listOnce(configPath);
    const approve = gatekit('pins', 'approve', 'fx__echo', '--config', configPath);
    assert.equal(approve.status, 0, approve.stdout + approve.stderr);
    const again = check(configPath);
    assert.equal(again.status, 0, again.stdout + again.stderr);
  });

  it('reports every tool as new when there is no lockfile, and does not create one', () => {
    const configPath = writeConfig([{ name: 'mem', command: realServer('memory') }], PINNING);
    const result = check(configPath);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /does not exist/);
    assert.match(result.stdout, /NEW\s+mem__create_entities/);
    assert.match(result.stdout, /NEW\s+mem__read_graph/);
    assert.equal(existsSync(lockfileOf(configPath)), false);
  });

  it('reports a pinned tool the server no longer offers as missing', async () => {
    const configPath = writeConfig([{ name: 'fx', command: fixtureServer() }], PINNING);
    await listOnce(configPath);
    const lockfile = lockfileOf(configPath);
    const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { servers: Record<string, Record<string, unknown>> };
    lock.servers['fx']!['retired'] = lock.servers['fx']!['echo'];
    writeFileSync(lockfile, JSON.stringify(lock, null, 2));
    const result = check(configPath);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /MISSING\s+fx__retired/);
  });

  it('exits 3 when a server cannot start, still checking the others', async () => {
    const configPath = writeConfig(
      [
        { name: 'fx', command: fixtureServer() },
        { name: 'gone', command: [path.join(path.sep, 'nonexistent', 'mcp-server')] },
      ],
      PINNING,
    );
    await listOnce(configPath).catch(() => undefined);
    const result = check(configPath, '--timeout-ms', '15000');
    assert.equal(result.status, 3, result.stdout + result.stderr);
    assert.match(result.stdout, /gone: FAILED/);
    assert.match(result.stdout, /fx: ok/);
  });

  it('exits 2 for a config without tool pinning, an unusable config or a bad option', () => {
    const unpinned = writeConfig([{ name: 'fx', command: fixtureServer() }]);
    const noPinning = check(unpinned);
    assert.equal(noPinning.status, 2, noPinning.stdout + noPinning.stderr);
    assert.match(noPinning.stderr, /no plugin in this config pins tool definitions/);
    const missingConfig = check(path.join(path.dirname(unpinned), 'nope.yaml'));
    assert.equal(missingConfig.status, 2);
    assert.equal(check(unpinned, '--timeout-ms', 'soon').status, 2);
  });
});
