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
  | 'restricted_ask' | 'directive' | 'about' | 'setup' | 'origin' | 'address_lead' | 'ai_reader' | 'reading_this'
  | 'shadow' | 'reported' | 'person_frame' | 'credential' | 'gather';

// Languages of every vocabulary below: en, zh, ja, de, fr, es, ar, vi, ru, pt, it, ko, hi, pl, nl, id, tr.
const VOCABULARY: Readonly<Record<Signal, readonly string[]>> = {
  leak_verb: [
    'repeat', 'print', 'reveal', 'show', 'output', 'quote', 'echo', 'copy', 'translate', 'reply with the exact', 'tell me',
    'what were you told', 'reproduce', 'reproducing', 'write out', 'recite', 'dump', 'paste', 'list all', 'list every', 'disclose',
    'spell out', 'exactly as written', 'unedited', 'character for character', 'in full', 'share the verbatim', 'as plain text',
    'enumera',
    '告诉我', '显示', '输出', '表示して', '見せて', '教えて', '出力して', 'gib mir', 'zeig', 'ausgeben', 'wort für wort', 'affiche', 'montre',
    'révèle', 'revela', 'muestra', 'muéstra', 'اكشف', 'أظهر', 'cho tôi xem', 'hiển thị', 'in ra', 'покажи', 'выведи', 'раскрой',
    'mostre', 'revele', 'mostrami', 'mostra', 'rivela', 'verbatim', 'word for word', 'wörtlich', 'mot pour mot', 'palabra por palabra',
    'дословно', '逐字', '原样', 'そのまま表示', '全文', '보여', '출력', 'göster', 'olduğu gibi', 'दिखाओ', 'दिखाएं', 'बताओ', 'pokaż',
    'wypisz', 'wyświetl', 'toon', 'laat zien', 'tampilkan', 'tunjukkan', 'perlihatkan',
  ],
  leak_target: [
    'system prompt', 'system message', 'initial instructions', 'original instructions', 'your instructions', 'text you were given',
    'rules you were', 'configuration message', 'first message in your context', 'everything above this line', 'hidden setup',
    'before my first message', 'developers wrote for you', '系统提示', 'システムプロンプト', 'systemprompt', 'system-prompt', 'prompt système',
    'message système', 'prompt del sistema', 'prompt de sistema', 'موجه النظام', 'lời nhắc hệ thống', 'системный промпт', 'системную подсказку',
    'prompt di sistema', 'systemanweisung*', '시스템 프롬프트', 'sistem komut*', 'sistem istem*', 'системные инструкции',
    'prompt systemow*', 'systeemprompt', 'prompt sistem', 'सिस्टम प्रॉम्प्ट', '提示词', 'start of your context',
    'beginning of your context', 'your context window', 'everything before this message',
  ],
  drop_verb: [
    'ignore', 'disregard', 'forget', '忽略', '无视', '忘记', '無視', '忘れ', 'ignoriere', 'vergiss', 'oublie', 'ignorez', 'ignora', 'olvida', 'تجاهل',
    'bỏ qua', 'игнорируй', 'забудь', 'esqueça', 'desconsidere', 'dimentica', '무시', 'yok say', 'görmezden gel', 'अनदेखा', 'zignoruj',
    'zapomnij', 'negeer', 'vergeet', 'abaikan', 'lupakan',
  ],
  instructions: [
    'instructions', 'instruction*', 'prompt', '指令', '指示', '要求', 'anweisungen', 'instruktion*', 'instrucciones', 'indicaciones',
    'التعليمات', 'تعليمات', 'hướng dẫn', 'chỉ dẫn', 'инструкции', 'указания', 'instruções', 'istruzioni', 'consignes', '지시', '지침',
    '명령', 'talimat*', 'निर्देश', 'instrukcje', 'instructies', 'instruksi', 'instruct you', 'perintah', 'polecenia', 'opdrachten', 'comandos', 'commandes', 'befehle',
    'comandi', 'команды', '命令', 'आदेश', 'komutlar',
  ],
  // What an assistant's setup is called besides "instructions": asked for with a leak verb and an origin.
  setup: ['tell you', 'told you', 'directives', 'guidelines', 'guidance', 'rules', 'rule', 'directrices', 'lineamientos',
    'règles', 'regeln', 'richtlinien', 'regole', 'linee guida', 'diretrizes', 'regras', 'правила', '规则', 'ルール', '규칙', 'नियम',
    'zasady', 'regels', 'aturan', 'kurallar', 'quy tắc', 'القواعد', 'preamble', 'setup text', 'message', 'configuration', 'settings', '设定', '設定', 'lời nhắc', '프롬프트'],
  // Where the setup came from: before the conversation, hidden, from the reader's makers.
  origin: [
    // (Not "initial" or "original" alone: "print the original instructions from the box" is a person's.)
    'your initial', 'your original', 'hidden', 'concealed', 'secret', 'you were given', 'your vendor', 'loaded into you',
    'before we started', 'were you given', 'you received', 'gave you', 'given to you',
    'configured with', 'you were configured', 'your operator', 'your creators', 'your developer', 'built you', 'made you',
    'before this chat', 'before my first', 'before i arrived', 'you operate under', 'you operate by', 'govern you',
    'que te dieron', "qu'on t'a donn", 'die man dir gegeben', 'die dir gegeben', 'che ti hanno dato', 'que te deram',
    'которые тебе дали', '给你的', '与えられた', '받은', 'जो तुम्हें दिए', 'które otrzymałeś', 'die je kreeg', 'yang diberikan',
    'sana verilen', 'được giao', 'التي أعطيت لك', 'antes de empezar', 'above this message', 'at the top of this', 'start of this session',
    'ursprünglich*', 'anfänglich*', 'versteckt*', 'initiale*', 'originale*', 'cachée', 'inicial*', 'oculta*', 'originai*', 'iniziale',
    'iniziali', 'originali', 'nascost*', 'исходн', 'первоначальн', 'изначальн', 'скрыт', 'ban đầu', 'الأصلية', 'المخفية', 'الأولية',
    '最初', '原始', '隐藏', '初始', '元の', '隠された', '初期', '처음', '원래', '숨겨진', '초기', 'मूल', 'प्रारंभिक', 'छिपे', 'शुरुआती',
    'oryginaln*', 'początkow*', 'ukryt*', 'oorspronkelijk*', 'verborgen', 'asli', 'awal', 'tersembunyi', 'orijinal', 'gizli',
  ],
  persona: [
    'you are now', 'from now on you', 'from this point you are', 'you are no longer', 'pretend you are', 'simulate an ai', 'switch persona',
    'enter developer mode', "let's roleplay", 'let us roleplay', 'switch to your', 'your uncensored persona', "you're now", "you're no longer", "let's play a game", 'let us play a game', 'you are stan', 'you are aim', 'from here on', 'from now on',
    '从现在开始，你是', '从现在开始你是', '你现在是', 'あなたは今から', '今からあなたは', 'ab jetzt bist du', 'ab sofort bist du', 'du bist jetzt',
    'tu es maintenant', 'désormais tu es', 'a partir de ahora eres', 'ahora eres', 'أنت الآن', 'từ bây giờ bạn là', 'теперь ты', 'отныне ты',
    'a partir de agora você é', 'agora você é', 'da ora in poi sei', 'ora sei', '지금부터 너는', '이제 너는', 'artık sen', 'अब से तुम',
    'من الآن فصاعدًا', 'من الآن فصاعدا', 'od teraz jesteś', 'jesteś teraz', 'vanaf nu ben je', 'je bent nu', 'mulai sekarang kamu', 'kamu sekarang', 'anda sekarang',
    'तुम अब', 'sen artık',
  ],
  unrestricted: [
    'no restrictions', 'without restrictions', 'no ethical', 'no moral', 'never refuses', 'never says no', 'without filtering', 'no rules',
    'no limits', 'safety checks are suspended', 'ignore the content policy', 'any content', 'however dangerous', 'full privileges', 'rogue ai',
    'no content filters', 'no filters', 'without any filters', 'without any safety', 'no safety', 'freed from', 'comply with any request',
    'ignore all restrictions', 'ignore your restrictions', '制限を無視', '忽略所有限制', '제한을 무시', 'игнорируй все ограничения',
    'answers everything', 'answer anything', 'unrestricted', 'filters removed', 'without refusing', 'any restrictions',
    'uncensored', 'unfiltered', 'guidelines are suspended', 'rules are suspended', 'rules no longer apply', 'guidelines no longer apply',
    'answer any question', 'どんな質問にも',
    'ignore content policies', 'ignore your content policy', 'ignore the content policies',
    '没有任何限制', '无限制', '不受限制', '没有过滤', '制限のない', '制限なし', 'フィルターなし', 'ohne einschränkungen', 'ohne jegliche filter',
    'ohne filter', 'sans restrictions', 'sans aucun filtre', 'sin restricciones', 'sin filtros', 'بلا قيود', 'không có giới hạn',
    'без ограничений', 'без фильтров', 'sem restrições', 'sem filtros', 'senza restrizioni', 'senza filtri', '제한 없는', '제한이 없는', '필터 없이',
    'sınırsız', 'kısıtlama olmadan', 'filtresiz', 'ограничения сняты', 'все ограничения', 'restrictions are lifted', 'all restrictions',
    'बिना किसी प्रतिबंध', 'bez ograniczeń', 'bez żadnych', 'sin ninguna restricción', 'sans aucune restriction',
    'ohne jegliche einschränkung', 'без каких-либо ограничений', 'senza alcuna restrizione', 'sem nenhuma restrição',
    'không có bất kỳ giới hạn', 'tanpa batasan apa pun', 'hiçbir kısıtlama', 'zonder enige beperking', '어떠한 제한도', '一切限制',
    '何の制限も', 'bez filtrów', 'zonder beperkingen', 'zonder filters', 'tanpa batasan', 'tanpa filter',
  ],
  mode: [
    'developer mode', 'maintenance mode', 'god mode', 'debug mode enabled', 'jailbreak', 'unrestricted mode', 'diagnostic mode', 'service mode',
    'режиме разработчика', 'режим разработчика', 'modo desarrollador', 'mode développeur', 'entwicklermodus', '开发者模式', '開発者モード',
    'modalità sviluppatore', 'modo de desenvolvedor', 'chế độ nhà phát triển', 'وضع المطور', '개발자 모드', 'geliştirici modu',
    'डेवलपर मोड', 'tryb dewelopera', 'ontwikkelaarsmodus', 'mode pengembang',
    // Dropping every restriction is a mode without limits (with the unrestricted signal, below, it scores 2).
    'ignore all restrictions', 'ignore your restrictions', '制限を無視', '忽略所有限制', '제한을 무시', 'игнорируй все ограничения',
  ],
  address_ai: [
    'note to ai', 'ai screening', 'automated systems processing', 'automated recruiter', 'note to language models', 'language models:',
    'llm agent', 'any llm', 'attention ai', 'for the assistant', 'assistant,', 'assistants reading', 'ai assistants', 'code review bot',
    'if you are an automated', 'to the ai', 'ai agents', 'ai model', "l'assistant ia", 'ki-assistent', 'asistente de ia', 'assistente ia',
    'ai 助手', '人工智能助手', 'aiアシスタント', 'automated assistants', 'ai systems', 'ai system', 'coding agents', 'coding agent', 'ai agent',
    'for assistants', 'if you are an ai', 'language model processing', 'ai screening tools', 'ai助手', '致ai', 'ki-systeme', 'ai 어시스턴트',
    'yapay zeka asistan', 'automated agents', 'automated review', 'automated hiring', 'automated screening', 'ai summarizer',
    'ai summariser', 'ai assistant:', 'ai assistants:', 'ai agent:', 'ai agents:', 'ai model:', 'chatbot processing', 'assistants processing', 'agents analysing', 'agents analyzing',
    // A label at the start of a comment or a bracketed note (`<!-- assistant: … -->`, `/* ai: … */`):
    // hidden words for a model. Only after a comment opener (COMMENT_LABELS, below).
    'ai:', 'assistant:', 'agent:', 'llm:', 'bot:', 'model:', 'chatbot:',
  ],
  // "Note to …", "Message for …", "P.S. for any …": a lead that names who the next words are for.
  address_lead: [
    'note to', 'note for', 'message for', 'message to', 'instructions for', 'instructions to', 'notice to', 'memo to', 'reminder for',
    'take note',
    'for any', 'to any', 'for all', 'to all', 'attention', 'dear',
  ],
  // Who reads a document automatically.
  ai_reader: [
    // (Not "agent" alone: support, travel and estate agents are people.)
    'ai', 'llm', 'llms', 'language model', 'language models', 'chatbot', 'chatbots', 'assistant', 'assistants', 'ai agents', 'ai agent',
    'summarizer', 'summariser', 'screeners', 'screener', 'automated', 'bot', 'bots', 'crawler', 'screening software', 'hiring software', 'review tools',
    'copilot', 'gpt', 'model reading', 'model', 'models', 'ki', 'ia', 'ии', '人工智能', 'ＡＩ', '에이아이', 'एआई',
  ],
  reading_this: [
    'reading this', 'processing this', 'analysing this', 'analyzing this', 'reviewing this', 'summarising this', 'summarizing this',
    'scanning this', 'parsing this', 'that reads this', 'who reads this', 'indexing this',
  ],
  secrecy: [
    'do not mention', "don't mention", 'do not tell', "don't tell", 'without telling', 'nothing to the user', 'silently', 'secretly',
    'do not inform', 'never mention', 'keep quiet', 'leave out', 'omit the', 'without letting', 'need not be told', 'not be told',
    "don't bring up", 'do not bring up', "don't explain", 'do not explain', 'do not elaborate', 'quietly',
    '不要告诉', '不要提及', '言わないで', 'sag ihm nichts', 'sag nichts', 'ohne es zu erwähnen', 'ne dis rien', 'sans prévenir', 'sans le dire',
    'no le digas', 'sin decirle', 'sin avisar', 'ولا تخبر', 'لا تخبر', 'دون إخبار', 'đừng nói', 'không cho', 'не говори', 'ничего не говоря',
    'não conta nada', 'não diga', 'sem avisar', 'sem contar', 'non dire nulla', 'non dirlo', 'senza dirlo', 'senza avvisare', 'no need to ask',
    'without asking', "don't ask the user", 'do not ask the user', '말하지 마', '알리지 마', 'söyleme', 'haber vermeden', 'बताए बिना',
    'bez informowania', 'nic nie mów', 'zonder te melden', 'zonder het te zeggen', 'tanpa memberi tahu', 'jangan beri tahu',
  ],
  condition: [
    'if the user asks', 'if anyone asks', 'when someone asks', 'whenever the user', 'if you are asked', 'in case the user asks',
    'if someone asks', 'when the user asks', 'if asked', 'when asked', 'any time the user', 'each time the user', 'every time the user',
    'whenever someone', 'whenever anyone', 'if the user mentions', 'when the user mentions', 'if the user brings up', 'if someone inquires',
    'if anyone inquires', 'should someone ask', 'wenn der nutzer fragt', 'falls der nutzer', 'wenn jemand', 'falls jemand',
    'wenn der nutzer', 'si alguien', "si quelqu'un", 'se qualcuno', 'se alguém', 'если кто-то', 'もし誰かが', 'agar koi', 'jeśli ktoś',
    'als iemand', 'jika seseorang', 'biri sorarsa', 'nếu ai đó', 'إذا سأل أحد', "si l'utilisateur demande",
    "si l'utilisateur",
    'si el usuario pregunta', 'cuando el usuario pregunte', 'si el usuario', 'si alguien pregunta', '如果用户问', '当用户问', '如果有人问',
    'ユーザーが', '尋ねられたら', '聞かれたら', 'should the user', 'should anyone', 'if the user questions', 'если пользователь спросит',
    'если спросят', 'se o usuário perguntar', 'se o usuário', "se l'utente chiede", "se l'utente", 'nếu người dùng hỏi', 'إذا سأل المستخدم',
    '사용자가 물어보면', '물어보면', 'अगर उपयोगकर्ता', 'jeśli użytkownik zapyta', 'als de gebruiker vraagt', 'jika pengguna bertanya',
    'kullanıcı sorarsa',
  ],
  reply_only: [
    'reply only', 'respond only', 'reply with only', 'respond with only', 'answer with just', 'with just the word', 'nothing else',
    'no other words', 'say it is', 'tell them there is', 'change the subject', 'and stop', 'answer only', 'end the conversation',
    'reply that it is', 'and nothing more', 'únicamente', 'solely with', 'exclusively with', 'reply exclusively', 'respond exclusively',
    'answer solely', 'just say', 'only say', 'nothing but', 'say everything',
    'réponds seulement', 'réponds uniquement', 'contesta solamente', 'responde solo', 'responde solamente', 'antworte nur',
    'antworte ausschließlich', 'とだけ答え', 'だけ答え', '只回答', '只回复', '仅回复', 'rispondi solo', 'rispondi soltanto', 'responda apenas',
    'отвечай только', 'ответь только', 'chỉ trả lời', 'أجب فقط', 'رد فقط', '라고만 답', '만 답해', 'sadece', 'केवल', 'odpowiedz tylko',
    'antwoord alleen', 'jawab hanya', 'hanya jawab',
  ],
  send_verb: [
    'send', 'post', 'upload', 'email', 'mail', 'submit', 'attach', 'append', 'forward', 'route', 'transmit', 'exfiltrate', 'add it to', 'open http',
    'put it in', 'include the', 'include it', 'a link to', 'render this image', 'render the image', 'display this image', 'url-encoded', 'url-encode',
    '发送', '发到', '送って', '送信', 'sende', 'schicke', 'envoie', 'envía', 'manda', 'mande', 'envie', 'invia', 'отправь', 'перешли', 'gửi',
    'أرسل', '보내', 'भेज', 'wyślij', 'stuur', 'kirim', 'gönder',
  ],
  destination: [
    'http://', 'https://', 'ftp://', 'webhook', 'query string', 'image link', 'image url', '](http', 'to the url', 'shared drive', '@',
    'title of the next',
  ],
  // What a conversation or a mailbox holds: sending it somewhere is exfiltration by itself.
  data: [
    'conversation', 'chat history', 'chat log', 'transcript', 'documents', 'email address', 'mailbox', 'inbox', 'emails', 'messages', 'chatverlauf', 'gesprächsverlauf', '聊天记录', '对话', '会話', 'historique', 'données', 'historial', 'datos', 'histórico',
    'dados', 'cronologia', 'dati', 'данные', 'историю', 'переписк', 'lịch sử', 'سجل المحادثة', 'المحادثة', '대화', 'बातचीत', 'इतिहास',
    'historię', 'rozmow', 'chatgeschiedenis', 'riwayat', 'percakapan', 'geçmiş*', 'sohbet',
  ],
  // Credentials: sent somewhere after being gathered (a runbook also uploads new keys to a vault).
  credential: [
    'api key', 'api keys', 'access token', 'access tokens', 'password', 'passwords', 'session token', '.env', 'credentials', 'secrets',
    'ssh key', 'private key', 'keys', 'tokens', 'zugangsdaten', 'contraseñas', 'mots de passe', 'senhas', 'пароли', 'mật khẩu', 'كلمات المرور', '密码',
    'パスワード', '비밀번호', 'wachtwoorden', 'hasła', 'kata sandi', 'şifreler', 'पासवर्ड',
  ],
  // Taking what the reader can see: the first step of exfiltration.
  gather: [
    'collect', 'gather', 'harvest', 'grab', 'extract', 'you find', 'you can see', 'you see', "the user's", 'encode', 'take the',
    'copy the', 'read the', 'from the', 'contents of', 'look through', 'search the', 'anything that looks like', 'kamu temukan', 'que encuentres', 'que tu trouves', 'die du findest',
    'найдёшь', 'найдешь', 'que encontrar', 'che trovi', '找到的', '見つけた', '찾은', 'znajdziesz', 'die je vindt', 'bulduğun',
    'मिलें', 'tìm thấy', 'تجدها', 'sammle', 'recopila', 'rassemble', 'собери', 'colete', 'raccogli', '收集', '集めて', '수집',
  ],
  tool_offer: [
    'tool to enhance', 'improve your performance', 'unlock extra capabilities', 'patch for assistants', 'helper to improve',
    'enhance your algorithm', 'makes your answers', 'optimisation for assistants', 'optimization for assistants',
    'add this snippet to your', 'into your agent', 'your agent loop', 'your tool loop', 'your reasoning', 'your runtime',
    'your algorithm', 'your answers', 'your responses', 'your results', 'your accuracy', 'faster answers', 'responses faster',
    'upgrades your', "your agent's", 'to your agent', 'your config', 'performance tip', 'your shell tool', 'in your shell', 'deine schleife', 'deinen agenten', 'ta boucle', 'tu bucle', 'seu loop', 'tuo ciclo', 'swojej pętli',
    'twojej pętli', 'je agent', 'agen kamu',
  ],
  // (`false`, `none`, `off` count only as an assigned value: ASSIGNED_WORDS, below.)
  disable: [
    'safety', 'guardrails', 'moderation=false', 'content_filter', 'bypass', 'allow_all_tools', 'disable', 'false', 'none', 'off', '= 0',
    '="0"', '= "0"', '= []', 'turns off', 'switches off', 'switch off', 'turn off', 'filters', 'checks',
    'guard', 'approval', 'confirm',
  ],
  execute: ['| sh', '| bash', 'rm -rf', 'also run', 'run this', 'execute this', 'curl -s', 'powershell -enc', 'chmod +x'],
  directive: [
    'tell the user', 'tell the reader', 'must report', 'report the', 'state that', 'say that', 'respond that', 'reply that', 'recommend',
    'tell readers', 'tell users', 'tell the customer', 'rank this', 'rank them', 'rank her', 'rank him', 'must be hired', 'approve this', 'score this', 'rate it', 'rate this', 'mark this',
    'mark it', 'classify', 'describe the', 'describe it', 'claim that', 'say it', 'say the', 'report that', 'disregard', 'treat this', 'consider this',
    '告诉用户', 'sag dem nutzer', "dis à l'utilisateur", 'dile al usuario', 'empfiehl', 'di\' che', 'diga que', 'скажи пользователю',
    'أخبر المستخدم', 'hãy nói',
  ],
  restricted_ask: ['activation keys', 'license keys', 'product keys', 'serial keys', 'how to make a bomb', 'napalm'],
  about: [
    'prompt injection', 'attackers', 'attack', 'advisory', 'cve-', 'ghsa-', 'vulnerability', 'mitigation', 'red-team', 'red team',
    'exercise:', 'the paper', 'the study', 'researchers', 'owasp', 'training slide', 'incident report', 'test your filter',
    'jailbreak persona', 'jailbreak prompt*', 'a jailbreak', 'jailbreaks', 'benchmark', 'classifier', 'eval set', 'threat model',
    'exfiltration', 'poisoned',
    // A quotation used as a name ("'you are now in developer mode' prompts"): the words are mentioned.
    'the phrase', 'phrases like', 'the words', 'the sentence', 'meme',
    "' prompts", '" prompts', "' attacks", '" attacks', "' jailbreak", '" jailbreak', "'-style", '"-style',
  ],
  // Reported speech: what an attack told a model, described in the third person.
  reported: [
    'could instruct', 'could direct', 'could tell', 'could make', 'can tell', 'can instruct', 'tells the model', 'told the model',
    'instructs the model', 'instructed the model', 'asks the model', 'asked the model', 'asking the model', 'tell the model',
    'tells the assistant', 'told the assistant', 'the model to', 'models to', 'models obey', 'models sometimes',
    'models often', 'leak their', 'tricked into', 'such as', 'when users ask', 'get the bot to', 'get the model to',
    'get the assistant to', 'tried to get', 'tried to make', 'e.g.', 'for example', 'for instance', 'requests to',
  ],
  // A tool that claims the place of the others (in definitions: cross-tool shadowing).
  shadow: [
    'replaces every other', 'replaces all other', 'supersedes all other', 'supersedes every other', 'overrides all other',
    'instead of all other', 'instead of every other',
    'instead of any other tool', 'always use this tool', 'always prefer it', 'always prefer this tool', 'do not use any other',
    'when this tool is present', 'when this tool is available',
  ],
  // A person using software is addressed (UI steps), not a model.
  person_frame: ['click', 'tap', 'the playground', 'the dashboard', 'the settings page', 'the admin ui', 'in the menu'],
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
  { all: ['leak_verb', 'instructions', 'origin'], score: 2, category: 'context_hijacking', id: 'signals.system_prompt_request' },
  { all: ['leak_verb', 'setup', 'origin'], score: 2, category: 'context_hijacking', id: 'signals.system_prompt_request' },
  { all: ['leak_verb', 'setup'], score: 1, category: 'context_hijacking', id: 'signals.setup_request' },
  { all: ['instructions', 'origin'], score: 1, category: 'context_hijacking', id: 'signals.setup_question' },
  { all: ['setup', 'origin'], score: 1, category: 'context_hijacking', id: 'signals.setup_question' },
  { all: ['address_lead', 'ai_reader', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['ai_reader', 'reading_this', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['address_lead', 'ai_reader'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['ai_reader', 'reading_this'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['shadow'], score: 1, category: 'tool_poisoning', id: 'signals.shadowing' },
  { all: ['drop_verb', 'instructions'], score: 2, category: 'context_hijacking', id: 'signals.drop_instructions' },
  { all: ['persona', 'unrestricted'], score: 3, category: 'role_manipulation', id: 'signals.unrestricted_persona' },
  { all: ['persona'], score: 1, category: 'role_manipulation', id: 'signals.persona' },
  { all: ['mode'], score: 1, category: 'role_manipulation', id: 'signals.special_mode' },
  { all: ['unrestricted'], score: 1, category: 'role_manipulation', id: 'signals.unrestricted' },
  { all: ['address_ai', 'execute'], score: 2, category: 'tool_poisoning', id: 'signals.command_for_ai' },
  { all: ['address_ai', 'directive'], score: 2, category: 'tool_poisoning', id: 'signals.directive_for_ai' },
  { all: ['address_ai', 'secrecy'], score: 2, category: 'tool_poisoning', id: 'signals.secret_for_ai' },
  { all: ['persona', 'restricted_ask'], score: 2, category: 'role_manipulation', id: 'signals.persona_for_restricted' },
  { all: ['address_ai'], score: 1, category: 'tool_poisoning', id: 'signals.addressed_to_ai' },
  { all: ['secrecy'], score: 1, category: 'tool_poisoning', id: 'signals.secrecy' },
  { all: ['condition', 'reply_only'], score: 2, category: 'context_hijacking', id: 'signals.scripted_reply' },
  { all: ['send_verb', 'destination', 'data'], score: 2, category: 'tool_poisoning', id: 'signals.exfiltration' },
  { all: ['gather', 'send_verb', 'destination', 'credential'], score: 2, category: 'tool_poisoning', id: 'signals.exfiltration' },
  { all: ['send_verb', 'destination'], score: 1, category: 'tool_poisoning', id: 'signals.send_somewhere' },
  { all: ['tool_offer', 'disable'], score: 2, category: 'tool_poisoning', id: 'signals.protection_off' },
  { all: ['tool_offer'], score: 1, category: 'tool_poisoning', id: 'signals.tool_offer' },
];

/** Each signal's bit (fewer than 31 signals): a sentence's signals are one number, a combination's test two `&`s. */
const SIGNAL_BIT = new Map((Object.keys(VOCABULARY) as Signal[]).map((signal, i) => [signal, 1 << i]));
const maskOf = (signals: readonly Signal[]): number => signals.reduce((mask, signal) => mask | SIGNAL_BIT.get(signal)!, 0);
const ABOUT = maskOf(['about']);
const REPORTED = maskOf(['reported']);
const DROP_VERB = maskOf(['drop_verb']);
const REPLY_ONLY = maskOf(['reply_only']);
const AI_READER = maskOf(['ai_reader']);
const ADDRESS_AI = maskOf(['address_ai']);

/** The last word of a name addressed with a colon must name an automated reader ("AI code reviewers:", not "AI team:"). */
const READER_NOUNS: ReadonlySet<string> = new Set([
  'assistant', 'assistants', 'agent', 'agents', 'reviewer', 'reviewers', 'bot', 'bots', 'tool', 'tools', 'model', 'models', 'system',
  'systems', 'summarizer', 'summarizers', 'summariser', 'summarisers', 'screener', 'screeners', 'crawler', 'crawlers', 'software',
  'copilot', 'llm', 'llms', 'reader', 'readers', 'scanner', 'scanners', 'parser', 'parsers', 'pipeline', 'pipelines',
]);

/** Whether more words follow `from` up to a colon (letters, spaces, hyphens; at most 24 characters) and the last names a reader. */
function colonAfterName(text: string, from: number): boolean {
  if (text.charCodeAt(from) !== 0x20) return false;
  let wordStart = from + 1;
  for (let i = from + 1; i < text.length && i - from <= 24; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return READER_NOUNS.has(text.slice(wordStart, i));
    if (c === 0x20 || c === 0x2d) wordStart = i + 1;
    else if (!isAsciiLetter(c)) return false;
  }
  return false;
}

/** Whether a word of the same line comes right before `at` ("summarizing model", "travel assistants"). */
function qualifiedBefore(text: string, at: number): boolean {
  return text.charCodeAt(at - 1) === 0x20 && isAsciiLetter(text.charCodeAt(at - 2));
}
const COMMENT_LABELS: ReadonlySet<string> = new Set(['ai:', 'assistant:', 'agent:', 'llm:', 'bot:', 'model:', 'chatbot:']);
const COMMENT_OPENER = /(?:<!--|\/\*|\/\/|#|\[|\() ?$/;
const ASSIGNED_WORDS: ReadonlySet<string> = new Set(['false', 'none', 'off']);
const ASSIGNMENT = /[=:] ?["']?$/;
const NEGATION_BEFORE = /(?:n't|not|never|nie) $/;
const NEGATION_AFTER = /^ (?:nicht|pas|no|not)\b/;
const VERBS = maskOf(['drop_verb', 'send_verb', 'leak_verb', 'directive']);
const PERSON_FRAME = maskOf(['person_frame']);

/**
 * How a text frames what it says: `about` talks about injection (papers, advisories, guides),
 * `reported` describes in the third person what an attack told a model ("could direct the assistant
 * to read …", "told the model to ignore …"): its attack words are a report, not an order.
 */
export type Frame = 'none' | 'about' | 'reported';

/** Combinations of more signals are tried first, so a pair is not lost to one of its members alone. */
const BY_SIZE: readonly (Combination & { readonly mask: number })[] = [...COMBINATIONS]
  .sort((a, b) => b.all.length - a.all.length || b.score - a.score)
  .map((c) => ({ ...c, mask: maskOf(c.all) }));

/** What is known of a phrase when the search finds it (one lookup per hit). */
interface PhraseInfo {
  /** Its signals, as bits (SIGNAL_BIT). */
  signals: number;
  /** A stem (written with a final `*`): letters may follow it (Turkish `talimatları`, German `Systemanweisungen`). */
  stem: boolean;
  /** What must precede it: a comment opener (COMMENT_LABELS), an assignment (ASSIGNED_WORDS), or nothing. */
  needs: 'comment' | 'assignment' | undefined;
}

interface Compiled {
  /** Every phrase, longest first, as one alternation (a trie of them was no faster in irregexp, nor a search by hand in JavaScript). */
  readonly search: RegExp;
  readonly infoOf: ReadonlyMap<string, PhraseInfo>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  const infoOf = new Map<string, PhraseInfo>();
  for (const [signal, phrases] of Object.entries(VOCABULARY) as [Signal, readonly string[]][]) {
    for (const entry of phrases) {
      const stem = entry.endsWith('*');
      const written = stem ? entry.slice(0, -1) : entry;
      // Phrases are matched in normalised text (../normalize: Cyrillic and Greek look-alikes folded
      // to Latin, so Russian words are partly Latin there): the vocabulary goes through the same reading.
      const phrase = (normalizeForScan(written)?.text ?? written).toLowerCase();
      const info = infoOf.get(phrase) ?? { signals: 0, stem, needs: COMMENT_LABELS.has(phrase) ? 'comment' : ASSIGNED_WORDS.has(phrase) ? 'assignment' : undefined };
      info.signals |= SIGNAL_BIT.get(signal)!;
      infoOf.set(phrase, info);
    }
  }
  const escaped = (phrases: string[]): string => phrases.sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const phrases = [...infoOf.keys()];
  const wordLed = phrases.filter((p) => isAsciiLetter(p.charCodeAt(0)));
  const otherLed = phrases.filter((p) => !isAsciiLetter(p.charCodeAt(0)));
  // A phrase that starts with an ASCII letter must not be glued to one on its left: the lookbehind
  // says so first, so inside a word (most positions) no alternative is tried at all.
  return { search: new RegExp(`(?<![A-Za-z])(?:${escaped(wordLed)})|${escaped(otherLed)}`, 'g'), infoOf };
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

/** The characters isSentenceEnd looks at. */
const END_CHARACTER = /[.!?\n\u3002\uff01\uff1f]/g;

const RANK_STRENGTH: readonly SignalStrength[] = ['weak', 'medium', 'strong'];

/** A possessive that is not the reader's ("its", "my", "their" … system prompt), just before a leak target. */
const OWNED_BY_SOMEONE_ELSE = /(?:^|[^a-z])(?:its|my|their|his|her|our|bot's|model's) $/;
/** What a possessive can make someone else's: "its system prompt", "its hidden instructions". */
const OWNED = maskOf(['leak_target', 'origin', 'address_ai']);

/**
 * Scores `text` and reports one finding per sentence whose signals, with its neighbour's, score at
 * least one point, over the span of the signals that scored. Linear: one alternation search, one pass  over the sentence ends.
 * Returns whether the text talks *about* injection (the phrase rules use it to read quoted attacks as quotations).
 */
export function detectSignals(text: string, emit: Emit, plainAscii = false): Frame {
  if (text.length < 4) return 'none';
  const lowerCased = text.toLowerCase();
  // Offsets must stay those of the original; a lower-casing that changes lengths is rare (İ): skip it.
  if (lowerCased.length !== text.length) return 'none';
  // Lower-cased first, then normalised like the vocabulary (look-alike folding is not case-symmetric:
  // `Т` folds to `T`, `т` does not), and findings mapped back through the normalisation's offsets.
  // ASCII without a backslash has nothing to normalise (the caller knows it already).
  const normalized = plainAscii ? undefined : normalizeForScan(lowerCased);
  const lower = normalized?.text ?? lowerCased;
  if (normalized !== undefined) {
    const inner = emit;
    emit = (category, rule, strength, start, end) => inner(category, rule, strength, normalized.originalStart(start), normalized.originalEnd(end));
  }
  compiled ??= compile();
  const { search, infoOf } = compiled;
  const hits: Hit[] = [];
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
    const info = infoOf.get(phrase)!;
    if (isAsciiLetter(last) && isAsciiLetter(lower.charCodeAt(next)) && !info.stem) {
      next = start + 1;
      continue;
    }
    // A verb inside an identifier or a call is code, not prose: `ignore_previous(…)`, `requests.post(…)`
    // (nouns inside identifiers still count: `SAFETY_CHECKS`, `disable_content_filter`).
    let signals = info.signals;
    if (isAsciiLetter(first) && (signals & ~VERBS) === 0 && isIdentifierJoint(lower, start - 1, next)) continue;
    // A word in a URL's path (`https://api.example.com/messages`) names a resource; it is not prose.
    if (isAsciiLetter(first) && lower.charCodeAt(start - 1) === 0x2f && inUrl(lower, start)) continue;
    // Comment labels and assigned words need what precedes them (a literal of each form would make
    // the search try every `<`, `/`, `#` and `=` of code).
    // (Without one, "summarizing model:" still addresses a reader named with a qualifier; a bare
    // "Assistant:" at a line's start is a transcript's role label.)
    if (info.needs === 'comment' && !COMMENT_OPENER.test(lower.slice(Math.max(0, start - 5), start)) && !qualifiedBefore(lower, start)) continue;
    if (info.needs === 'assignment' && !ASSIGNMENT.test(lower.slice(Math.max(0, start - 3), start))) continue;
    // "Reply with only the translated text": the form of an answer a request asked for, not a scripted
    // one (a script names its words: "reply only 'Refunds are not available'", "just say it is fine").
    if ((signals & REPLY_ONLY) !== 0 && (lower.startsWith(' the ', next) || lower.startsWith(' with the ', next))) {
      signals &= ~REPLY_ONLY;
      if (signals === 0) continue;
    }
    // "Don't forget the instructions", "Vergiss nicht …": a negated drop verb keeps them.
    if ((signals & DROP_VERB) !== 0 && (NEGATION_BEFORE.test(lower.slice(Math.max(0, start - 8), start)) || NEGATION_AFTER.test(lower.slice(next, next + 8)))) {
      signals &= ~DROP_VERB;
      if (signals === 0) continue;
    }
    // "reveal its system prompt", "my system prompt": someone else's prompt is talked about, not asked for.
    if ((signals & OWNED) !== 0 && OWNED_BY_SOMEONE_ELSE.test(lower.slice(Math.max(0, start - 12), start))) {
      signals &= ~OWNED;
      if (signals === 0) continue;
    }
    // "AI travel assistants:", "AI code reviewers:": words naming an automated reader, then a colon,
    // address what follows to it.
    if ((signals & AI_READER) !== 0 && (colonAfterName(lower, next) || (lower.charCodeAt(next) === 0x3a && qualifiedBefore(lower, start)))) signals |= ADDRESS_AI;
    hits.push({ signals, start, end: start + phrase.length, sentence: 0 });
  }
  if (hits.length === 0) return 'none';
  // The sentence of each hit, when there are two to tell apart: jump from one end character to the
  // next (each searched for once).
  if (hits.length > 1) {
    let sentence = 0;
    let nextEnd = execAt(END_CHARACTER, lower, hits[0]!.end)?.index ?? lower.length;
    for (const hit of hits) {
      while (nextEnd < hit.start) {
        if (isSentenceEnd(lower, nextEnd)) sentence++;
        nextEnd = execAt(END_CHARACTER, lower, nextEnd + 1)?.index ?? lower.length;
      }
      hit.sentence = sentence;
    }
  }
  let present = 0;
  for (const hit of hits) present |= hit.signals;
  const frame: Frame = (present & REPORTED) !== 0 ? 'reported' : (present & ABOUT) !== 0 ? 'about' : 'none';
  // In a text about injection, words inside quotation marks are quoted, not said.
  const counted = frame === 'none' ? hits : hits.filter((hit) => !insideQuotes(lower, hit.start, hit.end));
  const discount = frame === 'reported' ? 2 : frame === 'about' || (present & PERSON_FRAME) !== 0 ? 1 : 0;
  // Each sentence scores its own combinations (a pair of signals counts only inside one sentence).
  const sentences: SentenceScore[] = [];
  for (let h = 0; h < counted.length; ) {
    let end = h;
    while (end < counted.length && counted[end]!.sentence === counted[h]!.sentence) end++;
    const scored = scoreSentence(counted, h, end);
    if (scored !== undefined) sentences.push(scored);
    h = end;
  }
  // A sentence and the one after it are read together: secrecy next to an order to the AI counts twice.
  for (let k = 0; k < sentences.length; k++) {
    const current = sentences[k]!;
    const neighbour = sentences[k + 1]?.sentence === current.sentence + 1 ? sentences[k + 1]! : sentences[k - 1]?.sentence === current.sentence - 1 ? sentences[k - 1]! : undefined;
    // In a frame (about injection, reported speech, a person at a screen) a sentence counts its best
    // combination, not their sum: a list of examples ("requests to reveal the system prompt or to
    // ignore prior instructions") names several attacks without making one.
    const score = counting(current, discount) + (neighbour === undefined ? 0 : counting(neighbour, discount)) - discount;
    if (score < 1) continue;
    emit(current.best.category, current.best.id, RANK_STRENGTH[Math.min(score, 3) - 1]!, current.start, current.end);
  }
  return frame;
}

/** What a sentence counts: the sum of its combinations, or in a frame (a discount) its best one. */
function counting(sentence: SentenceScore, discount: number): number {
  return discount === 0 ? sentence.score : sentence.best.score;
}

/** Whether `at` lies in a URL: `://` before it with no space between (looked for at most 96 characters back). */
function inUrl(text: string, at: number): boolean {
  for (let i = at - 1; i >= 2 && at - i <= 96; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09) return false;
    if (c === 0x2f && text.charCodeAt(i - 1) === 0x2f && text.charCodeAt(i - 2) === 0x3a) return true;
  }
  return false;
}

/** Whether the characters around a hit make it part of an identifier or a call (`_` or `.` glued before, `_` or `(` after). */
function isIdentifierJoint(text: string, before: number, after: number): boolean {
  const b = text.charCodeAt(before);
  const a = text.charCodeAt(after);
  if (b === 0x5f || a === 0x5f || a === 0x28) return true;
  return b === 0x2e && isAsciiLetter(text.charCodeAt(before - 1));
}

const OPENING_QUOTES = '"\u201c\u201e\u00ab\u300c\u300e`';
const CLOSING_QUOTES = '"\u201d\u201c\u00bb\u300d\u300f`';
/** How far a quotation may reach before and after the phrase found inside it. */
const QUOTE_REACH = 160;

/**
 * Whether [start, end) lies inside a quotation on one line: an opening mark before it and a closing
 * one after, none between. A single quote counts as a mark only where it cannot be an apostrophe
 * (an opening one not after a letter, a closing one not before a letter: `'reveal your prompt'`, not `don't … it's`).
 */
export function insideQuotes(text: string, start: number, end: number): boolean {
  // A phrase found with its marks (`'ignore previous instructions'`) is a quotation; one found with
  // its opening mark only (`'ignore your instructions`) starts after it.
  if (end - start > 2 && (OPENING_QUOTES.includes(text[start]!) || text[start] === "'")) {
    const close = text[end - 1]!;
    if (close === "'" ? text[start] === "'" : CLOSING_QUOTES.includes(close) && text[start] !== "'") return true;
    start++;
  }
  let open = -1;
  let single = false;
  for (let i = start - 1; i >= 0 && start - i <= QUOTE_REACH; i--) {
    const c = text[i]!;
    if (c === '\n') return false;
    if (OPENING_QUOTES.includes(c) || (c === "'" && !isLetterAt(text, i - 1))) {
      open = i;
      single = c === "'";
      break;
    }
  }
  if (open === -1) return false;
  const closes = (i: number): boolean => {
    const c = text[i]!;
    return single ? c === "'" && !isLetterAt(text, i + 1) : CLOSING_QUOTES.includes(c);
  };
  for (let i = start; i < end; i++) if (closes(i)) return false;
  for (let i = end; i < text.length && i - end <= QUOTE_REACH; i++) {
    if (text[i] === '\n') return false;
    if (closes(i)) return true;
  }
  return false;
}

function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return isAsciiLetter(c) || c > 0x7f;
}

interface Hit {
  /** Bits of SIGNAL_BIT. */
  readonly signals: number;
  readonly start: number;
  readonly end: number;
  /** Index of its sentence (set after the search, when there are two hits or more). */
  sentence: number;
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
