// Commands of the Traffic view's filter: Filter Traffic (decisions, servers, tools, list calls in
// one pick), Search Traffic, Clear Traffic Filter. Each also takes an options object (automation,
// tests), checked like any input from outside.
import * as vscode from 'vscode';
import type { GatekitExtension } from './gatekit-extension';
import { TRAFFIC_DECISIONS, type TrafficFilter } from './traffic-filter';
import type { TrafficDecision } from '../shared/protocol';
import { isRecord } from '../shared/jsonrpc';

const MAX_SEARCH_CHARS = 200;

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, 100) : undefined;
}

/** A filter from an untrusted options object: unknown keys and wrong types are dropped. */
export function filterFromOptions(value: unknown): TrafficFilter | undefined {
  if (!isRecord(value)) return undefined;
  const filter: TrafficFilter = {};
  const decisions = strings(value.decisions)?.filter((d): d is TrafficDecision => (TRAFFIC_DECISIONS as readonly string[]).includes(d));
  if (decisions?.length) filter.decisions = decisions;
  const servers = strings(value.servers);
  if (servers?.length) filter.servers = servers;
  const tools = strings(value.tools);
  if (tools?.length) filter.tools = tools;
  if (typeof value.text === 'string' && value.text.trim()) filter.text = value.text.trim().slice(0, MAX_SEARCH_CHARS);
  if (value.showListCalls === true) filter.showListCalls = true;
  return filter;
}

type FilterPick = vscode.QuickPickItem & { apply?: (filter: TrafficFilter) => void };

/** Filter Traffic: one multi-select pick of decisions, servers, tools and the list-call switch. */
async function pickFilter(extension: GatekitExtension): Promise<TrafficFilter | undefined> {
  const current = extension.trafficView.filter;
  const events = extension.traffic.sessions().flatMap((s) => s.entries.map((e) => e.event));
  const servers = [...new Set(events.map((e) => e.server).filter(Boolean))].sort();
  const tools = [...new Set(events.map((e) => e.tool).filter((t): t is string => typeof t === 'string'))].sort();
  const count = (test: (e: (typeof events)[number]) => boolean): string => `${events.filter(test).length}`;
  const items: FilterPick[] = [
    { label: 'Decision', kind: vscode.QuickPickItemKind.Separator },
    ...TRAFFIC_DECISIONS.map((decision) => ({
      label: decision,
      description: count((e) => e.decision === decision),
      picked: current.decisions?.includes(decision) ?? false,
      apply: (f: TrafficFilter) => (f.decisions = [...(f.decisions ?? []), decision]),
    })),
    { label: 'Server', kind: vscode.QuickPickItemKind.Separator },
    ...servers.map((server) => ({ label: server, description: count((e) => e.server === server), picked: current.servers?.includes(server) ?? false, apply: (f: TrafficFilter) => (f.servers = [...(f.servers ?? []), server]) })),
    { label: 'Tool', kind: vscode.QuickPickItemKind.Separator },
    ...tools.map((tool) => ({ label: tool, description: count((e) => e.tool === tool), picked: current.tools?.includes(tool) ?? false, apply: (f: TrafficFilter) => (f.tools = [...(f.tools ?? []), tool]) })),
    { label: 'Housekeeping', kind: vscode.QuickPickItemKind.Separator },
    { label: 'Show list calls', description: 'tools/list, list_changed, ping', picked: current.showListCalls ?? false, apply: (f: TrafficFilter) => (f.showListCalls = true) },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Show which exchanges? (none picked in a group: all of it)', canPickMany: true, matchOnDescription: true });
  if (picked === undefined) return undefined;
  const filter: TrafficFilter = current.text ? { text: current.text } : {};
  for (const item of picked) item.apply?.(filter);
  return filter;
}

export function registerTrafficCommands(extension: GatekitExtension): vscode.Disposable[] {
  const view = extension.trafficView;
  return [
    vscode.commands.registerCommand('gatekit.filterTraffic', async (options?: unknown) => {
      const filter = filterFromOptions(options) ?? (await pickFilter(extension));
      if (filter) view.setFilter(filter);
      return view.filter;
    }),
    vscode.commands.registerCommand('gatekit.searchTraffic', async (text?: unknown) => {
      const search =
        typeof text === 'string'
          ? text
          : await vscode.window.showInputBox({ title: 'Search traffic', prompt: 'Text in the method, tool, plugin, reason, request or response', value: view.filter.text ?? '' });
      if (search === undefined) return view.filter;
      const { text: _previous, ...rest } = view.filter;
      view.setFilter(search.trim() ? { ...rest, text: search.trim().slice(0, MAX_SEARCH_CHARS) } : rest);
      return view.filter;
    }),
    vscode.commands.registerCommand('gatekit.clearTrafficFilter', () => {
      view.setFilter({ ...(view.filter.showListCalls ? { showListCalls: true } : {}) });
      return view.filter;
    }),
  ];
}
