// call_approval through the built gateway: the official SDK client with and without elicitation in
// front of server-everything (whose tools carry annotations), a raw client for answers the SDK would
// not send (garbage, cancellation mid-question), and a fixture server whose definition changes.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { connectSdk, eventually, fixtureServer, RawSession, realServer, textOf, writeConfig, type SdkSession } from './harness';
import { connectHttpClient, startHttpGateway } from './http-server-harness';

// No VS Code window of another test may be asked: the control link is off in every gateway here.
const NO_CONTROL = { GATEKIT_CONTROL: 'off' };

function approvalConfig(upstream: { name: string; command: string[] }, config: Record<string, unknown>, auditFile?: string): string {
  return writeConfig([upstream], {
    plugins: {
      middleware: { _global: [{ handler: 'call_approval', config: { enabled: true, ...config } }] },
      ...(auditFile ? { auditing: { _global: [{ handler: 'audit_jsonl', config: { enabled: true, output_file: auditFile } }] } } : {}),
    },
  });
}

/** The error a denied call gets (the SDK client raises it as an McpError). */
async function denied(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: number; message?: string };
    return { code: e.code ?? 0, message: e.message ?? '' };
  }
  assert.fail('the call was not denied');
}

describe('call_approval with the SDK client and server-everything', function () {
  this.timeout(60000);

  describe('a client with elicitation', () => {
    let session: SdkSession;
    let auditFile: string;
    const asked: ElicitRequest['params'][] = [];
    let answers: ElicitResult[] = [];

    before(async () => {
      const config = approvalConfig({ name: 'everything', command: realServer('everything') }, { rules: [{ annotations: { readOnlyHint: false } }], timeout_seconds: 20 }, 'audit.jsonl');
      // A relative output file lands beside the config.
      auditFile = path.join(path.dirname(config), 'audit.jsonl');
      session = await connectSdk(config, { capabilities: { elicitation: {} }, env: NO_CONTROL });
      session.client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params);
        return answers.shift() ?? { action: 'decline' };
      });
      await session.client.listTools();
    });

    after(async () => {
      await session?.close();
    });

    it('lets a read-only tool through without asking', async () => {
      const before = asked.length;
      const result = await session.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
      assert.match(textOf(result), /hi/);
      assert.equal(asked.length, before);
    });

    it('asks about a tool that is not read-only, naming server, tool, arguments and rule; "allow once" runs it once', async () => {
      answers = [{ action: 'accept', content: { decision: 'allow_once' } }];
      const result = await session.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
      assert.ok(!result.isError, JSON.stringify(result));
      const question = asked.at(-1)!;
      assert.match(question.message, /allow the tool 'toggle-simulated-logging' of server 'everything' to run\?/);
      assert.match(question.message, /rule 1: readOnlyHint false/);
      assert.ok('requestedSchema' in question);
      assert.deepEqual((question.requestedSchema.properties.decision as { enum: string[] }).enum, ['deny', 'allow_once', 'allow_session']);
      const count = asked.length;
      answers = [{ action: 'decline' }];
      const again = await denied(session.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} }));
      assert.equal(asked.length, count + 1, 'once means once');
      assert.equal(again.code, -32000);
      assert.match(again.message, /Call denied by Call Approval: the user denied the call \(user-deny via client\); rule 1: readOnlyHint false/);
    });

    it('shows hidden characters as escapes and cuts huge values in the question', async () => {
      answers = [{ action: 'decline' }];
      const huge = 'A'.repeat(100_000);
      await denied(session.client.callTool({ name: 'everything__gzip-file-as-resource', arguments: { name: 'evil\u202Etxt.exe', data: huge } }));
      const message = asked.at(-1)!.message;
      assert.ok(!message.includes('\u202E'), 'no raw RTL override reaches the user');
      assert.match(message, /evil\\u\{202E\}txt\.exe/);
      assert.match(message, /more characters\)/);
      assert.ok(message.length < 5000, `the question is ${message.length} characters`);
    });

    it('an accept without content, or with a decision never offered, allows nothing', async () => {
      answers = [{ action: 'accept' }];
      assert.match((await denied(session.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} }))).message, /the answer was not understood: accepted without a decision \(invalid-answer via client\)/);
    });

    it('"allow for this session" covers later calls of the same tool without asking', async () => {
      answers = [{ action: 'accept', content: { decision: 'allow_session' } }];
      await session.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      const count = asked.length;
      const again = await session.client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
      assert.ok(!again.isError);
      assert.equal(asked.length, count);
    });

    it('audits each decision with who decided', async () => {
      await eventually(() => {
        try {
          return readFileSync(auditFile, 'utf8').includes('session-grant');
        } catch {
          return false;
        }
      }, 10000, 'the audit log to record the session grant');
      const text = readFileSync(auditFile, 'utf8');
      assert.match(text, /Approved by the user once \(user-once via client\)/);
      assert.match(text, /user-deny via client/);
      assert.match(text, /Approved by the user for this session \(user-session via client\)/);
      assert.match(text, /Allowed for this session earlier \(session-grant\)/);
    });
  });

  it('a client without elicitation gets a clear denial naming the plugin and the policy', async () => {
    const session = await connectSdk(approvalConfig({ name: 'everything', command: realServer('everything') }, { rules: [{ tools: ['toggle-*'] }] }), { env: NO_CONTROL });
    try {
      const echo = await session.client.callTool({ name: 'everything__echo', arguments: { message: 'still fine' } });
      assert.match(textOf(echo), /still fine/);
      const error = await denied(session.client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} }));
      assert.equal(error.code, -32000);
      assert.match(error.message, /Call denied by Call Approval: no one can be asked \(no VS Code window is connected and the client does not support elicitation\) \(no-asker\); rule 1: tool "toggle-\*"/);
    } finally {
      await session.close();
    }
  });
});

