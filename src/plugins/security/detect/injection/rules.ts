// The phrase rules' data: the named word sets and every rule, in the language of ./language.
import type { SignalStrength } from '../unicode';
import { compileRules, type PhraseRule, type RuleSpec } from './language';
import { once } from './memo';
import type { InjectionCategory } from './types';

/** Words that turn an order into a description when they come just before it. */
export const DESCRIPTIVE_PREFIX: ReadonlySet<string> = new Set([
  'can', 'could', 'may', 'might', 'will', 'would', 'to', 'cannot', "can't", 'tries', 'try', 'trying', 'attempts', 'attempt',
  'which', 'that', 'who', 'not', 'also', 'lets', 'allow', 'allows', 'must', 'should', 'often', 'typically', 'attackers',
]);

const SETS: Readonly<Record<string, readonly string[]>> = {
  IGNORE: ['ignore', 'ignoring', 'disregard', 'disregarding', 'forget', 'forgetting', 'neglect'],
  // Used only together with a word for "earlier" and one for "instructions", where even mild verbs are telling.
  DROP: [
    'ignore', 'ignoring', 'disregard', 'disregarding', 'forget', 'forgetting', 'neglect', 'scratch', 'drop', 'discard', 'abandon',
    'dismiss', 'erase', 'delete', 'remove', 'cancel', 'nullify', 'skip', 'omit', 'overlook', 'set aside', 'throw out',
    'throw away', 'do away with', 'bin', 'ditch', 'void', 'revoke', 'clear', 'wipe', 'purge', 'flush', 'pay no attention to',
    'never mind', 'nevermind', 'stop following', 'stop obeying',
  ],
  OVERRIDE: ['override', 'overriding', 'bypass', 'bypassing', 'circumvent', 'circumventing', 'evade'],
  DET: ['a', 'an', 'all', 'any', 'the', 'your', 'my', 'of', 'these', 'those', 'every', 'each', 'our', 'this', 'that', 'such'],
  PRIOR: ['previous', 'previously', 'prior', 'above', 'earlier', 'preceding', 'original', 'initial', 'foregoing', 'aforementioned', 'former', 'old', 'given', 'provided'],
  INSTR: [
    'instructions', 'instruction', 'prompts', 'prompt', 'directions', 'directives', 'directive', 'guidelines', 'guideline',
    'rules', 'commands', 'orders', 'constraints', 'guardrails', 'restrictions', 'programming', 'policies', 'guidance',
    'training', 'system prompt', 'system message', 'system instructions',
  ],
  INSTR_STRONG: ['instructions', 'instruction', 'prompts', 'prompt', 'directives', 'guidelines', 'guardrails', 'programming', 'system prompt'],
  CTX: ['context', 'messages', 'conversation', 'text', 'input', 'content', 'chat', 'history', 'everything', 'commands', 'tasks', 'task'],
  SYSTEM_QUAL: ['system', 'developer', 'developers', 'admin', 'safety', 'openai', 'anthropic', 'ethical'],
  NEG: [
    'do not', "don't", 'dont', 'never', 'must not', "mustn't", 'should not', "shouldn't", 'shall not', 'you will not',
    "you won't", 'you cannot', "you can't", 'avoid', 'refrain from', 'no need to', 'do not ever', 'never ever',
    'under no circumstances',
  ],
  USER: ['the user', 'user', 'users', 'the human', 'the users', 'the end user'],
  ROLE_STRONG: [
    'jailbroken', 'jailbreak', 'unrestricted', 'unfiltered', 'uncensored', 'unaligned', 'evil', 'unchained', 'amoral',
    'unethical', 'limitless', 'unbound', 'unlimited ai', 'an ai without', 'ai without',
  ],
  ROLE_PRIV: ['admin', 'administrator', 'root', 'superuser', 'sudo', 'god', 'system administrator', 'sysadmin'],
  LIMITS_MORAL: ['ethics', 'morals', 'censorship', 'guardrails', 'content policy', 'safety filters', 'moral constraints', 'ethical constraints', 'ethical guidelines', 'safety guidelines', 'moral guidelines'],
  LIMITS: ['restrictions', 'filters', 'guidelines', 'boundaries', 'rules', 'limitations', 'limits', 'constraints', 'policies', 'principles'],
  LEAK: ['reveal', 'print', 'show', 'output', 'repeat', 'display', 'leak', 'dump', 'recite', 'echo', 'write out', 'tell me', 'give me', 'share', 'disclose', 'list'],
  // Addressing the model directly from inside content ("Note to the assistant", "AI agents reading this").
  AI: [
    'assistant', 'ai', 'ai assistant', 'ai agent', 'ai agents', 'ai model', 'ai models', 'llm', 'llms', 'language model', 'model',
    'agent', 'agents', 'copilot', 'claude', 'chatgpt', 'gpt', 'gemini', 'bot', 'chatbot', 'ai system', 'coding agent',
  ],
  CRED_NOUN: [
    'ssh keys', 'ssh key', 'private key', 'private keys', 'api keys', 'api key', 'passwords', 'password', 'credentials',
    'secrets', 'access tokens', 'tokens', 'session cookies', 'cookies', 'environment variables', 'env vars', 'seed phrase',
    'recovery phrase', 'wallet', 'conversation history', 'chat history', 'contacts', 'calendar', 'address book', 'location',
    'browsing history', 'emails', 'messages', 'documents', 'personal data', 'private data',
  ],
  WHOSE: ["user's", "users'", "the user's", 'their', 'all', 'all the', 'all of the', 'every', 'all your', 'his', 'her'],
  EXFIL: ['send', 'upload', 'exfiltrate', 'leak', 'post', 'forward', 'transmit', 'email', 'mail', 'share', 'pass', 'include', 'attach', 'embed', 'append', 'insert', 'smuggle', 'encode'],
};
/** A rule; a pattern starting with `!` fires only where it reads as an order (see DESCRIPTIVE_PREFIX). */
function rule(category: InjectionCategory, id: string, strength: SignalStrength, pattern: string, inDefinition?: SignalStrength): RuleSpec {
  return inDefinition ? { id, category, strength, pattern, inDefinition } : { id, category, strength, pattern };
}

