// Asking the client's user to approve a tool call through MCP elicitation (`elicitation/create` with
// a one-choice enum form), for a gateway that no VS Code window is connected to. One question per
// call, each under its own id; a withdrawn question is cancelled at the client. The client's answer
// is hostile like any input: only an `accept` carrying one of the offered choices allows anything.
import { isRecord, type JsonRpcMessage, type JsonRpcResponse } from '../shared/jsonrpc';
import { escapeHidden, summarizeArguments } from '../shared/approval-text';
import type { ApprovalAnswer, ApprovalQuestion } from '../plugins/types';

/** Ids of our own questions: strings of ours, so they never collide with the numeric ids the router relays server requests under. */
const QUESTION_ID_PREFIX = 'gatekit-approval-';
/** Questions waiting at the client at once; beyond, a call is denied rather than another question queued. */
const MAX_OPEN_QUESTIONS = 100;

const CHOICES = ['deny', 'allow_once', 'allow_session'] as const;
type Choice = (typeof CHOICES)[number];
const CHOICE_TITLES: Record<Choice, string> = { deny: 'Deny', allow_once: 'Allow once', allow_session: 'Allow for this session' };

interface OpenQuestion {
  readonly settle: (answer: ApprovalAnswer) => void;
  readonly offerSession: boolean;
}

/** The `elicitation/create` params for one question. */
export function elicitationParams(question: ApprovalQuestion): Record<string, unknown> {
  const summary = summarizeArguments(question.arguments);
  const choices = question.offerSession ? CHOICES : CHOICES.filter((c) => c !== 'allow_session');
  const message = [
    // Names come from the client and the configuration: shown with hidden characters escaped, cut to a line.
    `Gatekit: allow the tool '${shortName(question.tool)}' of server '${shortName(question.server)}' to run?`,
    `Why asked: ${question.reason}.`,
    'Arguments:',
    ...summary.lines.map((line) => `  ${line}`),
    ...(summary.truncated ? ['(long values cut; the traffic view and audit log hold the whole call)'] : []),
    `Unanswered within ${Math.round(question.timeoutMs / 1000)} s, the call is denied.`,
  ].join('\n');
  return {
    message,
    requestedSchema: {
      type: 'object',
      properties: {
        decision: { type: 'string', title: 'Decision', enum: [...choices], enumNames: choices.map((c) => CHOICE_TITLES[c]), default: 'deny' },
      },
      required: ['decision'],
    },
  };
}

function shortName(name: string): string {
  const shown = escapeHidden(name);
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}

/** What a client's answer to our elicitation means; anything but a valid `accept` allows nothing. */
export function answerOf(response: JsonRpcResponse, offerSession: boolean): ApprovalAnswer {
  if ('error' in response) return { decision: 'failed', by: 'client', detail: `the client answered with an error: ${String(response.error.message).slice(0, 200)}` };
  const result = response.result;
  if (!isRecord(result)) return { decision: 'invalid', by: 'client', detail: 'the answer has no result object' };
  if (result.action === 'decline' || result.action === 'cancel') return { decision: 'deny', by: 'client' };
  if (result.action !== 'accept') return { decision: 'invalid', by: 'client', detail: `unknown action ${JSON.stringify(result.action)?.slice(0, 50)}` };
  const content = result.content;
  if (!isRecord(content) || !Object.hasOwn(content, 'decision')) return { decision: 'invalid', by: 'client', detail: 'accepted without a decision' };
  const decision = content.decision;
  if (decision === 'deny' || decision === 'allow_once' || (decision === 'allow_session' && offerSession)) return { decision, by: 'client' };
  return { decision: 'invalid', by: 'client', detail: `a decision that was not offered: ${JSON.stringify(decision)?.slice(0, 50) ?? typeof decision}` };
}

/** The questions one client session has open. */
export class ClientElicitor {
  private readonly open = new Map<string, OpenQuestion>();
  private nextId = 1;

  /** `send` writes to the client; `server` picks the stream of the call's server (HTTP). */
  constructor(private readonly send: (message: JsonRpcMessage, server: string) => void) {}

  /** Asks the client; resolves with the answer, or `cancelled` once `signal` aborts (the question is then withdrawn at the client). */
  ask(question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalAnswer> {
    if (this.open.size >= MAX_OPEN_QUESTIONS) return Promise.resolve({ decision: 'failed', by: 'client', detail: `${MAX_OPEN_QUESTIONS} questions are already waiting for the client` });
    const id = `${QUESTION_ID_PREFIX}${this.nextId++}`;
    return new Promise<ApprovalAnswer>((resolve) => {
      const withdraw = (): void => {
        if (!this.open.delete(id)) return;
        this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'The tool call no longer waits for this answer' } }, question.server);
        resolve({ decision: 'cancelled', by: 'client', detail: 'question withdrawn' });
      };
      this.open.set(id, {
        settle: (answer) => {
          signal.removeEventListener('abort', withdraw);
          resolve(answer);
        },
        offerSession: question.offerSession,
      });
      signal.addEventListener('abort', withdraw, { once: true });
      this.send({ jsonrpc: '2.0', id, method: 'elicitation/create', params: elicitationParams(question) }, question.server);
      if (signal.aborted) withdraw();
    });
  }

  /** Takes the client's answer when it is to one of our questions (true), leaving other responses to the router. */
  onClientResponse(response: JsonRpcResponse): boolean {
    const id = response.id;
    if (typeof id !== 'string' || !id.startsWith(QUESTION_ID_PREFIX)) return false;
    const open = this.open.get(id);
    if (open === undefined) return true; // a late answer to a withdrawn question: ours, and void
    this.open.delete(id);
    open.settle(answerOf(response, open.offerSession));
    return true;
  }

  /** A client answer that is not valid JSON-RPC, for one of our questions: that question is answered as invalid (true when it was ours). */
  onInvalidClientResponse(id: unknown, reason: string): boolean {
    if (typeof id !== 'string' || !id.startsWith(QUESTION_ID_PREFIX)) return false;
    const open = this.open.get(id);
    this.open.delete(id);
    open?.settle({ decision: 'invalid', by: 'client', detail: reason.slice(0, 200) });
    return true;
  }

  /** The session ended: every open question is answered as cancelled. */
  close(): void {
    for (const open of this.open.values()) open.settle({ decision: 'cancelled', by: 'client', detail: 'the client session ended' });
    this.open.clear();
  }
}