describe('call_approval with a raw client', function () {
  this.timeout(60000);
  let gateway: RawSession | undefined;
  /** Ids of questions a test answered already. */
  const handled = new Set<unknown>();

  afterEach(async () => {
    gateway?.kill();
    gateway = undefined;
    handled.clear();
  });

  function start(config: Record<string, unknown>): RawSession {
    process.env.GATEKIT_CONTROL = 'off';
    try {
      gateway = new RawSession(approvalConfig({ name: 'fx', command: fixtureServer('--mutate-description') }, config));
    } finally {
      delete process.env.GATEKIT_CONTROL;
    }
    return gateway;
  }

  const isQuestion = (m: Record<string, unknown>): boolean => m.method === 'elicitation/create';

  it('garbage answers deny: a non-object result, an unknown action, a decision of the wrong type; __proto__ in an answer is just a key', async () => {
    const raw = start({ rules: [{ tools: ['echo'] }] });
    await raw.initialize('2025-06-18', { elicitation: {} });
    // Answer texts with the question's id spliced in (as raw JSON, so `__proto__` arrives as an own key).
    const garbage = [
      '"result":"yes"',
      '"result":{"action":"allow"}',
      '"result":{"action":"accept","content":{"decision":["allow_once"]}}',
      '"result":{"action":"accept","content":{"__proto__":{"decision":"allow_once"}}}',
    ];
    for (const [index, answer] of garbage.entries()) {
      const id = `call-${index}`;
      raw.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'fx__echo', arguments: { text: 'x' } } });
      const question = await raw.waitFor((m) => isQuestion(m) && !handled.has(m.id), 15000, 'a question');
      handled.add(question.id);
      raw.sendLine(`{"jsonrpc":"2.0","id":${JSON.stringify(question.id)},${answer}}`);
      const response = await raw.response(id);
      const error = response.error as { code: number; message: string; data: { decided_by: string } } | undefined;
      assert.ok(error, `answer ${answer} must deny, got ${JSON.stringify(response)}`);
      assert.equal(error.data.decided_by, 'invalid-answer', answer);
    }
    // The gateway still serves.
    assert.ok('result' in (await raw.request('ping', 'ping')));
  });

  it('a cancelled call withdraws its question at the client; the other question stays open', async () => {
    const raw = start({ rules: [{ tools: ['echo', 'whoami'] }] });
    await raw.initialize('2025-06-18', { elicitation: {} });
    raw.send({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'fx__echo', arguments: { text: 'x' } } });
    raw.send({ jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'fx__whoami', arguments: {} } });
    const first = await raw.waitFor((m) => isQuestion(m) && String((m.params as { message: string }).message).includes("'echo'"), 15000, 'the question about echo');
    const second = await raw.waitFor((m) => isQuestion(m) && String((m.params as { message: string }).message).includes("'whoami'"), 15000, 'the question about whoami');
    assert.notEqual(first.id, second.id, 'each call has its own question');
    raw.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'a', reason: 'user stopped' } });
    const withdrawn = await raw.waitFor((m) => m.method === 'notifications/cancelled' && (m.params as { requestId: unknown }).requestId === first.id, 15000, 'the withdrawal');
    assert.ok(withdrawn);
    raw.send({ jsonrpc: '2.0', id: second.id, result: { action: 'accept', content: { decision: 'allow_once' } } });
    const answered = await raw.response('b');
    assert.ok('result' in answered, JSON.stringify(answered));
    assert.ok(!raw.messages.some((m) => m.id === 'a' && !('method' in m)), 'a cancelled call gets no answer');
  });

  it('an unanswered question times out to a denial and is withdrawn', async () => {
    const raw = start({ rules: [{ tools: ['echo'] }], timeout_seconds: 0.5 });
    await raw.initialize('2025-06-18', { elicitation: {} });
    const response = await raw.request('t', 'tools/call', { name: 'fx__echo', arguments: { text: 'x' } });
    const error = response.error as { message: string; data: { decided_by: string } };
    assert.equal(error.data.decided_by, 'timeout');
    assert.match(error.message, /no answer within 0\.5 s/);
    const question = raw.messages.find(isQuestion)!;
    await raw.waitFor((m) => m.method === 'notifications/cancelled' && (m.params as { requestId: unknown }).requestId === question.id, 15000, 'the withdrawal');
  });

  it('a session grant ends when the server changes the tool\'s definition: the next call is asked again', async () => {
    const raw = start({ rules: [{ tools: ['echo'] }] });
    await raw.initialize('2025-06-18', { elicitation: {} });
    await raw.request('l1', 'tools/list');
    const answerNext = async (decision: string): Promise<void> => {
      const question = await raw.waitFor((m) => isQuestion(m) && !handled.has(m.id), 15000, 'a question');
      handled.add(question.id);
      raw.send({ jsonrpc: '2.0', id: question.id, result: { action: 'accept', content: { decision } } });
    };
    raw.send({ jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'fx__echo', arguments: { text: 'x' } } });
    await answerNext('allow_session');
    assert.ok('result' in (await raw.response('c1')));
    assert.ok('result' in (await raw.request('c2', 'tools/call', { name: 'fx__echo', arguments: { text: 'y' } })), 'covered by the grant');
    const questions = raw.messages.filter(isQuestion).length;
    // The server changes echo's description (and says its list changed); the client lists again.
    await raw.request('ch', 'tools/call', { name: 'fx__change_tools', arguments: {} });
    const relisted = await raw.request('l2', 'tools/list');
    assert.match(JSON.stringify(relisted), /\(changed\)/);
    raw.send({ jsonrpc: '2.0', id: 'c3', method: 'tools/call', params: { name: 'fx__echo', arguments: { text: 'z' } } });
    await answerNext('deny');
    const after = await raw.response('c3');
    assert.equal((after.error as { data: { decided_by: string } }).data.decided_by, 'user-deny');
    assert.equal(raw.messages.filter(isQuestion).length, questions + 1);
  });
});

