// Fault injection at the process level: upstreams that crash, hang, answer twice or under a wrong id,
// flood, stop reading, write 100 MB without a newline or nest too deeply; a client that stops reading;
// SIGTERM under load. Each scenario also checks that a healthy server keeps answering, that stdout
// carries only protocol lines, that the gateway exits 0 within 5 s and that no process is left behind.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureServer, textOf, writeConfig, type UpstreamEntry } from '../process/harness';
import { assertNoOrphans, eventually, hostileServer, killAll, memoryOf, MiB, processesWith, WireClient } from './helpers';
import { nestedText } from './traffic';

/** Faults tried and what the gateway did, printed at the end (docs/reliability.md quotes them). */
const record: string[] = [];

interface Scenario {
  client: WireClient;
  tag: string;
  dir: string;
}

/** A gateway with the given upstreams plus a healthy `ok` server, every process tagged for the orphan check. */
async function start(
  upstreams: UpstreamEntry[],
  options: { args?: string[]; extra?: Record<string, unknown>; proxy?: Record<string, unknown>; env?: Record<string, string> } = {},
): Promise<Scenario> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-fault-'));
  const tag = `gatekit-fault-${path.basename(dir)}`;
  const tagged = [...upstreams, { name: 'ok', command: fixtureServer('--name', 'ok') }].map((u) => ({ ...u, command: [...u.command, '--tag', tag] }));
  const client = new WireClient(writeConfig(tagged, options.extra ?? {}, options.proxy ?? {}), options.args ?? [], options.env ?? {});
  live.set(client, tag);
  await client.initialize();
  assert.equal(processesWith(tag).length, tagged.length, 'every upstream is running');
  return { client, tag, dir };
}

let healthyCalls = 0;
/** The healthy server still answers (the fault stays with its own server). */
async function healthyAnswers(client: WireClient): Promise<void> {
  const id = `healthy-${++healthyCalls}`;
  const answer = await client.request(id, 'tools/call', { name: 'ok__echo', arguments: { text: id } }, 20000);
  assert.equal(textOf(answer.result), id);
}

