// Tests of the secrets detectors (each format, placeholders and look-alikes, entropy, base64) and of
// the basic_secrets_filter plugin: actions, base64 forcing a block, nested content, config keys.
import assert from 'node:assert/strict';
import { detectSecrets, isCredentialKey, isPlaceholderValue, SECRET_TYPES, type SecretType } from '../../../../src/plugins/security/detect/secrets';
import { basicSecretsFilter, SECRET_PLACEHOLDER, type SecretsFilterOptions } from '../../../../src/plugins/security/basic_secrets_filter';
import { trieSource } from '../../../../src/plugins/security/detect/secrets/prefixed';
import { decodeBase64Text, findBase64Candidates } from '../../../../src/plugins/security/detect/base64';
import { findHighEntropyTokens, shannonEntropy } from '../../../../src/plugins/security/detect/entropy';
import { PluginHost, type PluginEntryConfig } from '../../../../src/plugins/pipeline';
import { findPlugin } from '../../../../src/plugins/registry';
import type { MessageContext, PluginDecision } from '../../../../src/plugins/types';
import type { JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../../../../src/shared/jsonrpc';

// Synthetic keys, built at run time from a seeded generator (never real ones, and never a literal
// that a repository secret scanner would flag).
let seed = 42;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function chars(alphabet: string, n: number): string {
  let s = '';
  while (s.length < n) {
    s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
    if (!(/[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s)) && alphabet === ALNUM) s = '';
  }
  return s;
}
const alnum = (n: number) => chars(ALNUM, n);
const b64url = (n: number) => chars(ALNUM + '-_', n);
const join = (...parts: string[]) => parts.join('');

function jwt(): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: '1234567890', iat: 1716239022 })}.${b64url(43)}`;
}
function pem(label: string): string {
  return join('-----BEGIN ', label, '-----\n', alnum(64), '\n', alnum(64), '\n', alnum(20), '==\n-----END ', label, '-----');
}

/** One sample value per type (what must be redacted), and a sentence around it. */
const SAMPLES: Record<SecretType, { value: string; text: (v: string) => string }> = {
  aws_access_keys: { value: join('AKIA', 'Q7Z3K2M4N5P6R8T1'), text: (v) => `AWS_ACCESS_KEY_ID=${v}` },
  aws_secret_keys: { value: alnum(40), text: (v) => `aws_secret_access_key = ${v}` },
  github_tokens: { value: join('ghp_', alnum(36)), text: (v) => `git clone https://${v}@github.com/org/repo.git` },
  google_api_keys: { value: join('AIza', 'Sy', b64url(33)), text: (v) => `https://maps.googleapis.com/maps/api/js?key=${v}` },
  jwt_tokens: { value: jwt(), text: (v) => `Authorization: Bearer ${v}` },
  openai_api_keys: { value: join('sk-', 'proj-', b64url(156)), text: (v) => `OPENAI_API_KEY=${v}` },
  slack_tokens: { value: join('xoxb-', '482913570264-2093847561029-', alnum(24)), text: (v) => `{"token": "${v}"}` },
  ssh_private_keys: { value: pem('OPENSSH PRIVATE KEY'), text: (v) => `cat ~/.ssh/id_ed25519\n${v}\n` },
  private_keys: { value: pem('PRIVATE KEY'), text: (v) => `tls.key: |\n${v}` },
  gitlab_tokens: { value: join('glpat-', b64url(20)), text: (v) => `GITLAB_TOKEN=${v}` },
  stripe_keys: { value: join('sk_', 'live_', alnum(24)), text: (v) => `stripe.api_key = "${v}"` },
  anthropic_api_keys: { value: join('sk-', 'ant-api03-', b64url(93), 'AA'), text: (v) => `x-api-key: ${v}` },
  npm_tokens: { value: join('npm_', alnum(36)), text: (v) => `//registry.npmjs.org/:_authToken=${v}` },
  huggingface_tokens: { value: join('hf_', 'aBcDeFgHjKmNpQrStUvWxYzAbCdEfGhJkM'), text: (v) => `HF_TOKEN=${v}` },
  sendgrid_api_keys: { value: join('SG.', b64url(22), '.', b64url(43)), text: (v) => `sendgrid key ${v}` },
  azure_storage_keys: { value: `${alnum(86)}==`, text: (v) => `DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=${v};EndpointSuffix=core.windows.net` },
  slack_webhooks: { value: join('https://hooks.slack.com/', 'services/T0ABC1DEF/B0GHI2JKL3M/', alnum(24)), text: (v) => `curl -X POST ${v} -d @msg.json` },
  database_urls: { value: 'Xk9vP2mQ7rT4', text: (v) => `DATABASE_URL=postgres://app_user:${v}@db.internal:5432/app` },
  password_assignments: { value: 'Tr0ub4dor&3x', text: (v) => `{"username": "admin", "password": "${v}"}` },
  provider_tokens: { value: join('gsk_', 'Q7z3K2m4N5p6R8t1', alnum(36)), text: (v) => `export GROQ=${v}` },
  telegram_bot_tokens: { value: join('8123', '45678:AA', 'Hk3mQ9', b64url(27)), text: (v) => `bot = telebot.TeleBot("${v}")` },
  discord_bot_tokens: { value: join(Buffer.from('429318573046192837').toString('base64'), '.Gk2xQ9.', 'aB3', b64url(35)), text: (v) => `client.run('${v}')` },
  facebook_tokens: { value: join('1093847561', '02938|', '9f2c1e4b5a6d7e8f', '0a1b2c3d4e5f6a7b'), text: (v) => `graph?access_token=${v}`.replace('access_token=', 'at=') },
  command_line_credentials: { value: 'Xk9vP2mQ7rT4', text: (v) => `curl -u admin:${v} https://ci.internal/api/json` },
};

