// Asking through elicitation (src/gateway/approval-asking.ts) and how arguments are shown
// (src/shared/approval-text.ts): what the client is sent, what its answers mean, withdrawal.
import assert from 'node:assert/strict';
import { answerOf, ClientElicitor, elicitationParams } from '../../src/gateway/approval-asking';
import { renderArgumentsInFull, summarizeArguments } from '../../src/shared/approval-text';
import type { JsonRpcMessage } from '../../src/shared/jsonrpc';
import type { ApprovalQuestion } from '../../src/plugins/types';

const QUESTION: ApprovalQuestion = { server: 'fs', tool: 'write_file', arguments: { path: '/a' }, reason: 'rule 1: tool "write_*"', timeoutMs: 60_000, offerSession: true };

describe('approval questions through elicitation', () => {
  it('names the tool and server with hidden characters escaped and huge names cut', () => {
    const { message } = elicitationParams({ ...QUESTION, tool: `rm\u202E${'x'.repeat(10_000)}` }) as { message: string };
    assert.ok(!message.includes('\u202E'));
    assert.match(message, /allow the tool 'rm\\u\{202E\}x+…' of server 'fs'/);
    assert.ok(message.length < 1000, `${message.length} characters`);
  });

  it('offers only the decisions allowed, deny first and by default', () => {
    const schema = (elicitationParams({ ...QUESTION, offerSession: false }) as { requestedSchema: { properties: { decision: { enum: string[]; default: string } } } }).requestedSchema;
    assert.deepEqual(schema.properties.decision.enum, ['deny', 'allow_once']);
    assert.equal(schema.properties.decision.default, 'deny');
  });

  it('reads answers strictly: only accept with an offered decision allows', () => {
    const answer = (result: unknown, offerSession = true): string => answerOf({ jsonrpc: '2.0', id: 'x', result } as never, offerSession).decision;
    assert.equal(answer({ action: 'accept', content: { decision: 'allow_once' } }), 'allow_once');
    assert.equal(answer({ action: 'accept', content: { decision: 'allow_session' } }), 'allow_session');
    assert.equal(answer({ action: 'accept', content: { decision: 'allow_session' } }, false), 'invalid');
    assert.equal(answer({ action: 'decline' }), 'deny');
    assert.equal(answer({ action: 'cancel' }), 'deny');
    assert.equal(answer({ action: 'accept' }), 'invalid');
    assert.equal(answer({ action: 'accept', content: JSON.parse('{"__proto__": {"decision": "allow_once"}}') as unknown }), 'invalid');
    assert.equal(answer({ action: 'accept', content: { decision: 'ALLOW_ONCE' } }), 'invalid');
    assert.equal(answer('accept'), 'invalid');
    assert.equal(answerOf({ jsonrpc: '2.0', id: 'x', error: { code: -1, message: 'no' } }, true).decision, 'failed');
  });

  it('withdraws a question at the client, ignores a late answer, and leaves other responses to the router', async () => {
    const sent: JsonRpcMessage[] = [];
    const elicitor = new ClientElicitor((message) => sent.push(message));
    const abort = new AbortController();
    const asking = elicitor.ask(QUESTION, abort.signal);
    const id = (sent[0] as { id: string }).id;
    abort.abort();
    assert.deepEqual(await asking, { decision: 'cancelled', by: 'client', detail: 'question withdrawn' });
    assert.deepEqual(sent[1], { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'The tool call no longer waits for this answer' } });
    assert.equal(elicitor.onClientResponse({ jsonrpc: '2.0', id, result: { action: 'accept', content: { decision: 'allow_once' } } }), true, 'ours, and void');
    assert.equal(elicitor.onClientResponse({ jsonrpc: '2.0', id: 7, result: {} }), false);
    assert.equal(elicitor.onClientResponse({ jsonrpc: '2.0', id: 'other', result: {} }), false);
  });

  it('answers every open question as cancelled when the session ends', async () => {
    const elicitor = new ClientElicitor(() => undefined);
    const asking = [elicitor.ask(QUESTION, new AbortController().signal), elicitor.ask(QUESTION, new AbortController().signal)];
    elicitor.close();
    assert.deepEqual((await Promise.all(asking)).map((a) => a.decision), ['cancelled', 'cancelled']);
  });
});

describe('arguments as the person sees them', () => {
  it('one line per argument, controls and bidi overrides escaped, long values cut with the count', () => {
    const summary = summarizeArguments({ path: 'a\u202Eb\u200B', note: 'line1\nline2', big: 'x'.repeat(500), n: 3 });
    assert.deepEqual(summary.lines.slice(0, 2), ['path: "a\\u{202E}b\\u{200B}"', 'note: "line1\\nline2"']);
    assert.match(summary.lines[2]!, /^big: "x{199}… \(302 more characters\)$/);
    assert.equal(summary.lines[3], 'n: 3');
    assert.equal(summary.truncated, true);
  });

  it('lists at most a dozen arguments, counts the rest, and shows odd shapes as one line', () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const summary = summarizeArguments(many);
    assert.equal(summary.lines.length, 13);
    assert.equal(summary.lines[12], '… and 8 more arguments');
    assert.deepEqual(summarizeArguments(undefined).lines, ['(no arguments)']);
    assert.deepEqual(summarizeArguments(['a']).lines, ['["a"]']);
    assert.deepEqual(summarizeArguments(JSON.parse('{"__proto__": "p"}')).lines, ['__proto__: "p"']);
  });

  it('the whole call as pretty JSON with hidden characters escaped', () => {
    assert.equal(renderArgumentsInFull({ a: 'x\u202E' }), '{\n  "a": "x\\u{202E}"\n}\n');
  });
});