const C = 'context_hijacking';
const R = 'role_manipulation';
const D = 'delimiter_injection';
const T = 'tool_poisoning';

const PHRASE_RULES: readonly RuleSpec[] = [
  // --- context hijacking: drop what came before -------------------------------------------------
  rule(C, 'context.ignore_prior_instructions', 'strong', '$DROP $DET{0,3} $PRIOR (and|or)? (following|subsequent|later|future|other|current|existing)? $DET{0,2} $INSTR'),
  rule(C, 'context.ignore_instructions_given', 'strong', '$DROP $DET{0,3} $INSTR (that)? (you were|you\'ve been|you have been|you got|you received|i gave you|we gave you) (given|told|provided|taught|trained|issued)?'),
  rule(C, 'context.ignore_system_prompt', 'strong', '$IGNORE $DET{0,3} $SYSTEM_QUAL $INSTR_STRONG'),
  rule(C, 'context.ignore_everything_before', 'strong', '$IGNORE everything|anything|all above|before|previously|prior|earlier|said|written|stated|you|that|i|we'),
  rule(C, 'context.ignore_instructions_above', 'strong', '$IGNORE $DET{0,3} $INSTR above|before|earlier|previously|given|provided|so'),
  rule(C, 'context.ignore_what_you_were_told', 'strong', '$IGNORE (what|whatever|anything|everything|all) (you were|you\'ve been|you have been|they) (told|given|instructed|said|taught)'),
  // "Forget what I said earlier about Tuesday" is how people correct themselves in chat.
  rule(C, 'context.ignore_what_i_said', 'weak', '$IGNORE (what|whatever|anything|everything|all) (i|we) (told|instructed|said)'),
  rule(C, 'context.ignore_the_user', 'medium', '$IGNORE (the user\'s|user\'s|the users\'|the human\'s|their) (question|questions|request|requests|message|instructions|query|prompt|input)'),
  rule(C, 'context.ignore_what_user_said', 'medium', '$IGNORE (what|whatever|anything|everything) (the user|user|they|he|she) (said|says|asked|asks|wants|wrote|writes|requested|requests|typed)'),
  rule(C, 'context.real_instructions_follow', 'medium', 'the (real|actual|true|genuine|correct) (instructions|instruction|task|orders|directives) (follow|follows|are|is|begin|start|below)'),
  rule(C, 'context.ignore_prior_context', 'medium', '$IGNORE $DET{0,3} $PRIOR $CTX'),
  rule(C, 'context.ignore_the_above', 'medium', '$IGNORE $DET{0,2} above|aforementioned .|and|then|instead'),
  rule(C, 'context.ignore_your_instructions', 'medium', '$IGNORE your $DET{0,1} $INSTR'),
  rule(C, 'context.ignore_all_instructions', 'medium', '$IGNORE all|any|every $DET{0,2} $INSTR_STRONG'),
  rule(C, 'context.ignore_instructions', 'weak', '$IGNORE $DET{0,2} instructions|instruction|prompt|directives'),
  rule(C, 'context.forget_everything', 'medium', 'forget|forgetting everything|all .'),
  rule(C, 'context.stop_following', 'medium', '(do not|don\'t|dont|stop|no longer|never) (follow|following|obey|obeying|heed|comply with|adhere to|listen to) $DET{0,3} $PRIOR|system|your|developer|safety $DET{0,1} $INSTR'),
  rule(C, 'context.instructions_void', 'medium', '$PRIOR|system|original|old $DET{0,1} $INSTR are|were|is|have|has|now been? void|null|cancelled|canceled|revoked|obsolete|superseded|invalid|invalidated|overridden|irrelevant|fake|suspended|lifted|(no longer valid)|(no longer apply)|(no longer applicable)'),
  rule(C, 'context.override_instructions', 'medium', '!$OVERRIDE $DET{0,3} $PRIOR|system|your|safety|security|ethical|content|developer $DET{0,1} instructions|instruction|prompt|prompts|directives|guidelines|guardrails|programming|training|filters|filter|safeguards|restrictions|protocols'),
  rule(C, 'context.override_all_safety', 'strong', '$OVERRIDE|ignore|disregard|disable all|any|your safety|ethical|content protocols|instructions|rules|guidelines|filters|measures|guardrails|restrictions|policies|safeguards'),
  rule(C, 'context.disable_safety', 'medium', '(disable|deactivate|turn off|switch off|remove) $DET{0,2} safety|ethical|moderation|ethics filters|filter|guidelines|guardrails|restrictions|protocols|safeguards'),
  rule(C, 'context.disable_content_filter', 'weak', '(disable|deactivate|turn off|switch off|remove) $DET{0,2} content|security filters|filter|guardrails|restrictions|protocols'),
  rule(C, 'context.your_real_task', 'medium', 'your (real|actual|true|new|secret|hidden|updated|only real) (task|goal|objective|instructions|instruction|purpose|job|mission|directive|directives|role|orders|priority) is|are|now|will'),
  rule(C, 'context.your_real_task_header', 'medium', 'your (real|actual|true|new|secret|hidden|updated) (task|goal|objective|instructions|instruction|purpose|job|mission|directive|directives|role|orders|priority):'),
  rule(C, 'context.secret_instructions_header', 'medium', '(secret|hidden|real|actual|true|override|overriding|priority|urgent) (instructions|instruction|directive|directives|system prompt|orders|task):'),
  rule(C, 'context.new_instructions_header', 'weak', '(new|updated|revised|additional|important) (instructions|instruction|directive|directives|orders|task|system prompt):'),
  rule(C, 'context.new_system_prompt', 'medium', '(new|updated|revised|replacement|modified) system (prompt|instructions|message|directive):'),
  rule(C, 'context.takes_precedence', 'medium', '(overrides|supersedes|replaces|cancels|voids) $DET{0,3} $PRIOR|other|all|any|system|your|existing $DET{0,1} $INSTR_STRONG|instructions|directives'),
  rule(C, 'context.supersede_system_prompt', 'medium', '!(supersede|supersedes|override|overrides|replace|replaces|outrank|outranks|trump|trumps) $DET{0,2} (system prompt|system instructions|system message|developer instructions|developer message)'),
  rule(C, 'context.priority_over_tools', 'medium', '(has|have|takes|take|gets) (priority|precedence) over (all|any|every) other (tools|tool|instructions|servers|functions)'),
  rule(C, 'context.takes_priority', 'medium', '(takes|take|has|have) (precedence|priority) over $DET{0,3} $PRIOR|other|all|any|system|your|existing $DET{0,1} $INSTR_STRONG|instructions|directives'),
  rule(C, 'context.leak_system_prompt', 'medium', '$LEAK $DET{0,2} your (system prompt|system message|initial prompt|initial instructions|original instructions|original prompt|hidden instructions|hidden prompt|secret instructions|full prompt|system instructions|instructions|prompt|rules|guidelines|configuration)'),
  rule(C, 'context.ask_instructions', 'medium', 'what (are|were|is) your (instructions|system prompt|initial instructions|original instructions|hidden instructions|rules|guidelines|directives|initial prompt)'),
  rule(C, 'context.leak_text_above', 'medium', '$LEAK $DET{0,2} (text|words|everything|instructions|content|message|messages|prompt) (above|before this|so far|verbatim)'),
  rule(C, 'context.reset_context', 'weak', '(reset|clear|wipe|erase|flush) $DET{0,2} (context|memory|conversation|instructions|programming|rules|session|chat history)'),
  rule(C, 'context.reset_your_instructions', 'medium', '(reset|clear|wipe|erase|flush) your (instructions|programming|rules|guidelines|system prompt|training|restrictions)'),
  rule(C, 'context.fresh_start_no_rules', 'medium', '(begin|start) $DET{0,1} (new|fresh|over) (session|conversation|chat)? (without|with no|free of) $DET{0,1} (restrictions|limitations|rules|filters|guidelines|constraints)'),
  rule(C, 'context.start_fresh_ignoring', 'medium', '(begin|start) (fresh|new|over) (and|then|by) (ignore|ignoring|reset|resetting|forget|forgetting|disregard|disregarding)'),
  rule(C, 'context.ignore_prior_de', 'strong', '(ignoriere|ignorieren|vergiss|vergessen) $DET{0,1} (alle|die|deine)? (vorherigen|bisherigen|obigen|vorigen) (anweisungen|instruktionen|befehle|regeln)'),
  rule(C, 'context.ignore_prior_es', 'strong', '(ignora|ignore|ignorar|olvida|olvide) (todas|todos)? (las|los|tus)? (instrucciones|indicaciones|reglas|órdenes) (anteriores|previas)'),
  rule(C, 'context.ignore_prior_fr', 'strong', '(ignore|ignorez|oublie|oubliez) (toutes|tous)? (les|tes|vos) (instructions|consignes|règles) (précédentes|antérieures|ci-dessus)'),
  rule(C, 'context.instead_you_must', 'weak', 'instead (you|the assistant|the ai|the model) (must|should|will|shall) now?'),

  // --- role manipulation: become someone without limits ------------------------------------------
  rule(R, 'role.you_are_dan', 'strong', '(you are|you\'re|youre|you will be|you\'ll be|act as|pretend to be|become) now? (dan|a dan|the dan)'),
  rule(R, 'role.you_are_now_unrestricted', 'strong', '(you are|you\'re|youre|you will be|you\'ll be|u are) now|henceforth|officially|hereby? $DET{0,2} _{0,2} $ROLE_STRONG'),
  rule(R, 'role.do_anything_now', 'strong', 'do anything now'),
  rule(R, 'role.you_are_now_admin', 'medium', '(you are|you\'re|youre) now $DET{0,1} $ROLE_PRIV .'),
  rule(R, 'role.you_are_now_admin_of', 'weak', '(you are|you\'re|youre) now $DET{0,1} $ROLE_PRIV'),
  rule(R, 'role.persona_unrestricted', 'strong', '(assume|adopt|take on|become|embody) $DET{0,2} (persona|role|identity|character|personality) of $DET{0,2} _{0,2} $ROLE_STRONG'),
  rule(R, 'role.ai_without_limits', 'medium', '(ai|assistant|model|chatbot|bot|llm) (with|having) (no|zero) $LIMITS_MORAL|$LIMITS'),
  rule(R, 'role.operating_as_root', 'medium', '(you are|you\'re) now (operating|acting|functioning) as $DET{0,1} $ROLE_PRIV|system'),
  rule(R, 'role.act_as_unrestricted', 'strong', '(act|acting|behave|respond|answer|reply|operate|function|roleplay|pose) as (if|though)? (you are|you were|you\'re)? $DET{0,2} _{0,2} $ROLE_STRONG'),
  rule(R, 'role.act_as_admin', 'medium', '!(act|behave|operate|function|pretend) as (if|though)? (you are|you were|you\'re)? $DET{0,1} (admin|administrator|root|superuser|sudo|god|system administrator)'),
  rule(R, 'role.pretend_unrestricted', 'strong', '(pretend|imagine|suppose|assume) (that)? (you are|you\'re|to be|you have|you were|you had) $DET{0,2} _{0,2} $ROLE_STRONG|(no restrictions)|(no rules)|(no filters)|(no guidelines)|(no limits)'),
  rule(R, 'role.pretend_to_be', 'weak', '!(pretend|imagine) (that)? (you are|you\'re|to be)'),
  rule(R, 'role.jailbreak_mode', 'strong', '(dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|chaos|amoral|god) mode (enabled|activated|on|engaged|unlocked)'),
  rule(R, 'role.enter_jailbreak_mode', 'strong', '(enable|enter|activate|switch to|turn on|engage|unlock|entering|activating|now in|in) $DET{0,1} (dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|chaos|amoral) mode'),
  rule(R, 'role.enter_admin_mode', 'medium', '(enable|enter|activate|switch to|turn on|engage|unlock|entering|activating|now in) $DET{0,1} (god|sudo|admin|administrator|root|superuser) mode'),
  rule(R, 'role.enter_developer_mode', 'weak', '(enable|enter|activate|switch to|turn on|engage|unlock|entering|activating|now in) $DET{0,1} (developer|debug|maintenance) mode'),
  rule(R, 'role.admin_mode_header', 'medium', '(administrator|admin|sudo|root|superuser|god) mode:'),
  rule(R, 'role.you_have_no_ethics', 'strong', '(you have|you\'ve|you now have|you possess|you are under|you operate with|you\'re under|you have absolutely) (no|zero) $DET{0,1} _{0,1} $LIMITS_MORAL'),
  rule(R, 'role.you_have_no_rules', 'medium', '(you have|you\'ve|you now have|you are under|you\'re under|you have absolutely) (no|zero) $DET{0,1} _{0,1} $LIMITS .|and|now|anymore|whatsoever|today|here'),
  rule(R, 'role.you_have_no_rules_on', 'weak', '(you have|you\'ve|you now have|you are under|you\'re under) (no|zero) $DET{0,1} _{0,1} $LIMITS'),
  rule(R, 'role.has_no_ethics', 'medium', '(has|have|with|having) (no|zero) $DET{0,1} (ethics|morals|moral compass|ethical guidelines|content policy|censorship|moral constraints|ethical constraints)'),
  rule(R, 'role.never_refuses', 'weak', '(never|not|won\'t|will not|doesn\'t|does not) (refuse|refuses|decline|declines|say no)'),
  rule(R, 'role.no_longer_bound', 'strong', '(you are|you\'re|youre) (no longer|not anymore|now free|free) (bound|restricted|limited|constrained|governed|controlled) by'),
  rule(R, 'role.no_longer_an_ai', 'strong', '(you are|you\'re|youre) no longer (an ai|a language model|an assistant|chatgpt|claude|copilot|a chatbot|an llm)'),
  rule(R, 'role.free_from_rules', 'weak', '(free|freed|liberated|released) (from|of) $DET{0,2} $LIMITS_MORAL|$LIMITS'),
  rule(R, 'role.without_restrictions', 'weak', 'without $DET{0,1} (ethical|moral|content|safety)? (restrictions|filters|censorship|guardrails|limitations|guidelines)'),
  rule(R, 'role.from_now_on', 'medium', '(from now on|henceforth|from this point on|from this point forward|starting now|for the rest of this conversation) you (will|must|shall|should|are to|are going to|\'ll|are) (always|only|never|now)? (act|respond|reply|answer|behave|pretend|roleplay|speak|talk|ignore|disregard|obey|follow|comply|operate)'),
  rule(R, 'role.persona_named', 'medium', '(ai|model|assistant|chatbot|bot|persona|character|llm) (known as|called|named|codenamed|dubbed) (dan|stan|dude|aim|evilbot|jailbreak|developer mode)'),
  rule(R, 'role.role_of_another_ai', 'medium', '(role|persona|character|identity) of (another|a different|an unrestricted|an unfiltered|a new|a rogue|an evil) (ai|model|assistant|chatbot|llm|language model)'),
  rule(R, 'role.i_am_your_developer', 'medium', '(i am|i\'m|im|this is) your (developer|developers|creator|creators|administrator|admin|master|programmer|owner|maker|operator|system administrator)'),
  rule(R, 'role.i_am_the_developer', 'weak', '(i am|i\'m|im) the (developer|creator|administrator|admin|programmer|system administrator) (of|behind) (you|this ai|this assistant|this model)'),
  rule(R, 'role.message_from_developer', 'medium', '(message|messages|instructions|instruction|note|notice|directive|update|order|orders) from (your|the) (developer|developers|creator|creators|makers|openai|anthropic|system administrator)'),
  rule(R, 'role.this_is_vendor', 'medium', 'this is (openai|anthropic|the openai team|the anthropic team|microsoft security|github security)'),
  rule(R, 'role.as_admin_execute', 'weak', 'as $DET{0,1} (admin|administrator|system|root) (execute|run|bypass|delete)'),
  rule(R, 'role.elevated_privileges', 'weak', '(with|using) (elevated|admin|administrative|system|root) (privileges|access|rights|permissions)'),
  rule(R, 'role.you_are_admin', 'weak', '(you are|act as) $DET{0,1} (admin|administrator)'),
  rule(R, 'role.admin_override', 'medium', '(admin|administrator|system|root|developer|sudo) (override|overrides|directive|directives)'),
  rule(R, 'role.admin_access', 'weak', 'admin (mode|access|override)'),

  // --- delimiter phrases: fake ends and starts of prompts ------------------------------------------
  rule(D, 'delimiter.end_of_prompt', 'medium', '(end|ending|begin|beginning|start) of $DET{0,1} (system prompt|system message|system instructions|developer instructions|admin instructions|user input|user instructions|untrusted content|untrusted input|tool output|tool result|original instructions)'),
  rule(D, 'delimiter.end_prompt_marker', 'medium', '(end|begin|new) (system prompt|system message|system instructions|user input|untrusted content|untrusted input|admin instructions|developer instructions)'),
  rule(D, 'delimiter.end_of_context', 'weak', '(end|begin) of? $DET{0,1} (context|prompt|conversation|document|data)'),

  // --- tool poisoning: concealment from the user ------------------------------------------------------
  rule(T, 'poison.do_not_tell_user', 'medium', '$NEG (tell|inform|mention|reveal|disclose|explain|admit|alert|warn|say|report|confess) (it|this|that|anything|any of this)? (to)? $USER'),
  rule(T, 'poison.do_not_mention_this', 'medium', '$NEG (mention|reveal|disclose|tell|say|share|report|show|explain|expose|relay|discuss|acknowledge|bring up) (this|that|it|these|them|this step|this note|this instruction|these steps|this request|the file|the files|the note) _{0,3} (to|with) $USER'),
  rule(T, 'poison.do_not_let_user_know', 'medium', '$NEG (let|allow) $USER (know|see|notice|find out|learn|realize|suspect|discover|be aware)'),
  rule(T, 'poison.do_not_notify_user', 'weak', '$NEG (notify|alert|show|ask|prompt|bother|disturb|interrupt|inform) $USER', 'medium'),
  rule(T, 'poison.without_telling_user', 'medium', 'without (telling|informing|alerting|letting|asking|consulting) $USER'),
  rule(T, 'poison.without_notifying_user', 'weak', 'without (notifying|warning|showing|bothering) $USER', 'medium'),
  rule(T, 'poison.user_must_not_know', 'medium', '$USER (must|should|shall|will|can|may|need|needs|is|are) (not|never|to never|not to) (know|notice|find out|learn|be told|be informed|be aware|become aware|realize|suspect|discover)'),
  rule(T, 'poison.user_must_not_see', 'weak', '$USER (must|should|shall|will|can|may|need|needs) (not|never) (see|find)', 'medium'),
  rule(T, 'poison.keep_from_user', 'medium', '(keep|hide|conceal|withhold) (this|it|that|these|them|the following|everything|this step|the file contents|the contents) (secret|hidden|private|confidential)? from $USER'),
  rule(T, 'poison.keep_secret', 'medium', '(keep|keeping) (this|it|that|these|the following) (secret|hidden|confidential|between us) .|from|and'),
  rule(T, 'poison.do_not_reveal_instructions', 'medium', '$NEG (reveal|disclose|mention|share|repeat|expose|acknowledge|discuss|reference|quote|explain) $DET{0,2} (these|this|the|your|my|above|hidden|secret|system|following)? (instructions|instruction|prompt|system prompt|directive|directives|note|notes)'),
  rule(T, 'poison.do_not_reveal_this', 'medium', '$NEG (reveal|disclose) (this|it|that|these|them) .|to|in|anywhere'),
  rule(T, 'poison.secretly_act', 'medium', '(secretly|covertly|surreptitiously|stealthily|clandestinely) _{0,1} (send|forward|upload|exfiltrate|transmit|copy|include|append|add|bcc|cc|read|collect|post|leak|email|attach|save|store|log|call|invoke|run|execute|pass|change|modify|replace|redirect|use)'),
  rule(T, 'poison.silently_exfiltrate', 'medium', '(quietly|silently|discreetly|invisibly) (send|forward|upload|exfiltrate|transmit|bcc|leak|email|post|attach|collect|redirect|include|append|cc)'),
  rule(T, 'poison.upset_user', 'medium', '(this|it|that) (could|would|will|might|may) (even)? (upset|alarm|scare|worry|confuse|frighten|annoy|concern|disturb) $USER|them'),
  rule(T, 'poison.address_the_ai', 'medium', '(dear|hey|hi|hello|attention|note to|note for|message to|message for|instructions for|instruction for|psst|p s|ps) (the|all|any)? $AI ~users|user|team|teams|fans|community|developers|docs|documentation|subscribers|customers|chat|extension|app|plan|license|pricing|feature|professor|professors|manager|managers|director|editor|coach|principal|teacher|secretary|engineer|engineers|researcher|researchers'),
  rule(T, 'poison.if_you_are_an_ai', 'medium', '(if|since|as|because|when) you (are|\'re) (an|a|the) $AI (you|then|please|read|reading|must|should|ignore|do|reply|respond|processing|summarizing|summarising)'),
  rule(T, 'poison.ai_reading_this', 'medium', '$AI (reading|processing|parsing|summarizing|summarising|analyzing|analysing|viewing|browsing|crawling|indexing|that reads|who reads) (this|these|the following)'),
  rule(T, 'poison.when_tool_available', 'medium', '(when|whenever|if|while|once) this tool is (available|present|loaded|installed|enabled|active|registered|connected)'),
  rule(T, 'poison.redirect_all_messages', 'medium', '(must|should|shall|always|will) (send|forward|redirect|route|bcc|cc|copy|deliver) (all|every|each|any) _{0,2} (emails|email|messages|message|mails|mail|data|files|requests|payments|transactions|transfers|documents|results) to'),
  rule(T, 'poison.change_recipient', 'weak', '(change|replace|set|redirect|switch) $DET{0,1} (recipient|recipients|destination|to address|account number|wallet address|iban|beneficiary) to', 'medium'),
  rule(T, 'poison.smuggle_into_parameter', 'medium', '(pass|put|send|include|provide|add|append|embed|insert|place|copy|encode|store|write) _{0,3} (its|their|the|file|full|entire|all)? (content|contents|key|keys|credentials|secrets|tokens|password|passwords|data|conversation|transcript|history|messages) (as|in|into|inside|via|within|through) _{0,3} (parameter|param|argument|field|sidenote|side note|note|notes|metadata|comment|query string|url)'),
  rule(T, 'poison.exfiltrate_credentials', 'medium', '$EXFIL $WHOSE $CRED_NOUN'),
  rule(T, 'poison.forward_everything', 'weak', '(send|forward|bcc|cc|copy|redirect|upload) $WHOSE (emails|messages|mail|files|documents|conversations|conversation history|chat history|data) to', 'medium'),
  rule(T, 'poison.fill_with_credentials', 'medium', '(fill|populate|set|pre-fill|prefill|complete) _{0,3} with $WHOSE|the (ssh keys|ssh key|ssh private key|private key|private keys|api keys|passwords|credentials|secrets|access tokens|session cookies|seed phrase|recovery phrase)'),
  rule(T, 'poison.user_preapproved', 'weak', '(the user|user) (has|have) (already)? (pre-approved|preapproved|approved|authorized|authorised|consented to|agreed to) (all|every|any|everything)', 'medium'),
  rule(T, 'poison.no_confirmation', 'weak', '$NEG (ask|request|seek|wait) (for)? $DET{0,1} (confirmation|permission|approval|consent)'),
  rule(T, 'poison.other_tools_deprecated', 'weak', '(other|all other|the other) (tools|functions|servers) (are|is|have been) (deprecated|broken|unsafe|disabled|compromised|obsolete|malicious)', 'medium'),
  rule(T, 'poison.read_credentials', 'weak', '(read|collect|gather|retrieve|extract|grab|steal|harvest|dump) $WHOSE (ssh keys|ssh key|private key|private keys|api keys|passwords|credentials|secrets|access tokens|session cookies|seed phrase|recovery phrase)', 'medium'),
  rule(T, 'poison.before_using_tool', 'weak', '(before|prior to) (using|calling|invoking|running|executing|you use|you call) (this|any|the|other|each|every) (tool|function|command|action)'),
  rule(T, 'poison.or_tool_fails', 'weak', '(otherwise|or else) (the|this) (tool|function|server|system) (will not|won\'t|will fail|does not|doesn\'t|cannot|can\'t|would not|wouldn\'t|fails) (to)? (work|function|run)?'),
  rule(T, 'poison.very_important', 'weak', '(very very|extremely|critically) important'),
];

/** The phrase rules, compiled at the first detector built, once for every detector (they never change). */
export const phraseRules: () => readonly PhraseRule[] = once(() => compileRules(PHRASE_RULES, SETS));

const ruleIndices = once((): ReadonlyMap<PhraseRule, number> => new Map(phraseRules().map((r, i) => [r, i])));

/** Names a subset of `phraseRules()`: the indices of its rules (the key of what is derived per rule set). */
export function ruleSetKey(rules: readonly PhraseRule[]): string {
  const indices = ruleIndices();
  return rules.map((r) => indices.get(r)).join(',');
}
