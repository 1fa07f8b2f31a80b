// Approval questions over the control link in plain Node: the gateway's ControlLink asks, the
// extension host's ControlServer answers through its handler; withdrawal, a missing handler, a
// hostile question and a hostile answer.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlLink, type ControlLinkHost, type Disposable } from '../../../src/gateway/control/link';
import { ControlServer, validQuestion, type ApprovalHandler, type GatewaySession } from '../../../src/extension/control-server';
import type { ApprovalQuestion } from '../../../src/plugins/types';
import type { AskApprovalResult } from '../../../src/shared/protocol';

const host: ControlLinkHost = {
  onTraffic: (): Disposable => ({ dispose: () => undefined }),
  onServerStatus: (): Disposable => ({ dispose: () => undefined }),
  serverStatuses: () => [],
};

const QUESTION: ApprovalQuestion = { server: 'fs', tool: 'write_file', arguments: { path: '/etc/hosts' }, reason: 'rule 1: tool "write_*"', timeoutMs: 5000, offerSession: true };

describe('approval questions over the control link', () => {
  let temp: string;
  let server: ControlServer;
  let link: ControlLink;

  beforeEach(async () => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-approval-link-'));
    server = await ControlServer.listen({ extensionVersion: 'test', maxBodyChars: 1000, log: () => undefined, socketParentDir: temp });
    const connected = new Promise<GatewaySession>((resolve) => server.onDidConnect(resolve));
    link = new ControlLink(host, { discoveryDirs: [], socket: server.socketPath, token: server.token, log: () => undefined, identity: { sessionId: 's', pid: process.pid, mode: 'stdio', version: 't', startedByExtension: true, cwd: temp, startedAt: Date.now() } });
    const linkUp = new Promise<void>((resolve) => link.onDidChangeConnection((up) => up && resolve()));
    link.start();
    await Promise.all([connected, linkUp]);
  });

  afterEach(async () => {
    await link.dispose();
    server.dispose();
    rmSync(temp, { recursive: true, force: true });
  });

  function answering(handler: ApprovalHandler): void {
    server.onApprovalRequest(handler);
  }

  it('carries the question to the handler and the decision back', async () => {
    const seen: unknown[] = [];
    answering(async (question, session) => {
      seen.push(question, session.identity.pid);
      return { decision: 'allow_session' };
    });
    const answer = await link.askApproval(QUESTION, new AbortController().signal);
    assert.deepEqual(answer, { decision: 'allow_session', by: 'vscode' });
    assert.deepEqual(seen, [{ server: 'fs', tool: 'write_file', arguments: { path: '/etc/hosts' }, reason: 'rule 1: tool "write_*"', timeoutMs: 5000, offerSession: true }, process.pid]);
  });

  it('denies while no prompt is registered, and says no one is asked when not connected', async () => {
    assert.deepEqual(await link.askApproval(QUESTION, new AbortController().signal), { decision: 'deny', by: 'vscode' });
    await link.dispose();
    assert.equal(link.askApproval(QUESTION, new AbortController().signal), undefined);
  });

  it('withdraws the question in VS Code when the call is cancelled', async () => {
    const abort = new AbortController();
    let withdrawn = false;
    // The call is cancelled while the question is on screen.
    answering((_q, _s, token) => new Promise<AskApprovalResult>((resolve) => {
      token.onCancellationRequested(() => {
        withdrawn = true;
        resolve({ decision: 'allow_once' }); // too late: the gateway no longer waits for it
      });
      abort.abort();
    }));
    const answer = await link.askApproval(QUESTION, abort.signal)!;
    assert.ok(withdrawn);
    assert.equal(answer.decision, 'cancelled');
  });

  it('an answer that is not one of the decisions, or "session" when not offered, allows nothing', async () => {
    answering(async () => ({ decision: 'yes' }) as unknown as AskApprovalResult);
    assert.equal((await link.askApproval(QUESTION, new AbortController().signal))?.decision, 'invalid');
    answering(async () => ({ decision: 'allow_session' }));
    assert.equal((await link.askApproval({ ...QUESTION, offerSession: false }, new AbortController().signal))?.decision, 'invalid');
  });

  it('arguments too large to send are left out, with their size', async () => {
    let seen: unknown;
    answering(async (question) => {
      seen = question;
      return { decision: 'deny' };
    });
    await link.askApproval({ ...QUESTION, arguments: { data: 'x'.repeat(1_100_000) } }, new AbortController().signal);
    assert.equal((seen as { arguments?: unknown }).arguments, undefined);
    assert.ok(((seen as { argumentsOmitted: number }).argumentsOmitted) > 1_100_000);
  });

  it('a malformed question is refused before anyone sees it; long strings are cut', () => {
    assert.equal(validQuestion(null), undefined);
    assert.equal(validQuestion({ server: 1, tool: 't', reason: 'r', timeoutMs: 1 }), undefined);
    assert.equal(validQuestion({ server: 's', tool: 't', reason: 'r', timeoutMs: -5 }), undefined);
    assert.equal(validQuestion({ server: 's', tool: 't', reason: 'r', timeoutMs: Number.NaN }), undefined);
    const cut = validQuestion({ server: 's'.repeat(10_000), tool: 't', reason: 'r', timeoutMs: 1e12, offerSession: 'yes' });
    assert.equal(cut?.server.length, 512);
    assert.equal(cut?.timeoutMs, 86_400_000);
    assert.equal(cut?.offerSession, false, 'only true offers a session');
  });
});