describe('call_approval over the gateway\'s HTTP server', function () {
  this.timeout(90000);

  it('each client is asked about its own calls, on its own session, and its answer decides only them', async () => {
    const gateway = await startHttpGateway([{ name: 'everything', command: realServer('everything') }], {
      env: NO_CONTROL,
      extra: { plugins: { middleware: { _global: [{ handler: 'call_approval', config: { rules: [{ tools: ['get-sum'] }] } }] } } },
    });
    try {
      const asked: Record<string, string[]> = { yes: [], no: [] };
      const clients = await Promise.all(
        (['yes', 'no'] as const).map(async (who) => {
          const client = await connectHttpClient(gateway, { elicitation: {} }, who);
          client.setRequestHandler(ElicitRequestSchema, async (request) => {
            asked[who]!.push(request.params.message);
            return who === 'yes' ? { action: 'accept', content: { decision: 'allow_once' } } : { action: 'decline' };
          });
          return client;
        }),
      );
      const [yes, no] = clients as [typeof clients[0], typeof clients[0]];
      const [allowed, refused] = await Promise.allSettled([
        yes.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } }),
        no.callTool({ name: 'everything__get-sum', arguments: { a: 3, b: 4 } }),
      ]);
      assert.equal(allowed.status, 'fulfilled', JSON.stringify(allowed));
      assert.match(textOf((allowed as PromiseFulfilledResult<unknown>).value), /3/);
      assert.equal(refused.status, 'rejected');
      assert.match(String((refused as PromiseRejectedResult).reason), /user-deny via client/);
      assert.equal(asked.yes.length, 1);
      assert.equal(asked.no.length, 1);
      assert.match(asked.yes[0]!, /a: 1/);
      assert.match(asked.no[0]!, /a: 3/);
      await Promise.allSettled(clients.map((c) => c.close()));
    } finally {
      await gateway.stop();
    }
  });
});
