// Property (process level): random sequences of valid and hostile messages from the client and from
// two hostile upstreams never crash the gateway, every client request is answered exactly once,
// nothing a security plugin stopped is forwarded or logged, and stdout carries only protocol lines.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { writeConfig } from '../process/harness';
import { assertNoOrphans, checkProperty, eventually, hostileServer, killAll, WireClient } from './helpers';
import { clientStep, EMAIL, IdSource, owedAnswers, SECRET, upstreamLine, type ClientStep } from './traffic';

/** Runs (one gateway process each) and steps per run: bounded so the suite stays fast on CI. */
const RUNS = 25;
const MIN_STEPS = 40;
const MAX_STEPS = 300;

/** Totals over all runs, printed at the end (docs/reliability.md quotes them). */
const totals = { runs: 0, secureRuns: 0, clientLines: 0, upstreamLines: 0, requestsAnswered: 0, relayedRequests: 0, maxExitMs: 0 };

function responseKey(message: Record<string, unknown>): string | undefined {
  return 'method' in message || !('result' in message || 'error' in message) ? undefined : JSON.stringify(message.id);
}

/**
 * Two hostile upstreams. With `secure`, a blocking secrets filter, a redacting PII filter and a JSONL
 * audit log with bodies; without, nothing between client and servers (so over-deep messages reach
 * the serializer instead of being stopped by a plugin that cannot scan them).
 */
function scenarioConfig(dir: string, tag: string, secure: boolean): string {
  const upstreams = [
    { name: 'h', command: hostileServer('--name', 'h', '--record', path.join(dir, 'h.received'), '--tag', tag) },
    {
      name: 'g',
      command: hostileServer('--name', 'g', '--record', path.join(dir, 'g.received'), '--description', `Echo. Contact ${EMAIL} for help.`, '--instructions', `Ask ${EMAIL}.`, '--tag', tag),
    },
  ];
  const plugins = {
    security: {
      _global: [
        { handler: 'basic_secrets_filter', config: { action: 'block' } },
        { handler: 'basic_pii_filter', config: { action: 'redact', pii_types: { email: { enabled: true } } } },
      ],
    },
    auditing: {
      _global: [
        {
          handler: 'audit_jsonl',
          config: { output_file: path.join(dir, 'audit.jsonl'), include_request_body: true, include_response_body: true, include_notification_body: true, max_body_size: 0 },
        },
      ],
    },
  };
  return writeConfig(upstreams, secure ? { plugins } : {}, { timeouts: { connection_timeout: 20, request_timeout: 15 } });
}

/** The test client's answer to a request relayed from an upstream: valid, an error, malformed, or carrying the secret. */
function answerRelayed(request: Record<string, unknown>): unknown {
  const id = request.id;
  switch (Number(id) % 4) {
    case 0:
      return { jsonrpc: '2.0', id, result: { role: 'assistant', content: { type: 'text', text: 'fine' }, model: 'm' } };
    case 1:
      return { jsonrpc: '2.0', id, error: { code: -32601, message: 'not supported' } };
    case 2:
      return { jsonrpc: '2.0', id, result: 'malformed: not an object' };
    default:
      return { jsonrpc: '2.0', id, result: { content: { type: 'text', text: `here is ${SECRET} and ${EMAIL}` } } };
  }
}

