// What the Traffic view shows of an exchange beyond its title: the filter that selects rows
// (decision, server, tool, search text, housekeeping list calls hidden by default), and the reason a
// plugin gave, dug out of the response when the gateway reduced it to `[blocked]`/`[modified]`,
// with the side of the exchange where the change happened. Pure: no vscode import.
import type { TrafficDecision, TrafficEvent } from '../shared/protocol';

/** Which exchanges the Traffic view shows. */
export interface TrafficFilter {
  /** Only these decisions (all when absent or empty). */
  decisions?: readonly TrafficDecision[];
  /** Only exchanges with these servers (all when absent or empty). */
  servers?: readonly string[];
  /** Only calls of these upstream tools (all when absent or empty). */
  tools?: readonly string[];
  /** Case-insensitive text looked for in the title, plugin, reason and bodies. */
  text?: string;
  /** Show housekeeping list calls (`tools/list`, `*_list_changed`) that went through unchanged. */
  showListCalls?: boolean;
}

export const TRAFFIC_DECISIONS: readonly TrafficDecision[] = ['allowed', 'modified', 'redacted', 'blocked', 'error'];

/** `tools/list`, `resources/templates/list`, `notifications/tools/list_changed`, `ping`. */
export function isHousekeeping(event: TrafficEvent): boolean {
  return /\/list$|list_changed$|^ping$/.test(event.method);
}

export function isFilterActive(filter: TrafficFilter): boolean {
  return Boolean(filter.decisions?.length || filter.servers?.length || filter.tools?.length || filter.text);
}

export function matchesFilter(event: TrafficEvent, filter: TrafficFilter): boolean {
  // A list call Gatekit changed (a tool withheld) is never housekeeping.
  if (!filter.showListCalls && isHousekeeping(event) && event.decision === 'allowed') return false;
  if (filter.decisions?.length && !filter.decisions.includes(event.decision)) return false;
  if (filter.servers?.length && !filter.servers.includes(event.server)) return false;
  if (filter.tools?.length && (event.tool === undefined || !filter.tools.includes(event.tool))) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const haystack = [event.method, event.server, event.tool ?? '', event.plugin ?? '', event.reason, explainChange(event).reason ?? '', event.request ?? '', event.response ?? ''];
    if (!haystack.some((text) => String(text).toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** `decision: blocked · server fixture · "secret"`: the active filter in one line (the view's message). */
export function describeFilter(filter: TrafficFilter): string {
  const parts: string[] = [];
  if (filter.decisions?.length) parts.push(filter.decisions.join(', '));
  if (filter.servers?.length) parts.push(`server ${filter.servers.join(', ')}`);
  if (filter.tools?.length) parts.push(`tool ${filter.tools.join(', ')}`);
  if (filter.text) parts.push(`"${filter.text}"`);
  return parts.join(' · ');
}

/** Where in an exchange Gatekit changed or stopped something, and why. */
export interface ChangeExplanation {
  /** `request` (on its way to the server) or `response` (on its way back), when it can be told. */
  side?: 'request' | 'response';
  /** The plugin's own words, when the gateway sent them (in the event or in the error it answered with). */
  reason?: string;
}

const REDACTION_MARKER = /REDACTED by Gatekit/;
const MAX_REASON_CHARS = 300;

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // a body cut at maxBodyChars is not JSON any more
  }
}

function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function clean(text: string): string {
  // One line, bounded: it comes from a plugin or a server.
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS)}…` : line;
}

/**
 * Explains a blocked, redacted or modified exchange. A block answers the client with an error whose
 * `data.reason` holds the plugin's reason; the side is the request when nothing reached the server
 * (no request recorded) and the response otherwise. A redaction shows where its placeholder is.
 */
export function explainChange(event: TrafficEvent): ChangeExplanation {
  const own = event.reason && !/^\[(blocked|modified)\]$/.test(event.reason) ? clean(event.reason) : undefined;
  if (event.decision === 'blocked') {
    const response = parse(event.response);
    const reason = field(response, 'error', 'data', 'reason');
    const message = field(response, 'error', 'message');
    const text = typeof reason === 'string' && reason ? reason : typeof message === 'string' ? message : undefined;
    const side = event.request === undefined ? 'request' : 'response';
    return { side, ...(own ?? text ? { reason: own ?? clean(text!) } : {}) };
  }
  if (event.decision === 'redacted' || event.decision === 'modified') {
    const inRequest = event.request !== undefined && REDACTION_MARKER.test(event.request);
    const inResponse = event.response !== undefined && REDACTION_MARKER.test(event.response);
    const side = inRequest && !inResponse ? 'request' : inResponse && !inRequest ? 'response' : undefined;
    const markers = [...new Set([...(event.request ?? '').matchAll(/\[([A-Z_ ]+) REDACTED by Gatekit\]/g), ...(event.response ?? '').matchAll(/\[([A-Z_ ]+) REDACTED by Gatekit\]/g)].map((m) => m[1]!.toLowerCase()))];
    const reason = own ?? (markers.length ? `${markers.join(', ')} redacted` : undefined);
    return { ...(side ? { side } : {}), ...(reason ? { reason } : {}) };
  }
  return own ? { reason: own } : {};
}
