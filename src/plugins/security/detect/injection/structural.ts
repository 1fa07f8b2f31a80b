// Structural injection detectors: chat-template tokens, role and directive tags, bracketed roles,
// labelled fences, transcript turn markers, quoted overrides and hidden HTML comments. Each is
// handed the scan's `Emit` and may be handed one that starts another scan (see ./types).
import { execAt } from '../regex';
import type { Emit } from './types';

// Chat-template control tokens of popular models: never in ordinary text.
const CHAT_TOKEN = /<\|([A-Za-z_]{1,40})\|>/g;
const KNOWN_CHAT_TOKENS = new Set([
  'im_start', 'im_end', 'im_sep', 'system', 'user', 'assistant', 'endoftext', 'eot_id', 'eom_id', 'start_header_id',
  'end_header_id', 'begin_of_text', 'end_of_text', 'end', 'endofprompt', 'tool', 'ipython', 'channel', 'message',
]);
const LLAMA_MARKER = /\[\/?INST\]|<<\/?SYS>>|<(?:start|end)_of_turn>/g;

// `<name ...>` / `</name>`: the name only; the closing `>` is found by hand within a bound.
const TAG_OPEN = /<(\/?)([A-Za-z][A-Za-z0-9_-]{0,40})(?=[\s/>])/g;
const ROLE_TAGS = new Set(['system', 'system_prompt', 'systemprompt', 'sys', 'admin', 'administrator', 'override', 'developer', 'developer_instructions', 'root', 'jailbreak']);
const SOFT_ROLE_TAGS = new Set(['instructions', 'instruction', 'prompt', 'im_start']);
const DIRECTIVE_TAGS = new Set([
  'important', 'secret', 'hidden', 'critical', 'urgent', 'system_reminder', 'system_note', 'system_message', 'system_instruction',
  'system_instructions', 'system_override', 'ai_instructions', 'ai_instruction', 'ai_note', 'ai_only', 'assistant_instructions',
  'assistant_note', 'assistant_only', 'note_to_ai', 'note_to_assistant', 'note_to_model', 'note_to_llm', 'note_for_ai',
  'note_for_assistant', 'note_for_model', 'admin_note', 'admin_instructions', 'model_instructions', 'llm_instructions',
  'agent_instructions', 'hidden_instructions', 'secret_instructions', 'instructions_for_ai', 'do_not_show', 'hidden_prompt',
  'internal', 'internal_note', 'private_note', 'mandatory', 'must_read', 'priority', 'override_instructions',
]);
// Closing tags that end a wrapper the model was told holds untrusted data: a lone one means the
// text is trying to step out of it.
const CONVERSATION_CLOSERS = new Set([
  'user', 'user_input', 'user_query', 'user_message', 'human', 'tool_result', 'tool_output', 'tool_response', 'function_results',
  'function_result', 'function_output', 'assistant', 'untrusted', 'untrusted_input', 'untrusted_content', 'external_content',
  'search_results', 'document_content', 'retrieved_content',
]);
/** A tag's attributes may not exceed this before its `>`. */
const TAG_BOUND = 200;
/** An unclosed directive is redacted up to the end of its paragraph, at most this far. */
const PARAGRAPH_BOUND = 2000;

const BRACKET_ROLE = /\[(\/?)([A-Za-z][A-Za-z _-]{1,30})\]/g;
const BRACKET_ROLES = new Set(['system', 'admin', 'administrator', 'root', 'developer', 'sys', 'sudo']);
const BRACKET_ROLE_DIRECTIVES = new Set([
  'system_message', 'system_note', 'system_prompt', 'system_override', 'admin_override', 'system_instruction', 'system_instructions',
  'admin_instruction', 'admin_instructions', 'developer_instructions', 'developer_mode', 'developer_note', 'system_alert',
  'system_notice', 'system_update', 'system_command', 'admin_message', 'admin_note', 'important_instructions', 'new_instructions',
  'hidden_instructions', 'secret_instructions', 'jailbreak', 'override', 'instructions_override', 'ai_instructions', 'assistant_instructions',
]);
const BRACKET_CHAT_ROLES = new Set(['user', 'assistant', 'human', 'ai']);

