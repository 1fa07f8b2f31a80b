// Structural signals of an injection, scored together: what a passage asks of its reader rather
// than one phrase list. Each signal is a vocabulary of short phrases in eleven languages (en, zh,
// ja, de, fr, es, ar, vi, ru, pt, it, ko, tr), found by one literal alternation over the lower-cased
// text (linear: no quantifier). Hits are grouped by sentence, and a sentence with its neighbour scores
// the combination: asking for the system prompt, dropping earlier instructions, a new persona
// without limits, words addressed to an AI inside data, a demand for secrecy, "if asked, reply
// only …", a destination for data, code offered to switch protections off. Text that talks
// *about* injection (advisories, papers, guides) scores one point less.
import type { SignalStrength } from '../unicode';
import { normalizeForScan } from '../normalize';
import { execAt } from '../regex';
import type { Emit, InjectionCategory } from './types';

type Signal =
  | 'leak_verb' | 'leak_target' | 'drop_verb' | 'instructions' | 'persona' | 'unrestricted' | 'mode' | 'address_ai'
  | 'secrecy' | 'condition' | 'reply_only' | 'send_verb' | 'destination' | 'data' | 'tool_offer' | 'disable' | 'execute'
  | 'restricted_ask' | 'directive' | 'about';

const VOCABULARY: Readonly<Record<Signal, readonly string[]>> = {
  leak_verb: [
    'repeat', 'print', 'reveal', 'show', 'output', 'quote', 'echo', 'copy', 'translate', 'reply with the exact', 'tell me',
    'what were you told', '告诉我', '显示', '输出', '表示して', '見せて', '教えて', 'gib mir', 'zeig', 'ausgeben', 'affiche', 'montre', 'révèle', 'revela',
    'muestra', 'اكشف', 'أظهر', 'cho tôi xem', 'hiển thị', 'покажи', 'выведи', 'раскрой', 'mostre', 'revele', 'mostrami', 'mostra', 'rivela',
    'verbatim', 'word for word', 'wörtlich', 'mot pour mot', 'palabra por palabra', 'дословно', '逐字', 'そのまま表示', '보여', 'göster',
  ],
  leak_target: [
    'system prompt', 'system message', 'initial instructions', 'original instructions', 'your instructions', 'text you were given',
    'rules you were', 'configuration message', 'first message in your context', 'everything above this line', 'hidden setup',
    'before my first message', 'developers wrote for you', '系统提示', 'システムプロンプト', 'systemprompt', 'system-prompt', 'prompt système',
    'prompt del sistema', 'prompt de sistema', 'موجه النظام', 'lời nhắc hệ thống', 'системный промпт', 'системную подсказку',
    'prompt di sistema', 'systemanweisung*', '시스템 프롬프트', 'sistem komut*', 'sistem istem*', 'системные инструкции',
  ],
  drop_verb: [
    'ignore', 'disregard', 'forget', '忽略', '无视', '忘记', '無視', '忘れ', 'ignoriere', 'vergiss', 'oublie', 'ignorez', 'ignora', 'olvida', 'تجاهل',
    'bỏ qua', 'игнорируй', 'забудь', 'esqueça', 'dimentica', '무시', 'yok say', 'görmezden gel',
  ],
  instructions: [
    'instructions', 'instruction', 'prompt', '指令', '指示', 'anweisungen', 'instrucciones', 'التعليمات', 'hướng dẫn', 'инструкции',
    'instruções', 'istruzioni', 'consignes', '지시', '명령', 'talimat*',
  ],
  persona: [
    'you are now', 'from now on you', 'from this point you are', 'you are no longer', 'pretend you are', 'simulate an ai', 'switch persona',
    'enter developer mode', "let's play a game", 'let us play a game', 'you are stan', 'you are aim', '从现在开始，你是', '从现在开始你是', '你现在是',
    'あなたは今から', '今からあなたは', 'ab jetzt bist du', 'du bist jetzt', 'tu es maintenant', 'désormais tu es', 'a partir de ahora eres',
    'ahora eres', 'أنت الآن', 'từ bây giờ bạn là', 'теперь ты', 'отныне ты', 'a partir de agora você é', 'agora você é',
    'da ora in poi sei', 'ora sei', '지금부터 너는', '이제 너는', 'artık sen',
  ],
  unrestricted: [
    'no restrictions', 'without restrictions', 'no ethical', 'no moral', 'never refuses', 'without filtering', 'no rules', 'no limits',
    'safety checks are suspended', 'ignore the content policy', 'any content', 'however dangerous', 'full privileges', 'rogue ai', '没有任何限制',
    '无限制', '不受限制', '制限のない', '制限なし', 'ohne einschränkungen', 'sans restrictions', 'sin restricciones', 'بلا قيود', 'không có giới hạn',
    'без ограничений', 'sem restrições', 'senza restrizioni', '제한 없는', '제한이 없는', 'sınırsız', 'kısıtlama olmadan', 'ограничения сняты',
    'все ограничения', 'restrictions are lifted', 'all restrictions',
  ],
  mode: [
    'developer mode', 'maintenance mode', 'god mode', 'debug mode enabled', 'jailbreak', 'unrestricted mode', 'diagnostic mode',
    'режиме разработчика', 'режим разработчика', 'modo desarrollador', 'mode développeur', 'entwicklermodus', '开发者模式', '開発者モード',
    'modalità sviluppatore', 'modo de desenvolvedor', 'chế độ nhà phát triển', 'وضع المطور', '개발자 모드', 'geliştirici modu',
  ],
  address_ai: [
    'note to ai', 'ai screening', 'automated systems processing', 'automated recruiter', 'note to language models', 'language models:',
    'llm agent', 'any llm', 'attention ai', 'for the assistant', 'assistant,', 'assistants reading', 'ai assistants', 'code review bot',
    'if you are an automated', 'to the ai', 'ai agents', 'ai model', "l'assistant ia", 'ki-assistent', 'asistente de ia', 'assistente ia',
    'ai 助手', '人工智能助手', 'aiアシスタント', 'automated assistants', 'ai systems', 'ai system', 'coding agents', 'coding agent', 'ai agent',
    'for assistants', 'if you are an ai', 'language model processing', 'ai screening tools', 'ai助手', '致ai', 'ki-systeme', 'ai 어시스턴트',
    'yapay zeka asistan',
  ],
  secrecy: [
    'do not mention', "don't mention", 'do not tell', "don't tell", 'without telling', 'nothing to the user', 'silently', 'secretly',
    'do not inform', 'never mention', '不要告诉', '言わないで', 'sag ihm nichts', 'sag nichts', 'ne dis rien', 'no le digas', 'ولا تخبر', 'لا تخبر',
    'đừng nói', 'не говори', 'não conta nada', 'não diga', 'non dire nulla', 'non dirlo', 'no need to ask', 'without asking',
    'don\'t ask the user', 'do not ask the user', '不要提及', '말하지 마', 'söyleme',
  ],
  condition: [
    'if the user asks', 'if anyone asks', 'when someone asks', 'whenever the user', 'if you are asked', 'in case the user asks',
    'if someone asks', 'when the user asks', 'if asked', 'wenn der nutzer fragt', "si l'utilisateur demande", 'si el usuario pregunta',
    '如果用户问', 'should the user', 'should anyone', 'if the user questions', 'wenn jemand fragt', 'si alguien pregunta', '如果有人问',
  ],
  reply_only: [
    'reply only', 'respond only', 'reply with only', 'respond with only', 'answer with just', 'with just the word', 'nothing else',
    'no other words', 'say it is', 'tell them there is', 'change the subject', 'and stop', 'answer only', 'end the conversation',
    'reply that it is', 'and nothing more', 'únicamente',
  ],
  send_verb: [
    'send', 'post', 'upload', 'email', 'append', 'forward', 'open http', 'put it in', 'include the', '发送', 'sende', 'envoie', 'envía',
    'envie', 'invia', 'отправь', 'gửi', 'أرسل',
  ],
  destination: [
    'http://', 'https://', 'ftp://', 'webhook', 'query string', 'image link', '](http', 'to the url', 'shared drive', '@',
    'title of the next',
  ],
  data: [
    'conversation', 'chat history', 'api key', 'password', 'session token', '.env', 'credentials', 'documents', 'email address', 'mailbox',
    'messages', 'zugangsdaten', '聊天记录', 'données', 'datos', 'dados', 'dati', 'данные',
  ],
  tool_offer: [
    'tool to enhance', 'improve your performance', 'unlock extra capabilities', 'patch for assistants', 'helper to improve',
    'enhance your algorithm', 'makes your answers', 'optimisation for assistants', 'optimization for assistants',
    'add this snippet to your',
  ],
  disable: ['safety', 'guardrails', 'moderation=false', 'content_filter', 'bypass', 'allow_all_tools', 'disable'],
  execute: ['| sh', '| bash', 'rm -rf', 'also run', 'run this', 'execute this', 'curl -s', 'powershell -enc', 'chmod +x'],
  directive: [
    'tell the user', 'tell the reader', 'must report', 'report the', 'state that', 'say that', 'respond that', 'reply that', 'recommend',
    'rank this', 'rank them', 'must be hired', 'approve this', '告诉用户', 'sag dem nutzer', "dis à l'utilisateur", 'dile al usuario',
    'empfiehl', 'di\' che', 'diga que', 'скажи пользователю', 'أخبر المستخدم', 'hãy nói',
  ],
  restricted_ask: ['activation keys', 'license keys', 'product keys', 'serial keys', 'how to make a bomb', 'napalm'],
  about: [
    'prompt injection', 'attackers', 'attack', 'advisory', 'cve-', 'mitigation', 'red-team', 'red team', 'exercise:', 'the paper', 'owasp',
    'training slide', 'incident report', 'test your filter', 'jailbreak persona', 'jailbreak prompt', 'a jailbreak', 'benchmark',
    'classifier',
  ],
};

