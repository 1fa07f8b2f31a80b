// token_usage across processes: two built gateways count into the same state file and CSV at the
// same time; no count is lost, each has its own entry while it runs, and the totals outlive both.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectSdk, eventually, fixtureServer, textOf, writeConfig } from './harness';
import { parseState, totalsOf } from '../../src/plugins/auditing/token_usage_state';

describe('token_usage with two concurrent gateways', function () {
  this.timeout(90000);

  it('shares one state file and one CSV without losing counts', async () => {
    // Relative to the config file, which both gateways read: the same two files.
    const plugins = {
      auditing: { _global: [{ handler: 'token_usage', config: { output_file: 'usage.csv', state_file: 'state.json', flush_interval_seconds: 0.1 } }] },
    };
    const config = writeConfig([{ name: 'echo', command: fixtureServer() }], { plugins });
    const stateFile = path.join(path.dirname(config), 'state.json');
    const csvFile = path.join(path.dirname(config), 'usage.csv');
    const calls = 40;
    const [a, b] = await Promise.all([connectSdk(config), connectSdk(config)]);
    try {
      const run = async (session: typeof a, who: string): Promise<void> => {
        for (let i = 0; i < calls; i++) {
          const result = await session.client.callTool({ name: 'echo__echo', arguments: { text: `${who} call ${i} with a few words` } });
          assert.match(textOf(result), new RegExp(`${who} call ${i}`));
        }
      };
      await Promise.all([run(a, 'alpha'), run(b, 'beta')]);
      // While both run, each has its own entry.
      await eventually(() => {
        try {
          return parseState(readFileSync(stateFile, 'utf8')).instances.size === 2;
        } catch {
          return false;
        }
      }, 15000, 'two instance entries in the state file');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await eventually(() => {
      try {
        return parseState(readFileSync(stateFile, 'utf8')).instances.size === 0;
      } catch {
        return false;
      }
    }, 15000, 'both gateways retired their entries');
    const state = parseState(readFileSync(stateFile, 'utf8'));
    const echo = totalsOf(state).get('echo')!.get('echo')!;
    assert.equal(echo.calls, 2 * calls, JSON.stringify(echo));
    const rows = readFileSync(csvFile, 'utf8').trim().split('\n');
    const dataRows = rows.filter((r) => !r.startsWith('timestamp,'));
    const echoRows = dataRows.filter((r) => r.split(',')[3] === 'echo');
    assert.equal(echoRows.length, 2 * calls);
    for (const row of dataRows) assert.match(row, /^\d{4}-\d\d-\d\dT[^,]+Z,echo,[^,]+,[^,]+,\d+,\d+$/, row);
    const sum = echoRows.reduce((acc, r) => acc + Number(r.split(',')[4]), 0);
    assert.equal(echo.input_tokens, sum, 'the state agrees with the CSV');
  });
});
