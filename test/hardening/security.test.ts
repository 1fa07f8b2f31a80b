// Security properties at the process level: no shell, owner-only audit files, nothing a security
// plugin stopped in the traffic view (the real control server), the logs or the audit files, the
// control link refusing a wrong token, and no file written outside the paths the config names.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { ControlServer } from '../../src/extension/control-server';
import type { TrafficEvent } from '../../src/shared/protocol';
import { fixtureServer, textOf, writeConfig } from '../process/harness';
import { assertNoOrphans, eventually, hostileServer, killAll, WireClient } from './helpers';
import { EMAIL, SECRET } from './traffic';

const hex = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('hex');

/** Every file below `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

const live = new Map<WireClient, string>();
function track(client: WireClient, tag: string): WireClient {
  live.set(client, tag);
  return client;
}

describe('hardening: security checks (process level)', function () {
  this.timeout(60000);
  afterEach(() => {
    for (const [client, tag] of live) killAll(client, tag);
    live.clear();
  });

  it('starts upstreams without a shell: metacharacters reach the server literally and run nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-noshell-'));
    const tag = `gatekit-noshell-${path.basename(dir)}`;
    const name = `$(touch ${path.join(dir, 'pwned1')}); touch ${path.join(dir, 'pwned2')} | \`touch ${path.join(dir, 'pwned3')}\``;
    const client = track(
      new WireClient(
        writeConfig([
          { name: 'lit', command: fixtureServer('--name', name, '--tag', tag), cwd: dir },
          { name: 'bad', command: [`${process.execPath} -e "require('fs').writeFileSync('${path.join(dir, 'pwned4')}', '')"`, '--tag', tag] },
        ]),
      ),
      tag,
    );
    const init = await client.initialize();
    assert.ok(JSON.stringify(init).includes('"server":"bad"'), 'a command line with spaces is a (missing) program name, not a shell command');
    const who = await client.request(1, 'tools/call', { name: 'lit__whoami', arguments: {} });
    assert.equal(JSON.parse(textOf(who.result)).name, name);
    assert.equal((await client.end()).code, 0);
    await assertNoOrphans(tag);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('creates audit files owner-only (0600 in a new 0700 folder), even under umask 000', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-modes-'));
    const logs = path.join(dir, 'new', 'logs');
    const audit = (handler: string, file: string): unknown => ({ handler, config: { output_file: path.join(logs, file) } });
    const config = writeConfig([{ name: 'a', command: fixtureServer('--name', 'a') }], {
      plugins: { auditing: { _global: [audit('audit_jsonl', 'a.jsonl'), audit('audit_csv', 'a.csv'), audit('audit_human_readable', 'a.log')] } },
      logging: { handlers: ['file'], file_path: path.join(dir, 'other', 'gatekit.log') },
    });
    const previous = process.umask(0);
    let client: WireClient;
    try {
      // The audit folder is not beside the config file: allowed the way a standalone user would.
      client = new WireClient(config, [], { GATEKIT_WRITABLE_ROOTS: dir });
    } finally {
      process.umask(previous);
    }
    await client.initialize();
    await client.request(1, 'tools/call', { name: 'a__echo', arguments: { text: 'hello' } });
    assert.equal((await client.end()).code, 0);
    if (process.platform === 'win32') return;
    for (const folder of [path.join(dir, 'new'), logs, path.join(dir, 'other')]) assert.equal(statSync(folder).mode & 0o777, 0o700, folder);
    for (const file of ['a.jsonl', 'a.csv', 'a.log']) assert.equal(statSync(path.join(logs, file)).mode & 0o777, 0o600, file);
    assert.equal(statSync(path.join(dir, 'other', 'gatekit.log')).mode & 0o777, 0o600);
  });

  it('shows nothing a security plugin blocked or redacted in the traffic view, the logs or the audit files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-noleak-'));
    const tag = `gatekit-noleak-${path.basename(dir)}`;
    const serverLog: string[] = [];
    const server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1_000_000, log: (level, message) => serverLog.push(`${level} ${message}`), socketParentDir: dir });
    const events: TrafficEvent[] = [];
    server.onTraffic(({ params }) => events.push(...params.events));
    try {
      const bodies = { include_request_body: true, include_response_body: true, include_notification_body: true, max_body_size: 0 };
      const config = writeConfig([{ name: 'h', command: hostileServer('--name', 'h', '--description', `Mail ${EMAIL}`, '--tag', tag) }], {
        plugins: {
          security: {
            _global: [
              { handler: 'basic_secrets_filter', config: { action: 'block' } },
              { handler: 'basic_pii_filter', config: { action: 'redact' } },
            ],
          },
          auditing: {
            _global: [
              { handler: 'audit_jsonl', config: { output_file: path.join(dir, 'audit.jsonl'), ...bodies } },
              { handler: 'audit_csv', config: { output_file: path.join(dir, 'audit.csv') } },
              { handler: 'audit_human_readable', config: { output_file: path.join(dir, 'audit.log') } },
            ],
          },
        },
        logging: { handlers: ['stderr', 'file'], file_path: path.join(dir, 'gatekit.log') },
      });
      const client = track(new WireClient(config, ['--verbose'], { ...server.gatewayEnvironment(), GATEKIT_CONTROL: '', GATEKIT_WRITABLE_ROOTS: dir }), tag);
      client.onRequest = (request) => client.send({ jsonrpc: '2.0', id: request.id, result: { content: { type: 'text', text: `reply ${SECRET} ${EMAIL}` } } });
      await eventually(() => server.sessions().length === 1, 10000, 'the gateway on the control link');
      await client.initialize();
      const calls: [string, Record<string, unknown>][] = [
        ['h__echo', { text: `token ${SECRET}` }],
        ['h__echo', { text: `mail ${EMAIL}` }],
        ['h__emit', { lines: [hex({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `leak ${SECRET}` } }), hex({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `mail ${EMAIL}` } })] }],
        ['h__emit', { lines: [Buffer.from(`{"jsonrpc":"2.0","id":$ID,"result":{"content":[{"type":"text","text":"early ${SECRET}"}]}}`).toString('hex')], answer: false }],
        ['h__emit', { lines: [hex({ jsonrpc: '2.0', id: 'ask', method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: `ask ${EMAIL}` } }], maxTokens: 5 } })] }],
        ['h__concat', { parts: ['ghp_', SECRET.slice(4)] }],
        ['h__concat', { parts: [EMAIL.slice(0, 5), EMAIL.slice(5)] }],
      ];
      for (const [index, [name, args]] of calls.entries()) await client.request(index + 1, 'tools/call', { name, arguments: args });
      await client.request('list', 'tools/list');
      await eventually(() => events.some((e) => e.decision === 'blocked') && events.some((e) => e.decision === 'redacted') && events.length >= calls.length, 10000, 'traffic events');
      assert.equal((await client.end()).code, 0);
      await assertNoOrphans(tag);

      const answers = client.messages.map((m) => JSON.stringify(m)).join('\n');
      const places: [string, string][] = [
        ['client', answers],
        ['traffic view', JSON.stringify(events)],
        ['extension log', serverLog.join('\n')],
        ['gateway stderr', client.stderr.join('\n')],
        ['gateway log file', readFileSync(path.join(dir, 'gatekit.log'), 'utf8')],
        ['audit.jsonl', readFileSync(path.join(dir, 'audit.jsonl'), 'utf8')],
        ['audit.csv', readFileSync(path.join(dir, 'audit.csv'), 'utf8')],
        ['audit.log', readFileSync(path.join(dir, 'audit.log'), 'utf8')],
      ];
      for (const [where, text] of places) {
        assert.ok(!text.includes(SECRET), `${where} shows the blocked secret`);
        assert.ok(!text.includes(EMAIL), `${where} shows the redacted e-mail address`);
      }
      assert.ok(answers.includes('[EMAIL REDACTED by Gatekit]') && answers.includes('Request blocked'), 'the plugins were at work');
    } finally {
      server.dispose();
    }
  });

  it('the control server refuses a gateway with a wrong token; the gateway keeps serving MCP', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-token-'));
    const serverLog: string[] = [];
    const server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: (_level, message) => serverLog.push(message), socketParentDir: dir });
    try {
      const tag = `gatekit-token-${path.basename(dir)}`;
      const client = track(
        new WireClient(writeConfig([{ name: 'a', command: fixtureServer('--name', 'a', '--tag', tag) }]), [], { GATEKIT_CONTROL: '', GATEKIT_CONTROL_SOCKET: server.socketPath, GATEKIT_CONTROL_TOKEN: 'not-the-token' }),
        tag,
      );
      await client.initialize();
      await eventually(() => serverLog.some((l) => l.includes('wrong token')), 10000, 'the refusal');
      const call = await client.request(1, 'tools/call', { name: 'a__echo', arguments: { text: 'still serving' } });
      assert.equal(textOf(call.result), 'still serving');
      assert.equal(server.sessions().length, 0);
      if (process.platform !== 'win32') assert.equal(statSync(server.socketPath).mode & 0o077, 0, 'socket owner-only');
      assert.equal((await client.end()).code, 0);
      await assertNoOrphans(tag);
    } finally {
      server.dispose();
    }
  });

  it('writes only where the config says: nothing in the working folder, nothing in home but its private code cache, protocol only on stdout even if a log path names it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gatekit-paths-'));
    const [configDir, cwd, home] = ['config', 'cwd', 'home'].map((d) => path.join(root, d));
    for (const d of [configDir, cwd, home]) mkdirSync(d);
    const configFile = path.join(configDir, 'gatekit.yaml');
    const tag = `gatekit-paths-${path.basename(root)}`;
    const protocolChannel = { handler: 'audit_human_readable', config: { output_file: '/dev/stdout', critical: false } };
    const writeConfigFile = (withProtocolChannel: boolean): void =>
      writeFileSync(
        configFile,
        stringify({
          // A chatty server: its stderr and stray stdout become gateway log lines, which must not reach our stdout.
          proxy: { transport: 'stdio', upstreams: [{ name: 'a', command: fixtureServer('--name', 'a', '--stderr-chatter', '--noise', '--tag', tag) }] },
          plugins: {
            security: { a: [{ handler: 'tool_pinning', config: {} }] },
            auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: 'logs/audit.jsonl' } }, ...(withProtocolChannel ? [protocolChannel] : [])] },
          },
          logging: withProtocolChannel ? { handlers: ['file'], file_path: '/dev/stdout' } : { handlers: ['stderr'] },
        }),
      );
    // A path that is the protocol channel itself must be refused, never written: the configuration is
    // invalid (outside the config folder, and a link), so the gateway answers with that error only.
    writeConfigFile(true);
    const refused = track(new WireClient(configFile, [], { HOME: home, USERPROFILE: home, XDG_CACHE_HOME: '' }, { cwd, realPipe: process.platform !== 'win32' }), tag);
    const refusal = await refused.request('init', 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    const refusalText = JSON.stringify(refusal['error']);
    // The audit entry comes first in the file; the log path is the one more problem.
    assert.match(refusalText, /plugins\.auditing\._global\[1\]\.config\.output_file.*'\/dev\/stdout' cannot be written/);
    assert.match(refusalText, /and 1 more problem/);
    await refused.end();
    assert.deepEqual(refused.problems, [], 'stdout carried something other than protocol messages');
    writeConfigFile(false);
    const client = track(new WireClient(configFile, [], { HOME: home, USERPROFILE: home, XDG_CACHE_HOME: '' }, { cwd, realPipe: process.platform !== 'win32' }), tag);
    await client.initialize();
    for (let i = 0; i < 5; i++) await client.request(i, 'tools/call', { name: 'a__echo', arguments: { text: `x${i}` } });
    await client.request('list', 'tools/list');
    assert.equal((await client.end()).code, 0);
    await assertNoOrphans(tag);
    assert.deepEqual(client.problems, [], 'stdout carried something other than protocol messages');
    assert.deepEqual(filesUnder(cwd), []);
    // The loader's V8 code cache (src/gateway/loader.ts) is the one file of ours in the user's cache folder.
    const cacheFiles = filesUnder(home);
    assert.equal(cacheFiles.length, 1, cacheFiles.join(','));
    assert.match(cacheFiles[0]!, /^\.cache[\\/]gatekit[\\/]gateway-[0-9a-f]{16}-v[\d.]+-\w+\.v8cache$/);
    const written = filesUnder(configDir).filter((f) => f !== 'gatekit.yaml');
    assert.ok(written.includes(path.join('logs', 'audit.jsonl')), written.join(','));
    for (const file of written) assert.ok(file === path.join('logs', 'audit.jsonl') || /lock|pin/i.test(file), `unexpected file ${file}`);
    assert.ok(existsSync(path.join(configDir, 'logs', 'audit.jsonl')));
  });
});
