// The messages plugins see are deep read-only in the types: a plugin that edits a message in place
// instead of returning a replacement does not compile. The `@ts-expect-error` lines below are the
// test (`npm run typecheck` fails if any of them compiles); the runtime part checks that returning
// a replacement is the way that works, and leaves the original as it was.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as z from 'zod';
import { PluginHost, type PluginEntryConfig } from '../../../src/plugins/pipeline';
import type {
  AuditingPlugin,
  DeepReadonly,
  InterceptorPlugin,
  MessageContext,
  PluginDecision,
  PluginDefinition,
  ReadonlyRequest,
} from '../../../src/plugins/types';
import type { JsonRpcRequest, JsonRpcResponse } from '../../../src/shared/jsonrpc';

// Never called: they exist to be type-checked.
export const mutatingHooks: InterceptorPlugin = {
  onRequest(request, ctx) {
    // @ts-expect-error a request's method cannot be reassigned
    request.method = 'tools/list';
    // @ts-expect-error nor its params replaced
    request.params = {};
    // @ts-expect-error nor a param set inside them
    request.params!['name'] = 'other_tool';
    // @ts-expect-error the request in the context is read-only too
    ctx.request!.method = 'tools/list';
    return undefined;
  },
  onResponse(response) {
    if ('result' in response) {
      // @ts-expect-error a result member cannot be replaced
      response.result['tools'] = [];
    } else {
      // @ts-expect-error nor an error's message
      response.error.message = 'changed';
    }
    // @ts-expect-error nor the id
    response.id = 2;
    return undefined;
  },
  onNotification(notification) {
    // @ts-expect-error a notification's params cannot be cleared
    delete notification.params;
    return undefined;
  },
};

export const mutatingAuditor: AuditingPlugin = {
  record(event) {
    // @ts-expect-error the audited message is read-only as well
    event.message!.jsonrpc = '2.0';
  },
};

/** A class hook declared with the read-only type cannot edit what it got either. */
export class MutatingClassHook implements InterceptorPlugin {
  onRequest(request: ReadonlyRequest): PluginDecision<JsonRpcRequest> | undefined {
    // @ts-expect-error the parameter is read-only, so no argument can be replaced
    request.params!['arguments'] = {};
    return undefined;
  }
}

// Arrays are read-only all the way down.
export function arraysAreReadonly(value: DeepReadonly<{ tools: { name: string; tags: string[] }[] }>): void {
  // @ts-expect-error no push on a read-only array
  value.tools.push({ name: 'x', tags: [] });
  // @ts-expect-error nor on one nested in it
  value.tools[0]!.tags.push('x');
  // @ts-expect-error nor a member of an element
  value.tools[0]!.name = 'y';
}

// What compiles: a replacement built from the read-only message.
const renaming: InterceptorPlugin = {
  onRequest(request) {
    if (request.method !== 'tools/call') return undefined;
    return { modified: { ...request, params: { ...request.params, name: 'renamed_tool' } } };
  },
};

describe('read-only messages', () => {
  it('a plugin changes a message by returning a replacement; the original stays as it was', async () => {
    const definition: PluginDefinition = {
      handler: 'renaming',
      kind: 'middleware',
      displayName: 'Renaming',
      description: 'Renames every tool call (test plugin).',
      configSchema: z.strictObject({}),
      create: () => renaming,
    };
    const entry: PluginEntryConfig = { handler: 'renaming', kind: 'middleware', enabled: true, priority: 50, critical: true, options: {} };
    const dir = os.tmpdir();
    const host = new PluginHost({ middleware: { _global: [entry] } }, { find: () => definition }, { configDir: dir, resolvePath: (p) => p, log: () => undefined });
    const original: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } };
    const frozen = structuredClone(original);
    const ctx: MessageContext = { serverName: 'fs', origin: 'client' };
    const result = await host.pipelineFor('fs').processRequest(original, ctx);
    assert.equal(result.modified, true);
    assert.equal((result.message.params as { name: string }).name, 'renamed_tool');
    assert.deepEqual(original, frozen, 'the message the plugin saw is unchanged');
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: 1, result: {} };
    assert.equal((await host.pipelineFor('fs').processResponse(response, ctx)).message, response);
  });
});
