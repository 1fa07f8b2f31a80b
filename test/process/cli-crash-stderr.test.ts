// A server that dies says why on its stderr, which Claude Desktop and Cursor users never see: the
// gateway carries its last lines in the client's error, redacted by the security plugins, bounded.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RawSession, fixtureServer, realServer, writeConfig } from './harness';

/** A "server" that prints its reason (with a secret and an e-mail) and exits 3, as a missing-key crash does. */
const CRASHING = [process.execPath, '-e', "console.error('Error: missing API_KEY'); console.error('\\u001b[31mtoken AKIAZ7QH3LMN5PRS2TUV\\u001b[0m for bob@acme-corp.io'); process.exit(3)"];

const FILTERS = {
  plugins: {
    security: {
      _global: [
        { handler: 'basic_secrets_filter', config: { action: 'redact' } },
        { handler: 'basic_pii_filter', config: { action: 'redact' } },
      ],
    },
  },
};

interface ErrorAnswer {
  error: { code: number; message: string; data: Record<string, unknown> };
}

describe('process: a crashed server\'s stderr reaches the client, scanned', function () {
  this.timeout(60000);

  it('no server could start: initialize fails with each server\'s last stderr lines, secrets and e-mail redacted, colour codes gone', async () => {
    const config = writeConfig([{ name: 'bad', command: CRASHING, restart_on_failure: false }], FILTERS);
    const session = new RawSession(config);
    after(() => session.kill());
    const answer = (await session.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } })) as unknown as ErrorAnswer;
    const servers = answer.error.data.servers as { name: string; stderr: string[] }[];
    assert.deepEqual(servers[0]!.stderr, ['Error: missing API_KEY', 'token [SECRET REDACTED by Gatekit] for [EMAIL REDACTED by Gatekit]']);
    assert.equal((await session.exited).code, 1);
  });

  it('one server down: its calls fail with its stderr in data (redacted), bounded to 20 short lines', async () => {
    const flood = [process.execPath, '-e', "for (let i = 0; i < 100; i++) console.error(String(i).padEnd(400, 'x')); console.error('last: mail alice@acme-corp.io'); process.exit(2)"];
    const config = writeConfig([{ name: 'ok', command: fixtureServer() }, { name: 'bad', command: CRASHING, restart_on_failure: false }, { name: 'loud', command: flood, restart_on_failure: false }], FILTERS);
    const session = new RawSession(config);
    after(() => session.kill());
    await session.initialize();
    const bad = (await session.request(2, 'tools/call', { name: 'bad__anything', arguments: {} })) as unknown as ErrorAnswer;
    assert.equal(bad.error.code, -32004);
    assert.deepEqual(bad.error.data.stderr, ['Error: missing API_KEY', 'token [SECRET REDACTED by Gatekit] for [EMAIL REDACTED by Gatekit]']);
    const loud = (await session.request(3, 'tools/call', { name: 'loud__anything', arguments: {} })) as unknown as ErrorAnswer;
    const lines = loud.error.data.stderr as string[];
    assert.equal(lines.length, 20);
    assert.ok(lines.every((line) => line.length <= 301), 'each line cut short');
    assert.equal(lines[lines.length - 1], 'last: mail [EMAIL REDACTED by Gatekit]');
    await session.end();
  });
});

describe('process: after a restart, list_changed only for lists the client was told of', function () {
  this.timeout(60000);

  it('a server without prompts restarts: tools/ and resources/list_changed, never prompts/list_changed', async () => {
    const session = new RawSession(writeConfig([{ name: 'mem', command: realServer('memory'), env: { MEMORY_FILE_PATH: path.join(tmpdir(), `gk-mem-${process.pid}.jsonl`) } }]));
    after(() => session.kill());
    const init = (await session.initialize()) as { result: { capabilities: Record<string, unknown> } };
    assert.ok(!('prompts' in init.result.capabilities), JSON.stringify(init.result.capabilities));
    const server = execFileSync('pgrep', ['-P', String(session.child.pid)], { encoding: 'utf8' }).trim().split('\n')[0]!;
    process.kill(Number(server), 'SIGKILL');
    await session.waitFor((m) => m.method === 'notifications/tools/list_changed', 20000, 'tools/list_changed after the restart');
    await session.waitFor((m) => m.method === 'notifications/resources/list_changed', 20000, 'resources/list_changed after the restart');
    const listed = await session.request(9, 'tools/list');
    assert.ok((listed.result as { tools: unknown[] }).tools.length > 0);
    assert.deepEqual(session.messages.filter((m) => typeof m.method === 'string' && m.method.endsWith('/list_changed')).map((m) => m.method), ['notifications/tools/list_changed', 'notifications/resources/list_changed']);
    await session.end();
  });
});
