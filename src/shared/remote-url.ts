// Which URLs may be a remote upstream's address: one rule for the config schema, the extension's
// mcp.json import and the gateway.

/** Loopback hosts, where plain http:// never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Why `url` cannot be a remote upstream's address, or undefined when it can: an absolute http(s)
 * URL, without credentials in it (they would show in every log line naming the server: use
 * `headers`), plain http only to loopback unless `allowInsecureHttp`.
 */
export function remoteUrlProblem(url: string, allowInsecureHttp: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url must be an absolute URL such as https://example.com/mcp';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `url must start with https:// (or http:// for a local server), not ${JSON.stringify(parsed.protocol)}`;
  if (parsed.username || parsed.password) return 'url must not contain a user name or password (they would appear in logs); send credentials with headers or oauth';
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && !allowInsecureHttp) {
    return `plain http:// to ${parsed.hostname} sends everything unencrypted; use https://, or set allow_insecure_http: true if you accept that`;
  }
  return undefined;
}
