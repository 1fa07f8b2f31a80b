// The audit plugins behind the real pipeline: sensitive content kept out, critical failures surfaced.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { passThrough, PluginFailure, PluginHost, type PluginEntryConfig } from '../../../../src/plugins/pipeline';
import { findPlugin } from '../../../../src/plugins/registry';
import type { AuditEvent, MessageContext, PipelineResult, PluginDefinition } from '../../../../src/plugins/types';
import type { JsonRpcRequest } from '../../../../src/shared/jsonrpc';
import { FIXED_TIME, tempDir, testEnv, type LoggedRecord } from './helpers';

const SECRET = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';

/** A stand-in security plugin: blocks requests naming the secret in `block`, redacts it elsewhere. */
const fakeSecrets: PluginDefinition<Record<string, never>> = {
  handler: 'fake_secrets',
  kind: 'security',
  displayName: 'Fake Secrets',
  description: 'test double',
  configSchema: z.strictObject({}),
  create: () => ({
    onRequest(request: JsonRpcRequest) {
      const text = JSON.stringify(request.params);
      if (!text.includes(SECRET)) return { allowed: true };
      if ((request.params?.arguments as { mode?: string } | undefined)?.mode === 'block') {
        return { allowed: false, reason: `GitHub token ${SECRET} found` };
      }
      const redacted = JSON.parse(text.split(SECRET).join('[SECRET REDACTED by Gatekit]')) as Record<string, unknown>;
      return { allowed: true, modified: { ...request, params: redacted }, reason: `redacted ${SECRET}` };
    },
  }),
};

function entry(handler: string, kind: PluginEntryConfig['kind'], options: unknown, critical = true): PluginEntryConfig {
  return { handler, kind, enabled: true, priority: 50, critical, options };
}

/** The event the gateway builds from a pipeline result: the log-safe message only. */
function eventFor(request: JsonRpcRequest, result: PipelineResult<JsonRpcRequest>): AuditEvent {
  return {
    type: 'request',
    timestamp: FIXED_TIME,
    serverName: 'gh',
    origin: 'client',
    requestId: request.id,
    method: request.method,
    tool: request.params?.name as string,
    ...(result.outcome === 'blocked' ? {} : { message: result.message }),
    pipeline: result,
  };
}

describe('audit plugins in the pipeline', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.dispose());

  it('logs neither blocked nor redacted originals in any format, bodies enabled', async () => {
    const env = testEnv(tmp.dir);
    const host = new PluginHost(
      {
        security: { _global: [entry('fake_secrets', 'security', {})] },
        auditing: {
          _global: [
            entry('audit_jsonl', 'auditing', findPlugin('audit_jsonl')!.configSchema.parse({ output_file: 'a.jsonl', include_request_body: true, max_body_size: 0 })),
            entry('audit_csv', 'auditing', findPlugin('audit_csv')!.configSchema.parse({ output_file: 'a.csv' })),
            entry('audit_human_readable', 'auditing', findPlugin('audit_human_readable')!.configSchema.parse({ output_file: 'a.log' })),
          ],
        },
      },
      { find: (h) => (h === 'fake_secrets' ? fakeSecrets : findPlugin(h)) },
      env,
    );
    const pipeline = host.pipelineFor('gh');
    const ctx: MessageContext = { serverName: 'gh', origin: 'client' };
    for (const mode of ['block', 'redact']) {
      const request: JsonRpcRequest = { jsonrpc: '2.0', id: mode, method: 'tools/call', params: { name: 'echo', arguments: { mode, text: `token ${SECRET}` } } };
      const result = await pipeline.processRequest(request, { ...ctx, requestId: request.id });
      await pipeline.audit(eventFor(request, result));
    }
    await host.close();
    for (const file of ['a.jsonl', 'a.csv', 'a.log']) {
      const text = readFileSync(path.join(tmp.dir, file), 'utf8');
      assert.equal(text.includes(SECRET), false, `${file} holds the secret`);
      assert.equal(text.includes(SECRET.slice(0, 12)), false, `${file} holds part of the secret`);
    }
    const [blocked, redacted] = readFileSync(path.join(tmp.dir, 'a.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as LoggedRecord);
    assert.equal(blocked!.event_type, 'SECURITY_BLOCK');
    assert.equal('request_body' in blocked!, false);
    assert.equal(redacted!.event_type, 'REQUEST_MODIFIED');
    assert.equal(redacted!.request_body.arguments.text, 'token [SECRET REDACTED by Gatekit]');
  });

  it('fails a critical audit plugin that cannot write, and only logs a non-critical one', async () => {
    const blockedPath = path.join(tmp.dir, 'is-a-folder');
    mkdirSync(blockedPath);
    const options = findPlugin('audit_jsonl')!.configSchema.parse({ output_file: blockedPath });
    const env = testEnv(tmp.dir);
    const build = (critical: boolean) =>
      new PluginHost({ auditing: { _global: [entry('audit_jsonl', 'auditing', options, critical)] } }, { find: findPlugin }, env);
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const passed: PipelineResult<JsonRpcRequest> = passThrough(request);

    const critical = build(true);
    await assert.rejects(critical.pipelineFor('gh').audit(eventFor(request, passed)), (err: unknown) => err instanceof PluginFailure && err.critical);
    await critical.close();

    const lenient = build(false);
    env.logs.length = 0;
    await lenient.pipelineFor('gh').audit(eventFor(request, passed));
    assert.match(env.logs.join('\n'), /audit_jsonl.*not a regular file/);
    await lenient.close();
  });
});
