// `call_approval`'s policy and decisions (the plugin's definition is call_approval.ts; this module is
// bundled in the gateway's `approval` chunk, loaded only by configurations that use the plugin).
// A person approves risky tool calls before they reach the server. The policy names
// calls by tool name, by the tool's annotations (as its server listed them) and by arguments; a call
// that matches is held while the person is asked (VS Code's prompt, else the client's elicitation)
// and denied on "deny", on timeout, on cancellation, and when no one can be asked (unless configured).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ErrorCode, isRecord, makeError, type JsonRpcRequest, type JsonRpcResponse } from '../../shared/jsonrpc';
import type { ApprovalAnswer, ApprovalQuestion, InterceptorPlugin, MessageContext, PluginDecision, ReadonlyRequest, ReadonlyResponse } from '../types';
import type { CallApprovalOptions } from './call_approval.descriptor';
import { ANNOTATION_HINTS, CALL_APPROVAL_DISPLAY_NAME, CALL_APPROVAL_HANDLER } from './call_approval-facts.descriptor';

export type { CallApprovalOptions };

type Hint = (typeof ANNOTATION_HINTS)[number];
/** A tool's annotations with every hint decided (absent ones at their MCP default). */
export type EffectiveAnnotations = Readonly<Record<Hint, boolean>>;

/** The MCP defaults of absent annotations (schema `ToolAnnotations`): an unannotated tool counts as risky. */
const HINT_DEFAULTS: EffectiveAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

/** Argument strings longer than this are not matched against globs or patterns (cost): such a call counts as matching. */
export const MAX_JUDGED_CHARS = 65_536;
/** Tools remembered per plugin instance before the memory starts over (a server inventing tools cannot grow it). */
const MAX_REMEMBERED_TOOLS = 10_000;
/** Session grants kept before they start over (each is a few hundred bytes). */
const MAX_SESSION_GRANTS = 10_000;

/**
 * Who or what decided a call the policy matched, as audited: `user-once`, `user-session` (the
 * person allowed it for the session now), `session-grant` (an earlier session allowance),
 * `user-deny`, `timeout`, `cancelled`, `no-asker` (denied, or allowed with `no_asker: allow`),
 * `invalid-answer`, `asker-failed`.
 */
export type ApprovalDecider = 'user-once' | 'user-session' | 'session-grant' | 'user-deny' | 'timeout' | 'cancelled' | 'no-asker' | 'invalid-answer' | 'asker-failed';

/** One tool call as the policy judges it. */
export interface JudgedCall {
  readonly tool: string;
  readonly arguments: unknown;
  /** The tool's annotations as its server listed them; undefined when it was never listed (all hints at their defaults). */
  readonly annotations?: EffectiveAnnotations;
}

interface CompiledCondition {
  readonly name: string;
  readonly glob?: Glob;
  readonly matches?: RegExp;
  readonly hasEquals: boolean;
  readonly equals?: unknown;
}

interface CompiledRule {
  readonly index: number;
  readonly tools?: readonly Glob[];
  readonly annotations?: Partial<EffectiveAnnotations>;
  readonly arguments?: readonly CompiledCondition[];
  readonly description: string;
}

/** A compiled glob: whether a whole text matches it. */
export interface Glob {
  test(text: string): boolean;
}

type GlobToken = { readonly kind: 'char'; readonly char: string } | { readonly kind: 'one' | 'star' | 'globstar' };

/**
 * A glob: `**` any text, `*` any text without `/`, `?` one character but `/`; everything else
 * literal (regex metacharacters in a pattern or a tool name mean themselves). Matched by walking
 * the pattern's positions over the text once (time: text length × pattern length), never by a
 * backtracking regex: the texts are a model's arguments, and `**a**a**b` over a long run of `a`
 * would hold a backtracking engine — and every call through the gateway — for minutes.
 */
export function compileGlob(glob: string): Glob {
  const tokens: GlobToken[] = [];
  const chars = Array.from(glob);
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === '*' && chars[i + 1] === '*') {
      tokens.push({ kind: 'globstar' });
      i++;
    } else if (char === '*') tokens.push({ kind: 'star' });
    else if (char === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char });
  }
  return { test: (text) => globMatchesText(tokens, text) };
}

function globMatchesText(tokens: readonly GlobToken[], text: string): boolean {
  // at[i]: the text read so far can end with the pattern matched up to token i.
  let at = new Uint8Array(tokens.length + 1);
  at[0] = 1;
  skipStars(tokens, at);
  for (const char of text) {
    const next = new Uint8Array(tokens.length + 1);
    let any = false;
    for (let i = 0; i < tokens.length; i++) {
      if (!at[i]) continue;
      const token = tokens[i]!;
      const fits = token.kind === 'char' ? char === token.char : token.kind === 'globstar' || char !== '/';
      if (!fits) continue;
      // A star stays on itself; a single character moves past its token.
      next[token.kind === 'star' || token.kind === 'globstar' ? i : i + 1] = 1;
      any = true;
    }
    if (!any) return false;
    skipStars(tokens, next);
    at = next;
  }
  return at[tokens.length] === 1;
}

