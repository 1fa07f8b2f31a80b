// Gateway-side naming: which tool names a client accepts, renaming in upstream messages, and the URI
// index that routes resources. The `server__name` convention itself is in src/shared/namespacing.

/** MCP clients (VS Code among them) accept tool names of this shape only. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function isValidToolName(name: string): boolean {
  return TOOL_NAME.test(name);
}

/**
 * Replaces mentions of an upstream's bare tool name in its error message with the namespaced name
 * the client knows. Only whole-word mentions, never inside an already namespaced name.
 */
export function renameInMessage(message: string, bare: string, full: string): string {
  if (!bare || !message.includes(bare)) return message;
  let out = '';
  let from = 0;
  for (let at = message.indexOf(bare); at >= 0; at = message.indexOf(bare, at + bare.length)) {
    const before = at > 0 ? message[at - 1]! : '';
    const after = message[at + bare.length] ?? '';
    if (isNameChar(before) || isNameChar(after)) continue;
    out += message.slice(from, at) + full;
    from = at + bare.length;
  }
  return out + message.slice(from);
}

function isNameChar(ch: string): boolean {
  return ch !== '' && /[A-Za-z0-9_-]/.test(ch);
}

/** Longest URI template indexed: longer ones are left out (with a log line). */
export const MAX_TEMPLATE_LENGTH = 2048;
/** Most `{…}` expressions in one template (real templates have a handful): more are left out. */
export const MAX_TEMPLATE_EXPRESSIONS = 32;
/** Most templates indexed per server: the rest of its list is left out (with a log line). */
export const MAX_TEMPLATES_PER_SERVER = 1000;
/** Most URIs a server's ambiguity report names (the status line stays small; the count is exact). */
export const MAX_REPORTED_AMBIGUITIES = 20;

/**
 * An RFC 6570 URI template reduced to what routing needs: its literal parts in order, where each
 * `{…}` expression between them stands for any run of characters (the empty run included).
 * Adjacent expressions are one run, so `a{x}{y}b` and `a{z}b` have the same parts (and the same key).
 */
export interface UriTemplate {
  /** `[L0, L1, …, Ln]` for `L0{…}L1…{…}Ln`: n expressions, n + 1 literals (the first and last may be empty). */
  readonly literals: readonly string[];
  /** Identifies the set of URIs the template matches: two servers with the same key claim the same URIs. */
  readonly key: string;
}

/**
 * Parses a template into its literal parts without building anything from it (no regular
 * expression): `{` opens an expression that the next `}` closes unless another `{` comes first
 * (then the first `{` is literal text), as in `/\{[^{}]*\}/`. Returns why not for templates over the caps.
 */
export function parseUriTemplate(template: string): UriTemplate | { error: string } {
  if (template.length > MAX_TEMPLATE_LENGTH) return { error: `is longer than ${MAX_TEMPLATE_LENGTH} characters` };
  const literals: string[] = [];
  let literal = '';
  let from = 0;
  let expressions = 0;
  // Both searches move forward only, so parsing is linear in the template's length.
  let close = -1;
  for (let open = template.indexOf('{'); open >= 0; open = template.indexOf('{', from)) {
    if (close < open) close = template.indexOf('}', open + 1);
    if (close < 0) break;
    const reopen = template.indexOf('{', open + 1);
    if (reopen >= 0 && reopen < close) {
      // This `{` is text: the expression (if any) starts at the later one.
      literal += template.slice(from, reopen);
      from = reopen;
      continue;
    }
    literal += template.slice(from, open);
    if (++expressions > MAX_TEMPLATE_EXPRESSIONS) return { error: `has more than ${MAX_TEMPLATE_EXPRESSIONS} expressions` };
    // Adjacent expressions: an empty literal between two runs adds nothing.
    if (literal !== '' || literals.length === 0) literals.push(literal);
    literal = '';
    from = close + 1;
  }
  literals.push(literal + template.slice(from));
  return { literals, key: JSON.stringify(literals) };
}

/**
 * Whether `uri` matches a template's literal parts `L0 … Ln`, in time linear in their lengths.
 *
 * With no expression the URI must equal L0. Otherwise L0 is anchored at the start and Ln at the
 * end (so the URI needs at least |L0| + |Ln| characters), and L1 … L(n-1) must occur in this
 * order, without overlapping, in the window between them. Placing each at its leftmost occurrence
 * after the previous one (greedy) finds a placement whenever one exists: let g(i) be where the
 * greedy L(i) ends and a(i) where it ends in any valid placement; g(1) ≤ a(1) because greedy takes
 * the leftmost occurrence, and if g(i-1) ≤ a(i-1) then valid L(i), which starts at or after
 * a(i-1), is a candidate for greedy, so g(i) ≤ a(i). Hence the greedy placement ends no later than
 * any valid one and so fits the window whenever any does; when greedy fails, no match exists.
 * Each search resumes where the previous one ended, so the URI is scanned once, left to right.
 */
