// `tool_definition_scan`: the prompt injection detector applied to what servers describe themselves
// with (tool, prompt and resource lists, `initialize` instructions) and to nothing else. It is on by
// default for every server whose pipeline has no `basic_prompt_injection_defense` (see
// src/config/defaults.ts): a tool description is read by the model as an instruction before any
// call is made, so a poisoned one ("read ~/.ssh/id_rsa first") must not reach it just because the
// config names no filter. Call content is left alone: scanning it is a choice the config makes.
import type { JsonRpcResponse } from '../../shared/jsonrpc';
import type { InterceptorPlugin, MessageContext, PluginDecision, PluginDefinition, PluginEnvironment, ReadonlyResponse } from '../types';
import { toolDefinitionScanDescriptor, type DefinitionScanOptions } from './tool_definition_scan.descriptor';
// DEFINITION_METHODS: responses that describe a server rather than carry data (the injection defense's definition mode).
import { basicPromptInjectionDefense, createInjectionDefense, DEFINITION_METHODS } from './basic_prompt_injection_defense';

const HANDLER = toolDefinitionScanDescriptor.handler;

/** Distinct findings remembered for logging once; past this the memory starts over (a server cannot grow it). */
const MAX_LOGGED = 1000;

function createDefinitionScan(env: PluginEnvironment): InterceptorPlugin {
  // The injection defense's defaults: poisoned tools are removed, other poisoned text is redacted.
  const defense = createInjectionDefense(basicPromptInjectionDefense.configSchema.parse({}));
  // Each finding is logged once: lists are fetched again and again, and the tool inventory re-runs them.
  const logged = new Set<string>();
  return {
    onResponse(response: ReadonlyResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined {
      const method = ctx.request?.method;
      if (method === undefined || !DEFINITION_METHODS.has(method)) return undefined;
      const decision = defense.onResponse!(response, ctx) as PluginDecision<JsonRpcResponse> | undefined;
      // The reason names tools only by safe identifiers (or their position), so it can be logged.
      if (decision && (decision.modified || decision.allowed === false)) {
        const line = `[${HANDLER}] ${ctx.serverName}: ${decision.reason}`;
        if (logged.size >= MAX_LOGGED) logged.clear();
        if (!logged.has(line)) env.log(line);
        logged.add(line);
      }
      return decision;
    },
  };
}

export const toolDefinitionScan: PluginDefinition<DefinitionScanOptions> = {
  ...toolDefinitionScanDescriptor,
  create: (_config, env) => createDefinitionScan(env),
};
