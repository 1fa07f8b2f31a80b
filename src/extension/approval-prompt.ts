// The prompt that answers the call_approval plugin's questions (gatekit/askApproval): a quick pick,
// never modal, that names the server, the tool and why it was asked, lists the arguments readably
// (hidden characters as escapes, long values cut, the whole call one item away) and offers Deny
// (the focused default), Allow once and Allow for this session. Escape, a timeout and a withdrawn
// question all deny. Questions wait in line: one quick pick at a time, each with its own deadline.
import * as vscode from 'vscode';
import type { CancellationToken } from 'vscode-jsonrpc/node';
import type { GatewaySession } from './control-server';
import type { AskApprovalParams, AskApprovalResult } from '../shared/protocol';
import { escapeHidden, renderArgumentsInFull, summarizeArguments } from '../shared/approval-text';

type Decision = AskApprovalResult['decision'];

/** Questions waiting behind the one shown; beyond, a question is denied at once (a client flooding calls must not bury the user). */
export const MAX_WAITING_QUESTIONS = 50;

interface PendingQuestion {
  readonly question: AskApprovalParams;
  readonly session: GatewaySession;
  readonly token: CancellationToken;
  /** When the gateway stops waiting (its timeout): the prompt closes then too. */
  readonly deadline: number;
  readonly settle: (decision: Decision) => void;
  settled: boolean;
}

interface ChoiceItem extends vscode.QuickPickItem {
  readonly decision?: Decision;
  readonly showAll?: boolean;
}

/** What the prompt is showing now, for tests and the screenshot. */
export interface ShownQuestion {
  readonly title: string;
  readonly placeholder: string;
  readonly items: readonly string[];
  readonly waiting: number;
}

export class ApprovalPrompt implements vscode.Disposable {
  private readonly queue: PendingQuestion[] = [];
  private current: { pending: PendingQuestion; pick: vscode.QuickPick<ChoiceItem>; timer: NodeJS.Timeout } | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a question is shown, answered or withdrawn. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The control server's approval handler: resolves with the user's decision (deny on Escape, timeout, withdrawal). */
  ask(question: AskApprovalParams, session: GatewaySession, token: CancellationToken): Promise<AskApprovalResult> {
    return new Promise<AskApprovalResult>((resolve) => {
      const pending: PendingQuestion = {
        question,
        session,
        token,
        deadline: Date.now() + question.timeoutMs,
        settled: false,
        settle: (decision) => {
          if (pending.settled) return;
          pending.settled = true;
          cancelled.dispose();
          this.log.info(`approval: ${decision} for ${question.server}/${question.tool} (gateway pid ${session.identity.pid})`);
          resolve({ decision });
        },
      };
      // A withdrawn question leaves the line, or closes its prompt if shown.
      const cancelled = token.onCancellationRequested(() => this.withdraw(pending));
      if (token.isCancellationRequested || this.queue.length >= MAX_WAITING_QUESTIONS) {
        if (!token.isCancellationRequested) this.log.warn(`approval: ${MAX_WAITING_QUESTIONS} questions are already waiting; denied ${question.server}/${question.tool} without asking`);
        pending.settle('deny');
        return;
      }
      this.queue.push(pending);
      this.showNext();
      this.changed.fire();
    });
  }

  /** The question on screen, if any. */
  get shown(): ShownQuestion | undefined {
    const current = this.current;
    if (!current) return undefined;
    return { title: current.pick.title ?? '', placeholder: current.pick.placeholder ?? '', items: current.pick.items.map((i) => i.label), waiting: this.queue.length };
  }

  dispose(): void {
    for (const pending of [...this.queue, ...(this.current ? [this.current.pending] : [])]) pending.settle('deny');
    this.queue.length = 0;
    this.close();
    this.changed.dispose();
  }

  private withdraw(pending: PendingQuestion): void {
    pending.settle('deny');
    const index = this.queue.indexOf(pending);
    if (index >= 0) this.queue.splice(index, 1);
    if (this.current?.pending === pending) {
      this.close();
      this.showNext();
    }
    this.changed.fire();
  }

  private showNext(): void {
    if (this.current) return;
    let pending = this.queue.shift();
    while (pending && (pending.settled || pending.deadline <= Date.now())) {
      pending.settle('deny');
      pending = this.queue.shift();
    }
    if (!pending) return;
    const { question, session } = pending;
    const pick = vscode.window.createQuickPick<ChoiceItem>();
    const summary = question.argumentsOmitted !== undefined ? { lines: [`(arguments too large to show: ${question.argumentsOmitted} characters of JSON)`], truncated: false } : summarizeArguments(question.arguments);
    const external = session.identity.startedByExtension ? '' : ` (gateway pid ${session.identity.pid}, outside VS Code)`;
    pick.title = `Gatekit: allow '${escapeHidden(question.tool)}' on server '${escapeHidden(question.server)}'?${external}${this.queue.length ? ` (${this.queue.length} more waiting)` : ''}`;
    pick.placeholder = `Asked because of ${escapeHidden(question.reason)}. Denied in ${Math.round(Math.max(0, pending.deadline - Date.now()) / 1000)} s unless allowed.`;
    const choices: ChoiceItem[] = [
      { label: '$(circle-slash) Deny', decision: 'deny', description: 'the call fails' },
      { label: '$(check) Allow once', decision: 'allow_once', description: 'this call only' },
      ...(question.offerSession ? [{ label: '$(check-all) Allow for this session', decision: 'allow_session' as const, description: 'this tool on this server, until the gateway restarts or the tool changes' }] : []),
      { label: 'Arguments', kind: vscode.QuickPickItemKind.Separator },
      ...summary.lines.map((line): ChoiceItem => ({ label: `$(symbol-field) ${line}`, showAll: true })),
      ...(question.argumentsOmitted === undefined ? [{ label: '$(json) Show all arguments…', showAll: true, description: summary.truncated ? 'some values were cut above' : '' }] : []),
    ];
    pick.items = choices;
    // Deny is focused: Enter on a prompt that appeared mid-typing allows nothing.
    pick.activeItems = [choices[0]!];
    pick.ignoreFocusOut = true;
    pick.matchOnDescription = false;
    const timer = setTimeout(() => this.withdraw(pending), Math.max(0, pending.deadline - Date.now()));
    this.current = { pending, pick, timer };
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (chosen?.showAll) {
        void this.showAllArguments(question);
        pick.activeItems = [choices[0]!];
        return;
      }
      pending.settle(chosen?.decision ?? 'deny');
      this.close();
      this.showNext();
      this.changed.fire();
    });
    pick.onDidHide(() => {
      // Escape, or another quick pick took the screen: deny, never leave the call waiting.
      if (this.current?.pick !== pick) return;
      pending.settle('deny');
      this.close();
      this.showNext();
      this.changed.fire();
    });
    pick.show();
    this.changed.fire();
  }

  private close(): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    clearTimeout(current.timer);
    current.pick.hide();
    current.pick.dispose();
  }

  private async showAllArguments(question: AskApprovalParams): Promise<void> {
    const document = await vscode.workspace.openTextDocument({ language: 'jsonc', content: `// Arguments of '${escapeHidden(question.tool)}' on '${escapeHidden(question.server)}' (invisible characters shown as \\u{…})\n${renderArgumentsInFull(question.arguments)}` });
    await vscode.window.showTextDocument(document, { preview: true, preserveFocus: true });
  }
}
