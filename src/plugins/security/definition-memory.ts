// Verdicts on server definitions remembered by the definition's hash. Servers are asked for their
// lists again and again (each client, each list_changed, the tool inventory), and an unchanged
// definition gets the same verdict from a pure detector, so it is scanned once. Bounded: past
// its capacity the memory starts over, so a server inventing definitions cannot grow it.
import { createHash } from 'node:crypto';

/** Definitions remembered per memory before it starts over (each costs a hash key and a small verdict). */
export const MAX_REMEMBERED_DEFINITIONS = 4096;

/** Verdicts of one kind, keyed by the sha256 of the definition's JSON. */
export class DefinitionVerdicts<V> {
  private readonly verdicts = new Map<string, V>();
  private hitCount = 0;
  private missCount = 0;

  constructor(private readonly capacity = MAX_REMEMBERED_DEFINITIONS) {}

  /** Definitions answered from memory. */
  get hits(): number {
    return this.hitCount;
  }

  /** Definitions judged (not remembered yet, or not rememberable). */
  get misses(): number {
    return this.missCount;
  }

  /** How many verdicts are remembered now (never more than the capacity). */
  get size(): number {
    return this.verdicts.size;
  }

  /** The key of a definition, or undefined when it has no JSON form (then it is judged every time). */
  keyOf(definition: unknown): string | undefined {
    let json: string | undefined;
    try {
      json = JSON.stringify(definition);
    } catch {
      // Nesting too deep for the serializer: the scan itself decides what to do with such content.
      return undefined;
    }
    return json === undefined ? undefined : createHash('sha256').update(json).digest('base64');
  }

  /** The remembered verdict for a key (counting the lookup as a hit or a miss). */
  get(key: string | undefined): V | undefined {
    const verdict = key === undefined ? undefined : this.verdicts.get(key);
    if (verdict === undefined) this.missCount++;
    else this.hitCount++;
    return verdict;
  }

  set(key: string | undefined, verdict: V): void {
    if (key === undefined) return;
    if (this.verdicts.size >= this.capacity) this.verdicts.clear();
    this.verdicts.set(key, verdict);
  }

  /** The verdict on `definition`: remembered, or computed by `judge` now (a throw is not remembered). */
  verdictOn(definition: unknown, judge: () => V): V {
    const key = this.keyOf(definition);
    const known = this.get(key);
    if (known !== undefined) return known;
    const verdict = judge();
    this.set(key, verdict);
    return verdict;
  }
}