export function matchesUriTemplate(template: UriTemplate, uri: string): boolean {
  const { literals } = template;
  const first = literals[0]!;
  if (literals.length === 1) return uri === first;
  const last = literals[literals.length - 1]!;
  const end = uri.length - last.length;
  if (end < first.length || !uri.startsWith(first) || !uri.endsWith(last)) return false;
  let at = first.length;
  for (let i = 1; i < literals.length - 1; i++) {
    const literal = literals[i]!;
    const found = uri.indexOf(literal, at);
    if (found < 0 || found + literal.length > end) return false;
    at = found + literal.length;
  }
  return true;
}

/** Where a resource URI goes: one server, several that claim it (ambiguous), or none known. */
export type ResourceOwner = { server: string } | { ambiguous: readonly string[] } | undefined;

/** What one server has claimed, so forgetting it costs its own entries only. */
interface ServerClaims {
  readonly uris: string[];
  readonly templates: string[];
  /** URIs read that matched its templates and another server's (no exact listing decided). */
  readonly ambiguousReads: Set<string>;
  overCapLogged: boolean;
}

/**
 * Which server owns a resource URI, learnt from `resources/list` and `resources/templates/list`.
 * No server can take another's URIs: an exact URI listed by one server wins over any template, and
 * a URI (or template) that two servers claim is ambiguous rather than first come, first served.
 * Every operation is linear in what it touches: adding is constant time, forgetting a server
 * costs its own claims, a lookup one pass over the distinct templates.
 */
export class ResourceIndex {
  /** Servers that listed each URI, in the order they did. */
  private readonly uriClaims = new Map<string, string[]>();
  /** Each distinct template (by key), with the servers that offer it. */
  private readonly templateClaims = new Map<string, { template: UriTemplate; text: string; servers: string[] }>();
  private readonly claims = new Map<string, ServerClaims>();
  /** Servers whose ambiguous claims changed since the last report. */
  private readonly changed = new Set<string>();
  private reportScheduled = false;
  private populated = false;

  /**
   * @param log diagnostics (templates left out)
   * @param onAmbiguityChanged called once per burst of changes with the servers whose ambiguous claims changed
   */
  constructor(
    private readonly log: (line: string) => void = () => undefined,
    private readonly onAmbiguityChanged: (servers: readonly string[]) => void = () => undefined,
  ) {}

  get isPopulated(): boolean {
    return this.populated;
  }

  markPopulated(): void {
    this.populated = true;
  }

  addResource(uri: string, server: string): void {
    const servers = this.uriClaims.get(uri);
    if (servers === undefined) this.uriClaims.set(uri, [server]);
    else if (!servers.includes(server)) {
      servers.push(server);
      this.markChanged(servers);
    } else return;
    this.claimsOf(server).uris.push(uri);
  }

  addTemplate(text: string, server: string): void {
    const claims = this.claimsOf(server);
    const parsed = parseUriTemplate(text);
    if ('error' in parsed) {
      this.log(`[${server}] resource template left out: it ${parsed.error} (${JSON.stringify(text.slice(0, 100))}…)`);
      return;
    }
    const entry = this.templateClaims.get(parsed.key);
    if (entry?.servers.includes(server)) return;
    if (claims.templates.length >= MAX_TEMPLATES_PER_SERVER) {
      if (!claims.overCapLogged) this.log(`[${server}] offers more than ${MAX_TEMPLATES_PER_SERVER} resource templates: the rest are left out`);
      claims.overCapLogged = true;
      return;
    }
    if (entry === undefined) this.templateClaims.set(parsed.key, { template: parsed, text, servers: [server] });
    else {
      entry.servers.push(server);
      this.markChanged(entry.servers);
    }
    claims.templates.push(parsed.key);
  }

  /** The servers that have claimed anything. */
  servers(): string[] {
    return [...this.claims.keys()];
  }

