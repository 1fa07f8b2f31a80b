// The built gateway writes a chained JSONL audit log (`chain: true`) that continues across a
// restart of the gateway and across rotation, and `gatekit-gateway audit verify` checks it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectSdk, fixtureServer, GATEWAY, textOf, writeConfig } from './harness';

describe('process: chained JSONL audit log', function () {
  this.timeout(60000);
  let config: string;
  let dir: string;
  let log: string;

  beforeEach(() => {
    config = writeConfig([{ name: 'alpha', command: fixtureServer('--name', 'alpha') }], {
      plugins: {
        auditing: {
          _global: [{ handler: 'audit_jsonl', config: { output_file: 'logs/audit.jsonl', chain: true, max_file_size_mb: 0.004, backup_count: 20 } }],
        },
      },
    });
    dir = path.dirname(config);
    log = path.join(dir, 'logs', 'audit.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(calls: number): Promise<void> {
    const session = await connectSdk(config);
    try {
      for (let i = 0; i < calls; i++) assert.equal(textOf(await session.client.callTool({ name: 'alpha__echo', arguments: { text: `n${i}` } })), `n${i}`);
    } finally {
      await session.close();
    }
  }

  const verify = (file = log) => spawnSync(process.execPath, [GATEWAY, 'audit', 'verify', file], { encoding: 'utf8' });

  it('verifies intact over two gateway runs and rotated files, and reports an edited record at its line', async () => {
    await run(4);
    await run(4);
    const files = readdirSync(path.dirname(log)).filter((f) => f.startsWith('audit.jsonl'));
    assert.ok(files.length >= 3, `expected rotated files, got ${files.join(', ')}`);
    const intact = verify();
    assert.equal(intact.status, 0, intact.stdout + intact.stderr);
    assert.match(intact.stdout, /^\d+ records in \d+ files, chain intact \(from genesis\)/);

    // Tamper with the second record of the newest full rotated file: its third line is reported.
    const rotated = `${log}.1`;
    const lines = readFileSync(rotated, 'utf8').split('\n');
    assert.ok(lines.length >= 4, 'the rotated file holds at least three records');
    lines[1] = lines[1]!.replace('"timestamp":"2', '"timestamp":"1');
    writeFileSync(rotated, lines.join('\n'));
    const broken = verify();
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, /audit\.jsonl\.1:3: hash mismatch/);
  });

  it('exits 2 on usage errors and lists the command in --help', () => {
    assert.equal(spawnSync(process.execPath, [GATEWAY, 'audit'], { encoding: 'utf8' }).status, 2);
    assert.equal(verify(path.join(dir, 'none.jsonl')).status, 2);
    assert.match(spawnSync(process.execPath, [GATEWAY, '--help'], { encoding: 'utf8' }).stdout + spawnSync(process.execPath, [GATEWAY, '--help'], { encoding: 'utf8' }).stderr, /audit verify FILE/);
  });
});