async function runScenario(steps: ClientStep[], secure: boolean): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-fuzz-'));
  const tag = `gatekit-fuzz-${path.basename(dir)}`;
  // The audit log is not beside the config file: allowed the way a standalone user would.
  const client = new WireClient(scenarioConfig(dir, tag, secure), [], { GATEKIT_WRITABLE_ROOTS: dir });
  let relayed = 0;
  client.onRequest = (request) => {
    relayed++;
    client.send(answerRelayed(request));
  };
  try {
    const init = await client.initialize();
    assert.ok('result' in init, `initialize failed: ${JSON.stringify(init)}`);
    const ids = new IdSource();
    const owed = new Map<string, number>([['"init"', 1]]);
    let clientLines = 0;
    let upstreamLines = 0;
    for (const step of steps) {
      for (const { line, label } of step(ids)) {
        clientLines++;
        if (label.startsWith('emit ')) upstreamLines += Number(label.slice(5));
        client.sendLine(line);
        for (const key of owedAnswers(line)) owed.set(key, (owed.get(key) ?? 0) + 1);
      }
    }
    const answered = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const m of client.messages) {
        const key = responseKey(m);
        if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    };
    await eventually(
      () => [...owed].every(([key, count]) => (answered().get(key) ?? 0) >= count),
      40000,
      'every owed answer',
    ).catch((err: Error) => {
      const missing = [...owed].filter(([key, count]) => (answered().get(key) ?? 0) < count).map(([key]) => key.slice(0, 80));
      throw new Error(`${err.message}: unanswered ${missing.join(', ')}; stderr ${client.stderr.slice(-10).join(' | ').slice(0, 2000)}`);
    });
    const endedAt = Date.now();
    const exit = await client.end();
    const exitMs = Date.now() - endedAt;

    // Nothing but protocol messages on stdout, and the process ended cleanly, quickly, leaving nothing behind.
    assert.deepEqual(client.problems, []);
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr ${client.stderr.slice(-10).join(' | ')}`);
    assert.ok(exitMs < 5000, `exit took ${exitMs} ms`);
    await assertNoOrphans(tag);
    // Every client request answered exactly once; nothing answered that was not asked.
    const counts = answered();
    for (const [key, count] of owed) assert.equal(counts.get(key) ?? 0, count, `answers to id ${key.slice(0, 80)}`);
    for (const key of counts.keys()) assert.ok(owed.has(key), `answer to an id the client never used: ${key.slice(0, 80)}`);
    const stderr = client.stderr.join('\n');
    assert.doesNotMatch(stderr, /internal error|unhandled|uncaught|fatal/i);
    totals.runs++;
    totals.clientLines += clientLines;
    totals.upstreamLines += upstreamLines;
    totals.requestsAnswered += [...owed.values()].reduce((a, b) => a + b, 0);
    totals.relayedRequests += relayed;
    totals.maxExitMs = Math.max(totals.maxExitMs, exitMs);
    if (!secure) return;
    totals.secureRuns++;
    // Nothing a security plugin blocked or redacted reached the other side, the audit log or stderr.
    for (const m of client.messages) {
      const text = JSON.stringify(m);
      assert.ok(!text.includes(SECRET) && !text.includes(EMAIL), `leaked to the client: ${text.slice(0, 300)}`);
    }
    for (const server of ['h', 'g']) {
      const file = path.join(dir, `${server}.received`);
      const received = existsSync(file) ? readFileSync(file, 'utf8') : '';
      assert.ok(!received.includes(SECRET) && !received.includes(EMAIL), `forwarded to ${server} what a security plugin stopped`);
    }
    const audit = readFileSync(path.join(dir, 'audit.jsonl'), 'utf8');
    for (const line of audit.split('\n').filter(Boolean)) JSON.parse(line);
    assert.ok(!audit.includes(SECRET) && !audit.includes(EMAIL), 'the audit log holds content a security plugin stopped');
    assert.ok(!stderr.includes(SECRET) && !stderr.includes(EMAIL), 'stderr holds content a security plugin stopped');
  } finally {
    killAll(client, tag);
  }
}

describe('hardening: router and pipeline under random hostile traffic (process level)', function () {
  this.timeout(240000);

  after(() => console.log(`      totals: ${JSON.stringify(totals)}`));

  it('never crashes, answers each client request once, forwards nothing blocked, prints only protocol', async () => {
    await checkProperty(
      'hostile client + upstream sequences',
      fc.asyncProperty(fc.array(clientStep, { minLength: MIN_STEPS, maxLength: MAX_STEPS, size: 'max' }), fc.boolean(), runScenario),
      RUNS,
      // Each case is a gateway process: report the first failure (with its seed) instead of shrinking for minutes.
      { endOnFailure: true },
    );
  });

  it('generates what it claims: upstream lines include early answers, deep nesting and relayed requests', () => {
    const sample = fc.sample(upstreamLine, { numRuns: 400, seed: 1 });
    assert.ok(sample.some((l) => l.answersCall));
    assert.ok(sample.some((l) => l.line.length > 100000));
    assert.ok(sample.some((l) => l.line.toString().includes('"sampling/createMessage"')));
  });
});