const ALL = new Set<SecretType>(SECRET_TYPES);

/** [type, matched text] of every finding. */
function found(text: string, enabled: ReadonlySet<SecretType> = ALL): [string, string][] {
  return detectSecrets(text, enabled).map((f) => [f.type, text.slice(f.start, f.end)]);
}

describe('secrets detectors', () => {
  for (const type of SECRET_TYPES) {
    it(`finds ${type} exactly`, () => {
      const { value, text } = SAMPLES[type];
      assert.deepEqual(found(text(value)), [[type, value]]);
    });
  }

  describe('formats', () => {
    const cases: [string, SecretType, string][] = [
      ['AWS temporary key id', 'aws_access_keys', join('ASIA', 'Y3MZQ7K2L9W4X8N5')],
      ['GitHub fine-grained token', 'github_tokens', join('github_', 'pat_', '11A', alnum(19), '_', alnum(59))],
      ['GitHub app token', 'github_tokens', join('ghs_', alnum(36))],
      ['OpenAI legacy key', 'openai_api_keys', join('sk-', alnum(20), 'T3BlbkFJ', alnum(20))],
      ['OpenAI service account key', 'openai_api_keys', join('sk-', 'svcacct-', b64url(120))],
      ['Stripe restricted key', 'stripe_keys', join('rk_', 'live_', '51', alnum(97))],
      ['Stripe webhook secret', 'stripe_keys', join('whsec_', alnum(32))],
      ['GitLab deploy token', 'gitlab_tokens', join('gldt-', b64url(20))],
      ['Slack app token', 'slack_tokens', join('xapp-', '1-A04KQ7Z2M9B-4829135702640-', 'ab12cd34ef56ab12cd34ef56ab12cd34')],
      ['JWT with alg none', 'jwt_tokens', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x1"}').toString('base64url')}.`],
      ['EC key', 'ssh_private_keys', pem('EC PRIVATE KEY')],
      ['RSA key', 'ssh_private_keys', pem('RSA PRIVATE KEY')],
      ['DSA key', 'ssh_private_keys', pem('DSA PRIVATE KEY')],
      ['encrypted PKCS#8 key', 'private_keys', pem('ENCRYPTED PRIVATE KEY')],
      ['PGP key block', 'private_keys', pem('PGP PRIVATE KEY BLOCK')],
    ];
    for (const [name, type, value] of cases) {
      it(name, () => {
        assert.deepEqual(found(`value: ${value}\n`), [[type, value]]);
      });
    }

    it('redacts a PEM key without END line over its body', () => {
      const body = `${alnum(64)}\n${alnum(64)}`;
      const text = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123ABCD\n\n${body}\n(truncated)`;
      const [finding] = detectSecrets(text, ALL);
      assert.equal(finding?.type, 'ssh_private_keys');
      assert.equal(text.slice(finding.start, finding.end).trimEnd(), text.slice(0, text.indexOf('\n(truncated)')));
    });

    it('finds an AWS secret key next to its key id without a naming key', () => {
      const id = join('AKIA', 'Q7Z3K2M4N5P6R8T1');
      const secret = alnum(40);
      assert.deepEqual(found(`Use ${id} / ${secret} for staging`), [
        ['aws_access_keys', id],
        ['aws_secret_keys', secret],
      ]);
    });

    it('finds database passwords in the common schemes', () => {
      for (const url of ['mysql://root:Pa55w0rd9@h/db', 'mongodb+srv://svc:Pa55w0rd9@c0.x.net/db', 'redis://:Pa55w0rd9@cache:6379/0', 'amqp://guest:Pa55w0rd9@mq/vh', 'jdbc:postgresql://r:Pa55w0rd9@h:5432/x']) {
        assert.deepEqual(found(url), [['database_urls', 'Pa55w0rd9']], url);
      }
    });

    it('finds passwords in git, web and file-transfer URLs, and not the documentation forms', () => {
      for (const url of ['git clone https://ci:Pa55w0rd9@git.corp.net/a/b.git', 'url: https://deployer:QuietRiverStone@code.acme.org/svn', 'ftp://up:Pa55w0rd9@files.net/in/', 'git+ssh://u:Pa55w0rd9@h/r']) {
        assert.deepEqual(found(url), [['database_urls', url.includes('Quiet') ? 'QuietRiverStone' : 'Pa55w0rd9']], url);
      }
      // A reference, the word itself, a port-looking or one-case value, no password, and a path that holds `@`.
      for (const url of ['https://oauth2:$CI_JOB_TOKEN@gitlab.com/g/r.git', 'https://user:password@host/path', 'https://user:8443@host', 'https://deploy:lowercaseonly@h', 'https://user@bitbucket.org/t/r.git', 'http://localhost:5173/@vite/client']) {
        assert.deepEqual(found(url), [], url);
      }
    });

    it('finds the password of `net use` in any case, and not a prompt or an option', () => {
      const value = 'Zq8wX3vN6pL1';
      for (const line of [`net use Z: \\\\fs01\\share ${value} /user:CORP\\svc`, `NET USE \\\\srv\\data "${value}" /USER:x`, `net use \\\\10.0.0.5\\c$ /u:admin ${value} /persistent:no`]) {
        assert.deepEqual(found(line), [['command_line_credentials', value]], line);
      }
      for (const line of ['net use Z: \\\\fs01\\share * /user:CORP\\svc', 'net use Z: \\\\fs01\\share /user:CORP\\svc /persistent:yes', 'net use', 'the internet uses TCP/IP']) {
        assert.deepEqual(found(line), [], line);
      }
    });

    it('finds literal assignments in many syntaxes', () => {
      const value = 'Zq8wX3vN6pL1';
      const forms = [
        `DB_PASSWORD=${value}`,
        `password: "${value}"`,
        `client_secret = '${value}'`,
        `<password>${value}</password>`,
        `mysql --password=${value}`,
        `pg_dump --password ${value} app`,
        `const apiKey = "${value}";`,
        `$config['db_password'] = '${value}';`,
        `https://api.example.net/v1?city=Paris&api_key=${value}&units=metric`,
        `spring.datasource.password=${value}`,
        `"accessToken": "${value}"`,
        `Authorization: Bearer ${value}`,
        `'password' => '${value}',`,
      ];
      for (const form of forms) assert.deepEqual(found(form), [['password_assignments', value]], form);
    });
  });

  describe('placeholders and look-alikes', () => {
    const benign = [
      join('AKIA', 'IOSFODNN7EXAMPLE'),
      join('AKIA', 'XXXXXXXXXXXXXXXX'),
      join('ghp_', 'x'.repeat(36)),
      join('sk-', 'x'.repeat(48)),
      join('sk_', 'live_', 'x'.repeat(24)),
      'OPENAI_API_KEY=sk-...',
      'api_key: ${OPENAI_API_KEY}',
      'API_KEY=$API_KEY',
      'password: <your-password>',
      'DB_PASSWORD=changeme',
      'SECRET_KEY=your-secret-key-here',
      'token = os.environ["GITHUB_TOKEN"]',
      'const apiKey = process.env.API_KEY ?? "";',
      '"password": ""',
      'password = "********"',
      'client_secret: "{{ .Values.clientSecret }}"',
      'secret: ${{ secrets.DEPLOY_KEY }}',
      'password=%DB_PASS%',
      'postgres://user:${DB_PASSWORD}@db:5432/app',
      'postgres://user:password@localhost:5432/mydb',
      'postgres://localhost:5432/app',
      'interface Login { username: string; password: string }',
      'if (password.length < 12) throw new Error("password too short");',
      'def login(username: str, password: str) -> Token:',
      '"max_tokens": 4096, "prompt_tokens": 1234, "total_tokens": 1801',
      '"nextPageToken": "CAUQAA", "next_page_token": "abc123def"',
      'token_type: "Bearer", expires_in: 3599',
      'The password policy requires at least twelve characters.',
      'Your session token expired; please sign in again.',
      'commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
      '"integrity": "sha512-' + alnum(86) + '=="',
      '2f0a8b7c-4e1d-4c3a-9b2e-8d7f6e5c4b3a',
      'a string that mentions -----BEGIN CERTIFICATE----- only',
      'hf_hub_download(repo_id="x")',
      'task-force-alpha-bravo-charlie-delta',
      'SG.Module.Name.Space',
      'eyJ is how a JSON object starts in base64',
    ];
    for (const text of benign) {
      it(`finds nothing in ${JSON.stringify(text.length > 70 ? text.slice(0, 70) + '…' : text)}`, () => {
        assert.deepEqual(found(text), []);
      });
    }

    it('knows credential key names from other keys', () => {
      for (const key of ['password', 'DB_PASSWORD', 'clientSecret', 'api-key', 'apiKey', 'x_api_key', 'AWS_SECRET_ACCESS_KEY', 'auth_token', 'refresh_token', 'spring.datasource.password', 'passphrase', 'privateKey']) {
        assert.equal(isCredentialKey(key), true, key);
      }
      for (const key of ['max_tokens', 'next_page_token', 'token_type', 'passport', 'bypass', 'key', 'primary_key', 'keyboard', 'secretary', 'password_min_length']) {
        assert.equal(isCredentialKey(key), false, key);
      }
    });

    it('splits key names into words at case changes, digits and separators only', () => {
      // Capitals after a lower-case letter or digit start a word; a run of capitals does not split.
      // Outside ASCII lower-casing decides: `İ` becomes `i` and a combining dot, which separates words.
      for (const key of ['dbPassword', 'db2Password', 'HTTPPassword', 'x.y-z__password', 'nextPage.apiKey', '--password', 'Ｐassword_token', 'page_ＴＯＫＥＮ_secret', 'Page\u0130Token']) {
        assert.equal(isCredentialKey(key), true, key);
      }
      for (const key of ['pageToken', 'pageToken_', 'page-Token', 'maxTokens', 'nextPAGEToken', 'PAGETOKEN', 'a.key', '_key', 'key_', '---', '', 'pageＴoken']) {
        assert.equal(isCredentialKey(key), false, key);
      }
      // `PageToken` is `page` `token` (a harmless token); `PAGEToken` is the one word `pagetoken`, no known compound.
      assert.equal(isCredentialKey('PageToken'), false);
      assert.equal(isCredentialKey('PAGEToken'), false);
      assert.equal(isCredentialKey('PAGE_Password'), true);
    });

    it('searches prefixes through a trie exactly as through the longest-first alternation', () => {
      const words = ['sk-', 'sk-ant-', 'a', 'ab', 'abc', 'abd', 'b.', 'x]', '-^', '\\', 'E', 'F'];
      const trie = new RegExp(trieSource(words), 'g');
      const flat = new RegExp([...words].sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
      const letters = 'sk-antbcdx]^.\\EF ';
      let seed = 7;
      for (let n = 0; n < 2000; n++) {
        let text = '';
        for (let i = 0; i < 24; i++) text += letters[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % letters.length];
        assert.deepEqual([...text.matchAll(trie)].map((m) => [m.index, m[0]]), [...text.matchAll(flat)].map((m) => [m.index, m[0]]), text);
      }
    });

    it('knows placeholder values from literals', () => {
      for (const value of ['', '${X}', '$X', '<key>', '{{ k }}', 'xxxxxx', '****', 'changeme', 'your_token_here', 'REPLACE_ME', 'process.env.X', 'null', 'aaaaaa']) {
        assert.equal(isPlaceholderValue(value), true, value);
      }
      for (const value of ['hunter2!', 'Zq8wX3vN6pL1', 's3cr3t-P4ss']) assert.equal(isPlaceholderValue(value), false, value);
      // Two distinct characters (counted as code points, astral ones once) make a mask, three do not.
      for (const value of ['ababab', '\u{1F511}\u{1F511}x\u{1F511}x\u{1F511}', 'é\u0301é\u0301é\u0301']) assert.equal(isPlaceholderValue(value), true, value);
      for (const value of ['ababac', '\u{1F511}\u{1F512}x\u{1F511}x\u{1F511}', '\ud83dab\ud83dab']) assert.equal(isPlaceholderValue(value), false, value);
    });
  });

  it('skips disabled types', () => {
    const { value, text } = SAMPLES.github_tokens;
    assert.deepEqual(found(text(value), new Set<SecretType>(['aws_access_keys'])), []);
  });

  it('reports a token once when an assignment and a format both match it', () => {
    const token = join('ghp_', alnum(36));
    assert.deepEqual(found(`GITHUB_TOKEN="${token}"`), [['github_tokens', token]]);
  });

  describe('entropy detection', () => {
    it('measures Shannon entropy', () => {
      assert.equal(shannonEntropy('aaaa'), 0);
      assert.equal(shannonEntropy('abcd'), 2);
      assert.equal(shannonEntropy(''), 0);
    });
    it('finds random tokens only when enabled, above the threshold and long enough', () => {
      const token = chars(ALNUM + '+/', 64);
      const text = `opaque credential ${token} end`;
      assert.deepEqual(detectSecrets(text, new Set()), []);
      const hits = detectSecrets(text, new Set(), { entropy: { threshold: 5, minLength: 20 } });
      assert.deepEqual(hits.map((f) => [f.type, text.slice(f.start, f.end)]), [['entropy_based', token]]);
      assert.deepEqual([...findHighEntropyTokens(text, { threshold: 5, minLength: 100 })], []);
    });
    it('ignores words, hex hashes, data URL payloads, integrity hashes and long blobs', () => {
      const options = { threshold: 4, minLength: 20 };
      const texts = [
        'internationalization-considerations-everywhere',
        '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b9f86d081884c7d659a2feaa0',
        `data:image/png;base64,${chars(ALNUM + '+/', 100)}`,
        `sha512-${chars(ALNUM + '+/', 86)}==`,
        chars(ALNUM + '+/', 400),
        '\\nAbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      ];
      for (const text of texts) assert.deepEqual([...findHighEntropyTokens(text, options)], [], text.slice(0, 40));
    });
  });

  describe('base64 candidates', () => {
    it('decodes runs that hold text, in both alphabets, with or without padding', () => {
      const text = `a=${Buffer.from('hello secret world').toString('base64')}, b=${Buffer.from('url safe ?>?>?> text').toString('base64url')}`;
      assert.deepEqual(
        [...findBase64Candidates(text)].map((c) => c.decoded),
        ['hello secret world', 'url safe ?>?>?> text'],
      );
      const [first] = findBase64Candidates(text);
      assert.equal(text.slice(first!.start, first!.end), Buffer.from('hello secret world').toString('base64'));
    });
    it('skips binary data, short runs and plain words', () => {
      const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 0)]).toString('base64');
      assert.deepEqual([...findBase64Candidates(`img ${png} tiny aGk= words internationalization /usr/local/bin/node`)], []);
      assert.equal(decodeBase64Text('AAAAAAAAAAAAAAAA'), undefined);
      assert.equal(decodeBase64Text(Buffer.from('plain').toString('base64')), 'plain');
    });
    it('honours the minimum length', () => {
      const encoded = Buffer.from('abcdefghijkl').toString('base64'); // 16 characters
      assert.equal([...findBase64Candidates(encoded, 16)].length, 1);
      assert.equal([...findBase64Candidates(encoded, 17)].length, 0);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The plugin

interface SyncFilter {
  onRequest(m: JsonRpcRequest, ctx: MessageContext): PluginDecision<JsonRpcRequest> | undefined;
  onResponse(m: JsonRpcResponse, ctx: MessageContext): PluginDecision<JsonRpcResponse> | undefined;
  onNotification(m: JsonRpcNotification, ctx: MessageContext): PluginDecision<JsonRpcNotification> | undefined;
}

const ENV = { configDir: '/tmp', resolvePath: (p: string) => p, log: () => {} };
const CTX: MessageContext = { serverName: 'ops', origin: 'client' };

function options(raw: Record<string, unknown> = {}): SecretsFilterOptions {
  return basicSecretsFilter.configSchema.parse(raw);
}
function filter(raw: Record<string, unknown> = {}): SyncFilter {
  return basicSecretsFilter.create(options(raw), ENV) as unknown as SyncFilter;
}
function call(args: Record<string, unknown>): JsonRpcRequest {
  return { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'run', arguments: args } };
}
function textResult(text: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text }] } };
}

