// The `server__name` convention for tools and prompts, and the URI index that routes resources.

/** Separator between server and item names; the first occurrence splits (`fs__read__file` → fs, read__file). */
export const NAMESPACE_SEPARATOR = '__';

/** MCP clients (VS Code among them) accept tool names of this shape only. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Tool names a server may use (the MCP naming guidance: letters, digits, `_`, `-`, `.`, 1-128):
 * a listed tool whose name breaks it is left out by the router.
 */
export const UPSTREAM_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function namespaced(server: string, name: string): string {
  return `${server}${NAMESPACE_SEPARATOR}${name}`;
}

/** Splits a namespaced name, or returns undefined when it has no separator or an empty part. */
export function splitNamespaced(name: string): { server: string; name: string } | undefined {
  const at = name.indexOf(NAMESPACE_SEPARATOR);
  if (at <= 0 || at + NAMESPACE_SEPARATOR.length >= name.length) return undefined;
  return { server: name.slice(0, at), name: name.slice(at + NAMESPACE_SEPARATOR.length) };
}

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

/** An RFC 6570 URI template reduced to a matcher: each `{…}` expression matches any run of characters. */
export function templateMatcher(template: string): RegExp | undefined {
  if (template.length > 2048) return undefined;
  let pattern = '^';
  let last = 0;
  for (const m of template.matchAll(/\{[^{}]*\}/g)) {
    pattern += escapeRegExp(template.slice(last, m.index)) + '(.*?)';
    last = m.index + m[0].length;
  }
  pattern += escapeRegExp(template.slice(last)) + '$';
  try {
    return new RegExp(pattern, 's');
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Which server owns a resource URI: learnt from `resources/list` and `resources/templates/list`. */
export class ResourceIndex {
  private readonly byUri = new Map<string, string>();
  private readonly templates: { server: string; matcher: RegExp }[] = [];
  private populated = false;

  get isPopulated(): boolean {
    return this.populated;
  }

  markPopulated(): void {
    this.populated = true;
  }

  addResource(uri: string, server: string): void {
    if (!this.byUri.has(uri)) this.byUri.set(uri, server);
  }

  addTemplate(template: string, server: string): void {
    if (this.templates.some((t) => t.server === server && t.matcher.source === templateMatcher(template)?.source)) return;
    const matcher = templateMatcher(template);
    if (matcher) this.templates.push({ server, matcher });
  }

  /** Forgets what one server offered (it restarted or changed its list). */
  forgetServer(server: string): void {
    for (const [uri, owner] of this.byUri) if (owner === server) this.byUri.delete(uri);
    for (let i = this.templates.length - 1; i >= 0; i--) if (this.templates[i]!.server === server) this.templates.splice(i, 1);
    this.populated = false;
  }

  lookup(uri: string): string | undefined {
    const exact = this.byUri.get(uri);
    if (exact) return exact;
    return this.templates.find((t) => t.matcher.test(uri))?.server;
  }
}
