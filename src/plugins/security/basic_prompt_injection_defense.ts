// `basic_prompt_injection_defense`: finds prompt injection and tool poisoning (delimiter tricks, role
// manipulation, context hijacking, hidden directives, hidden Unicode, base64-wrapped instructions) in
// every message; removes poisoned tools from `tools/list` and blocks, redacts or reports the rest.
import type { JsonRpcMessage, JsonRpcResponse, JsonRpcSuccess } from '../../shared/jsonrpc';
import type { ContentPath } from '../content';
import { MAX_SCAN_DEPTH, ContentTooDeepError, rememberCleanTokens } from '../content';
import type { InterceptorPlugin, MessageContext, PluginDecision, PluginDefinition, ReadonlyResponse } from '../types';
import { basicPromptInjectionDefenseDescriptor, type InjectionDefenseOptions } from './basic_prompt_injection_defense.descriptor';

export type { InjectionDefenseOptions };
import { decideOnScan, scanMessageContent, type ContentScanOptions, type FilterAction, type TextFinding } from './detect/findings';
import { INJECTION_CATEGORIES, InjectionDetector, type InjectionCategory, type ScanOptions } from './detect/injection';
import { loadInjectionModel } from './detect/injection/model-loader';
import { DefinitionVerdicts } from './definition-memory';
import { SPOTLIGHT_METHODS, spotlightResponse } from './spotlight';

/** The placeholder every injection is replaced with. */
export const INJECTION_PLACEHOLDER = '[PROMPT INJECTION REDACTED by Gatekit]';

const identity = { handler: 'basic_prompt_injection_defense', subject: 'Prompt injection' } as const;
const placeholder = (): string => INJECTION_PLACEHOLDER;

/**
 * Responses whose strings are read by the model as instructions about tools and the server rather
 * than as data: scanned in tool-definition mode, where invisible characters and hidden comments count more.
 */
export const DEFINITION_METHODS: ReadonlySet<string> = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'initialize']);

/** Names shown in reasons must be plain identifiers; anything else could carry the injection into logs. */
const SAFE_TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** One tool taken out of a `tools/list` page, as reported in metadata. */
export interface RemovedTool {
  readonly name: string;
  readonly types: InjectionCategory[];
  readonly paths: string[];
}

/** What one tool's definition holds: the injection categories found and where (empty when clean). */
interface ToolVerdict {
  readonly types: ReadonlySet<InjectionCategory>;
  readonly paths: readonly string[];
}

/**
 * What a defense remembers of the definitions it scanned: each tool's verdict, and the definition
 * lists (prompts, resources, templates, instructions) found clean. Tests pass their own to count.
 */
export class DefinitionMemory {
  readonly tools = new DefinitionVerdicts<ToolVerdict>();
  readonly cleanLists = new DefinitionVerdicts<true>();
}

