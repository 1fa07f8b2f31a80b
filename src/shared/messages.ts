// User-facing messages that the gateway and the extension both show, worded once so the chat, the
// gateway's log and VS Code's notifications say the same thing.

/** A start-up that failed for a reason other than the configuration (which has its own messages). */
export function couldNotStartMessage(detail: string): string {
  return `Gatekit could not start: ${detail}`;
}
