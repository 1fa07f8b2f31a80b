// `subscriptions/listen` for a modern client (revision 2026-07-28 replaces the GET stream and
// `resources/subscribe` with it): the one way notifications that belong to no request reach such a
// client. Each listen names what it wants (list changes of tools, prompts, resources; updates of given
// resource URIs); the gateway acknowledges what it will honour and stamps every notification it
// delivers with the listen's id. Resource updates come from the servers through the router's own
// `resources/subscribe`, made once per URI however many listens want it.
import { ErrorCode, isRecord, makeError, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { SendCallback } from '../transport/transport';
import { ModernMeta } from './modern-meta';

export interface SubscriptionsHost {
  readonly toClient: (message: JsonRpcMessage, done?: SendCallback) => void;
  /** Sends the router a request of the adapter's own (subscribe, unsubscribe). */
  readonly ownRequest: (method: string, params: Record<string, unknown>) => Promise<JsonRpcResponse>;
  /** Whether the servers behind the gateway can be subscribed to resource updates. */
  readonly canSubscribeResources: () => boolean;
}

/** Open listens per client, and resource URIs per listen: bounds on what one client can make us hold. */
const MAX_LISTENS = 64;
const MAX_RESOURCE_URIS = 1000;

interface Listen {
  readonly id: JsonRpcId;
  readonly tools: boolean;
  readonly prompts: boolean;
  readonly resources: boolean;
  readonly uris: ReadonlySet<string>;
}

const LIST_CHANGED: Readonly<Record<string, 'tools' | 'prompts' | 'resources'>> = {
  'notifications/tools/list_changed': 'tools',
  'notifications/prompts/list_changed': 'prompts',
  'notifications/resources/list_changed': 'resources',
};

export class Subscriptions {
  private readonly listens = new Map<JsonRpcId, Listen>();
  /** How many listens want each URI (the router is subscribed while one does). */
  private readonly uriWanted = new Map<string, number>();

  constructor(private readonly host: SubscriptionsHost) {}

  /** Opens a listen; returns the error that refuses it, if any. Its answer comes only when it ends. */
  listen(request: JsonRpcRequest): JsonRpcResponse | undefined {
    const filter = request.params?.notifications;
    if (!isRecord(filter)) return makeError(request.id, ErrorCode.InvalidParams, 'subscriptions/listen needs params.notifications (an object naming the notifications wanted)');
    if (this.listens.has(request.id)) return makeError(request.id, ErrorCode.InvalidRequest, `A listen with id ${JSON.stringify(request.id)} is already open`);
    if (this.listens.size >= MAX_LISTENS) return makeError(request.id, ErrorCode.InvalidRequest, `At most ${MAX_LISTENS} listens may be open at once`);
    const asked = filter.resourceSubscriptions;
    if (asked !== undefined && (!Array.isArray(asked) || asked.length > MAX_RESOURCE_URIS || !asked.every((uri) => typeof uri === 'string'))) {
      return makeError(request.id, ErrorCode.InvalidParams, `notifications.resourceSubscriptions must be a list of at most ${MAX_RESOURCE_URIS} URI strings`);
    }
    const uris = new Set<string>(asked && this.host.canSubscribeResources() ? (asked as string[]) : []);
    const listen: Listen = { id: request.id, tools: filter.toolsListChanged === true, prompts: filter.promptsListChanged === true, resources: filter.resourcesListChanged === true, uris };
    this.listens.set(request.id, listen);
    for (const uri of uris) this.want(uri, +1);
    // What the gateway will honour: list changes of every kind, resource updates when servers offer them.
    const agreed: Record<string, unknown> = { toolsListChanged: listen.tools, promptsListChanged: listen.prompts, resourcesListChanged: listen.resources };
    if (uris.size) agreed.resourceSubscriptions = [...uris];
    this.host.toClient({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: agreed, _meta: { [ModernMeta.subscriptionId]: request.id } } });
    return undefined;
  }

  /** The client cancelled a request: true when it was a listen (which then ends without an answer). */
  cancel(id: JsonRpcId): boolean {
    const listen = this.listens.get(id);
    if (!listen) return false;
    this.listens.delete(id);
    for (const uri of listen.uris) this.want(uri, -1);
    return true;
  }

  /**
   * A notification that belongs to no request: delivered once to each listen that asked for it,
   * stamped with its id. True when it is of that kind (delivered or not); false for the others.
   */
  deliver(notification: JsonRpcNotification, done: SendCallback | undefined): boolean {
    const kind = LIST_CHANGED[notification.method];
    const updated = notification.method === 'notifications/resources/updated';
    if (kind === undefined && !updated) return false;
    const uri = notification.params?.uri;
    for (const listen of this.listens.values()) {
      const wanted = updated ? typeof uri === 'string' && listen.uris.has(uri) : listen[kind!];
      if (!wanted) continue;
      const meta = isRecord(notification.params?._meta) ? notification.params._meta : {};
      this.host.toClient({ ...notification, params: { ...notification.params, _meta: { ...meta, [ModernMeta.subscriptionId]: listen.id } } });
    }
    done?.(undefined);
    return true;
  }

  private want(uri: string, change: 1 | -1): void {
    const before = this.uriWanted.get(uri) ?? 0;
    const after = before + change;
    if (after > 0) this.uriWanted.set(uri, after);
    else this.uriWanted.delete(uri);
    if (before === 0 && after === 1) void this.host.ownRequest('resources/subscribe', { uri });
    if (before === 1 && after === 0) void this.host.ownRequest('resources/unsubscribe', { uri });
  }
}
