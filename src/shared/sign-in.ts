// The words with which an upstream says it waits for the user to sign in (OAuth, src/gateway/auth):
// written once here, so the gateway can tell "waiting for sign-in" (keep running, it will come up)
// from "failed" without knowing anything about OAuth. Only our own error texts carry them: a
// server's words never reach an upstream's lastError.

const SIGN_IN = 'sign in: open ';

/** The error text that asks the user to open `url` to sign in. */
export function signInRequiredText(url: string): string {
  return `${SIGN_IN}${url}`;
}

/** Whether an upstream's error text is a sign-in request. */
export function isSignInRequiredText(text: string | undefined): boolean {
  return text !== undefined && text.includes(SIGN_IN);
}
