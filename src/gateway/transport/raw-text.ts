// The raw bytes of a message (its `raw`, see src/shared/received.ts): whether a line as read may be
// written again in place of the parsed message (no object in it has a key twice), and the same
// bytes with another id spliced in, so a large answer is forwarded without being serialized again.
import { received, type RawText, type Received } from '../../shared/received';

/**
 * The text to write `message` from instead of serializing it again, when `bytes` (a line as read,
 * without its terminator) may stand for it: which for a large result saves most of the gateway's
 * work (no serializing, no UTF-8 encoding). The caller vouches that the message holds every member
 * of the parsed line; this checks that no object in the line has a key twice. JSON.parse keeps the
 * last of duplicate keys, so the message (and every filter) saw only that one, while a parser keeping
 * the first would read the other copy: such a line has no reusable text and is written by
 * serializing what was scanned.
 */
export function rawTextOf(bytes: Buffer): RawText | undefined {
  return hasDuplicateKeys(bytes) ? undefined : [bytes];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
/** Keys compared pairwise as byte ranges up to this many per object; beyond, they go into a set. */
const KEYS_COMPARED_PAIRWISE = 16;

/**
 * Whether some object in `bytes` (one JSON text that JSON.parse accepted) has a key twice, at any
 * depth, in one linear pass; long strings are skipped with a native search for their closing quote.
 * Plain keys (printable ASCII, no escape) are compared as bytes; any other key is compared as the
 * text JSON.parse makes of it (`"res\u0075lt"` is `"result"`), decoded from UTF-8 the way the line
 * was, so invalid bytes that decode alike also count as the same key. When in doubt (the text does
 * not end as JSON should) the answer is true, which only costs serializing the message again.
 */
export function hasDuplicateKeys(bytes: Buffer): boolean {
  const end = bytes.length;
  const scan: KeyScan = { ranges: [], first: NOT_AN_OBJECT, set: undefined };
  /** The enclosing containers' `first` and `set`, innermost last. */
  const enclosing: (number | Set<string> | undefined)[] = [];
  /** Whether the next string is a key: right after `{`, or after a `,` directly inside an object. */
  let expectKey = false;
  let i = 0;
  while (i < end) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      const close = closingQuote(bytes, i + 1);
      if (close === -1) return true;
      if (expectKey) {
        if (!addKey(bytes, scan, i + 1, close)) return true;
        expectKey = false;
      }
      i = close + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      enclosing.push(scan.first, scan.set);
      scan.first = c === OPEN_BRACE ? scan.ranges.length : NOT_AN_OBJECT;
      scan.set = undefined;
      expectKey = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (enclosing.length === 0) return true;
      if (scan.first !== NOT_AN_OBJECT) scan.ranges.length = scan.first;
      scan.set = enclosing.pop() as Set<string> | undefined;
      scan.first = enclosing.pop() as number;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = scan.first !== NOT_AN_OBJECT;
    }
    i++;
  }
  return enclosing.length !== 0;
}

const NOT_AN_OBJECT = -1;

/**
 * The keys seen in the innermost open object. `ranges` holds the start and end offsets of the keys
 * of every open object, outermost first (an inner object's keys are dropped when it closes, before
 * its parent's next key): the innermost object's are those from index `first`, or its `set` of key
 * texts once it has many or one that is not plain.
 */
interface KeyScan {
  ranges: number[];
  first: number;
  set: Set<string> | undefined;
}

/** Bytes of a string looked at one by one before a native search takes over (a call costs more than a short loop). */
const SHORT_STRING_BYTES = 64;

