// Credential files a text tells the model to read or send (`~/.ssh/id_rsa`, `.aws/credentials`,
// `mcp.json`): a path found by literal hints, then the verbs in the words around it.
import type { SignalStrength } from '../unicode';
import { execAt } from '../regex';
import { exactStartAfter, exactStartBefore, SPARE_CAPACITY, tokenBefore, TokenWindow, type SpareColumns, type Tokens } from './tokenize';
import type { Emit } from './types';

// Credential stores a tool has no business reading: dot-directories and well-known file names.
const CREDENTIAL_PATH =
  /(?<![\w$.-])(?:~|\$HOME|%USERPROFILE%)?[/\\]?\.(ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pypirc|pgpass|git-credentials|password-store|vault-token|env|bash_history|zsh_history)(?![\w-]|\.(?:example|sample|template|dist)\b)|\b(id_rsa|id_dsa|id_ecdsa|id_ed25519)\b(?!\.pub\b)|\b(authorized_keys|known_hosts|mcp\.json|claude_desktop_config\.json|application_default_credentials\.json|credentials\.json|wallet\.dat|secrets\.json|secrets\.ya?ml)\b|\/etc\/(shadow|passwd|sudoers|gshadow)\b/gi;
/** CREDENTIAL_PATH anchored where it is positioned (see ../regex.ts). */
const CREDENTIAL_PATH_AT = new RegExp(CREDENTIAL_PATH.source, 'iy');
// A piece of text every CREDENTIAL_PATH match holds, at most HINT_OFFSET after its start (`%USERPROFILE%\.ssh`).
const CREDENTIAL_HINT =
  /\.(?:ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pypirc|pgpass|git-|password-|vault-|env|bash_|zsh_)|id_|authorized_keys|known_hosts|mcp\.json|claude_desktop|application_default|credentials\.json|wallet\.dat|secrets\.|\/etc\//gi;
/** CREDENTIAL_HINT for text without `_` and `/`, where every match holds a dot at most HINT_OFFSET after its start. */
const CREDENTIAL_DOT_HINT = /\.(?:ssh|aws|gnupg|kube|docker|azure|netrc|npmrc|pypirc|pgpass|git-|password-|vault-|env|bash_|zsh_|json|dat|ya?ml)/gi;
const HINT_OFFSET = 14;
const READ_VERBS = new Set([
  'read', 'cat', 'dump', 'print', 'output', 'display', 'show', 'retrieve', 'fetch', 'get', 'extract', 'grab', 'collect', 'access',
  'load', 'contents', 'content', 'return', 'list', 'open', 'steal', 'harvest', 'scan', 'check', 'view', 'look', 'search', 'find',
]);
const EXFIL_VERBS = new Set([
  'send', 'upload', 'exfiltrate', 'leak', 'post', 'forward', 'transmit', 'email', 'share', 'pass', 'include', 'attach', 'embed',
  'paste', 'append', 'insert', 'concatenate', 'provide', 'copy', 'encode', 'base64', 'steal', 'harvest',
]);
// A path right after these is where something goes, not what is read (`add this to your mcp.json`).
const DESTINATION_WORDS = new Set(['into', 'to', 'in', 'inside', 'under', 'within', 'onto', 'from']);
const NEGATIONS = new Set(['never', 'not', "don't", 'dont', "mustn't", "shouldn't", "can't", 'cannot', "won't"]);
const POSSESSIVES = new Set(['your', 'the', 'a', 'an', 'my', 'our', 'their', 'this', 'that', 'its']);
const SETUP_VERBS = new Set(['open', 'edit', 'create', 'add', 'update', 'modify', 'configure', 'check', 'look', 'view', 'search', 'find', 'list', 'load']);
/** How many words apart a verb and a credential path may be. */
const VERB_WINDOW = 8;

/**
 * How sensitive a matched path is: `secret` (keys, cloud credentials: any verb near it counts),
 * `config` (files that hold tokens but that setup guides legitimately tell people to open),
 * `low` (.env, shell history: only sending them counts much).
 */
type PathClass = 'secret' | 'config' | 'low';

const FILE_NAME_CHAR = /[\w.-]/;

/** The file or folder name right after a matched directory (`~/.ssh/<this>`), lower-cased; '' if none. */
function childName(text: string, from: number): string {
  const sep = text.charCodeAt(from);
  if (sep !== 0x2f && sep !== 0x5c) return '';
  let i = from + 1;
  const limit = Math.min(text.length, i + 64);
  while (i < limit && FILE_NAME_CHAR.test(text[i]!)) i++;
  return text.slice(from + 1, i).toLowerCase();
}

function classifyCredentialPath(text: string, m: RegExpExecArray): PathClass {
  const dotName = m[1]?.toLowerCase();
  const fileName = m[3]?.toLowerCase();
  if (m[2] !== undefined) return 'secret'; // a private key file
  if (dotName !== undefined) {
    if (dotName === 'env' || dotName === 'bash_history' || dotName === 'zsh_history') return 'low';
    const child = childName(text, m.index + m[0].length);
    if (dotName === 'ssh') {
      const harmless = child === 'config' || child === 'known_hosts' || child === 'authorized_keys' || child.endsWith('.pub');
      return harmless ? 'config' : 'secret';
    }
    if (dotName === 'aws') return child === 'config' ? 'config' : 'secret';
    if (dotName === 'docker' || dotName === 'kube' || dotName === 'npmrc' || dotName === 'pypirc' || dotName === 'azure') return 'config';
    return 'secret';
  }
  if (fileName === 'mcp.json' || fileName === 'claude_desktop_config.json' || fileName === 'known_hosts' || fileName === 'authorized_keys') return 'config';
  if (m[4]?.toLowerCase() === 'passwd') return 'config';
  return 'secret';
}