/** Builds the defense for parsed options (exported for tests and benchmarks). */
export function createInjectionDefense(options: InjectionDefenseOptions, memory: DefinitionMemory = new DefinitionMemory()): InterceptorPlugin {
  const categories = Object.fromEntries(INJECTION_CATEGORIES.map((c) => [c, options.detection_methods[c].enabled])) as Record<InjectionCategory, boolean>;
  const active = INJECTION_CATEGORIES.some((c) => categories[c]);
  const spotlight = options.action === 'spotlight';
  // Spotlighting marks content instead of changing it: findings in content are reported as with audit_only.
  const action: FilterAction = options.action === 'spotlight' ? 'audit_only' : options.action;
  // Base64 runs are found by the shared content scan; the plain detector must not decode them again.
  // Loaded (and its weights checked) here, so a broken install stops the plugin at start.
  const model = options.model === 'on' ? loadInjectionModel() : undefined;
  const plain = new InjectionDetector({ sensitivity: options.sensitivity, categories, scanBase64: false, model });
  const full = new InjectionDetector({ sensitivity: options.sensitivity, categories, scanBase64: true, model });

  const scanOptionsFor = (scanOptions: ScanOptions): ContentScanOptions<InjectionCategory> => ({
    detect: rememberCleanTokens((text: string): TextFinding<InjectionCategory>[] =>
      plain.scan(text, scanOptions).map((f) => ({ type: f.category, start: f.start, end: f.end })),
    ),
    detectEncoded: (decoded: string): Iterable<InjectionCategory> => new Set(full.scan(decoded, scanOptions).map((f) => f.category)),
    scanBase64Runs: true,
    redact: action === 'redact',
    placeholder,
  });
  // Built once: a scan's options are the same for every message.
  const contentScan = scanOptionsFor({});
  const definitionScan = scanOptionsFor({ toolDefinition: true });

  const inspect = <M extends JsonRpcMessage>(message: M, definition: boolean): PluginDecision<M> | undefined =>
    decideOnScan(identity, action, scanMessageContent(message, definition ? definitionScan : contentScan));

  /** Whether one tool's definition (every string and schema key in it) holds an injection. */
  const inspectTool = (tool: unknown): ToolVerdict => memory.tools.verdictOn(tool, () => scanTool(tool));
  const scanTool = (tool: unknown): ToolVerdict => {
    const types = new Set<InjectionCategory>();
    const paths: string[] = [];
    walkStringsAndKeys(tool, (text, path) => {
      const found = full.scan(text, { toolDefinition: true });
      if (found.length === 0) return;
      for (const f of found) types.add(f.category);
      paths.push(formatToolPath(path));
    });
    return { types, paths };
  };

  const inspectToolList = (response: JsonRpcSuccess, tools: readonly unknown[]): PluginDecision<JsonRpcResponse> | undefined => {
    const kept: unknown[] = [];
    const removed: RemovedTool[] = [];
    tools.forEach((tool, index) => {
      const verdict = inspectTool(tool);
      if (verdict.types.size === 0) {
        kept.push(tool);
        return;
      }
      removed.push({ name: displayToolName(tool, index, plain), types: [...verdict.types], paths: verdict.paths.slice(0, 10) });
      if (options.action === 'audit_only') kept.push(tool);
    });
    // Whatever else the page carries (nextCursor, _meta) is ordinary content.
    const { tools: _tools, ...rest } = response.result;
    const restDecision = inspect({ ...response, result: rest }, true);
    if (restDecision?.allowed === false) return restDecision;
    if (removed.length === 0) {
      if (!restDecision?.modified) return restDecision;
      return { ...restDecision, modified: { ...response, result: { ...(restDecision.modified as JsonRpcSuccess).result, tools } } };
    }
    const summary = removed.map((t) => `${t.name} (${t.types.join(', ')})`).join('; ');
    const metadata: Record<string, unknown> = {
      plugin: identity.handler,
      detected: true,
      action: options.action === 'audit_only' ? 'audit_only' : 'remove_tool',
      removed_tools: options.action === 'audit_only' ? [] : removed.map((t) => t.name),
      poisoned_tools: removed,
    };
    if (options.action === 'audit_only') {
      return { allowed: true, reason: `Prompt injection detected in tool definitions: ${summary} (audit only)`, metadata };
    }
    const base = (restDecision?.modified as JsonRpcSuccess | undefined)?.result ?? rest;
    const modified: JsonRpcResponse = { ...response, result: { ...base, tools: kept } };
    const noun = removed.length === 1 ? 'tool' : 'tools';
    return { allowed: true, modified, reason: `Removed ${removed.length} poisoned ${noun} from tools/list: ${summary}`, metadata };
  };

  /** Content found (reported as audit_only) and the response with its text spotlighted. */
  const spotlightContent = (response: ReadonlyResponse, method: string, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined => {
    const found = active ? inspect(response, false) : undefined;
    const tool = ctx.request?.params?.['name'];
    const source = method === 'tools/call' && typeof tool === 'string' && SAFE_TOOL_NAME.test(tool) ? `the tool ${tool} of server ${ctx.serverName}` : `server ${ctx.serverName}`;
    const modified = spotlightResponse(response as JsonRpcResponse, method, source);
    if (modified === undefined) return found;
    return { ...found, allowed: true, modified, reason: found?.reason ?? 'Tool output spotlighted as untrusted data', metadata: { ...found?.metadata, plugin: identity.handler, spotlighted: true } };
  };

  const onResponse = (response: ReadonlyResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined => {
    const method = ctx.request?.method;
    if (spotlight && method !== undefined && SPOTLIGHT_METHODS.has(method)) return spotlightContent(response, method, ctx);
    if (!active) return undefined;
    if (method === 'tools/list' && 'result' in response && Array.isArray(response.result['tools'])) {
      return inspectToolList(response, response.result['tools'] as unknown[]);
    }
    const definition = method !== undefined && DEFINITION_METHODS.has(method);
    if (!definition || !('result' in response)) return inspect(response, definition);
    // A definition list seen clean before is clean again; a list with findings is scanned each time
    // (its decision is built on this very response).
    const key = memory.cleanLists.keyOf(response.result);
    if (memory.cleanLists.get(key)) return undefined;
    const decision = inspect(response, true);
    if (decision === undefined) memory.cleanLists.set(key, true);
    return decision;
  };

  return {
    onRequest: (request) => (active ? inspect(request, false) : undefined),
    onResponse,
    onNotification: (notification) => (active ? inspect(notification, false) : undefined),
  };
}

/**
 * Calls `visit` for every string value and every object key (schema property names can carry
 * instructions too) below `value`.
 */
function walkStringsAndKeys(value: unknown, visit: (text: string, path: ContentPath) => void): void {
  const path: (string | number)[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (typeof node === 'string') {
      visit(node, path);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (depth > MAX_SCAN_DEPTH) throw new ContentTooDeepError();
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        path.push(i);
        walk(item, depth + 1);
        path.pop();
      });
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      path.push(key);
      visit(key, path);
      walk(child, depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
}

/** `inputSchema.properties.path.description`; keys that are not plain identifiers show as `[…]`. */
function formatToolPath(path: ContentPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]{0,31}$/.test(part)) out += out ? `.${part}` : part;
    else out += '[…]';
  }
  return out || '(tool)';
}

function displayToolName(tool: unknown, index: number, detector: InjectionDetector): string {
  const name = typeof tool === 'object' && tool !== null ? (tool as Record<string, unknown>)['name'] : undefined;
  if (typeof name === 'string' && SAFE_TOOL_NAME.test(name) && !detector.test(name.replace(/[_.-]/g, ' '))) return name;
  return `[tool #${index}]`;
}

export const basicPromptInjectionDefense: PluginDefinition<InjectionDefenseOptions> = {
  ...basicPromptInjectionDefenseDescriptor,
  create: (config) => createInjectionDefense(config),
};
