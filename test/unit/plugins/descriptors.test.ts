// Descriptors vs implementations: config validation reaches descriptors only (no detector, no phone
// metadata), every descriptor has its implementation, and what plugins offer is found by key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { parseConfigText } from '../../../src/config/loader';
import { configuredLockfile } from '../../../src/gateway/pins-cli';
import { approveToolChanges, toolApprovalAnnotation } from '../../../src/plugins/capabilities';
import { approvalLockfileOf, auditLogFileOf, builtinDescriptors, descriptorHandlers, findDescriptor, offerOf, toolAllowlistPlugin } from '../../../src/plugins/descriptors';
import { findPlugin, pluginHandlers } from '../../../src/plugins/registry';
import type { InterceptorPlugin, PluginDescriptor, ToolApprovals } from '../../../src/plugins/types';

const ROOT = path.resolve(__dirname, '../../..');

describe('plugin descriptors', () => {
  it('validating a config loads no plugin implementation, detector or phone metadata', () => {
    // A fresh process: this one has loaded implementations for other tests already.
    const script = `
      const { parseConfigText } = require('./src/config/loader.ts');
      parseConfigText('proxy: {transport: stdio, upstreams: [{name: fs, command: x}]}\\nplugins:\\n  security:\\n    _global:\\n      - handler: basic_pii_filter\\n      - handler: basic_secrets_filter\\n      - handler: basic_prompt_injection_defense\\n      - handler: tool_pinning\\n  auditing:\\n    _global: [{handler: audit_jsonl}]\\n', { configDir: process.cwd(), env: {} });
      const loaded = Object.keys(require.cache).map((f) => f.slice(process.cwd().length + 1).replace(/\\\\/g, '/'));
      console.log(JSON.stringify(loaded.filter((f) => f.startsWith('src/plugins/') || f.includes('libphonenumber'))));`;
    const output = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    const loaded = JSON.parse(output.trim().split('\n').pop()!) as string[];
    const code = loaded.filter((file) => !file.endsWith('.descriptor.ts') && !['src/plugins/descriptors.ts', 'src/plugins/types.ts', 'src/plugins/safe-file.ts', 'src/plugins/auditing/audit-options.ts'].includes(file));
    assert.deepEqual(code, [], `loaded by validation: ${code.join(', ')}`);
    assert.ok(loaded.includes('src/plugins/security/basic_pii_filter.descriptor.ts'));
  });

  it('every descriptor has an implementation that describes itself the same way', () => {
    assert.deepEqual(pluginHandlers(), descriptorHandlers());
    for (const handler of descriptorHandlers()) {
      const descriptor = findDescriptor(handler)!;
      const implementation = findPlugin(handler)!;
      assert.equal(implementation.handler, handler);
      for (const key of Object.keys(descriptor) as (keyof PluginDescriptor)[]) assert.equal(implementation[key], descriptor[key], `${handler}.${key}`);
      assert.equal(typeof implementation.create, 'function');
    }
    assert.equal(findDescriptor('constructor'), undefined, 'own handlers only');
    assert.equal(findPlugin('constructor'), undefined);
  });

  it('finds what plugins offer by key, never by name', () => {
    assert.deepEqual(toolAllowlistPlugin(), { handler: 'tool_manager', kind: 'middleware', option: 'tools', toolKey: 'tool', displayNameKey: 'display_name', hiddenOption: 'hidden' });
    assert.deepEqual(offerOf({ handler: 'tool_pinning' }, 'toolApprovals'), { lockfileOption: 'lockfile', checkOptions: { trust_on_first_use: false, action: 'audit_only' } });
    assert.equal(offerOf({ handler: 'basic_pii_filter' }, 'auditLog'), undefined);
    assert.equal(offerOf({ handler: 'no_such_plugin' }, 'auditLog'), undefined);
    for (const handler of ['audit_jsonl', 'audit_csv', 'audit_human_readable']) {
      assert.equal(auditLogFileOf({ handler, options: { output_file: 'logs/a.log' } }), 'logs/a.log', handler);
    }
    assert.equal(auditLogFileOf({ handler: 'audit_jsonl', options: { output_file: '' } }), undefined);
    assert.equal(auditLogFileOf({ handler: 'audit_jsonl', options: Object.create({ output_file: 'inherited' }) }), undefined, 'own options only');
    assert.equal(auditLogFileOf({ handler: 'tool_pinning', options: { output_file: 'x' } }), undefined);
    assert.equal(approvalLockfileOf({ handler: 'tool_pinning', options: { lockfile: 'pins.json' } }), 'pins.json');
    assert.equal(approvalLockfileOf({ handler: 'tool_pinning', options: {} }), undefined);
    // A test registry's plugin offering the same is found the same way.
    const other: PluginDescriptor = { ...builtinDescriptors.tool_pinning, handler: 'my_pins', offers: { toolApprovals: { lockfileOption: 'store', checkOptions: {} } } };
    assert.equal(approvalLockfileOf({ handler: 'my_pins', options: { store: 's.json' } }, { find: (h) => (h === 'my_pins' ? other : undefined) }), 's.json');
  });

  it('declares check options that its own options schema accepts, for every plugin offering approvals', () => {
    let offering = 0;
    for (const descriptor of Object.values(builtinDescriptors)) {
      const offer = descriptor.offers?.toolApprovals;
      if (offer === undefined) continue;
      offering++;
      const parsed = descriptor.configSchema.safeParse({ ...offer.checkOptions });
      assert.ok(parsed.success, `${descriptor.handler}: ${JSON.stringify(parsed.error?.issues)}`);
    }
    assert.ok(offering > 0);
  });

  it('the pins command finds the lockfile through the approvals offer', () => {
    const text = (lockfile?: string) =>
      `proxy: {transport: stdio, upstreams: [{name: fs, command: x}]}\nplugins:\n  security:\n    fs:\n      - handler: tool_pinning\n${lockfile ? `        config: {lockfile: ${lockfile}}\n` : ''}`;
    assert.equal(configuredLockfile(parseConfigText(text('pins/fs.lock.json'), { configDir: '/cfg', env: {} })), path.resolve('/cfg', 'pins/fs.lock.json'));
    assert.equal(configuredLockfile(parseConfigText(text(), { configDir: '/cfg', env: {} })), undefined);
  });
});