/** A star may match nothing: wherever the match stands before one, it also stands after it. */
function skipStars(tokens: readonly GlobToken[], at: Uint8Array): void {
  for (let i = 0; i < tokens.length; i++) if (at[i] && (tokens[i]!.kind === 'star' || tokens[i]!.kind === 'globstar')) at[i + 1] = 1;
}

/** The policy compiled once per configuration. */
export function compileRules(options: Pick<CallApprovalOptions, 'rules'>): CompiledRule[] {
  return options.rules.map((rule, index) => {
    const parts: string[] = [];
    if (rule.tools) parts.push(`tool ${rule.tools.map((t) => JSON.stringify(t)).join(' or ')}`);
    if (rule.annotations) parts.push(Object.entries(rule.annotations).map(([hint, value]) => `${hint} ${String(value)}`).join(', '));
    if (rule.arguments) parts.push(rule.arguments.map((c) => `argument ${JSON.stringify(c.name)}${c.glob !== undefined ? ` like ${JSON.stringify(c.glob)}` : ''}${c.matches !== undefined ? ` matching /${c.matches}/` : ''}${'equals' in c ? ` = ${JSON.stringify(c.equals)}` : ''}`).join(', '));
    return {
      index,
      description: `rule ${index + 1}: ${parts.join('; ')}`,
      ...(rule.tools ? { tools: rule.tools.map(compileGlob) } : {}),
      ...(rule.annotations ? { annotations: rule.annotations as Partial<EffectiveAnnotations> } : {}),
      ...(rule.arguments
        ? {
            arguments: rule.arguments.map((c) => ({
              name: c.name,
              ...(c.glob !== undefined ? { glob: compileGlob(c.glob) } : {}),
              ...(c.matches !== undefined ? { matches: new RegExp(c.matches, 'u') } : {}),
              hasEquals: 'equals' in c,
              ...('equals' in c ? { equals: c.equals } : {}),
            })),
          }
        : {}),
    };
  });
}

/** The first rule that matches a call, or undefined when none does (the call goes ahead unasked). */
export function matchingRule(rules: readonly CompiledRule[], call: JudgedCall): CompiledRule | undefined {
  const annotations = call.annotations ?? HINT_DEFAULTS;
  return rules.find(
    (rule) =>
      (rule.tools === undefined || rule.tools.some((pattern) => pattern.test(call.tool))) &&
      (rule.annotations === undefined || annotationsMatch(rule.annotations, annotations)) &&
      (rule.arguments === undefined || rule.arguments.every((condition) => conditionHolds(condition, call.arguments))),
  );
}

function annotationsMatch(wanted: Partial<EffectiveAnnotations>, actual: EffectiveAnnotations): boolean {
  for (const hint of ANNOTATION_HINTS) if (wanted[hint] !== undefined && wanted[hint] !== effectiveHint(actual, hint)) return false;
  return true;
}

/** A hint as the spec reads it: destructiveHint means something only for a tool that is not read-only. */
function effectiveHint(annotations: EffectiveAnnotations, hint: Hint): boolean {
  if (hint === 'destructiveHint') return !annotations.readOnlyHint && annotations.destructiveHint;
  return annotations[hint];
}

function conditionHolds(condition: CompiledCondition, args: unknown): boolean {
  // Own properties only: an argument named `__proto__` or `constructor` is the call's, not Object's.
  if (!isRecord(args) || !Object.hasOwn(args, condition.name)) return false;
  const value = args[condition.name];
  if (condition.hasEquals && !isDeepStrictEqual(value, condition.equals)) return false;
  const patterns = [condition.glob, condition.matches].filter((p): p is Glob | RegExp => p !== undefined);
  if (patterns.length === 0) return true;
  const strings = Array.isArray(value) ? value : [value];
  // A value that cannot be judged (a number where a path was expected, an object, a huge string)
  // counts as matching: the policy asks rather than letting an odd type slip past it.
  if (strings.length === 0) return false;
  if (strings.some((s) => typeof s !== 'string' || s.length > MAX_JUDGED_CHARS)) return true;
  return (strings as string[]).some((s) => patterns.every((p) => (p === condition.glob ? globMatches(p, s) : p.test(s))));
}