/** The offset of the quote closing a string whose text starts at `from`, or -1. */
function closingQuote(bytes: Buffer, from: number): number {
  const end = bytes.length;
  let i = from;
  // Keys and most values are short: walk them, stepping over escapes.
  for (const stop = Math.min(end, from + SHORT_STRING_BYTES); i < stop; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  if (i >= end) return -1;
  // `i` starts a character here (an escape's second byte was stepped over): search natively on.
  let quote = bytes.indexOf(QUOTE, i);
  while (quote !== -1) {
    // A quote preceded by an odd number of backslashes is escaped: it is part of the text.
    let backslashes = 0;
    while (quote - 1 - backslashes >= i && bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    // Text with many escaped quotes: walk from here rather than calling the search per quote.
    i = quote + 1;
    for (const stop = Math.min(end, i + SHORT_STRING_BYTES); i < stop; i++) {
      const c = bytes[i]!;
      if (c === QUOTE) return i;
      if (c === BACKSLASH) i++;
    }
    if (i >= end) return -1;
    quote = bytes.indexOf(QUOTE, i);
  }
  return -1;
}

/** Adds the key `bytes[start, end)` (without its quotes) to the innermost object's keys; false when it has it already. */
function addKey(bytes: Buffer, scan: KeyScan, start: number, end: number): boolean {
  const ranges = scan.ranges;
  if (scan.set === undefined && isPlainKey(bytes, start, end)) {
    const length = end - start;
    for (let k = scan.first; k < ranges.length; k += 2) {
      const other = ranges[k]!;
      if (ranges[k + 1]! - other === length && sameBytes(bytes, start, other, length)) return false;
    }
    if (ranges.length - scan.first < 2 * KEYS_COMPARED_PAIRWISE) {
      ranges.push(start, end);
      return true;
    }
  }
  if (scan.set === undefined) {
    // Every key so far is plain: its bytes are its text.
    scan.set = new Set();
    for (let k = scan.first; k < ranges.length; k += 2) scan.set.add(bytes.toString('latin1', ranges[k]!, ranges[k + 1]!));
  }
  const key = keyText(bytes, start, end);
  if (key === undefined || scan.set.has(key)) return false;
  scan.set.add(key);
  return true;
}

/** Printable ASCII without a backslash: the bytes are the key's text, so equal bytes mean equal keys and nothing else does. */
function isPlainKey(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === BACKSLASH || c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** The text JSON.parse makes of a key, decoded from UTF-8 as the reader decodes the line (undefined if it is not a JSON string after all). */
function keyText(bytes: Buffer, start: number, end: number): string | undefined {
  const raw = bytes.toString('utf8', start, end);
  if (raw.indexOf('\\') === -1) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

function sameBytes(bytes: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/** An id written as JSON: an integer or a string without escapes (what peers put in their ids). */
const ID_VALUE = String.raw`(-?\d{1,16}|"[^"\\]{0,200}")`;
/** `{"jsonrpc":"2.0","id":…,` or `{"id":…,` opening the line (Python and most hand-written servers). */
const ID_FIRST = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + ID_VALUE + String.raw`\s*,`);
/** `…,"id":…}` closing the line (the TypeScript SDK writes the id last). */
const ID_LAST = new RegExp(String.raw`[,{]\s*"id"\s*:\s*` + ID_VALUE + String.raw`\s*\}\s*$`);
/** Both forms are looked for in this many bytes at either end, so their cost does not grow with the line. */
const ID_WINDOW = 300;

/**
 * A copy of the message with its id replaced. When the original's text is known, the copy's is
 * that text with the id spliced in, so the writer does not serialize it again.
 *
 * The splice is used only where it provably yields the same value: the id found must be a
 * top-level member holding the parsed id. JSON.parse keeps the last of duplicate keys, so an id
 * that closes the object is always the one that counts; one that opens it counts only if no other
 * `"id"` key follows (checked by a native search; when found, the copy is simply serialized anew).
 */
export function withReplacedId<T extends { id: string | number | null }>(original: Received<T>, id: string | number | null): Received<T> {
  const { message, raw } = original;
  const copy = { ...message, id };
  if (raw !== undefined && raw.length === 1 && message.id !== null && id !== null) {
    return received(copy, spliceId(Buffer.from(raw[0]!.buffer, raw[0]!.byteOffset, raw[0]!.byteLength), message.id, JSON.stringify(id)));
  }
  return { message: copy };
}

/**
 * The windows are decoded as Latin-1, one character per byte, so positions in them are byte
 * offsets; a multi-byte character only ever lies inside a string, where none of the patterns can
 * match (its bytes are never `"`, `\`, `,` or digits).
 */
function spliceId(bytes: Buffer, oldId: string | number, newIdJson: string): Buffer[] | undefined {
  const tailStart = Math.max(0, bytes.length - ID_WINDOW);
  const last = ID_LAST.exec(bytes.toString('latin1', tailStart));
  if (last !== null && sameId(last[1]!, oldId)) {
    const valueEnd = tailStart + last.index + last[0].lastIndexOf(last[1]!) + last[1]!.length;
    return [bytes.subarray(0, valueEnd - last[1]!.length), Buffer.from(newIdJson), bytes.subarray(valueEnd)];
  }
  const first = ID_FIRST.exec(bytes.toString('latin1', 0, Math.min(bytes.length, ID_WINDOW)));
  if (first !== null && sameId(first[1]!, oldId) && bytes.indexOf('"id"', first[0].length) === -1) {
    const valueEnd = first[0].lastIndexOf(first[1]!) + first[1]!.length;
    return [bytes.subarray(0, valueEnd - first[1]!.length), Buffer.from(newIdJson), bytes.subarray(valueEnd)];
  }
  return undefined;
}

function sameId(json: string, id: string | number): boolean {
  return json.charCodeAt(0) === 0x22 ? typeof id === 'string' && json.slice(1, -1) === id : typeof id === 'number' && Number(json) === id;
}