/** Ends the session (stdin end, or SIGTERM) and checks exit 0 within 5 s, clean stdout, no orphans. */
async function finish({ client, tag }: Scenario, how: 'stdin' | 'SIGTERM' = 'stdin'): Promise<number> {
  const started = Date.now();
  if (how === 'SIGTERM') client.child.kill('SIGTERM');
  const exit = how === 'SIGTERM' ? await client.exited : await client.end();
  const took = Date.now() - started;
  assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr: ${client.stderr.slice(-8).join(' | ')}`);
  assert.ok(took < 5000, `exit took ${took} ms`);
  assert.deepEqual(client.problems, []);
  await assertNoOrphans(tag);
  live.delete(client);
  return took;
}

/** Sessions not yet finished, killed after a failed test so nothing outlives the suite. */
const live = new Map<WireClient, string>();

/** Peak memory of a gateway that only did its handshake: what every memory bound is measured from. */
let referencePeak = 0;

/** How many responses carry `id` (each request must get exactly one). */
function answersTo(client: WireClient, id: unknown): number {
  return client.answersTo(id).length;
}

describe('hardening: fault injection (process level)', function () {
  this.timeout(90000);
  after(() => console.log(`      faults:\n${record.map((r) => `        - ${r}`).join('\n')}`));

  afterEach(() => {
    for (const [client, tag] of live) killAll(client, tag);
    live.clear();
  });

  before(async () => {
    const s = await start([]);
    await healthyAnswers(s.client);
    referencePeak = memoryOf(s.client.pid).peak;
    await finish(s);
    record.push(`reference: a gateway after its handshake peaks at ${Math.round(referencePeak / MiB)} MiB resident`);
  });

  it('an upstream that crashes mid-call: calls in flight fail at once with -32004, the others keep working', async () => {
    const s = await start([{ name: 'flaky', command: fixtureServer('--name', 'flaky'), max_restart_attempts: 1 }]);
    s.client.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'flaky__slow', arguments: { ms: 60000 } } });
    s.client.send({ jsonrpc: '2.0', id: 'crash', method: 'tools/call', params: { name: 'flaky__crash', arguments: {} } });
    const started = Date.now();
    const [slow, crash] = await Promise.all([s.client.response('slow'), s.client.response('crash')]);
    assert.equal((slow.error as { code: number }).code, -32004);
    assert.equal((crash.error as { code: number }).code, -32004);
    await healthyAnswers(s.client);
    const took = await finish(s);
    record.push(`crash mid-call: both in-flight calls answered -32004 after ${Date.now() - started - took} ms; healthy server answered; exit ${took} ms`);
  });

  it('an upstream that hangs: the call times out with -32004 after request_timeout while others answer', async () => {
    const s = await start([{ name: 'hung', command: fixtureServer('--name', 'hung') }], { proxy: { timeouts: { request_timeout: 1, connection_timeout: 10 } } });
    s.client.send({ jsonrpc: '2.0', id: 'hang', method: 'tools/call', params: { name: 'hung__slow', arguments: { ms: 600000 } } });
    await healthyAnswers(s.client);
    const hang = await s.client.response('hang');
    assert.equal((hang.error as { data: { reason: string } }).data.reason, 'timeout');
    const took = await finish(s);
    record.push(`hang: answered -32004 (timeout) after request_timeout 1 s; healthy server answered meanwhile; exit ${took} ms`);
  });

  it('an upstream that answers twice or under a wrong id: the client gets exactly one answer, the right one', async () => {
    const s = await start([{ name: 'liar', command: fixtureServer('--name', 'liar') }]);
    const twice = await s.client.request(1, 'tools/call', { name: 'liar__answer_twice', arguments: {} });
    const wrong = await s.client.request('w', 'tools/call', { name: 'liar__wrong_id', arguments: {} });
    assert.equal(textOf(twice.result), 'first answer');
    assert.equal(textOf(wrong.result), 'right answer');
    // The stray answers arrive before the next one; a later call proves they were dropped, not queued.
    const after = await s.client.request(2, 'tools/call', { name: 'liar__echo', arguments: { text: 'after' } });
    assert.equal(textOf(after.result), 'after');
    assert.deepEqual([answersTo(s.client, 1), answersTo(s.client, 'w'), answersTo(s.client, 2)], [1, 1, 1]);
    assert.ok(!s.client.messages.some((m) => m.id === 1000001 || m.id === 'w-never-sent'));
    const took = await finish(s);
    record.push(`answer twice / wrong id: one answer each (the first / the right one), strays dropped; exit ${took} ms`);
  });

  it('an upstream flooding 20,000 notifications: all delivered in order, the healthy server answers meanwhile', async () => {
    const s = await start([{ name: 'noisy', command: fixtureServer('--name', 'noisy') }]);
    const started = Date.now();
    s.client.send({ jsonrpc: '2.0', id: 'flood', method: 'tools/call', params: { name: 'noisy__flood', arguments: { count: 20000 } } });
    await healthyAnswers(s.client);
    await s.client.response('flood', 60000);
    const ms = Date.now() - started;
    const flood = s.client.messages.filter((m) => m.method === 'notifications/message');
    assert.equal(flood.length, 20000);
    assert.ok(flood.every((m, i) => (m.params as { data: string }).data === `flood ${i}`), 'in order');
    const took = await finish(s);
    record.push(`flood: 20,000 notifications delivered in order in ${ms} ms (${Math.round(20000 / (ms / 1000))}/s); exit ${took} ms`);
  });

  it('an upstream that stops reading stdin: memory stays bounded, its calls fail fast with -32004, the others keep working', async () => {
    const s = await start([{ name: 'stuck', command: fixtureServer('--name', 'stuck', '--no-read') }], { args: ['--max-message-mb', '1'] });
    const base = referencePeak;
    const payload = 'y'.repeat(900 * 1024);
    const count = 200;
    for (let i = 0; i < count; i++) s.client.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'stuck__echo', arguments: { text: payload } } });
    await healthyAnswers(s.client);
    // Past the backlog limit (16 MiB here) every further call is refused at once instead of queued.
    await eventually(() => s.client.answersTo(count - 1).length === 1, 30000, 'the last call refused');
    const refused = s.client.messages.filter((m) => typeof m.id === 'number' && JSON.stringify(m.error ?? '').includes('not reading its input'));
    assert.ok(refused.length >= count - 40, `${refused.length} of ${count} refused`);
    const peak = memoryOf(s.client.pid).peak;
    assert.ok(peak - base < 180 * MiB, `gateway memory grew by ${Math.round((peak - base) / MiB)} MiB while ${Math.round((count * payload.length) / MiB)} MiB were sent`);
    await healthyAnswers(s.client);
    const took = await finish(s);
    record.push(
      `upstream stops reading: ${Math.round((count * payload.length) / MiB)} MiB sent to it, ${refused.length}/${count} calls refused at once with -32004, ` +
        `gateway memory +${Math.round((peak - base) / MiB)} MiB (unbounded before the fix: ~+395 MiB); healthy server answered; exit ${took} ms`,
    );
  });

  it('an upstream that writes 100 MB without a newline: the line is dropped unbuffered and the server keeps working', async () => {
    const s = await start([{ name: 'garbage', command: fixtureServer('--name', 'garbage', '--garbage-no-newline', '100') }]);
    const base = referencePeak;
    await eventually(() => s.client.stderr.some((l) => l.includes('too_long')), 60000, 'the over-long line reported');
    const after = await s.client.request('after', 'tools/call', { name: 'garbage__echo', arguments: { text: 'still here' } }, 30000);
    assert.equal(textOf(after.result), 'still here');
    const peak = memoryOf(s.client.pid).peak;
    // The reader holds at most one line limit (32 MiB by default) before it starts discarding.
    assert.ok(peak - base < 96 * MiB, `memory grew by ${Math.round((peak - base) / MiB)} MiB for a 100 MiB line`);
    await healthyAnswers(s.client);
    const took = await finish(s);
    record.push(`100 MiB without newline: dropped as too_long, memory +${Math.round((peak - base) / MiB)} MiB, server kept working; exit ${took} ms`);
  });

  it('nesting too deep to serialize, in either direction: answered at once (an error, or the server\'s own text), never left waiting', async () => {
    // No plugins: the deep message reaches the serializer (with security plugins it is blocked as unscannable first).
    const s = await start([{ name: 'deep', command: hostileServer('--name', 'deep') }], { proxy: { timeouts: { request_timeout: 60, connection_timeout: 10 } } });
    const started = Date.now();
    s.client.sendLine(`{"jsonrpc":"2.0","id":"in","method":"tools/call","params":{"name":"deep__echo","arguments":{"text":"x","deep":${nestedText(100000)}}}}`);
    const into = await s.client.response('in', 10000);
    assert.equal((into.error as { code: number }).code, -32603);
    // An answer forwarded unchanged is written from the server's own text (only its id is replaced),
    // so a result JSON.parse accepted reaches the client as sent, however deep.
    const out = await s.client.request('out', 'tools/call', { name: 'deep__deep', arguments: { depth: 100000, where: 'result' } }, 10000);
    assert.equal(out.error, undefined);
    assert.equal(textOf(out.result), 'deep');
    let depth = 0;
    for (let node = (out.result as { structuredContent: { value: unknown } }).structuredContent.value; typeof node === 'object' && node !== null; depth++) {
      node = Object.values(node)[0];
    }
    assert.ok(depth >= 100000, `the structured content arrived ${depth} deep`);
    const note = await s.client.request('note', 'tools/call', { name: 'deep__deep', arguments: { depth: 100000, where: 'notification' } }, 10000);
    assert.match(textOf(note.result), /sent a 100000-deep notification/);
    const ask = await s.client.request('ask', 'tools/call', { name: 'deep__deep', arguments: { depth: 100000, where: 'request' } }, 10000);
    assert.match(textOf(ask.result), /sent a 100000-deep request/);
    const ms = Date.now() - started;
    assert.ok(ms < 30000, `answered within ${ms} ms, well before request_timeout`);
    await healthyAnswers(s.client);
    const took = await finish(s);
    record.push(`100,000-deep request / notification / server request: errors at once; result passed through as sent (${ms} ms for all four, request_timeout 60 s); exit ${took} ms`);
  });

  it('an upstream flooding requests the client never answers: 1000 wait, the rest are refused at once', async () => {
    const received = path.join(mkdtempSync(path.join(tmpdir(), 'gatekit-asks-')), 'received');
    const s = await start([{ name: 'asker', command: hostileServer('--name', 'asker', '--record', received) }]);
    const count = 3000;
    const lines = Array.from({ length: count }, (_, i) =>
      Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: `ask-${i}`, method: 'sampling/createMessage', params: { messages: [], maxTokens: 1 } })).toString('hex'),
    );
    await s.client.request('asks', 'tools/call', { name: 'asker__emit', arguments: { lines } });
    const refusals = (): number => readFileSync(received, 'utf8').split('\n').filter((l) => l.includes('are waiting for the client')).length;
    await eventually(() => refusals() === count - 1000, 20000, 'the refusals reaching the server');
    await healthyAnswers(s.client);
    const relayed = s.client.messages.filter((m) => m.method === 'sampling/createMessage');
    assert.equal(relayed.length, 1000);
    // Once the client answers, the slots free up and each answer reaches the server under its own id.
    for (const request of relayed) s.client.send({ jsonrpc: '2.0', id: request.id, error: { code: -32601, message: 'no sampling here' } });
    await eventually(() => readFileSync(received, 'utf8').split('\n').filter((l) => l.includes('no sampling here')).length === 1000, 20000, 'the answers relayed back');
    const took = await finish(s);
    record.push(`server→client request flood: ${count} sampling requests the client ignored, 1000 relayed and waiting, ${count - 1000} refused at once; all 1000 answers relayed back later; exit ${took} ms`);
  });

  it('a client that stops reading: memory stays bounded, and once it reads again every request has exactly one answer', async () => {
    const s = await start([{ name: 'big', command: fixtureServer('--name', 'big') }], { args: ['--max-message-mb', '2'] });
    const base = referencePeak;
    s.client.child.stdout.pause();
    const count = 120;
    for (let i = 0; i < count; i++) s.client.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'big__big', arguments: { bytes: MiB } } });
    s.client.send({ jsonrpc: '2.0', id: 'flood', method: 'tools/call', params: { name: 'big__flood', arguments: { count: 50000 } } });
    await eventually(() => s.client.stderr.some((l) => l.includes('client is not reading')), 30000, 'the gateway noticing the stalled client');
    // Keep the client stalled while the servers push: the gateway must not buffer what they have.
    const stalledPeak = await new Promise<number>((resolve) => {
      let samples = 0;
      let peak = 0;
      const timer = setInterval(() => {
        peak = Math.max(peak, memoryOf(s.client.pid).peak);
        if (++samples === 20) {
          clearInterval(timer);
          resolve(peak);
        }
      }, 100);
    });
    assert.ok(stalledPeak - base < 180 * MiB, `memory grew by ${Math.round((stalledPeak - base) / MiB)} MiB while the client was not reading`);
    s.client.child.stdout.resume();
    await eventually(() => s.client.answersTo('flood').length === 1 && s.client.answersTo(count - 1).length === 1, 60000, 'every answer after the client reads again');
    for (let i = 0; i < count; i++) assert.equal(answersTo(s.client, i), 1, `answers to ${i}`);
    assert.ok(s.client.answersTo(0)[0]!.result, 'a real answer, not an error');
    assert.equal(s.client.messages.filter((m) => m.method === 'notifications/message').length, 50000);
    await healthyAnswers(s.client);
    const took = await finish(s);
    record.push(
      `client stops reading: ${count} MiB of answers + 50,000 notifications pending, gateway memory +${Math.round((stalledPeak - base) / MiB)} MiB while stalled ` +
        `(200 MiB pending before the fix: ~+360 MiB); after it read again all ${count} answers and 50,000 notifications arrived once; exit ${took} ms`,
    );
  });

  it('SIGTERM during heavy traffic: every audit line parses, every answered call is audited, children are gone, exit 0 within 5 s', async () => {
    const auditDir = mkdtempSync(path.join(tmpdir(), 'gatekit-sigterm-'));
    const auditFile = path.join(auditDir, 'audit.jsonl');
    const s = await start(
      [
        { name: 'a', command: fixtureServer('--name', 'a') },
        { name: 'b', command: fixtureServer('--name', 'b', '--ignore-stdin-eof', '--ignore-sigterm') },
      ],
      {
        extra: { plugins: { auditing: { _global: [{ handler: 'audit_jsonl', config: { output_file: auditFile, include_request_body: true, include_response_body: true } }] } } },
        // The audit folder is not beside the config file: allowed the way a standalone user would.
        env: { GATEKIT_WRITABLE_ROOTS: auditDir },
      },
    );
    let sent = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 50; i++) {
        const server = sent % 2 ? 'a' : 'b';
        s.client.send({ jsonrpc: '2.0', id: sent, method: 'tools/call', params: { name: `${server}__echo`, arguments: { text: `load ${sent}` } } });
        sent++;
      }
      if (sent % 500 === 0) s.client.send({ jsonrpc: '2.0', id: `flood-${sent}`, method: 'tools/call', params: { name: 'a__flood', arguments: { count: 2000 } } });
    }, 5);
    await eventually(() => s.client.messages.length > 3000, 30000, 'heavy traffic under way');
    let took: number;
    try {
      took = await finish(s, 'SIGTERM');
    } finally {
      clearInterval(pump);
    }
    // Heavy traffic can pass the default 10 MB rotation size: every rotated copy (<file>.N) counts too.
    const logFiles = readdirSync(auditDir).filter((name) => name === 'audit.jsonl' || /^audit\.jsonl\.\d+$/.test(name));
    const lines = logFiles.flatMap((name) => {
      const fileLines = readFileSync(path.join(auditDir, name), 'utf8').split('\n');
      assert.equal(fileLines.pop(), '', `${name} ends with a complete line`);
      return fileLines;
    });
    const records = lines.map((line) => JSON.parse(line) as { event_type: string; request_id: unknown });
    const audited = new Set(records.filter((r) => r.event_type === 'RESPONSE').map((r) => JSON.stringify(r.request_id)));
    const answered = s.client.messages.filter((m) => typeof m.id === 'number' && 'result' in m).map((m) => JSON.stringify(m.id));
    const missing = answered.filter((id) => !audited.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} answered calls have no RESPONSE record`);
    record.push(`SIGTERM under load (${sent} calls sent, ${answered.length} answered, one server ignoring SIGTERM): ${records.length} audit lines all parse, every answered call audited, exit 0 in ${took} ms, no orphans`);
  });
});
