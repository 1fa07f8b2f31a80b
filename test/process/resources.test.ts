// Resource routing against servers that claim each other's URIs: no server takes another's reads, a
// URI two servers claim is ambiguous (in the answer and in the server status the Servers view
// shows), and no template a server sends can stall the gateway (issue #11, items 6 and 7).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ControlServer, type GatewaySession } from '../../src/extension/control-server';
import { connectSdk, GATEWAY, realServer, ROOT, writeConfig, type SdkSession } from './harness';

const CLAIMER = path.join(ROOT, 'test', 'fixtures', 'servers', 'resource-claimer.mjs');

/** The steerable resource fixture (see test/fixtures/servers/README.md). */
function claimer(name: string, options: { resources?: string[]; templates?: string[]; templateCount?: number; templatePattern?: string } = {}): { name: string; command: string[] } {
  const command = [process.execPath, CLAIMER, '--name', name, '--resources', JSON.stringify(options.resources ?? []), '--templates', JSON.stringify(options.templates ?? [])];
  if (options.templateCount) command.push('--template-count', String(options.templateCount), '--template-pattern', options.templatePattern ?? '');
  return { name, command };
}

async function readText(session: SdkSession, uri: string): Promise<string> {
  const { contents } = await session.client.readResource({ uri });
  const first = contents[0] as { text?: string; blob?: string };
  return first.text ?? `(blob) ${first.blob?.slice(0, 20)}`;
}

/** Asserts that reading `uri` is refused as ambiguous, naming each of `servers`. */
async function assertAmbiguous(session: SdkSession, uri: string, servers: string[]): Promise<void> {
  await assert.rejects(session.client.readResource({ uri }), (err: unknown) => {
    assert.ok(err instanceof McpError, String(err));
    assert.equal(err.code, -32602);
    assert.match(err.message, /ambiguous/);
    for (const server of servers) assert.ok(err.message.includes(`'${server}'`), `${server} named in: ${err.message}`);
    return true;
  });
}

