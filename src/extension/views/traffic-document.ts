// Read-only JSON documents of single exchanges (`gatekit-traffic:` URIs): the decision, then the
// request and the response as the gateway forwarded them.
import * as vscode from 'vscode';
import type { TrafficStore } from '../traffic-store';

export const TRAFFIC_SCHEME = 'gatekit-traffic';

/** `gatekit-traffic:/42/tools-call-memory__read_graph.json`: the id, then a readable file name. */
export function trafficEntryUri(entryId: number, title: string): vscode.Uri {
  const name = title.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'exchange';
  return vscode.Uri.from({ scheme: TRAFFIC_SCHEME, path: `/${entryId}/${name}.json` });
}

function body(text: string | undefined, truncated: boolean | undefined): unknown {
  if (text === undefined) return undefined;
  if (truncated) return `${text}… (cut by the gateway: the audit log has the full message if bodies are logged)`;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Renders an exchange as formatted JSON. */
export function renderEntry(store: TrafficStore, entryId: number): string | undefined {
  const entry = store.entry(entryId);
  if (entry === undefined) return undefined;
  const e = entry.event;
  const document = {
    time: new Date(e.timestamp).toISOString(),
    direction: e.direction,
    server: e.server,
    method: e.method,
    ...(e.tool !== undefined ? { tool: e.tool } : {}),
    decision: e.decision,
    ...(e.plugin !== undefined ? { plugin: e.plugin } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
    ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}),
    request: body(e.request, e.requestTruncated) ?? (e.decision === 'blocked' ? '(blocked: not recorded)' : null),
    response: body(e.response, e.responseTruncated) ?? null,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Serves `gatekit-traffic:` documents from the store (documents of dropped entries say so). */
export class TrafficDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly store: TrafficStore) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = Number(uri.path.split('/')[1]);
    return renderEntry(this.store, id) ?? `${JSON.stringify({ error: 'This exchange is no longer in the traffic view (see gatekit.traffic.maxEntries).' }, null, 2)}\n`;
  }
}