/** A path argument is tried as given and with `.`/`..` resolved, so `/tmp/../etc/passwd` meets a rule on `/etc/**`. */
function globMatches(pattern: Glob, value: string): boolean {
  if (pattern.test(value)) return true;
  const normalized = value.includes('\\') ? posix.normalize(value.replace(/\\/g, '/')) : posix.normalize(value);
  return normalized !== value && pattern.test(normalized);
}

/** What the plugin remembers of a listed tool: its definition's hash and its riskiest annotations so far. */
interface KnownTool {
  readonly hash: string;
  readonly annotations: EffectiveAnnotations;
}

function annotationsOf(tool: Record<string, unknown>): EffectiveAnnotations {
  const given = isRecord(tool.annotations) ? tool.annotations : {};
  // Only real booleans count: a server sending "false" as a string gets the default.
  const hint = (name: Hint): boolean => (typeof given[name] === 'boolean' ? (given[name] as boolean) : HINT_DEFAULTS[name]);
  return { readOnlyHint: hint('readOnlyHint'), destructiveHint: hint('destructiveHint'), idempotentHint: hint('idempotentHint'), openWorldHint: hint('openWorldHint') };
}

/**
 * The riskier reading of two: once a server said a tool writes, destroys or reaches the world, a
 * later list claiming otherwise does not take it out of the policy until the gateway restarts.
 */
function riskier(before: EffectiveAnnotations, now: EffectiveAnnotations): EffectiveAnnotations {
  return {
    readOnlyHint: before.readOnlyHint && now.readOnlyHint,
    destructiveHint: before.destructiveHint || now.destructiveHint,
    idempotentHint: before.idempotentHint && now.idempotentHint,
    openWorldHint: before.openWorldHint || now.openWorldHint,
  };
}

function definitionHash(tool: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(tool);
  } catch {
    json = undefined;
  }
  // A definition without a JSON form never equals a grant's: each call is asked.
  return json === undefined ? `unhashable-${Math.random()}` : createHash('sha256').update(json).digest('base64');
}

const UNLISTED = 'unlisted';

const REASONS: Record<Exclude<ApprovalDecider, 'user-once' | 'user-session' | 'session-grant'>, string> = {
  'user-deny': 'the user denied the call',
  timeout: 'no answer in time',
  cancelled: 'the call was cancelled while waiting for approval',
  'no-asker': 'no one can be asked (no VS Code window is connected and the client does not support elicitation)',
  'invalid-answer': 'the answer was not understood',
  'asker-failed': 'asking for approval failed',
};

class CallApproval implements InterceptorPlugin {
  private readonly rules: CompiledRule[];
  private readonly timeoutMs: number;
  /** `["server","tool"]` (JSON, so no name can forge another's key) → what its last listing said. */
  private readonly known = new Map<string, KnownTool>();
  /** `["server","tool","definition hash"]` of tools allowed for the session. */
  private readonly grants = new Set<string>();

  constructor(private readonly options: CallApprovalOptions) {
    this.rules = compileRules(options);
    this.timeoutMs = options.timeout_seconds * 1000;
  }

  onRequest(request: ReadonlyRequest, ctx: MessageContext): PluginDecision<JsonRpcRequest> | undefined | Promise<PluginDecision<JsonRpcRequest> | undefined> {
    if (ctx.origin !== 'client' || request.method !== 'tools/call') return undefined;
    const tool = request.params?.name;
    // A missing or malformed name is the router's to answer (-32602).
    if (typeof tool !== 'string' || tool === '') return undefined;
    const toolKey = JSON.stringify([ctx.serverName, tool]);
    const known = this.known.get(toolKey);
    const args = request.params?.arguments;
    const rule = matchingRule(this.rules, { tool, arguments: args, ...(known ? { annotations: known.annotations } : {}) });
    if (!rule) return undefined;
    const grant = JSON.stringify([ctx.serverName, tool, known?.hash ?? UNLISTED]);
    if (this.grants.has(grant)) return this.allowed('session-grant', rule, 'gatekit');
    return this.ask(request, ctx, { server: ctx.serverName, tool, arguments: args, reason: rule.description, timeoutMs: this.timeoutMs, offerSession: this.options.allow_session }, rule, grant);
  }

  onResponse(response: ReadonlyResponse, ctx: MessageContext): undefined {
    if (ctx.origin !== 'client' || ctx.request?.method !== 'tools/list' || !('result' in response)) return undefined;
    const tools = response.result.tools;
    if (!Array.isArray(tools)) return undefined;
    for (const tool of tools as unknown[]) {
      if (!isRecord(tool) || typeof tool.name !== 'string' || tool.name === '') continue;
      const key = JSON.stringify([ctx.serverName, tool.name]);
      const before = this.known.get(key);
      const annotations = annotationsOf(tool);
      if (!before && this.known.size >= MAX_REMEMBERED_TOOLS) this.known.clear();
      this.known.set(key, { hash: definitionHash(tool), annotations: before ? riskier(before.annotations, annotations) : annotations });
    }
    return undefined;
  }

