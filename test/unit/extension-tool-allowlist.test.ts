// Hide Tool / Allow Tool edit the allowlist of whichever plugin's descriptor declares one
// (`offers.toolAllowlist`); the extension names no plugin. These pin down the edits.
import assert from 'node:assert/strict';
import { allowTool, hideAllTools, hideTool, isToolAllowed, renameTool, showAllTools, toolDisplayName } from '../../src/extension/tool-allowlist';
import { toolAllowlistPlugin } from '../../src/plugins/descriptors';

describe('extension: tool allowlist edits', () => {
  const offer = toolAllowlistPlugin();

  it('finds the allowlist through the descriptors: tool_manager, its `tools` option, keyed by `tool`', () => {
    assert.deepEqual(offer && { handler: offer.handler, kind: offer.kind, option: offer.option, toolKey: offer.toolKey, hiddenOption: offer.hiddenOption }, {
      handler: 'tool_manager',
      kind: 'middleware',
      option: 'tools',
      toolKey: 'tool',
      hiddenOption: 'hidden',
    });
  });

  it('hides a tool from a server without an allowlist through the hidden list, so tools added later stay visible', () => {
    const next = hideTool(undefined, 'delete');
    assert.deepEqual(next, [{ handler: 'tool_manager', config: { hidden: ['delete'] } }]);
    assert.equal(isToolAllowed(next, 'delete'), false);
    assert.equal(isToolAllowed(next, 'read'), true);
    assert.equal(isToolAllowed(next, 'added_later'), true);
    const two = hideTool(next, 'write');
    assert.deepEqual(two, [{ handler: 'tool_manager', config: { hidden: ['delete', 'write'] } }]);
    assert.equal(hideTool(two, 'write'), undefined, 'hidden already');
  });

  it('allows a hidden tool back by taking it out of the hidden list, and drops an entry that then filters nothing', () => {
    const list = [{ handler: 'audit_jsonl' }, { handler: 'tool_manager', config: { hidden: ['delete', 'write'] } }];
    const one = allowTool(list, 'write', ['read', 'write', 'delete']);
    assert.deepEqual(one, [{ handler: 'audit_jsonl' }, { handler: 'tool_manager', config: { hidden: ['delete'] } }]);
    assert.deepEqual(allowTool(one, 'delete', ['read', 'write', 'delete']), [{ handler: 'audit_jsonl' }]);
    assert.equal(allowTool(one, 'read', ['read', 'write', 'delete']), undefined, 'not hidden');
    const withPriority = [{ handler: 'tool_manager', config: { priority: 10, hidden: ['x'] } }];
    assert.deepEqual(allowTool(withPriority, 'x', ['x']), [{ handler: 'tool_manager', config: { priority: 10 } }], 'other options are the user\'s: kept');
  });

  it('allows a tool hidden by both lists back into both, and tolerates junk in the hidden list', () => {
    const list = [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch' }], hidden: ['write', 42, { x: 1 }] } }];
    assert.equal(isToolAllowed(list, 'write'), false);
    assert.deepEqual(allowTool(list, 'write', ['read', 'write']), [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch' }, { tool: 'write' }] } }]);
  });

  it('switches a disabled entry on with only the hidden list (its old allowlist was not in force)', () => {
    const list = [{ handler: 'tool_manager', config: { enabled: false, tools: [{ tool: 'a' }], priority: 20 } }];
    assert.equal(isToolAllowed(list, 'anything'), true);
    assert.deepEqual(hideTool(list, 'b'), [{ handler: 'tool_manager', config: { priority: 20, hidden: ['b'] } }]);
  });

  it('keeps display names, ignores entries that are not tools, and says when nothing changes', () => {
    const list = [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch' }, { tool: 42 }, 'junk', { tool: 'write' }] } }];
    const hidden = hideTool(list, 'write');
    assert.deepEqual(hidden, [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch' }] } }], 'an existing allowlist is edited as such');
    assert.equal(hideTool(hidden, 'write'), undefined, 'hidden already');
    const allowed = allowTool(hidden, 'write', ['read', 'write']);
    assert.deepEqual(allowed, [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch' }, { tool: 'write' }] } }]);
    assert.equal(allowTool(allowed, 'write', ['read', 'write']), undefined, 'allowed already');
  });

  it('drops an allowlist that would filter nothing once every known tool is back', () => {
    const list = [{ handler: 'audit_jsonl' }, { handler: 'tool_manager', config: { tools: [{ tool: 'read' }] } }];
    assert.deepEqual(allowTool(list, 'write', ['read', 'write']), [{ handler: 'audit_jsonl' }]);
  });

});

describe('hiding and showing all tools of a server (tool budget)', () => {
  it('writes an empty allowlist, switches a disabled one on, and removes it again', () => {
    assert.deepEqual(hideAllTools(undefined), [{ handler: 'tool_manager', config: { tools: [] } }]);
    assert.deepEqual(hideAllTools([{ handler: 'tool_manager', config: { enabled: false, tools: [{ tool: 'a' }] } }]), [{ handler: 'tool_manager', config: { tools: [] } }]);
    assert.equal(hideAllTools([{ handler: 'tool_manager', config: { tools: [] } }]), undefined, 'hidden already');
    assert.deepEqual(showAllTools([{ handler: 'other' }, { handler: 'tool_manager', config: { tools: [] } }]), [{ handler: 'other' }]);
    assert.equal(showAllTools([{ handler: 'tool_manager', config: { tools: [{ tool: 'a' }] } }]), undefined, 'a real allowlist is not thrown away');
  });

  it('keeps single hidden tools hidden across hide all / show all', () => {
    const hiddenAll = hideAllTools([{ handler: 'tool_manager', config: { hidden: ['x'] } }]);
    assert.deepEqual(hiddenAll, [{ handler: 'tool_manager', config: { hidden: ['x'], tools: [] } }]);
    assert.deepEqual(showAllTools(hiddenAll), [{ handler: 'tool_manager', config: { hidden: ['x'] } }]);
    assert.equal(showAllTools([{ handler: 'tool_manager', config: { hidden: ['x'] } }]), undefined, 'no empty allowlist to remove');
  });
});

describe('extension: renaming a tool (policy editor)', () => {
  it('renames through the display-name key the descriptor offers, and drops the allowlist when the last rename is undone', () => {
    assert.equal(toolAllowlistPlugin()?.displayNameKey, 'display_name');
    const renamed = renameTool(undefined, 'read', 'fetch', ['read', 'write']);
    assert.deepEqual(renamed, [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch' }, { tool: 'write' }] } }]);
    assert.equal(toolDisplayName(renamed, 'read'), 'fetch');
    assert.equal(toolDisplayName(renamed, 'write'), undefined);
    assert.equal(renameTool(renamed, 'read', 'fetch', ['read', 'write']), undefined, 'renamed already');
    assert.deepEqual(renameTool(renamed, 'read', 'read', ['read', 'write']), [], 'its own name again: the allowlist filtered nothing else');
    assert.equal(renameTool(undefined, 'read', undefined, ['read']), undefined, 'nothing to undo');
  });

  it('keeps a renamed entry\'s other keys and an allowlist that still hides, and refuses to rename a hidden tool', () => {
    const list = [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_name: 'fetch', display_description: 'Reads.' }] } }];
    assert.deepEqual(renameTool(list, 'read', undefined, ['read', 'write']), [{ handler: 'tool_manager', config: { tools: [{ tool: 'read', display_description: 'Reads.' }] } }]);
    assert.throws(() => renameTool(list, 'write', 'put', ['read', 'write']), /write is hidden: show it before renaming it/);
    // A disabled allowlist is switched on with every known tool, as Hide Tool does.
    assert.deepEqual(renameTool([{ handler: 'tool_manager', config: { enabled: false, tools: [] } }], 'write', 'put', ['read', 'write']), [
      { handler: 'tool_manager', config: { tools: [{ tool: 'read' }, { tool: 'write', display_name: 'put' }] } },
    ]);
  });

  it('renames beside a hidden list: the allowlist it needs leaves the hidden tools out, and goes again with the rename', () => {
    const known = ['read', 'write', 'delete'];
    const hidden = hideTool(undefined, 'delete');
    assert.deepEqual(hidden, [{ handler: 'tool_manager', config: { hidden: ['delete'] } }]);
    const renamed = renameTool(hidden, 'read', 'fetch', known);
    assert.deepEqual(renamed, [{ handler: 'tool_manager', config: { hidden: ['delete'], tools: [{ tool: 'read', display_name: 'fetch' }, { tool: 'write' }] } }]);
    // Renamed back: the allowlist lists every shown tool under its own name, so only the hidden list stays
    // (a tool the server adds later is visible again).
    assert.deepEqual(renameTool(renamed, 'read', undefined, known), [{ handler: 'tool_manager', config: { hidden: ['delete'] } }]);
  });
});