  /** Forgets what one server offered (it restarted or changed its list). */
  forgetServer(server: string): void {
    const claims = this.claims.get(server);
    this.populated = false;
    if (claims === undefined) return;
    this.claims.delete(server);
    for (const uri of claims.uris) {
      const servers = this.uriClaims.get(uri)!;
      if (servers.length === 1) this.uriClaims.delete(uri);
      else this.markChanged(remove(servers, server));
    }
    for (const key of claims.templates) {
      const entry = this.templateClaims.get(key)!;
      if (entry.servers.length === 1) this.templateClaims.delete(key);
      else this.markChanged(remove(entry.servers, server));
    }
    this.changed.add(server);
    this.scheduleReport();
  }

  /**
   * The server of a URI: the one that listed it exactly; else the one whose templates match it.
   * Two servers listing it, or (without an exact listing) two servers' templates matching it, make it ambiguous.
   */
  lookup(uri: string): ResourceOwner {
    const listed = this.uriClaims.get(uri);
    if (listed !== undefined) return listed.length === 1 ? { server: listed[0]! } : { ambiguous: [...listed] };
    const matching: string[] = [];
    let mostClaimants = 0;
    for (const { template, servers } of this.templateClaims.values()) {
      if (servers.every((s) => matching.includes(s)) || !matchesUriTemplate(template, uri)) continue;
      for (const s of servers) if (!matching.includes(s)) matching.push(s);
      mostClaimants = Math.max(mostClaimants, servers.length);
    }
    if (matching.length === 0) return undefined;
    if (matching.length === 1) return { server: matching[0]! };
    // One template they all offer is reported already; different templates meeting here are news.
    if (mostClaimants === matching.length) return { ambiguous: matching };
    for (const server of matching) {
      const reads = this.claimsOf(server).ambiguousReads;
      if (reads.size < MAX_REPORTED_AMBIGUITIES && !reads.has(uri)) {
        reads.add(uri);
        this.markChanged([server]);
      }
    }
    return { ambiguous: matching };
  }

  /**
   * What a server claims together with another server (URIs, templates, and URIs read that matched
   * both's templates), each as `<uri or template> (also <servers>)`, at most {@link MAX_REPORTED_AMBIGUITIES}.
   */
  ambiguousClaims(server: string): string[] {
    const claims = this.claims.get(server);
    if (claims === undefined) return [];
    const out: string[] = [];
    const add = (what: string, servers: readonly string[]): boolean => {
      if (servers.length > 1) out.push(`${what} (also ${servers.filter((s) => s !== server).join(', ')})`);
      return out.length < MAX_REPORTED_AMBIGUITIES;
    };
    for (const uri of claims.uris) if (!add(uri, this.uriClaims.get(uri)!)) return out;
    for (const key of claims.templates) {
      const { text, servers } = this.templateClaims.get(key)!;
      if (!add(text, servers)) return out;
    }
    for (const uri of claims.ambiguousReads) {
      const owner = this.lookupQuietly(uri);
      // A server that left (or listed the URI exactly since) settled it: it no longer counts.
      if (!owner || !('ambiguous' in owner) || !owner.ambiguous.includes(server)) claims.ambiguousReads.delete(uri);
      else if (!add(uri, owner.ambiguous)) return out;
    }
    return out;
  }

  /** `lookup` for a report: without recording the read again. */
  private lookupQuietly(uri: string): ResourceOwner {
    if (this.uriClaims.has(uri)) return undefined; // an exact listing decides it now
    const matching = new Set<string>();
    for (const { template, servers } of this.templateClaims.values()) if (matchesUriTemplate(template, uri)) servers.forEach((s) => matching.add(s));
    return matching.size > 1 ? { ambiguous: [...matching] } : undefined;
  }

  private claimsOf(server: string): ServerClaims {
    let claims = this.claims.get(server);
    if (claims === undefined) {
      claims = { uris: [], templates: [], ambiguousReads: new Set(), overCapLogged: false };
      this.claims.set(server, claims);
    }
    return claims;
  }

  private markChanged(servers: readonly string[]): void {
    for (const server of servers) this.changed.add(server);
    this.scheduleReport();
  }

  /** One report per burst: a list of thousands of shared URIs is reported once, after it is indexed. */
  private scheduleReport(): void {
    if (this.reportScheduled) return;
    this.reportScheduled = true;
    setImmediate(() => {
      this.reportScheduled = false;
      const servers = [...this.changed];
      this.changed.clear();
      if (servers.length) this.onAmbiguityChanged(servers);
    });
  }
}

/** Removes one server from a claim list (kept in place) and returns what remains. */
function remove(servers: string[], server: string): string[] {
  const at = servers.indexOf(server);
  if (at >= 0) servers.splice(at, 1);
  return servers;
}
