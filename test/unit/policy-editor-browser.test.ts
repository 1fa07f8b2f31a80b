// The policy editor's page in a real browser (the Chromium the VS Code tests drive, through
// playwright-core): its script runs under the page's strict CSP, the user's clicks become the edits
// the extension expects, and hostile names from servers stay text.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderPolicyPage } from '../../src/extension/policy-editor/policy-html';
import { buildPolicyView, parsePolicyEdits, type PolicySource } from '../../src/extension/policy-editor/policy-model';
import type { ToolInventoryEntry } from '../../src/shared/protocol';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const HOSTILE_TOOL = '<img src=x onerror="window.__xss=1">';

const tools: Record<string, ToolInventoryEntry[]> = {
  memory: [
    { name: 'read_graph', visibility: 'visible', pin: 'pinned', exposedName: 'memory__read_graph' },
    { name: 'delete_entities', visibility: 'hidden', pin: 'none' },
    { name: HOSTILE_TOOL, visibility: 'visible', pin: 'changed', exposedName: 'memory__x' },
  ],
};
const plugins: Record<string, Record<string, unknown[]>> = {
  security: { _global: [{ handler: 'basic_pii_filter', config: { action: 'redact' } }], memory: [{ handler: 'acme_dlp' }] },
  middleware: { memory: [{ handler: 'tool_manager', config: { tools: [{ tool: 'read_graph' }, { tool: HOSTILE_TOOL }] } }] },
};
const source: PolicySource = {
  serverNames: ['memory'],
  list: (section, scope) => plugins[section]?.[scope],
  tools: (server) => tools[server],
};

describe('policy editor page in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip(); // the VS Code test runner installs it (scripts/test-vscode.sh)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });
  after(async () => browser?.close());

  beforeEach(async () => {
    page = await browser!.newPage();
    errors.length = 0;
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    // What VS Code's webview host provides: acquireVsCodeApi, whose messages we record.
    // A string, not a function: the test's compiled functions may call helpers the page lacks.
    await page.addInitScript('window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });');
    // Served as a document of its own (init scripts run on navigation; the CSP meta applies as in VS Code).
    const html = renderPolicyPage(buildPolicyView(source), { nonce: 'bm9uY2Vub25jZQ==', writesTo: 'user settings' });
    await page.route('http://policy.test/', (route) => route.fulfill({ body: html, contentType: 'text/html' }));
    await page.goto('http://policy.test/');
  });

  const posted = (): Promise<{ type: string; edits?: unknown[]; dirty?: boolean }[]> => page.evaluate('window.__posted');
  const row = (tool: string) => page.locator('tr.tool').filter({ has: page.locator(`td code`, { hasText: tool }) }).first();

  it('turns clicks into the edits the extension accepts, and only those', async () => {
    assert.equal(await page.locator('#save').isDisabled(), true, 'nothing to save yet');
    await row('delete_entities').locator('button.toggle').click();
    await row('read_graph').locator('input.rename').fill('graph');
    await page.locator('table.filters[data-scope="_global"] select.action').selectOption('block');
    const memory = page.locator('section.server[data-server="memory"]');
    await memory.locator('select.add-handler').selectOption('tool_pinning');
    await memory.locator('button.add-filter').click();
    await memory.locator('tr.filter[data-handler="tool_pinning"] select.action').selectOption('audit_only');
    assert.equal(await page.locator('#save').isDisabled(), false);
    await page.locator('#save').click();
    const messages = await posted();
    assert.deepEqual(messages[0], { type: 'dirty', dirty: true }, 'the extension learns of the draft (so a refresh does not wipe it)');
    const save = messages.find((m) => m.type === 'save');
    assert.deepEqual(save?.edits, [
      { op: 'renameTool', server: 'memory', tool: 'read_graph', name: 'graph' },
      { op: 'showTool', server: 'memory', tool: 'delete_entities' },
      { op: 'setAction', scope: '_global', handler: 'basic_pii_filter', action: 'block' },
      { op: 'addFilter', scope: 'memory', handler: 'tool_pinning', action: 'audit_only' },
    ]);
    assert.equal(parsePolicyEdits(save?.edits, source).length, 4, 'the model accepts what the page sends');
    assert.deepEqual(errors, [], 'no script error and no CSP violation');
  });

  it('undoes in the page: hiding twice, removing an added filter, keeping a removed one leave nothing to save', async () => {
    const toggle = row('read_graph').locator('button.toggle');
    await toggle.click();
    assert.equal(await toggle.textContent(), 'Show');
    assert.equal(await row('read_graph').locator('input.rename').isDisabled(), true, 'a hidden tool has no name to edit');
    await toggle.click();
    const global = page.locator('section.global');
    await global.locator('select.add-handler').selectOption('basic_secrets_filter');
    await global.locator('button.add-filter').click();
    assert.equal(await global.locator('option[value="basic_secrets_filter"]').isDisabled(), true, 'a plugin is offered once per scope');
    await global.locator('tr.filter[data-handler="basic_secrets_filter"] button.remove').click();
    const pii = global.locator('tr.filter[data-handler="basic_pii_filter"] button.remove');
    await pii.click();
    assert.equal(await pii.textContent(), 'Keep');
    await pii.click();
    assert.equal(await page.locator('#save').isDisabled(), true);
    assert.deepEqual(errors, []);
  });

  it('shows hostile names as text, foreign plugins without controls, and the result the extension reports', async () => {
    assert.equal(await page.evaluate('window.__xss'), undefined, 'markup in a tool name never runs');
    assert.equal(await page.locator('section.server img').count(), 0);
    assert.ok((await page.locator('tr.tool td code').allTextContents()).includes(HOSTILE_TOOL));
    assert.equal(await page.locator('tr.filter.foreign').textContent().then((t) => t?.includes('acme_dlp')), true);
    assert.equal(await page.locator('tr.filter.foreign button').count(), 0, 'a plugin the editor does not know cannot be changed');
    await page.evaluate("window.postMessage({ type: 'result', ok: false, message: 'Not saved: edit 1: <b>bad</b>' }, '*')");
    await page.waitForFunction("document.getElementById('status').textContent.startsWith('Not saved')");
    assert.equal(await page.locator('#status').getAttribute('class'), 'error');
    assert.equal(await page.locator('#status b').count(), 0, 'the message is text');
  });
});
