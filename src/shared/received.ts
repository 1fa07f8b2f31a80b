// A message as it was received, with the exact text it came in when that text may be written again
// as it came: the explicit value a transport's reader produces and its writer consumes, carried in
// between by the one who forwards the message (dropped as soon as anything replaces the message).

/** The bytes of a message's JSON, written in order: a line as read, or that line with its id spliced in. */
export type RawText = readonly Uint8Array[];

export interface Received<M = unknown> {
  readonly message: M;
  /** Present only while it is exactly the JSON of `message` (no duplicate keys, nothing changed since). */
  readonly raw?: RawText;
}

/** `{ message, raw }`, without a `raw` key when there is none. */
export function received<M>(message: M, raw: RawText | undefined): Received<M> {
  return raw === undefined ? { message } : { message, raw };
}
