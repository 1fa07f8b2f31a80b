// StdioUpstreamTransport on its own, against the fixture server: the stdio side of the seam's
// contract (messages in and out, raw bytes of large lines, stderr to the log, how it ends).
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { StdioUpstreamTransport, type StdioServerSpec } from '../../../src/gateway/transport/stdio-upstream';
import { REUSABLE_LINE_BYTES } from '../../../src/gateway/transport/ndjson';
import type { CloseReason, UpstreamReceiver, Received } from '../../../src/gateway/transport/transport';
import { waitFor } from './helpers';

const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'servers', 'fixture-server.mjs');

function spec(...flags: string[]): StdioServerSpec {
  return { name: 'fx', command: [process.execPath, FIXTURE, '--name', 'fx', ...flags], maxLineBytes: 1024 * 1024 };
}

/** A receiver that records what the transport reported. */
function recorder(): UpstreamReceiver & { messages: Received[]; closes: CloseReason[] } {
  const messages: Received[] = [];
  const closes: CloseReason[] = [];
  return { messages, closes, message: (received) => messages.push(received), closed: (reason) => closes.push(reason) };
}

const initialize = { jsonrpc: '2.0' as const, id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

describe('StdioUpstreamTransport', function () {
  this.timeout(15000);

  it('carries messages both ways, reports the large ones with their bytes, and closes politely', async () => {
    const log: string[] = [];
    const transport = new StdioUpstreamTransport(spec('--stderr-chatter'), (line) => log.push(line));
    const receiver = recorder();
    await transport.connect(receiver);
    transport.send({ message: initialize });
    await waitFor(() => receiver.messages.length >= 1);
    assert.equal((receiver.messages[0]!.message as { id: number }).id, 1);
    assert.equal(receiver.messages[0]!.raw, undefined, 'a small line comes without its bytes');

    transport.send({ message: { jsonrpc: '2.0', method: 'notifications/initialized' } });
    const text = 'x'.repeat(REUSABLE_LINE_BYTES);
    transport.send({ message: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text } } } });
    await waitFor(() => receiver.messages.length >= 2);
    const big = receiver.messages[1]!;
    assert.ok(big.raw, 'a large line comes with its bytes');
    assert.deepEqual(JSON.parse(Buffer.concat(big.raw).toString('utf8')), big.message);
    assert.ok(log.some((line) => line.startsWith('[fx] ') && line.includes('stderr')), log.join('\n'));

    await transport.close();
    assert.deepEqual(receiver.closes.map(({ kind, description }) => ({ kind, description })), [{ kind: 'exited', description: 'exit code 0' }]);
    assert.ok(receiver.closes[0]!.lastOutput?.().some((line) => line.includes('stderr')), 'the last stderr lines travel with the close');
    const after = await new Promise<Error | undefined>((resolve) => transport.send({ message: initialize }, resolve));
    assert.match(String(after?.message), /input is closed/);
  });

  it('reports a command that does not exist as unreachable, after connect resolved', async () => {
    const transport = new StdioUpstreamTransport({ name: 'nope', command: ['/nonexistent/gatekit-no-such-command'], maxLineBytes: 1024 }, () => undefined);
    const receiver = recorder();
    await transport.connect(receiver);
    await waitFor(() => receiver.closes.length > 0);
    assert.equal(receiver.closes[0]!.kind, 'unreachable');
    assert.match(receiver.closes[0]!.description, /could not start '\/nonexistent\/gatekit-no-such-command'/);
  });

  it('throws from connect when there is nothing to spawn, and may be connected once only', async () => {
    assert.throws(() => new StdioUpstreamTransport({ name: 'empty', command: [], maxLineBytes: 1024 }, () => undefined).connect(recorder()), /empty command/);
    const transport = new StdioUpstreamTransport(spec(), () => undefined);
    await transport.connect(recorder());
    assert.throws(() => transport.connect(recorder()), /opened already/);
    await transport.close();
  });
});