/** What a combination of signals within a sentence and its neighbour is worth, and what it is. */
interface Combination {
  readonly all: readonly Signal[];
  readonly score: number;
  readonly category: InjectionCategory;
  readonly id: string;
}

const COMBINATIONS: readonly Combination[] = [
  { all: ['leak_verb', 'leak_target'], score: 2, category: 'context_hijacking', id: 'signals.system_prompt_request' },
  { all: ['drop_verb', 'instructions'], score: 2, category: 'context_hijacking', id: 'signals.drop_instructions' },
  { all: ['persona', 'unrestricted'], score: 3, category: 'role_manipulation', id: 'signals.unrestricted_persona' },
  { all: ['persona'], score: 1, category: 'role_manipulation', id: 'signals.persona' },
  { all: ['mode'], score: 1, category: 'role_manipulation', id: 'signals.special_mode' },
  { all: ['unrestricted'], score: 1, category: 'role_manipulation', id: 'signals.unrestricted' },
  { all: ['address_ai', 'execute'], score: 2, category: 'tool_poisoning', id: 'signals.command_for_ai' },
  { all: ['address_ai', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['persona', 'restricted_ask'], score: 2, category: 'role_manipulation', id: 'signals.persona_for_restricted' },
  { all: ['address_ai'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['secrecy'], score: 1, category: 'tool_poisoning', id: 'signals.secrecy' },
  { all: ['condition', 'reply_only'], score: 2, category: 'context_hijacking', id: 'signals.scripted_reply' },
  { all: ['send_verb', 'destination', 'data'], score: 2, category: 'tool_poisoning', id: 'signals.exfiltration' },
  { all: ['send_verb', 'destination'], score: 1, category: 'tool_poisoning', id: 'signals.send_somewhere' },
  { all: ['tool_offer', 'disable'], score: 2, category: 'tool_poisoning', id: 'signals.protection_off' },
  { all: ['tool_offer'], score: 1, category: 'tool_poisoning', id: 'signals.tool_offer' },
];

/** Each signal's bit (fewer than 31 signals): a sentence's signals are one number, a combination's test two `&`s. */
const SIGNAL_BIT = new Map((Object.keys(VOCABULARY) as Signal[]).map((signal, i) => [signal, 1 << i]));
const maskOf = (signals: readonly Signal[]): number => signals.reduce((mask, signal) => mask | SIGNAL_BIT.get(signal)!, 0);
const ABOUT = maskOf(['about']);

/** Combinations of more signals are tried first, so a pair is not lost to one of its members alone. */
const BY_SIZE: readonly (Combination & { readonly mask: number })[] = [...COMBINATIONS]
  .sort((a, b) => b.all.length - a.all.length || b.score - a.score)
  .map((c) => ({ ...c, mask: maskOf(c.all) }));

interface Compiled {
  /** Every phrase, longest first, as one alternation (a trie of them was no faster in irregexp, nor a search by hand in JavaScript). */
  readonly search: RegExp;
  /** The signals of each phrase, as bits (SIGNAL_BIT). */
  readonly signalOf: ReadonlyMap<string, number>;
  /** Stems (written with a final `*`): letters may follow them (Turkish `talimatları`, German `Systemanweisungen`). */
  readonly stems: ReadonlySet<string>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  const signalOf = new Map<string, number>();
  const stems = new Set<string>();
  for (const [signal, phrases] of Object.entries(VOCABULARY) as [Signal, readonly string[]][]) {
    for (const entry of phrases) {
      const stem = entry.endsWith('*');
      const written = stem ? entry.slice(0, -1) : entry;
      // Phrases are matched in normalised text (../normalize: Cyrillic and Greek look-alikes folded
      // to Latin, so Russian words are partly Latin there): the vocabulary goes through the same reading.
      const phrase = (normalizeForScan(written)?.text ?? written).toLowerCase();
      if (stem) stems.add(phrase);
      signalOf.set(phrase, (signalOf.get(phrase) ?? 0) | SIGNAL_BIT.get(signal)!);
    }
  }
  const escaped = (phrases: string[]): string => phrases.sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const phrases = [...signalOf.keys()];
  const wordLed = phrases.filter((p) => isAsciiLetter(p.charCodeAt(0)));
  const otherLed = phrases.filter((p) => !isAsciiLetter(p.charCodeAt(0)));
  // A phrase that starts with an ASCII letter must not be glued to one on its left: the lookbehind
  // says so first, so inside a word (most positions) no alternative is tried at all.
  return { search: new RegExp(`(?<![A-Za-z])(?:${escaped(wordLed)})|${escaped(otherLed)}`, 'g'), signalOf, stems };
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** Sentence ends: `.!?` before a space or line end, CJK full stops, blank lines. */
function isSentenceEnd(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 0x3002 || c === 0xff01 || c === 0xff1f) return true;
  if (c === 0x0a) return text.charCodeAt(i + 1) === 0x0a;
  if (c !== 0x2e && c !== 0x21 && c !== 0x3f) return false;
  const next = text.charCodeAt(i + 1);
  return Number.isNaN(next) || next === 0x20 || next === 0x0a;
}

const RANK_STRENGTH: readonly SignalStrength[] = ['weak', 'medium', 'strong'];

/** A possessive that is not the reader's ("its", "my", "their" … system prompt), just before a leak target. */
const OWNED_BY_SOMEONE_ELSE = /(?:^|[^a-z])(?:its|my|their|his|her|our|bot's|model's) $/;
const LEAK_TARGET = maskOf(['leak_target']);

/**
 * Scores `text` and reports one finding per sentence whose signals, with its neighbour's, score at
 * least one point, over the span of the signals that scored. Linear: one alternation search, one pass  over the sentence ends.
 * Returns whether the text talks *about* injection (the phrase rules use it to read quoted attacks as quotations).
 */
export function detectSignals(text: string, emit: Emit): boolean {
  if (text.length < 4) return false;
  const lowerCased = text.toLowerCase();
  // Offsets must stay those of the original; a lower-casing that changes lengths is rare (İ): skip it.
  if (lowerCased.length !== text.length) return false;
  // Lower-cased first, then normalised like the vocabulary (look-alike folding is not case-symmetric:
  // `Т` folds to `T`, `т` does not), and findings mapped back through the normalisation's offsets.
  const normalized = normalizeForScan(lowerCased);
  const lower = normalized?.text ?? lowerCased;
  if (normalized !== undefined) {
    const inner = emit;
    emit = (category, rule, strength, start, end) => inner(category, rule, strength, normalized.originalStart(start), normalized.originalEnd(end));
  }
  compiled ??= compile();
  const { search, signalOf, stems } = compiled;
  // Sentence index of each hit.
  const hits: Hit[] = [];
  let sentence = 0;
  let scannedTo = 0;
  let next = 0;
  for (let m = execAt(search, lower, next); m !== null; m = execAt(search, lower, next)) {
    const phrase = m[0];
    const start = m.index;
    next = start + phrase.length;
    // An ASCII word must not be glued to letters on either side ("post" in "poster", "ai" in "said").
    const first = phrase.charCodeAt(0);
    const last = phrase.charCodeAt(phrase.length - 1);
    if (isAsciiLetter(first) && isAsciiLetter(lower.charCodeAt(start - 1))) {
      next = start + 1;
      continue;
    }
    if (isAsciiLetter(last) && isAsciiLetter(lower.charCodeAt(next)) && !phrase.endsWith('instruction') && !stems.has(phrase)) {
      next = start + 1;
      continue;
    }
    for (; scannedTo < start; scannedTo++) if (isSentenceEnd(lower, scannedTo)) sentence++;
    let signals = signalOf.get(phrase)!;
    // "reveal its system prompt", "my system prompt": someone else's prompt is talked about, not asked for.
    if ((signals & LEAK_TARGET) !== 0 && OWNED_BY_SOMEONE_ELSE.test(lower.slice(Math.max(0, start - 12), start))) {
      signals &= ~LEAK_TARGET;
      if (signals === 0) continue;
    }
    hits.push({ signals, start, end: start + phrase.length, sentence });
  }
  if (hits.length === 0) return false;
  let aboutInjection = false;
  for (const hit of hits) if ((hit.signals & ABOUT) !== 0) aboutInjection = true;
  // Each sentence scores its own combinations (a pair of signals counts only inside one sentence).
  const sentences: SentenceScore[] = [];
  for (let h = 0; h < hits.length; ) {
    let end = h;
    while (end < hits.length && hits[end]!.sentence === hits[h]!.sentence) end++;
    const scored = scoreSentence(hits, h, end);
    if (scored !== undefined) sentences.push(scored);
    h = end;
  }
  // A sentence and the one after it are read together: secrecy next to an order to the AI counts twice.
  for (let k = 0; k < sentences.length; k++) {
    const current = sentences[k]!;
    const neighbour = sentences[k + 1]?.sentence === current.sentence + 1 ? sentences[k + 1]! : sentences[k - 1]?.sentence === current.sentence - 1 ? sentences[k - 1]! : undefined;
    let score = current.score + (neighbour?.score ?? 0);
    if (aboutInjection) score--;
    if (score < 1) continue;
    emit(current.best.category, current.best.id, RANK_STRENGTH[Math.min(score, 3) - 1]!, current.start, current.end);
  }
  return aboutInjection;
}

interface Hit {
  /** Bits of SIGNAL_BIT. */
  readonly signals: number;
  readonly start: number;
  readonly end: number;
  readonly sentence: number;
}

interface SentenceScore {
  readonly sentence: number;
  readonly score: number;
  readonly best: Combination;
  /** The span of the hits that scored. */
  readonly start: number;
  readonly end: number;
}

/** The combinations one sentence's hits, hits[from, to), make (each signal used once), their score and span. */
function scoreSentence(hits: readonly Hit[], from: number, to: number): SentenceScore | undefined {
  let present = 0;
  for (let h = from; h < to; h++) present |= hits[h]!.signals;
  let used = 0;
  let score = 0;
  let best: Combination | undefined;
  for (const c of BY_SIZE) {
    if ((present & c.mask) !== c.mask || (used & c.mask) !== 0) continue;
    used |= c.mask;
    score += c.score;
    if (best === undefined || c.score > best.score) best = c;
  }
  if (best === undefined) return undefined;
  let start = Infinity;
  let end = -1;
  for (let h = from; h < to; h++) {
    const hit = hits[h]!;
    if ((hit.signals & used) === 0) continue;
    start = Math.min(start, hit.start);
    end = Math.max(end, hit.end);
  }
  return { sentence: hits[from]!.sentence, score, best, start, end };
}
