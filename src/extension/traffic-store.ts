// The traffic the views show: exchanges from every connected gateway, grouped by session, bounded
// to `gatekit.traffic.maxEntries` (oldest dropped first). Plain Node.
import { Emitter, type Event } from 'vscode-jsonrpc/node';
import type { GatewayIdentity, TrafficEvent } from '../shared/protocol';

/** One exchange as stored. `id` is unique for the life of the store. */
export interface TrafficEntry {
  readonly id: number;
  readonly sessionId: string;
  readonly event: TrafficEvent;
}

/** One gateway's traffic: one chat session (VS Code starts a gateway per MCP session) or one external client. */
export interface TrafficSession {
  readonly id: string;
  readonly identity: GatewayIdentity;
  connected: boolean;
  /** Oldest first; views reverse it. */
  readonly entries: TrafficEntry[];
  /** Events the gateway could not send (link too slow) or the store evicted. */
  dropped: number;
}

/**
 * Bounded store. Entries arrive in order, so the globally oldest entries are always the first
 * entries of their sessions: eviction cuts the front of those sessions' lists.
 */
export class TrafficStore {
  private readonly sessionsById = new Map<string, TrafficSession>();
  private readonly entriesById = new Map<number, TrafficEntry>();
  /** Every stored entry in arrival order, for global eviction. */
  private arrival: TrafficEntry[] = [];
  private arrivalHead = 0;
  private nextId = 1;
  private readonly changeEmitter = new Emitter<void>();

  /** Fires after any change (views throttle their refresh themselves). */
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  constructor(private maxEntries: number) {}

  get size(): number {
    return this.entriesById.size;
  }

  setMaxEntries(maxEntries: number): void {
    this.maxEntries = Math.max(1, maxEntries);
    if (this.evict()) this.changeEmitter.fire();
  }

  /** A gateway connected (again: a reconnecting session keeps its entries). */
  openSession(identity: GatewayIdentity): TrafficSession {
    let session = this.sessionsById.get(identity.sessionId);
    if (session === undefined) {
      session = { id: identity.sessionId, identity, connected: true, entries: [], dropped: 0 };
      this.sessionsById.set(session.id, session);
    } else {
      session.connected = true;
    }
    this.changeEmitter.fire();
    return session;
  }

  /** A gateway went away; its entries stay until evicted or cleared. */
  closeSession(sessionId: string): void {
    const session = this.sessionsById.get(sessionId);
    if (session === undefined) return;
    session.connected = false;
    if (session.entries.length === 0) this.sessionsById.delete(sessionId);
    this.changeEmitter.fire();
  }

  add(sessionId: string, events: readonly TrafficEvent[], dropped = 0): void {
    const session = this.sessionsById.get(sessionId);
    if (session === undefined) return;
    session.dropped += dropped;
    for (const event of events) {
      const entry: TrafficEntry = { id: this.nextId++, sessionId, event };
      session.entries.push(entry);
      this.entriesById.set(entry.id, entry);
      this.arrival.push(entry);
    }
    this.evict();
    this.changeEmitter.fire();
  }

  /** Sessions, most recently started first; the views skip those without traffic. */
  sessions(): TrafficSession[] {
    return [...this.sessionsById.values()].sort((a, b) => b.identity.startedAt - a.identity.startedAt);
  }

  session(sessionId: string): TrafficSession | undefined {
    return this.sessionsById.get(sessionId);
  }

  entry(id: number): TrafficEntry | undefined {
    return this.entriesById.get(id);
  }

  /** Drops every entry; sessions of connected gateways stay. */
  clear(): void {
    for (const [id, session] of this.sessionsById) {
      session.entries.length = 0;
      session.dropped = 0;
      if (!session.connected) this.sessionsById.delete(id);
    }
    this.entriesById.clear();
    this.arrival = [];
    this.arrivalHead = 0;
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }

  private evict(): boolean {
    // Count per session first, then cut each session's list once: one splice per batch, not per entry.
    const cuts = new Map<TrafficSession, number>();
    while (this.entriesById.size > this.maxEntries && this.arrivalHead < this.arrival.length) {
      const oldest = this.arrival[this.arrivalHead++]!;
      if (!this.entriesById.delete(oldest.id)) continue; // already cleared
      const session = this.sessionsById.get(oldest.sessionId);
      if (session !== undefined) cuts.set(session, (cuts.get(session) ?? 0) + 1);
    }
    for (const [session, count] of cuts) {
      session.entries.splice(0, count);
      session.dropped += count;
      if (!session.connected && session.entries.length === 0) this.sessionsById.delete(session.id);
    }
    // Compact now and then so the arrival list does not grow without bound.
    if (this.arrivalHead > 1024 && this.arrivalHead * 2 > this.arrival.length) {
      this.arrival = this.arrival.slice(this.arrivalHead);
      this.arrivalHead = 0;
    }
    return cuts.size > 0;
  }
}