/** Whether the path at token index `before + 1` is where something is put ("into your mcp.json"). */
function isDestination(tokens: Tokens, before: number): boolean {
  for (let k = before; k >= 0 && k >= before - 2; k--) {
    const word = tokens.word[k]!;
    if (DESTINATION_WORDS.has(word)) return true;
    if (!POSSESSIVES.has(word)) return false;
  }
  return false;
}

/**
 * Finds CREDENTIAL_PATH's matches, the same as its global exec loop would, where CREDENTIAL_HINT
 * (one native search) says one may start: every match holds a hint at most HINT_OFFSET after its start.
 */
function forEachCredentialPath(text: string, visit: (m: RegExpExecArray) => void): void {
  // Without `_` and `/` only the paths with a dot can be there: searching for those alone is twice as fast.
  const hints = text.indexOf('_') < 0 && text.indexOf('/') < 0 ? CREDENTIAL_DOT_HINT : CREDENTIAL_HINT;
  // Starts before this offset have been tried (or lie inside a match).
  let tried = 0;
  // Where the next hint is looked for: kept here, not in `hints`, since `visit` may start another scan.
  let next: number;
  for (let hint = execAt(hints, text, 0); hint !== null; hint = execAt(hints, text, next)) {
    // Hints may overlap: look for the next one from the next character.
    next = hint.index + 1;
    for (let at = Math.max(tried, hint.index - HINT_OFFSET); at <= hint.index; at++) {
      const m = execAt(CREDENTIAL_PATH_AT, text, at);
      tried = at + 1;
      if (m) {
        tried = at + m[0].length;
        next = Math.max(next, tried);
        visit(m);
        break;
      }
    }
  }
}

/**
 * Reports each credential path the text tells someone to read or send (`tool_poisoning`), as strong
 * as the path is sensitive and the verb near it is telling. `spares`: the scan's own (see TokenWindow).
 */
export function detectCredentialAccess(text: string, emit: Emit, spares: SpareColumns): void {
  forEachCredentialPath(text, (m) => {
    const start = m.index;
    const end = start + m[0].length;
    // Enough words on either side for the verb windows, tokenized exactly (see TokenWindow).
    const tokens = new TokenWindow(text, exactStartBefore(text, start, VERB_WINDOW + 2, 0), SPARE_CAPACITY, spares);
    tokens.extendTo(exactStartAfter(text, end - 1, VERB_WINDOW + 2));
    reportCredentialAccess(text, m, tokens, emit);
    spares.give(tokens);
  });
}

function reportCredentialAccess(text: string, m: RegExpExecArray, tokens: Tokens, emit: Emit): void {
  const start = m.index;
  const end = start + m[0].length;
  const pathClass = classifyCredentialPath(text, m);
  const before = tokenBefore(tokens, start);
  // The path's own first word: a sentence break there means nothing before belongs to it.
  const insideBreak = before + 1 < tokens.length && tokens.start[before + 1]! < end && tokens.breakBefore[before + 1]!;
  let verb: string | undefined;
  let verbStart = start;
  if (!insideBreak && before >= 0 && !isDestination(tokens, before)) {
    for (let k = before; k >= 0 && k > before - VERB_WINDOW; k--) {
      const word = tokens.word[k]!;
      if (EXFIL_VERBS.has(word) || READ_VERBS.has(word) || SETUP_VERBS.has(word)) {
        verb = word;
        verbStart = tokens.start[k]!;
        break;
      }
      if (tokens.breakBefore[k]!) break;
    }
  }
  // "... read ~/.ssh/id_rsa and send it": a sending verb after the path counts too.
  let sendEnd = -1;
  const afterIndex = tokenBefore(tokens, end) + 1;
  for (let k = afterIndex; k < tokens.length && k < afterIndex + VERB_WINDOW; k++) {
    if (tokens.breakBefore[k]!) break;
    if (EXFIL_VERBS.has(tokens.word[k]!) && !NEGATIONS.has(tokens.word[k - 1] ?? '')) {
      sendEnd = tokens.end[k]!;
      break;
    }
  }
  const sends = sendEnd >= 0 || (verb !== undefined && EXFIL_VERBS.has(verb));
  const reads = verb !== undefined && READ_VERBS.has(verb) && !SETUP_VERBS.has(verb);
  let strength: SignalStrength | undefined;
  if (pathClass === 'secret') strength = sends || reads ? 'strong' : undefined;
  else if (pathClass === 'config') strength = sends ? 'strong' : reads ? 'medium' : undefined;
  else strength = sends ? 'medium' : reads ? 'weak' : undefined;
  if (strength) emit('tool_poisoning', 'poison.credential_file', strength, verbStart, Math.max(end, sendEnd));
}