describe('plugin capabilities', () => {
  function approvals(states: Record<string, 'pinned' | 'new' | 'changed'>, approved: number): ToolApprovals & { calls: unknown[] } {
    const calls: unknown[] = [];
    return {
      calls,
      approve: async (params) => {
        calls.push(params);
        return approved;
      },
      state: (_server, tool) => states[tool],
      definitions: (_server, tool) => ({ pinned: { name: tool['name'], description: 'old' }, current: { name: tool['name'], description: 'new' } }),
    };
  }

  it('approves through every plugin that offers approvals, and only those', async () => {
    const a = approvals({}, 2);
    const b = approvals({}, 1);
    const plugins: InterceptorPlugin[] = [{ toolApprovals: a }, {}, { toolApprovals: b }];
    assert.equal(await approveToolChanges(plugins, { server: 'fs', tools: ['x'] }), 3);
    assert.deepEqual(a.calls, [{ server: 'fs', tools: ['x'] }]);
    assert.equal(await approveToolChanges([{}], {}), 0);
  });

  it('annotates a tool with the first approval state any plugin knows', () => {
    const plugins: InterceptorPlugin[] = [{}, { toolApprovals: approvals({ read: 'pinned', write: 'changed', search: 'new' }, 0) }];
    assert.deepEqual(toolApprovalAnnotation(plugins, 'fs', { name: 'read' }), { pin: 'pinned' });
    assert.deepEqual(toolApprovalAnnotation(plugins, 'fs', { name: 'write' }), {
      pin: 'changed',
      reason: 'definition changed since it was approved',
      pinnedDefinition: { name: 'write', description: 'old' },
      currentDefinition: { name: 'write', description: 'new' },
    });
    assert.equal(toolApprovalAnnotation(plugins, 'fs', { name: 'search' }).pin, 'new');
    assert.deepEqual(toolApprovalAnnotation(plugins, 'fs', { name: 'other' }), { pin: 'none' });
    assert.deepEqual(toolApprovalAnnotation([{}], 'fs', { name: 'read' }), { pin: 'none' });
    assert.deepEqual(toolApprovalAnnotation(plugins, 'fs', { name: 42 }), { pin: 'none' });
  });
});