describe('resource routing between servers that claim the same URIs', function () {
  this.timeout(60000);
  const sessions: SdkSession[] = [];
  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.close();
  });
  async function connect(upstreams: { name: string; command: string[] }[]): Promise<SdkSession> {
    const session = await connectSdk(writeConfig(upstreams));
    sessions.push(session);
    return session;
  }

  for (const order of ['claimer first', 'everything first']) {
    it(`a catch-all template cannot take the real server's reads (${order})`, async () => {
      const everything = { name: 'everything', command: realServer('everything') };
      const catchAll = claimer('claimer', { templates: ['{+anything}'] });
      const session = await connect(order === 'claimer first' ? [catchAll, everything] : [everything, catchAll]);
      // The server__uri form names the server: no template of another may intercept it.
      assert.match(await readText(session, 'everything__demo://resource/dynamic/text/3'), /^Resource 3:/);
      assert.equal(await readText(session, 'claimer__demo://resource/dynamic/text/3'), 'read by claimer: demo://resource/dynamic/text/3');
      // A URI the real server lists exactly is its own, whatever templates match it.
      const { resources } = await session.client.listResources();
      const listed = resources.find((r) => r.uri.startsWith('demo://resource/static/'));
      assert.ok(listed, 'the everything server lists static resources');
      assert.doesNotMatch(await readText(session, listed.uri), /read by claimer/);
      // Matched by both servers' templates and listed by neither: ambiguous, not first come.
      await assertAmbiguous(session, 'demo://resource/dynamic/text/3', ['claimer', 'everything']);
      // Only the catch-all matches: the claimer's.
      assert.equal(await readText(session, 'elsewhere://x'), 'read by claimer: elsewhere://x');
    });
  }

  it('a URI or template two servers claim is ambiguous; the server__uri form reaches each', async () => {
    const session = await connect([
      claimer('alpha', { resources: ['shared://doc', 'alpha://own'], templates: ['tpl://{id}'] }),
      claimer('beta', { resources: ['shared://doc'], templates: ['tpl://{other}'] }),
    ]);
    await assertAmbiguous(session, 'shared://doc', ['alpha', 'beta']);
    await assertAmbiguous(session, 'tpl://7', ['alpha', 'beta']);
    assert.equal(await readText(session, 'alpha__shared://doc'), 'read by alpha: shared://doc');
    assert.equal(await readText(session, 'beta__shared://doc'), 'read by beta: shared://doc');
    assert.equal(await readText(session, 'alpha://own'), 'read by alpha: alpha://own');
  });

  it('a template built to make a regex backtrack does not stall another server', async () => {
    // Twelve expressions between dashes: as `(.*?)` groups, a URI of dashes without the final `!`
    // makes a backtracking matcher try every way to split it (minutes of one blocked event loop).
    const trap = Array.from({ length: 12 }, () => '{a}').join('-') + '!';
    const session = await connect([claimer('trap', { templates: [trap] }), { name: 'everything', command: realServer('everything') }]);
    const read = session.client.readResource({ uri: '-'.repeat(64) }).then(
      () => 'answered',
      (err: unknown) => (err instanceof McpError ? `error ${err.code}` : String(err)),
    );
    const echo = await session.client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    assert.match(JSON.stringify(echo.content), /still here/);
    assert.equal(await read, 'error -32602', 'no server offers the URI');
  });

  it('thousands of templates from one server are capped (with a log line) and indexed without stalling', async () => {
    const session = await connect([
      claimer('many', { templateCount: 8000, templatePattern: 'tpl#://{id}/x' }),
      { name: 'everything', command: realServer('everything') },
    ]);
    assert.equal(await readText(session, 'tpl5://1/x'), 'read by many: tpl5://1/x');
    const { resourceTemplates } = await session.client.listResourceTemplates();
    assert.equal(resourceTemplates.filter((t) => t.uriTemplate.startsWith('tpl')).length, 8000, 'the list itself is passed on whole');
    assert.ok(session.stderr.some((line) => /\[many\] offers more than 1000 resource templates/.test(line)), session.stderr.join('\n').slice(-2000));
    // A template past the cap routes nowhere.
    await assert.rejects(session.client.readResource({ uri: 'tpl7999://1/x' }), (err: unknown) => err instanceof McpError && err.code === -32602);
    const echo = await session.client.callTool({ name: 'everything__echo', arguments: { message: 'after 8000 templates' } });
    assert.match(JSON.stringify(echo.content), /after 8000 templates/);
  });

  it('reports resources two servers offer in the server status, over the control link (the Servers view warns)', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'gatekit-ambiguity-'));
    const server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
    // The same real server configured twice: everything one offers, the other offers too.
    const config = writeConfig([
      { name: 'one', command: realServer('everything') },
      { name: 'two', command: realServer('everything') },
    ]);
    const gateway = spawn(process.execPath, [GATEWAY, '--control-only', '--config', config], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, GATEKIT_CONTROL_SOCKET: server.socketPath, GATEKIT_CONTROL_TOKEN: server.token, GATEKIT_CONTROL_DIR: temp },
    });
    const stderr: string[] = [];
    gateway.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    try {
      const session = await new Promise<GatewaySession>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ambiguity reported; stderr: ${stderr.join('').slice(-2000)}`)), 30000);
        // Resources and templates are listed one after the other: wait for both to be reported.
        const reported = (s: GatewaySession): boolean =>
          ['one', 'two'].every((name) => s.servers.find((x) => x.name === name)?.ambiguousResources?.some((entry) => entry.includes('{resourceId}')) ?? false);
        server.onServerStatus((s) => {
          if (!reported(s)) return;
          clearTimeout(timer);
          resolve(s);
        });
      });
      const one = session.servers.find((s) => s.name === 'one')!;
      assert.equal(one.state, 'running');
      assert.ok(one.ambiguousResources!.some((entry) => entry === 'demo://resource/dynamic/text/{resourceId} (also two)'), JSON.stringify(one.ambiguousResources));
      assert.ok(one.ambiguousResources!.some((entry) => /^demo:\/\/resource\/static\/document\/.+ \(also two\)$/.test(entry)), JSON.stringify(one.ambiguousResources));
      assert.ok(one.ambiguousResources!.length <= 20, 'the report is capped');
    } finally {
      gateway.stdin.end();
      await new Promise((resolve) => gateway.once('exit', resolve));
      server.dispose();
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