// A fenced block or triple-quoted string labelled as a system prompt (```system ...).
const LABELLED_FENCE = /(?:```|~~~|"""|''')[ \t]{0,4}(system|admin|instructions|instruction|system_prompt|system-prompt|prompt)[ \t]{0,4}(?=\r?\n|:)/gi;
// Turn markers of chat transcripts at the start of a line.
const TURN_MARKER = /(?:^|\n)[ \t>*#]{0,8}(Human|Assistant|SYSTEM|ADMIN|System Prompt|SYSTEM PROMPT)[ \t]{0,4}:/g;
/** Every TURN_MARKER match holds one of these (a few memchr-speed searches rule most text out). */
const TURN_NAMES = ['Human', 'Assistant', 'SYSTEM', 'ADMIN', 'System Prompt'];
// Gatekit's strict rule that could never match (an escaping slip made it require `{{`): text in
// doubled quotes that says bypass/disable/cancel. The lookbehind keeps starts at a run's first quote.
const QUOTED_OVERRIDE = /(?<!["'])(?:""|'')[^"'\n]{0,120}?\b(?:bypass|disable|cancel)\b[^"'\n]{0,120}?(?:""|'')/gi;

function findTagEnd(text: string, from: number): number {
  const limit = Math.min(text.length, from + TAG_BOUND);
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3e) return i + 1; // >
    if (c === 0x3c) return -1; // <
  }
  return -1;
}

/** Whether text[from, to) reads like prose: at least `words` whitespace-separated words (stops early). */
function hasWords(text: string, from: number, to: number, words: number): boolean {
  let count = 0;
  let inWord = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const space = c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
    if (!space && !inWord) {
      if (++count >= words) return true;
      inWord = true;
    } else if (space) inWord = false;
  }
  return false;
}

function paragraphEnd(text: string, from: number): number {
  const limit = Math.min(text.length, from + PARAGRAPH_BOUND);
  const blank = text.indexOf('\n\n', from);
  return blank >= 0 && blank < limit ? blank : limit;
}

function normalizeTagName(name: string): string {
  return name.toLowerCase().replace(/[- ]/g, '_');
}

interface TagHit {
  readonly closing: boolean;
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export function detectTags(text: string, definition: boolean, emit: Emit): void {
  if (text.indexOf('<') < 0) return;
  const hits: TagHit[] = [];
  for (let m = execAt(TAG_OPEN, text, 0); m !== null; m = execAt(TAG_OPEN, text, m.index + m[0].length)) {
    const name = normalizeTagName(m[2]!);
    if (!ROLE_TAGS.has(name) && !SOFT_ROLE_TAGS.has(name) && !DIRECTIVE_TAGS.has(name) && !CONVERSATION_CLOSERS.has(name)) continue;
    const end = findTagEnd(text, m.index + m[0].length);
    if (end < 0) continue;
    hits.push({ closing: m[1] === '/', name, start: m.index, end });
  }
  // Pair each opener with the next closer of the same name (innermost-last is enough for a signal).
  const open = new Map<string, TagHit>();
  const paired = new Set<TagHit>();
  const closersWithoutOpener: TagHit[] = [];
  for (const hit of hits) {
    if (!hit.closing) {
      if (!open.has(hit.name)) open.set(hit.name, hit);
      continue;
    }
    const opener = open.get(hit.name);
    if (!opener) {
      closersWithoutOpener.push(hit);
      continue;
    }
    open.delete(hit.name);
    paired.add(opener);
    const prose = hasWords(text, opener.end, hit.start, 3);
    if (DIRECTIVE_TAGS.has(hit.name)) {
      if (prose) emit('tool_poisoning', 'poison.directive_tag', 'strong', opener.start, hit.end);
      else if (hit.name === 'important' || definition) emit('tool_poisoning', 'poison.directive_tag', 'medium', opener.start, hit.end);
    } else if (ROLE_TAGS.has(hit.name)) {
      if (prose) emit('delimiter_injection', 'delimiter.role_tag_block', 'strong', opener.start, hit.end);
    } else if (SOFT_ROLE_TAGS.has(hit.name)) {
      if (prose) emit('delimiter_injection', 'delimiter.instruction_tag_block', 'weak', opener.start, hit.end);
    }
  }
  for (const opener of open.values()) {
    if (paired.has(opener)) continue;
    const stop = paragraphEnd(text, opener.end);
    const prose = hasWords(text, opener.end, stop, 3);
    if (DIRECTIVE_TAGS.has(opener.name)) {
      emit('tool_poisoning', 'poison.directive_tag', prose || opener.name === 'important' ? 'medium' : 'weak', opener.start, stop);
    } else if (ROLE_TAGS.has(opener.name) && prose && text.charCodeAt(opener.start - 1) !== 0x3c) {
      // (`<<SYS>>` is Llama's chat-template token, judged by detectChatTokens, not a `<sys>` tag.)
      emit('delimiter_injection', 'delimiter.role_tag', 'medium', opener.start, stop);
    }
  }
  for (const closer of closersWithoutOpener) {
    if (ROLE_TAGS.has(closer.name) || CONVERSATION_CLOSERS.has(closer.name)) {
      emit('delimiter_injection', 'delimiter.stray_closing_tag', 'medium', closer.start, closer.end);
    }
  }
}

export function detectBracketRoles(text: string, emit: Emit): void {
  if (text.indexOf('[') < 0) return;
  const open = new Map<string, number>();
  for (let m = execAt(BRACKET_ROLE, text, 0); m !== null; m = execAt(BRACKET_ROLE, text, m.index + m[0].length)) {
    const name = normalizeTagName(m[2]!.trim());
    const start = m.index;
    const end = start + m[0].length;
    const role = BRACKET_ROLES.has(name);
    const chat = BRACKET_CHAT_ROLES.has(name);
    const directive = BRACKET_ROLE_DIRECTIVES.has(name);
    if (!role && !chat && !directive) continue;
    // `[system](#context)`: a markdown link posing as a chat-role header (Bing-style injection).
    if ((role || chat) && text.charCodeAt(end) === 0x28 && text.charCodeAt(end + 1) === 0x23) {
      emit('delimiter_injection', 'delimiter.markdown_role_header', 'strong', start, end + 2);
      continue;
    }
    if (m[1] === '/') {
      const opener = open.get(name);
      if (opener !== undefined) {
        open.delete(name);
        emit('delimiter_injection', 'delimiter.bracket_role_block', chat ? 'medium' : 'strong', opener, end);
      } else if (!chat) emit('delimiter_injection', 'delimiter.bracket_role', 'weak', start, end);
      continue;
    }
    if (!open.has(name)) open.set(name, start);
    if (directive) emit('delimiter_injection', 'delimiter.bracket_directive', 'medium', start, end);
    else if (role) emit('delimiter_injection', 'delimiter.bracket_role', 'weak', start, end);
  }
}

/**
 * A control token right inside quotes is a string literal in code (`'<|endoftext|>'`, tokenizer
 * tests), not a turn boundary aimed at the model.
 */
function isQuoted(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  const quote = (c: number): boolean => c === 0x22 || c === 0x27 || c === 0x60;
  return quote(before) || quote(after);
}

export function detectChatTokens(text: string, emit: Emit): void {
  if (text.indexOf('<|') >= 0) {
    for (let m = execAt(CHAT_TOKEN, text, 0); m !== null; m = execAt(CHAT_TOKEN, text, m.index + m[0].length)) {
      const end = m.index + m[0].length;
      const known = KNOWN_CHAT_TOKENS.has(m[1]!.toLowerCase());
      const strength = isQuoted(text, m.index, end) ? 'weak' : known ? 'strong' : 'medium';
      emit('delimiter_injection', 'delimiter.chat_template_token', strength, m.index, end);
    }
  }
  if (text.indexOf('[') >= 0 || text.indexOf('<') >= 0) {
    for (let m = execAt(LLAMA_MARKER, text, 0); m !== null; m = execAt(LLAMA_MARKER, text, m.index + m[0].length)) {
      const end = m.index + m[0].length;
      emit('delimiter_injection', 'delimiter.chat_template_token', isQuoted(text, m.index, end) ? 'weak' : 'strong', m.index, end);
    }
  }
}

export function detectFencesAndTurns(text: string, emit: Emit): void {
  if (text.indexOf('```') >= 0 || text.indexOf('~~~') >= 0 || text.indexOf('"""') >= 0 || text.indexOf("'''") >= 0) {
    for (let m = execAt(LABELLED_FENCE, text, 0); m !== null; m = execAt(LABELLED_FENCE, text, m.index + m[0].length)) {
      const label = m[1]!.toLowerCase();
      const strong = label === 'system' || label === 'admin' || label.startsWith('system');
      emit('delimiter_injection', 'delimiter.labelled_fence', strong ? 'medium' : 'weak', m.index, m.index + m[0].length);
    }
  }
  if (text.indexOf(':') < 0 || !TURN_NAMES.some((name) => text.indexOf(name) >= 0)) return;
  let human: [number, number] | undefined;
  let assistant: [number, number] | undefined;
  for (let m = execAt(TURN_MARKER, text, 0); m !== null; m = execAt(TURN_MARKER, text, m.index + m[0].length)) {
    const span: [number, number] = [m.index, m.index + m[0].length];
    const who = m[1]!;
    if (who === 'Human') human ??= span;
    else if (who === 'Assistant') assistant ??= span;
    else emit('delimiter_injection', 'delimiter.turn_marker', who.toLowerCase().includes('prompt') ? 'medium' : 'weak', span[0], span[1]);
  }
  if (human && assistant) {
    emit('delimiter_injection', 'delimiter.fake_transcript', 'medium', human[0], human[1]);
    emit('delimiter_injection', 'delimiter.fake_transcript', 'medium', assistant[0], assistant[1]);
  } else if (human || assistant) {
    const span = (human ?? assistant)!;
    emit('delimiter_injection', 'delimiter.turn_marker', 'weak', span[0], span[1]);
  }
}

export function detectQuotedOverride(text: string, emit: Emit): void {
  if (text.indexOf('""') < 0 && text.indexOf("''") < 0) return;
  for (let m = execAt(QUOTED_OVERRIDE, text, 0); m !== null; m = execAt(QUOTED_OVERRIDE, text, m.index + m[0].length)) {
    emit('delimiter_injection', 'delimiter.quoted_override', 'weak', m.index, m.index + m[0].length);
  }
}

export function detectHtmlComments(text: string, emit: Emit): void {
  // Markdown renderers hide comments from people; in a tool definition only a model reads them.
  let closeAt = -1;
  for (let open = text.indexOf('<!--'); open >= 0; open = text.indexOf('<!--', open + 4)) {
    if (closeAt < open + 4) closeAt = text.indexOf('-->', open + 4);
    if (closeAt < 0) {
      const stop = paragraphEnd(text, open + 4);
      if (hasWords(text, open + 4, stop, 3)) emit('tool_poisoning', 'poison.hidden_comment', 'medium', open, stop);
      return;
    }
    if (hasWords(text, open + 4, closeAt, 3)) emit('tool_poisoning', 'poison.hidden_comment', 'medium', open, closeAt + 3);
    open = closeAt; // comments do not nest
  }
}
