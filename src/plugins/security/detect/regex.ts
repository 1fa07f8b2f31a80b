// How the detectors search with module-level regexes without sharing a scan's position through them.
//
// A global or sticky regex carries its search position in `lastIndex`, and the detectors compile
// theirs once per process (compiling per scan would cost more than scanning a short string). A scan
// that left its position in a shared regex while it called out (to an `Emit`, to a visitor) would
// have it moved by any scan started there. So the rule: a scan's position lives in the scan's own
// local variables; `lastIndex` is set right before each search and read right after it, with no
// call in between that could reach another scan.

/**
 * The first match of `pattern` (global or sticky) at or after `from`, or null. The caller keeps the
 * position to continue from (usually `pattern.lastIndex` read at once, i.e. the match's end).
 */
export function execAt(pattern: RegExp, text: string, from: number): RegExpExecArray | null {
  pattern.lastIndex = from;
  return pattern.exec(text);
}
