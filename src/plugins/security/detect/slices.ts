// Scanning a large text without holding the event loop: the text is detected in slices, each read
// with a margin of context on both sides, and the filter yields to other work between slices. One
// server's 2 MB result then delays another server's call by a slice, not by the whole scan.
import type { TextFinding } from './text-finding';

/** Characters detected per slice: a few milliseconds of the slowest detector (phone numbers). */
export const SLICE_LENGTH = 16 * 1024;
/**
 * Context read on each side of a slice. Detectors look at most a few dozen characters around a
 * finding (words before an SSN, the access key id next to an AWS secret: 256); a finding that runs
 * into the far margin makes the window grow until it ends inside it (a long PEM block).
 */
export const SLICE_MARGIN = 1024;
/** How long a scan runs before it lets other work in. */
const RUN_BUDGET_MS = 4;

/** Tells a long scan when to let other work in: after each stretch of `RUN_BUDGET_MS`. */
export class CooperativePause {
  private runningSince = performance.now();

  /** A promise to await when the budget is spent (resolved on the next turn of the event loop), else undefined. */
  due(): Promise<void> | undefined {
    if (performance.now() - this.runningSince < RUN_BUDGET_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.runningSince = performance.now();
        resolve();
      }),
    );
  }
}

/** Where the slice that starts at `from` ends: after a line break near `from + length`, else after a space, else exactly there. */
function sliceEnd(text: string, from: number, length: number): number {
  const target = from + length;
  if (target + (length >> 2) >= text.length) return text.length;
  const limit = target + (length >> 2);
  const newline = text.indexOf('\n', target);
  if (newline !== -1 && newline < limit) return newline + 1;
  for (let i = target; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) return i + 1;
  }
  return target;
}

export interface SliceOptions {
  readonly sliceLength?: number;
  readonly margin?: number;
}

/**
 * The findings of `detect(text)`, detected slice by slice with `pause` consulted in between. Each
 * slice keeps the findings that start in it, as read in a window of `margin` more text on each
 * side; a finding reaching the window's far margin widens the window, so findings longer than a
 * slice are whole. Texts up to two slices long are detected in one piece.
 */
export async function detectInSlices<F extends TextFinding>(
  text: string,
  detect: (text: string) => F[],
  pause: CooperativePause,
  options: SliceOptions = {},
): Promise<F[]> {
  const sliceLength = options.sliceLength ?? SLICE_LENGTH;
  const margin = options.margin ?? SLICE_MARGIN;
  const n = text.length;
  if (n <= 2 * sliceLength) return detect(text);
  const out: F[] = [];
  for (let from = 0; from < n; ) {
    const to = sliceEnd(text, from, sliceLength);
    const windowStart = Math.max(0, from - margin);
    let windowEnd = Math.min(n, to + margin);
    for (;;) {
      const found = detect(text.slice(windowStart, windowEnd));
      const kept: F[] = [];
      let reachesMargin = false;
      for (const f of found) {
        const start = f.start + windowStart;
        if (start < from || start >= to) continue;
        const end = f.end + windowStart;
        if (end > windowEnd - margin && windowEnd < n) reachesMargin = true;
        kept.push(start === f.start && end === f.end ? f : { ...f, start, end });
      }
      if (reachesMargin) {
        windowEnd = Math.min(n, windowEnd + (windowEnd - windowStart));
        continue;
      }
      for (const f of kept) out.push(f);
      break;
    }
    from = to;
    const due = pause.due();
    if (due !== undefined) await due;
  }
  return out;
}
