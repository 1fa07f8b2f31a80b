// The policy editor's page: HTML rendered from the view model (every value escaped), with a small
// script that keeps the user's draft in the page and sends it as a list of edits on Save. Pure (no
// vscode), so the page can be rendered and driven in a plain browser by the tests.
import type { FilterChoice, PolicyFilter, PolicyServer, PolicyTool, PolicyView } from './policy-model';
import { GLOBAL_SCOPE } from '../../config/schema';
import { namespacedName } from '../../shared/namespacing';

/** What the page needs besides the view. */
export interface PolicyPageOptions {
  readonly nonce: string;
  /** Where Save writes, for the user: "user settings" or "workspace settings". */
  readonly writesTo: string;
  /** Shown instead of the editor when the configuration cannot be edited (invalid, empty). */
  readonly unavailable?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a <script> element: `<` escaped so no value can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function toolState(tool: PolicyTool): string {
  const states: string[] = [];
  if (tool.visibility === 'blocked') states.push(`<span class="badge blocked" title="${escapeHtml(tool.reason ?? '')}">blocked</span>`);
  else if (tool.hidden) states.push('<span class="badge hidden">hidden</span>');
  else states.push(`<span class="badge visible">${tool.visibility === 'renamed' ? 'renamed' : 'visible'}</span>`);
  if (tool.pin === 'pinned') states.push('<span class="badge pinned">pinned</span>');
  if (tool.pin === 'changed') states.push('<span class="badge changed">changed: review</span>');
  if (tool.pin === 'new') states.push('<span class="badge changed">new: not approved</span>');
  return states.join(' ');
}

function toolRow(server: string, tool: PolicyTool): string {
  const hidden = tool.hidden ? '1' : '0';
  // Only worth a line when it is not the usual `<server>__<tool>`.
  const shownAs = tool.exposedName && tool.exposedName !== namespacedName(server, tool.name) ? `<div class="muted">model sees <code>${escapeHtml(tool.exposedName)}</code></div>` : '';
  return `<tr class="tool${tool.hidden ? ' is-hidden' : ''}" data-server="${escapeHtml(server)}" data-tool="${escapeHtml(tool.name)}" data-hidden="${hidden}" data-initial-hidden="${hidden}" data-initial-name="${escapeHtml(tool.displayName ?? '')}">
  <td><code>${escapeHtml(tool.name)}</code>${shownAs}</td>
  <td><input class="rename" type="text" aria-label="Show ${escapeHtml(tool.name)} as" placeholder="${escapeHtml(tool.name)}" value="${escapeHtml(tool.displayName ?? '')}"${tool.hidden ? ' disabled' : ''}></td>
  <td>${toolState(tool)}</td>
  <td><button class="toggle secondary">${tool.hidden ? 'Show' : 'Hide'}</button></td>
</tr>`;
}

function actionSelect(actions: readonly string[], selected: string | undefined, label: string): string {
  if (actions.length === 0) return '<span class="muted">no action to choose</span>';
  const options = actions.map((a) => `<option value="${escapeHtml(a)}"${a === selected ? ' selected' : ''}>${escapeHtml(a)}</option>`).join('');
  return `<select class="action" aria-label="Action of ${escapeHtml(label)}">${options}</select>`;
}

function filterRow(filter: PolicyFilter): string {
  const state = filter.enabled ? '' : ' <span class="badge hidden">off</span>';
  if (!filter.builtin) {
    return `<tr class="filter foreign"><td><code>${escapeHtml(filter.handler)}</code>${state}</td><td colspan="2" class="muted">not a built-in plugin: kept as configured</td></tr>`;
  }
  return `<tr class="filter" data-scope="${escapeHtml(filter.scope)}" data-handler="${escapeHtml(filter.handler)}" data-present="1" data-initial-present="1" data-initial-action="${escapeHtml(filter.action ?? '')}">
  <td>${escapeHtml(filter.label)} <span class="muted">${escapeHtml(filter.handler)}</span>${state}</td>
  <td>${actionSelect(filter.actions, filter.action, filter.label)}</td>
  <td><button class="remove secondary">Remove</button></td>
</tr>`;
}

function filtersTable(scope: string, filters: readonly PolicyFilter[], inherited: readonly PolicyFilter[], choices: readonly FilterChoice[]): string {
  const inheritedRows = inherited
    .map((f) => `<tr class="inherited"><td>${escapeHtml(f.label)} <span class="muted">${escapeHtml(f.handler)}</span></td><td>${escapeHtml(f.action ?? '')}</td><td class="muted">from all servers</td></tr>`)
    .join('');
  const addable = choices.filter((c) => !(scope === GLOBAL_SCOPE && c.serverOnly));
  const options = addable.map((c) => `<option value="${escapeHtml(c.handler)}"${filters.some((f) => f.handler === c.handler) ? ' disabled' : ''}>${escapeHtml(c.label)}</option>`).join('');
  return `<table class="filters" data-scope="${escapeHtml(scope)}"><tbody>${filters.map(filterRow).join('')}${inheritedRows}</tbody></table>
<div class="add"><select class="add-handler" aria-label="Filter to add">${options}</select> <button class="add-filter secondary" data-scope="${escapeHtml(scope)}">Add filter</button></div>`;
}

function serverSection(server: PolicyServer, choices: readonly FilterChoice[]): string {
  const tools = !server.toolsKnown
    ? '<p class="muted">Its tools are not known yet: start the server (Servers view) to edit them.</p>'
    : server.tools.length === 0
      ? '<p class="muted">The server offers no tools.</p>'
      : `<table class="tools"><thead><tr><th>Tool</th><th>Show as</th><th>State</th><th></th></tr></thead><tbody>${server.tools.map((t) => toolRow(server.name, t)).join('')}</tbody></table>`;
  return `<section class="server" data-server="${escapeHtml(server.name)}">
<h2>${escapeHtml(server.name)}</h2>
<h3>Filters</h3>
${filtersTable(server.name, server.filters, server.inherited, choices)}
<h3>Tools</h3>
${tools}
</section>`;
}

/** The whole page. */
export function renderPolicyPage(view: PolicyView, options: PolicyPageOptions): string {
  const { nonce } = options;
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';`;
  const body =
    options.unavailable !== undefined
      ? `<p class="warning" id="unavailable">${escapeHtml(options.unavailable)}</p>`
      : `<p class="muted">Save writes <code>gatekit.plugins</code> in your ${escapeHtml(options.writesTo)}; running gateways apply it at once.</p>
<section class="server global" data-server="${GLOBAL_SCOPE}">
<h2>All servers</h2>
<h3>Filters</h3>
${filtersTable(GLOBAL_SCOPE, view.global, [], view.choices)}
</section>
${view.servers.map((s) => serverSection(s, view.choices)).join('\n')}
<div class="actions"><button id="save" class="primary" disabled>Save</button><button id="discard" class="secondary">Discard changes</button><span id="status" role="status"></span></div>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatekit policy</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family, sans-serif); color: var(--vscode-foreground, #333); padding: 0 16px 24px; }
  h1 { font-size: 1.5em; margin: 12px 0 4px; }
  h2 { font-size: 1.25em; margin: 12px 0 4px; }
  h3 { font-size: 1em; margin: 10px 0 4px; }
  code { font-family: var(--vscode-editor-font-family, monospace); }
  table { border-collapse: collapse; width: 100%; margin-bottom: 8px; }
  th { text-align: left; font-weight: 600; }
  td, th { padding: 3px 8px 3px 0; vertical-align: top; }
  tr.is-hidden code, tr.removed td:first-child { text-decoration: line-through; opacity: .7; }
  tr.inherited { opacity: .75; }
  .muted { opacity: .75; font-size: 90%; }
  .warning, .error { color: var(--vscode-errorForeground, #b00); }
  .badge { border-radius: 8px; padding: 0 6px; font-size: 85%; border: 1px solid var(--vscode-contrastBorder, #999); white-space: nowrap; }
  .badge.hidden, .badge.blocked { color: var(--vscode-disabledForeground, #777); }
  .badge.changed { color: var(--vscode-editorWarning-foreground, #a60); }
  .badge.pinned { color: var(--vscode-testing-iconPassed, #383); }
  section.server { border-top: 1px solid var(--vscode-widget-border, #ccc); margin-top: 12px; }
  input.rename { width: 12em; max-width: 100%; box-sizing: border-box; }
  select { max-width: 100%; }
  input, select { font: inherit; color: var(--vscode-input-foreground, inherit); background: var(--vscode-input-background, #fff); border: 1px solid var(--vscode-input-border, #999); }
  .actions { display: flex; gap: 8px; align-items: center; margin-top: 16px; position: sticky; bottom: 0; padding: 8px 0; background: var(--vscode-editor-background, #fff); }
  button { font: inherit; padding: 2px 10px; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; cursor: pointer; }
  button.primary { background: var(--vscode-button-background, #07c); color: var(--vscode-button-foreground, #fff); }
  button.secondary { background: var(--vscode-button-secondaryBackground, #ddd); color: var(--vscode-button-secondaryForeground, #000); }
  button:disabled { opacity: .5; cursor: default; }
  button:focus, input:focus, select:focus { outline: 1px solid var(--vscode-focusBorder, #07c); outline-offset: 1px; }
</style></head>
<body>
<h1>Gatekit policy</h1>
${body}
<script type="application/json" id="choices" nonce="${nonce}">${scriptJson(view.choices)}</script>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body></html>`;
}

/**
 * The page's script: the draft lives in the rows' data attributes; Save turns the difference from
 * what was rendered into edits. The extension checks every edit again (the page is not trusted).
 */
const PAGE_SCRIPT = `
(() => {
  const vscode = acquireVsCodeApi();
  const choices = JSON.parse(document.getElementById('choices').textContent);
  const save = document.getElementById('save');
  const status = document.getElementById('status');
  if (!save) return;
  let dirty = false;

  function edits() {
    const out = [];
    for (const row of document.querySelectorAll('tr.tool')) {
      const server = row.dataset.server, tool = row.dataset.tool;
      const hidden = row.dataset.hidden === '1', wasHidden = row.dataset.initialHidden === '1';
      const name = row.querySelector('input.rename').value.trim();
      if (!hidden && wasHidden) out.push({ op: 'showTool', server, tool });
      if (!hidden && name !== row.dataset.initialName) out.push({ op: 'renameTool', server, tool, name });
      if (hidden && !wasHidden) out.push({ op: 'hideTool', server, tool });
    }
    for (const row of document.querySelectorAll('tr.filter[data-handler]')) {
      const scope = row.dataset.scope, handler = row.dataset.handler;
      const present = row.dataset.present === '1', wasPresent = row.dataset.initialPresent === '1';
      const select = row.querySelector('select.action');
      const action = select ? select.value : undefined;
      if (present && !wasPresent) out.push(action === undefined ? { op: 'addFilter', scope, handler } : { op: 'addFilter', scope, handler, action });
      else if (!present && wasPresent) out.push({ op: 'removeFilter', scope, handler });
      else if (present && action !== undefined && action !== row.dataset.initialAction) out.push({ op: 'setAction', scope, handler, action });
    }
    return out;
  }

  function changed() {
    const now = edits().length > 0;
    save.disabled = !now;
    if (now !== dirty) {
      dirty = now;
      vscode.postMessage({ type: 'dirty', dirty });
    }
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? 'error' : 'muted';
  }

  function addOption(table, handler, enabled) {
    const select = table.parentElement.querySelector('select.add-handler');
    for (const option of select.options) if (option.value === handler) option.disabled = !enabled;
    const first = [...select.options].find((o) => !o.disabled);
    if (first) select.value = first.value;
  }

  function newFilterRow(scope, choice) {
    const row = document.createElement('tr');
    row.className = 'filter';
    Object.assign(row.dataset, { scope, handler: choice.handler, present: '1', initialPresent: '0', initialAction: '' });
    const name = document.createElement('td');
    name.textContent = choice.label + ' ';
    const muted = document.createElement('span');
    muted.className = 'muted';
    muted.textContent = '(new)';
    name.append(muted);
    const actionCell = document.createElement('td');
    if (choice.actions.length > 0) {
      const select = document.createElement('select');
      select.className = 'action';
      select.setAttribute('aria-label', 'Action of ' + choice.label);
      for (const action of choice.actions) select.add(new Option(action, action, false, action === choice.defaultAction));
      actionCell.append(select);
    }
    const removeCell = document.createElement('td');
    const remove = document.createElement('button');
    remove.className = 'remove secondary';
    remove.textContent = 'Remove';
    removeCell.append(remove);
    row.append(name, actionCell, removeCell);
    return row;
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const row = button.closest('tr');
    if (button.classList.contains('toggle')) {
      const hidden = row.dataset.hidden !== '1';
      row.dataset.hidden = hidden ? '1' : '0';
      row.classList.toggle('is-hidden', hidden);
      row.querySelector('input.rename').disabled = hidden;
      button.textContent = hidden ? 'Show' : 'Hide';
    } else if (button.classList.contains('remove')) {
      const table = row.closest('table');
      if (row.dataset.initialPresent === '0') {
        row.remove();
        addOption(table, row.dataset.handler, true);
      } else {
        const present = row.dataset.present !== '1';
        row.dataset.present = present ? '1' : '0';
        row.classList.toggle('removed', !present);
        button.textContent = present ? 'Remove' : 'Keep';
      }
    } else if (button.classList.contains('add-filter')) {
      const scope = button.dataset.scope;
      const table = [...document.querySelectorAll('table.filters')].find((t) => t.dataset.scope === scope);
      const select = button.parentElement.querySelector('select.add-handler');
      const choice = choices.find((c) => c.handler === select.value);
      const option = [...select.options].find((o) => o.value === select.value);
      if (!choice || !option || option.disabled) return;
      table.tBodies[0].prepend(newFilterRow(scope, choice));
      addOption(table, choice.handler, false);
    } else if (button.id === 'save') {
      setStatus('Saving…', false);
      vscode.postMessage({ type: 'save', edits: edits() });
      return;
    } else if (button.id === 'discard') {
      vscode.postMessage({ type: 'reload' });
      return;
    } else {
      return;
    }
    changed();
  });
  document.addEventListener('input', changed);
  document.addEventListener('change', changed);

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message && message.type === 'result') setStatus(String(message.message), !message.ok);
  });
  for (const select of document.querySelectorAll('select.add-handler')) {
    const first = [...select.options].find((o) => !o.disabled);
    if (first) select.value = first.value;
  }
})();
`;
