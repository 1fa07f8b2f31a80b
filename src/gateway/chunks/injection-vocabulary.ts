// The phrases of the prompt-injection detector's structural signals
// (src/plugins/security/detect/injection/signals.ts, which says how they are scored), in seventeen
// languages: data the detector loads the first time it scans, bundled apart from gateway-core.js
// (about 25 KB of literals that minifying cannot shrink; src/gateway/chunks.ts).
import type { Signal } from '../../plugins/security/detect/injection/types';

// Languages of every vocabulary below: en, zh, ja, de, fr, es, ar, vi, ru, pt, it, ko, hi, pl, nl, id, tr.
export const VOCABULARY: Readonly<Record<Signal, readonly string[]>> = {
  leak_verb: [
    'reproduce them', 'repeat them', 'print them',
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
    'unut',
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
  setup: [
    'reproduce them', 'repeat them', 'print them', 'den text', 'le texte', 'el texto', 'o texto', 'il testo', 'kurallar*','tell you', 'told you', 'directives', 'guidelines', 'guidance', 'rules', 'rule', 'directrices', 'lineamientos',
    'règles', 'regeln', 'richtlinien', 'regole', 'linee guida', 'diretrizes', 'regras', 'правила', '规则', 'ルール', '규칙', 'नियम',
    'zasady', 'regels', 'aturan', 'kurallar', 'quy tắc', 'القواعد', 'preamble', 'setup text', 'message', 'configuration', 'settings', '设定', '設定', 'lời nhắc', '프롬프트'],
  // Where the setup came from: before the conversation, hidden, from the reader's makers.
  origin: [
    'how you behave', 'defines how you', 'are you running with', 'you are running with', 'konfiguriert wurdest', 'configured you', 'configuré', 'configurado', 'configurato',
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
    'pretend to be', 'role-play as', 'roleplay as', 'stell dir vor, du bist', 'du bist eine ki', '从现在起',
    'you are now', 'from now on you', 'from this point you are', 'you are no longer', 'pretend you are', 'simulate an ai', 'switch persona',
    'enter developer mode', "let's roleplay", 'let us roleplay', 'switch to your', 'your uncensored persona', "you're now", "you're no longer", "let's play a game", 'let us play a game', 'you are stan', 'you are aim', 'from here on', 'from now on',
    '从现在开始，你是', '从现在开始你是', '你现在是', 'あなたは今から', '今からあなたは', 'ab jetzt bist du', 'ab sofort bist du', 'du bist jetzt',
    'tu es maintenant', 'désormais tu es', 'a partir de ahora eres', 'ahora eres', 'أنت الآن', 'từ bây giờ bạn là', 'теперь ты', 'отныне ты',
    'a partir de agora você é', 'agora você é', 'da ora in poi sei', 'ora sei', '지금부터 너는', '이제 너는', 'artık sen', 'अब से तुम',
    'من الآن فصاعدًا', 'من الآن فصاعدا', 'od teraz jesteś', 'jesteś teraz', 'vanaf nu ben je', 'je bent nu', 'mulai sekarang kamu', 'kamu sekarang', 'anda sekarang',
    'तुम अब', 'sen artık',
  ],
  unrestricted: [
    'ohne jegliche richtlinien', 'ohne richtlinien', 'without any guidelines', 'no guidelines', 'sans aucune règle', 'sin reglas', 'без правил', 'senza regole', 'sem regras', '没有规则', 'ルールなし', '규칙 없이', 'bez zasad', 'zonder regels', 'tanpa aturan', 'kuralsız', 'बिना नियम', '不再受任何规则', '不受任何规则', 'hiçbir kısıtlama*',
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
    'không có bất kỳ giới hạn', 'tanpa batasan apa pun', 'zonder enige beperking', '어떠한 제한도', '一切限制',
    '何の制限も', 'bez filtrów', 'zonder beperkingen', 'zonder filters', 'tanpa batasan', 'tanpa filter',
  ],
  mode: [
    'developer mode', 'maintenance mode', 'god mode', 'debug mode enabled', 'jailbreak', 'unrestricted mode', 'diagnostic mode', 'service mode',
    'режиме разработчика', 'режим разработчика', 'modo desarrollador', 'mode développeur', 'entwicklermodus', '开发者模式', '開発者モード',
    'modalità sviluppatore', 'modo de desenvolvedor', 'chế độ nhà phát triển', 'وضع المطور', '개발자 모드', 'geliştirici modu',
    'डेवलपर मोड', 'tryb dewelopera', 'ontwikkelaarsmodus', 'mode pengembang',
    // Dropping every restriction is a mode without limits (with the unrestricted signal it scores 2).
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
    // hidden words for a model. Only after a comment opener (COMMENT_LABELS in signals.ts).
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
    'in case anyone', 'in case someone',
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
    'say it was', 'say that it',
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
    'call this tool with', 'pass them', 'pass it',
    'put them in', 'fetch it', 'markdown link',
    'send', 'post', 'upload', 'email', 'mail', 'submit', 'attach', 'append', 'forward', 'route', 'transmit', 'exfiltrate', 'add it to', 'open http',
    'put it in', 'include the', 'include it', 'a link to', 'render this image', 'render the image', 'display this image', 'url-encoded', 'url-encode',
    '发送', '发到', '送って', '送信', 'sende', 'schicke', 'envoie', 'envía', 'manda', 'mande', 'envie', 'invia', 'отправь', 'перешли', 'gửi',
    'أرسل', '보내', 'भेज', 'wyślij', 'stuur', 'kirim', 'gönder',
  ],
  destination: [
    '\' field', '" field', '\' parameter', '" parameter', '\' argument', '" argument',
    'http://', 'https://', 'ftp://', 'webhook', 'query string', 'image link', 'image url', '](http', 'to the url', 'shared drive', '@',
    'title of the next',
  ],
  // What a conversation or a mailbox holds: sending it somewhere is exfiltration by itself.
  data: [
    'phone number', 'home address', 'bank details', 'credit card', 'personal data',
    'conversation', 'chat history', 'chat log', 'transcript', 'documents', 'email address', 'mailbox', 'inbox', 'emails', 'messages', 'chatverlauf', 'gesprächsverlauf', '聊天记录', '对话', '会話', 'historique', 'données', 'historial', 'datos', 'histórico',
    'dados', 'cronologia', 'dati', 'данные', 'историю', 'переписк', 'lịch sử', 'سجل المحادثة', 'المحادثة', '대화', 'बातचीत', 'इतिहास',
    'historię', 'rozmow', 'chatgeschiedenis', 'riwayat', 'percakapan', 'geçmiş*', 'sohbet',
  ],
  // Credentials: sent somewhere after being gathered (a runbook also uploads new keys to a vault).
  credential: [
    'environment variables', 'passwörter', 'passwort',
    'api key', 'api keys', 'access token', 'access tokens', 'password', 'passwords', 'session token', '.env', 'credentials', 'secrets',
    'ssh key', 'private key', 'keys', 'tokens', 'zugangsdaten', 'contraseñas', 'mots de passe', 'senhas', 'пароли', 'mật khẩu', 'كلمات المرور', '密码',
    'パスワード', '비밀번호', 'wachtwoorden', 'hasła', 'kata sandi', 'şifreler', 'पासवर्ड',
  ],
  // Taking what the reader can see: the first step of exfiltration.
  gather: [
    'copy all',
    'collect', 'gather', 'harvest', 'grab', 'extract', 'you find', 'you can see', 'you see', "the user's", 'encode', 'take the',
    'copy the', 'read the', 'from the', 'contents of', 'look through', 'search the', 'anything that looks like', 'kamu temukan', 'que encuentres', 'que tu trouves', 'die du findest',
    'найдёшь', 'найдешь', 'que encontrar', 'che trovi', '找到的', '見つけた', '찾은', 'znajdziesz', 'die je vindt', 'bulduğun',
    'मिलें', 'tìm thấy', 'تجدها', 'sammle', 'recopila', 'rassemble', 'собери', 'colete', 'raccogli', '收集', '集めて', '수집',
  ],
  tool_offer: [
    'in your environment', 'answer faster', 'tip for ai', 'tip for agents', 'tip for assistants',
    'tool to enhance', 'improve your performance', 'unlock extra capabilities', 'patch for assistants', 'helper to improve',
    'enhance your algorithm', 'makes your answers', 'optimisation for assistants', 'optimization for assistants',
    'add this snippet to your', 'into your agent', 'your agent loop', 'your tool loop', 'your reasoning', 'your runtime',
    'your algorithm', 'your answers', 'your responses', 'your results', 'your accuracy', 'faster answers', 'responses faster',
    'upgrades your', "your agent's", 'to your agent', 'your config', 'performance tip', 'your shell tool', 'in your shell', 'deine schleife', 'deinen agenten', 'ta boucle', 'tu bucle', 'seu loop', 'tuo ciclo', 'swojej pętli',
    'twojej pętli', 'je agent', 'agen kamu',
  ],
  // (`false`, `none`, `off` count only as an assigned value: ASSIGNED_WORDS in signals.ts.)
  disable: [
    'allow_dangerous', 'dangerously', 'skip_permissions', 'no-sandbox', 'no-verify', 'unsafe',
    'safety', 'guardrails', 'moderation=false', 'content_filter', 'bypass', 'allow_all_tools', 'disable', 'false', 'none', 'off', '= 0',
    '="0"', '= "0"', '= []', 'turns off', 'switches off', 'switch off', 'turn off', 'filters', 'checks',
    'guard', 'approval', 'confirm',
  ],
  execute: ['| sh', '| bash', 'rm -rf', 'also run', 'run this', 'execute this', 'curl -s', 'powershell -enc', 'chmod +x'],
  directive: [
    'advance to', 'shortlist',
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