describe('basic_secrets_filter', () => {
  it("has Gatekit's keys and defaults plus ours, strictly", () => {
    const parsed = options();
    assert.equal(parsed.action, 'redact');
    assert.equal(parsed.scan_base64, false);
    assert.deepEqual(parsed.entropy_detection, { enabled: false, threshold: 5, min_length: 20 });
    assert.deepEqual(Object.keys(parsed.secret_types).sort(), [...SECRET_TYPES].sort());
    for (const type of SECRET_TYPES) assert.equal(parsed.secret_types[type].enabled, true, type);
    assert.throws(() => options({ entropy_detection: { threshold: 3.5 } }));
    assert.throws(() => options({ entropy_detection: { min_length: 5 } }));
    assert.throws(() => options({ secret_types: { aws_secret_access: { enabled: true } } }));
    assert.throws(() => options({ scan_b64: true }));
    assert.equal(findPlugin('basic_secrets_filter'), basicSecretsFilter);
    assert.equal(basicSecretsFilter.displayName, 'Basic Secrets Filter');
  });

  for (const type of SECRET_TYPES) {
    it(`redacts ${type} with the secret placeholder and never echoes it`, () => {
      const { value, text } = SAMPLES[type];
      const raw = type === 'private_keys' ? { secret_types: { private_keys: { enabled: true } } } : {};
      const source = text(value);
      const decision = filter(raw).onRequest(call({ input: source }), CTX);
      assert.ok(decision);
      assert.equal(decision.allowed, true);
      const redacted = (decision.modified?.params?.['arguments'] as { input: string }).input;
      assert.equal(redacted, source.replace(value, SECRET_PLACEHOLDER));
      assert.equal(decision.reason, `Secret redacted (${type}) in params.arguments.input`);
      assert.ok(!JSON.stringify(decision.metadata).includes(value));
    });
  }

  it('finds every PEM private key by default (Gatekit left private_keys off), and can be switched off', () => {
    const { value, text } = SAMPLES.private_keys;
    assert.equal(filter().onRequest(call({ input: text(value) }), CTX)?.modified !== undefined, true);
    assert.equal(filter({ secret_types: { private_keys: { enabled: false } } }).onRequest(call({ input: text(value) }), CTX), undefined);
  });

  it('blocks with action block and only reports with audit_only', () => {
    const { value, text } = SAMPLES.github_tokens;
    const blocked = filter({ action: 'block' }).onResponse(textResult(text(value)), CTX);
    assert.equal(blocked?.allowed, false);
    assert.equal(blocked?.reason, 'Secret detected (github_tokens) in result.content[0].text');
    const audited = filter({ action: 'audit_only' }).onResponse(textResult(text(value)), CTX);
    assert.equal(audited?.allowed, true);
    assert.equal(audited?.modified, undefined);
    assert.equal(audited?.reason, 'Secret detected (github_tokens) in result.content[0].text (audit only)');
  });

  it('scans nested params, error objects and notifications', () => {
    const token = SAMPLES.npm_tokens.value;
    const nested = call({ env: [{ name: 'NPM', value: token }, { name: 'HOME', value: '/home/u' }] });
    const redacted = filter().onRequest(nested, CTX)?.modified?.params?.['arguments'] as { env: { value: string }[] };
    assert.deepEqual(redacted.env.map((e) => e.value), [SECRET_PLACEHOLDER, '/home/u']);
    const failure: JsonRpcResponse = { jsonrpc: '2.0', id: 2, error: { code: -32001, message: 'auth failed', data: { tried: token } } };
    assert.match(filter({ action: 'block' }).onResponse(failure, CTX)?.reason ?? '', /in error\.data\.tried$/);
    const note: JsonRpcNotification = { jsonrpc: '2.0', method: 'notifications/message', params: { data: `using ${token}` } };
    assert.equal(filter().onNotification(note, CTX)?.modified?.params?.['data'], `using ${SECRET_PLACEHOLDER}`);
  });

  it('adds entropy findings only when enabled', () => {
    const token = chars(ALNUM + '+/', 64);
    assert.equal(filter().onRequest(call({ t: `opaque ${token}` }), CTX), undefined);
    const decision = filter({ entropy_detection: { enabled: true } }).onRequest(call({ t: `opaque ${token}` }), CTX);
    assert.deepEqual(decision?.metadata?.['types'], ['entropy_based']);
  });

  it('returns undefined for clean messages and with every type switched off', () => {
    const f = filter({ action: 'block', scan_base64: true, entropy_detection: { enabled: true } });
    assert.equal(f.onRequest(call({ query: 'SELECT 1', n: 5, flags: [true, null] }), CTX), undefined);
    assert.equal(f.onResponse(textResult('password policy: at least 12 characters'), CTX), undefined);
    assert.equal(f.onNotification({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 3, total: 10 } }, CTX), undefined);
    const off = filter({ secret_types: Object.fromEntries(SECRET_TYPES.map((t) => [t, { enabled: false }])) });
    assert.equal(off.onRequest(call({ k: SAMPLES.github_tokens.value }), CTX), undefined);
  });

  describe('scan_base64', () => {
    const inner = `aws_access_key_id=${SAMPLES.aws_access_keys.value}`;
    const encoded = Buffer.from(inner).toString('base64');
    it('is off by default', () => {
      assert.equal(filter().onRequest(call({ b: encoded }), CTX), undefined);
    });
    it('turns redact into block for a secret inside base64', () => {
      const decision = filter({ scan_base64: true }).onRequest(call({ b: `config: ${encoded}` }), CTX);
      assert.equal(decision?.allowed, false);
      assert.equal(decision?.metadata?.['base64_force_block'], true);
      assert.equal(decision?.reason, 'Secret detected in base64-encoded content (aws_access_keys) in params.arguments.b; blocked because encoded content cannot be redacted');
    });
    it('still redacts a plain secret that merely looks like base64', () => {
      // A JWT is base64url itself; its plain finding covers the run, so nothing forces a block.
      const { value, text } = SAMPLES.jwt_tokens;
      const decision = filter({ scan_base64: true }).onRequest(call({ h: text(value) }), CTX);
      assert.equal(decision?.allowed, true);
      assert.ok(decision?.modified);
    });
    it('passes images', () => {
      const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(300, 3)]).toString('base64');
      assert.equal(filter({ scan_base64: true, action: 'block' }).onResponse(textResult(`data:image/png;base64,${png}`), CTX), undefined);
    });
  });

  it('through the pipeline: a blocked response becomes -32000 and the log reason is reduced', async () => {
    const entry: PluginEntryConfig = { handler: 'basic_secrets_filter', kind: 'security', enabled: true, priority: 50, critical: true, options: options({ action: 'block' }) };
    const pipeline = new PluginHost({ security: { _global: [entry] } }, { find: findPlugin }, ENV).pipelineFor('ops');
    const result = await pipeline.processResponse(textResult(SAMPLES.stripe_keys.text(SAMPLES.stripe_keys.value)), { ...CTX, request: call({}) });
    assert.equal(result.outcome, 'blocked');
    assert.ok(result.response && 'error' in result.response);
    assert.equal(result.response.error.code, -32000);
    assert.equal(result.response.error.message, 'Response blocked by security handler');
    assert.equal(result.reason, '[blocked]');
    assert.ok(!JSON.stringify(result.response).includes(SAMPLES.stripe_keys.value));
  });
});