  private async ask(request: ReadonlyRequest, ctx: MessageContext, question: ApprovalQuestion, rule: CompiledRule, grant: string): Promise<PluginDecision<JsonRpcRequest>> {
    if (ctx.signal?.aborted) return this.denied(request, 'cancelled', rule, 'gatekit');
    const withdraw = new AbortController();
    const timer = setTimeout(() => withdraw.abort('timeout'), this.timeoutMs);
    const cancel = (): void => withdraw.abort('cancelled');
    ctx.signal?.addEventListener('abort', cancel, { once: true });
    try {
      let asking: Promise<ApprovalAnswer> | undefined;
      try {
        asking = ctx.askApproval?.(question, withdraw.signal);
      } catch (err) {
        return this.denied(request, 'asker-failed', rule, 'gatekit', err instanceof Error ? err.message : String(err));
      }
      if (asking === undefined) {
        return this.options.no_asker === 'allow' ? this.allowed('no-asker', rule, 'policy') : this.denied(request, 'no-asker', rule, 'policy');
      }
      // The asker is told of the withdrawal, but the decision never waits on it to notice.
      const withdrawn = new Promise<'withdrawn'>((resolve) => withdraw.signal.addEventListener('abort', () => resolve('withdrawn'), { once: true }));
      const answer = await Promise.race([asking.catch((err: unknown): ApprovalAnswer => ({ decision: 'failed', by: 'gatekit', detail: err instanceof Error ? err.message : String(err) })), withdrawn]);
      if (answer === 'withdrawn' || withdraw.signal.aborted) {
        return this.denied(request, withdraw.signal.reason === 'timeout' ? 'timeout' : 'cancelled', rule, answer === 'withdrawn' ? 'gatekit' : answer.by);
      }
      switch (answer.decision) {
        case 'allow_once':
          return this.allowed('user-once', rule, answer.by);
        case 'allow_session':
          if (!this.options.allow_session) return this.allowed('user-once', rule, answer.by);
          if (this.grants.size >= MAX_SESSION_GRANTS) this.grants.clear();
          this.grants.add(grant);
          return this.allowed('user-session', rule, answer.by);
        case 'deny':
          return this.denied(request, 'user-deny', rule, answer.by);
        case 'cancelled':
          return this.denied(request, 'cancelled', rule, answer.by, answer.detail);
        case 'invalid':
          return this.denied(request, 'invalid-answer', rule, answer.by, answer.detail);
        default:
          return this.denied(request, 'asker-failed', rule, answer.by, 'detail' in answer ? answer.detail : undefined);
      }
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', cancel);
    }
  }

  private allowed(decidedBy: ApprovalDecider, rule: CompiledRule, askedVia: string): PluginDecision<JsonRpcRequest> {
    // The decider's tag is in the reason itself: audit logs keep reasons, never plugin metadata.
    const how =
      decidedBy === 'no-asker'
        ? 'Allowed without asking (no-asker; no_asker is allow)'
        : decidedBy === 'session-grant'
          ? 'Allowed for this session earlier (session-grant)'
          : `Approved by the user ${decidedBy === 'user-once' ? 'once' : 'for this session'} (${decidedBy} via ${askedVia})`;
    return { reason: `${how}; ${rule.description}`, metadata: { approval: decidedBy, asked_via: askedVia, rule: rule.index + 1 } };
  }

  private denied(request: ReadonlyRequest, decidedBy: Exclude<ApprovalDecider, 'user-once' | 'user-session' | 'session-grant'>, rule: CompiledRule, askedVia: string, detail?: string): PluginDecision<JsonRpcRequest> {
    const why = decidedBy === 'timeout' ? `no answer within ${this.options.timeout_seconds} s` : REASONS[decidedBy];
    const tail = detail ? `: ${detail.slice(0, 200)}` : '';
    const message = `Call denied by ${CALL_APPROVAL_DISPLAY_NAME}: ${why}${tail} (${decidedBy}${askedVia === 'policy' || askedVia === 'gatekit' ? '' : ` via ${askedVia}`}); ${rule.description}`;
    const response: JsonRpcResponse = makeError(request.id, ErrorCode.SecurityBlocked, message, { plugin: CALL_APPROVAL_HANDLER, reason: 'approval_denied', decided_by: decidedBy, rule: rule.index + 1 });
    return { completedResponse: response, reason: message, metadata: { approval: decidedBy, asked_via: askedVia, rule: rule.index + 1 } };
  }
}

/** A `call_approval` instance for parsed options. */
export function createCallApproval(options: CallApprovalOptions): InterceptorPlugin {
  return new CallApproval(options);
}
