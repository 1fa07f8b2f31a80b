// Which of VS Code's own authentication providers can sign a remote server in, from the
// authorization server its discovery named. Only exact hosts count: a look-alike host
// (github.com.evil.example) must never be handed a VS Code account's token. Plain Node.

/** A VS Code authentication provider Gatekit offers, and how it is shown. */
export interface AccountProvider {
  /** The `vscode.authentication` provider id. */
  readonly id: 'github' | 'microsoft';
  readonly label: string;
}

const PROVIDERS: Readonly<Record<string, AccountProvider>> = {
  'github.com': { id: 'github', label: 'GitHub' },
  'api.github.com': { id: 'github', label: 'GitHub' },
  'login.microsoftonline.com': { id: 'microsoft', label: 'Microsoft' },
};

/** The provider for an authorization server's issuer (https only, exact host), or undefined. */
export function accountProviderFor(issuer: string | undefined): AccountProvider | undefined {
  if (issuer === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username || url.password) return undefined;
  return Object.prototype.hasOwnProperty.call(PROVIDERS, url.hostname) ? PROVIDERS[url.hostname] : undefined;
}

/** The scopes a sign-in asked for (space-separated in the authorization request), at most 50 of sane length. */
export function requestedScopes(scope: string | undefined): string[] {
  return (scope ?? '')
    .split(' ')
    .filter((s) => s !== '' && s.length <= 200 && !/[\u0000-\u001f]/.test(s))
    .slice(0, 50);
}

/** A sign-in page the editor may open: https, or http on loopback (a local authorization server). */
export function openableSignInUrl(text: string | undefined): URL | undefined {
  if (text === undefined || text.length > 4096) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? url : undefined;
}
