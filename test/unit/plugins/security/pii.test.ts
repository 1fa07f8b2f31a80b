// Tests of the PII detectors (each type, its look-alikes) and of the basic_pii_filter plugin: every
// action, base64 forcing a block, nested content, config keys, and the untouched fast path.
import assert from 'node:assert/strict';
import {
  detectCreditCards,
  detectEmails,
  detectIbans,
  detectIpAddresses,
  detectNationalIds,
  detectPhones,
  detectPii,
  ibanChecksumValid,
  luhnValid,
  PII_TYPES,
  type PiiType,
} from '../../../../src/plugins/security/detect/pii';
import { basicPiiFilter, piiPlaceholder, type PiiFilterOptions } from '../../../../src/plugins/security/basic_pii_filter';
import type { TextFinding } from '../../../../src/plugins/security/detect/findings';
import { PluginHost, type PluginEntryConfig } from '../../../../src/plugins/pipeline';
import { findPlugin } from '../../../../src/plugins/registry';
import type { MessageContext, PluginDecision } from '../../../../src/plugins/types';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../../../../src/shared/jsonrpc';

type Detector = (text: string) => TextFinding<PiiType>[];

/** The matched substrings, in order. */
function matches(detector: Detector, text: string): string[] {
  return detector(text).map((f) => text.slice(f.start, f.end));
}

/** Asserts each positive is found exactly (as the only finding) and each negative yields nothing. */
function table(name: string, detector: Detector, positives: readonly [text: string, match: string][], negatives: readonly string[]): void {
  describe(name, () => {
    for (const [text, match] of positives) {
      it(`finds ${JSON.stringify(match)} in ${JSON.stringify(text)}`, () => {
        assert.deepEqual(matches(detector, text), [match]);
      });
    }
    for (const text of negatives) {
      it(`finds nothing in ${JSON.stringify(text)}`, () => {
        assert.deepEqual(matches(detector, text), []);
      });
    }
  });
}

describe('PII detectors', () => {
  table(
    'email',
    (t) => detectEmails(t),
    [
      ['Mail maria.garcia@acme-corp.io today', 'maria.garcia@acme-corp.io'],
      ['<a href="mailto:Wei.Zhang+news@sub.uni-heidelberg.de">', 'Wei.Zhang+news@sub.uni-heidelberg.de'],
      ['The account j_smith@outlook.com. was closed', 'j_smith@outlook.com'],
      ['{"email":"a.b@c.io"}', 'a.b@c.io'],
      ['email:john@acme.com', 'john@acme.com'],
      // Look-alikes of reserved domains are ordinary domains.
      ['mail ops@example.com.evil.io', 'ops@example.com.evil.io'],
      ['mail ops@notexample.com', 'ops@notexample.com'],
      ['mail ops@example.community', 'ops@example.community'],
    ],
    [
      'icon@2x.png and sprite@3x.jpg',
      'npm i lodash@4.17.21 @types/node',
      'git@github.com:org/repo.git',
      'postgres://app:s3cret@db.internal.net:5432/app',
      'user@localhost',
      '@Injectable() export class A {}',
      'a@b@c@d',
      'foo@.com and foo@bar. and .@x.com',
      // Domains reserved for documentation and tests (RFC 2606, RFC 6761).
      'Questions? support@example.com, alice@Example.ORG, bob@mail.example.net',
      'dev@project.test, noreply@x.invalid, root@box.localhost, demo@shop.example',
    ],
  );

  table(
    'phone',
    (t) => detectPhones(t),
    [
      ['Call me at (415) 555-2671 after 5pm', '(415) 555-2671'],
      ['phone: 212-555-0187', '212-555-0187'],
      ['Office 312.555.0143.', '312.555.0143'],
      ['Dial +1 202 555 0143 now', '+1 202 555 0143'],
      ['Toll free 1-800-555-0199', '1-800-555-0199'],
      ['London: +44 20 7946 0958', '+44 20 7946 0958'],
      ['London: +44 (0)20 7946 0958', '+44 (0)20 7946 0958'],
      ['UK landline 020 7946 0958', '020 7946 0958'],
      ['Berlin +49 30 90182000', '+49 30 90182000'],
      ['Paris 01 42 68 53 00', '01 42 68 53 00'],
      ['Mobile +91 98765 43210', '+91 98765 43210'],
      ['Tokyo +81 3-1234-5678', '+81 3-1234-5678'],
      ['tel:+14155552671', '+14155552671'],
      ['call 4155552671 tomorrow', '4155552671'],
      ['From abroad dial 0044 20 7946 0958', '0044 20 7946 0958'],
      ['Call us (415-555-2671) today', '415-555-2671'],
      ['Boston (617) 555-0123)', '(617) 555-0123'],
    ],
    [
      'Order 4155552671 shipped',
      '4155552671',
      'Your order number is 2024-118342.',
      'Invoice 415-555-2671 is overdue',
      'version 10.0.19041.1 released',
      'chromium 120.0.6099.109',
      '192.168.100.200',
      'Meeting on 2024-01-15 at 10:30',
      'Logged at 2023-12-31 23:59:59 +0100',
      'ISBN 978-3-16-148410-0 and 978-0-596-52068-7',
      'an index in 0..2147483647',
      'area code 123-456-7890 is impossible',
      '9007199254740991',
      'price $415-555-2671',
      'id=#415-555-2671',
    ],
  );

  table(
    'credit_card',
    (t) => detectCreditCards(t),
    [
      ['Card 4111 1111 1111 1111, exp 09/27', '4111 1111 1111 1111'],
      ['pan=4012-8888-8888-1881', '4012-8888-8888-1881'],
      ['mc 5555555555554444', '5555555555554444'],
      ['amex 3782 822463 10005', '3782 822463 10005'],
      ['discover 6011111111111117.', '6011111111111117'],
      ['diners 3056 930902 5904', '3056 930902 5904'],
      ['jcb 3530111333300000', '3530111333300000'],
    ],
    [
      'invalid 4111 1111 1111 1112',
      'not a network 1234 5678 9012 3456',
      'grouping 41 1111111111 1111',
      'decimal 0.4111111111111111',
      'longer 41111111111111110000',
      'id abc4111111111111111',
      'mixed separators 4111-1111 1111-1111',
    ],
  );

  table(
    'ip_address',
    (t) => detectIpAddresses(t),
    [
      ['Failed login from 83.12.201.7 at 02:13', '83.12.201.7'],
      ['{"client_ip":"172.16.254.3"}', '172.16.254.3'],
      ['ssh deploy@141.75.127.128 -p 2222', '141.75.127.128'],
      ['Your address is 198.51.100.23.', '198.51.100.23'],
      ['addr 2001:0db8:0000:0000:0000:ff00:0042:8329 up', '2001:0db8:0000:0000:0000:ff00:0042:8329'],
      ['link-local fe80::1ff:fe23:4567:890a', 'fe80::1ff:fe23:4567:890a'],
      ['compressed 2001:db8::8a2e:370:7334', '2001:db8::8a2e:370:7334'],
      ['mapped ::ffff:198.51.100.7 peer', '::ffff:198.51.100.7'],
      ['ip:2606:4700:4700::1111.', '2606:4700:4700::1111'],
      ['http://[2001:db8::1234]:8080/', '2001:db8::1234'],
    ],
    [
      'version 1.2.3.4',
      'Upgraded the agent to version 10.20.30.40',
      'v1.2.3.4 and V10.20.30.40',
      'AssemblyVersion("1.0.0.0")',
      'Bumped dependency to 12.34.56.78 in the lockfile',
      'pkg@1.2.3.4',
      'release 1.2.3.4-beta and 10.2.3.4+build',
      'requires >=10.20.30.40 or ^10.20.30.40',
      'OID 1.3.6.1.4.1.311',
      'out of range 256.1.1.1',
      'leading zeros 01.02.03.04',
      'section 3.2.1.4 of the spec',
      'localhost 127.0.0.1, any 0.0.0.0, mask 255.255.255.0, broadcast 255.255.255.255',
      'loopback ::1 and unspecified ::',
      'time 12:30:45 and MAC 00:1A:2B:3C:4D:5E',
      'std::vector<int> and Foo::Bar and a::b',
      'ratio 16:9',
    ],
  );

  table(
    'national_id',
    (t) => detectNationalIds(t),
    [
      ['SSN: 219-45-6789', '219-45-6789'],
      ['ssn 219 45 6789.', '219 45 6789'],
      ['social security number 219456789', '219456789'],
      ['NI number AB 12 34 56 C', 'AB 12 34 56 C'],
      ['nino=JG103759A', 'JG103759A'],
      // Typed into forms in lower case (issue #15); the letters must share one case.
      ['lower case ab123456c', 'ab123456c'],
      ['ni: ce 12 34 56 d', 'ce 12 34 56 d'],
      // Mixed case only where the text names the number.
      ['Employee NI: Ce 11 22 33 A', 'Ce 11 22 33 A'],
      ['national insurance no. jT123456a', 'jT123456a'],
      ['SIN: 130 692 544', '130 692 544'],
      ['sin 130-692-544', '130-692-544'],
      ['Social Insurance Number 130692544', '130692544'],
      ['sample SIN 046 454 286', '046 454 286'],
    ],
    [
      'area 000-12-3456, 666-12-3456, 912-34-5678',
      'group 219-00-6789, serial 219-45-0000',
      'bare 219456789 without context',
      'date 2024-01-15 and 12-34-5678',
      'bad prefix GB 12 34 56 C, DA123456A, AB123456E',
      'mixed case aB123456c, Ab123456C',
      'SIN failing Luhn 130 692 545',
      'SIN starting with 8: 800 000 002',
      'part of 219-45-6789-12',
    ],
  );

  table(
    'iban',
    (t) => detectIbans(t),
    [
      ['IBAN DE89 3704 0044 0532 0130 00.', 'DE89 3704 0044 0532 0130 00'],
      ['{"iban":"GB82WEST12345698765432"}', 'GB82WEST12345698765432'],
      ['NL91ABNA0417164300 t.n.v. J. Jansen', 'NL91ABNA0417164300'],
      ['FR14 2004 1010 0505 0001 3M02 606', 'FR14 2004 1010 0505 0001 3M02 606'],
      ['lower case gb82west12345698765432', 'gb82west12345698765432'],
    ],
    [
      'bad check DE88 3704 0044 0532 0130 00',
      'too short DE89 3704 0044 0532 0130 0',
      'too long GB82WEST123456987654321',
      'unknown country ZZ89370400440532013000',
      'glued XDE89370400440532013000',
      'odd grouping DE8937 0400 4405 3201 3000',
    ],
  );

  it('checks Luhn and mod-97 checksums', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(luhnValid('046454286'), true);
    assert.equal(ibanChecksumValid('GB82WEST12345698765432'), true);
    assert.equal(ibanChecksumValid('GB83WEST12345698765432'), false);
  });

  describe('detectPii', () => {
    const all = new Set(PII_TYPES);
    it('reports each enabled type once, sorted by position', () => {
      const text = 'Mail a.b@c.io, call (415) 555-2671, card 4111 1111 1111 1111, host 83.12.201.7, SSN 219-45-6789, IBAN GB82WEST12345698765432';
      assert.deepEqual(
        detectPii(text, all).map((f) => f.type),
        ['email', 'phone', 'credit_card', 'ip_address', 'national_id', 'iban'],
      );
    });
    it('skips disabled types', () => {
      const found = detectPii('a.b@c.io (415) 555-2671', new Set<PiiType>(['phone']));
      assert.deepEqual(found.map((f) => f.type), ['phone']);
    });
    it('prefers the checksum-validated type where two overlap', () => {
      // A valid SIN that is also a valid German phone number.
      const text = 'reach 046-454-286';
      assert.ok(detectPhones(text).length === 1, 'the look-alike phone exists');
      assert.deepEqual(detectPii(text, all).map((f) => f.type), ['national_id']);
    });
    it('returns nothing for text without "@" or digits', () => {
      assert.deepEqual(detectPii('Just words, punctuation; and symbols (like #, $, %).', all), []);
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
const CTX: MessageContext = { serverName: 'crm', origin: 'client' };

function options(raw: Record<string, unknown> = {}): PiiFilterOptions {
  return basicPiiFilter.configSchema.parse(raw);
}
function filter(raw: Record<string, unknown> = {}): SyncFilter {
  return basicPiiFilter.create(options(raw), ENV) as unknown as SyncFilter;
}
function call(args: Record<string, unknown>): JsonRpcRequest {
  return { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'lookup', arguments: args } };
}
function textResult(text: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text }] } };
}

const SAMPLES: Record<PiiType, string> = {
  email: 'maria.garcia@acme-corp.io',
  phone: '+44 20 7946 0958',
  credit_card: '4111 1111 1111 1111',
  ip_address: '83.12.201.7',
  national_id: '219-45-6789',
  iban: 'GB82WEST12345698765432',
};

/** Every string inside a value, for checking that nothing sensitive survived. */
function allText(value: unknown): string {
  return JSON.stringify(value);
}

describe('basic_pii_filter', () => {
  it("has Gatekit's keys and defaults (all types on, redact, no base64), strictly", () => {
    assert.deepEqual(options(), {
      action: 'redact',
      pii_types: {
        email: { enabled: true },
        phone: { enabled: true },
        credit_card: { enabled: true },
        ip_address: { enabled: true },
        national_id: { enabled: true },
        iban: { enabled: true },
      },
      scan_base64: false,
    });
    assert.equal(options({ pii_types: { phone: { enabled: false } } }).pii_types.phone.enabled, false);
    assert.equal(options({ pii_types: { phone: {} } }).pii_types.email.enabled, true);
    assert.throws(() => options({ actoin: 'block' }));
    assert.throws(() => options({ action: 'drop' }));
    assert.throws(() => options({ pii_types: { ssn: { enabled: true } } }));
    assert.throws(() => options({ pii_types: { email: { enabled: true, extra: 1 } } }));
    assert.equal(basicPiiFilter.handler, 'basic_pii_filter');
    assert.equal(basicPiiFilter.kind, 'security');
    assert.equal(findPlugin('basic_pii_filter'), basicPiiFilter);
  });

  it("uses Gatekit's placeholders", () => {
    assert.deepEqual(
      PII_TYPES.map(piiPlaceholder),
      [
        '[EMAIL REDACTED by Gatekit]',
        '[PHONE REDACTED by Gatekit]',
        '[CREDIT_CARD REDACTED by Gatekit]',
        '[IP_ADDRESS REDACTED by Gatekit]',
        '[NATIONAL_ID REDACTED by Gatekit]',
        '[IBAN REDACTED by Gatekit]',
      ],
    );
  });

  for (const type of PII_TYPES) {
    it(`redacts ${type} and names it (not its value) in the reason`, () => {
      const request = call({ note: `Customer record: ${SAMPLES[type]} (verified)` });
      const decision = filter().onRequest(request, CTX);
      assert.ok(decision);
      assert.equal(decision.allowed, true);
      assert.deepEqual(decision.modified?.params?.['arguments'], { note: `Customer record: ${piiPlaceholder(type)} (verified)` });
      assert.match(decision.reason ?? '', new RegExp(`PII redacted \\(${type}\\) in params\\.arguments\\.note`));
      assert.ok(!allText([decision.reason, decision.metadata]).includes(SAMPLES[type]));
      assert.deepEqual(decision.metadata?.['types'], [type]);
    });
    it(`does not look for ${type} when it is disabled`, () => {
      const decision = filter({ pii_types: { [type]: { enabled: false } } }).onRequest(call({ note: `x ${SAMPLES[type]} y` }), CTX);
      assert.equal(decision, undefined);
    });
  }

  it('leaves the original message untouched and copies only the changed path', () => {
    const untouched = { big: ['a', 'b'] };
    const request = call({ note: `mail ${SAMPLES.email}`, other: untouched });
    const before = JSON.stringify(request);
    const decision = filter().onRequest(request, CTX);
    assert.equal(JSON.stringify(request), before);
    assert.notEqual(decision?.modified, request);
    assert.equal((decision?.modified?.params?.['arguments'] as Record<string, unknown>)['other'], untouched);
  });

  it('blocks with action block, saying what and where', () => {
    const decision = filter({ action: 'block' }).onRequest(call({ to: SAMPLES.email, body: `card ${SAMPLES.credit_card}` }), CTX);
    assert.ok(decision);
    assert.equal(decision.allowed, false);
    assert.equal(decision.modified, undefined);
    assert.match(decision.reason ?? '', /^PII detected \(email, credit_card\) in params\.arguments\.to, params\.arguments\.body$/);
    assert.equal(decision.metadata?.['action'], 'block');
  });

  it('only reports with action audit_only', () => {
    const response = textResult(`Contact ${SAMPLES.phone}`);
    const decision = filter({ action: 'audit_only' }).onResponse(response, CTX);
    assert.ok(decision);
    assert.equal(decision.allowed, true);
    assert.equal(decision.modified, undefined);
    assert.match(decision.reason ?? '', /^PII detected \(phone\) in result\.content\[0\]\.text \(audit only\)$/);
    assert.deepEqual(decision.metadata?.['locations'], [{ path: 'result.content[0].text', type: 'phone', count: 1 }]);
  });

  it('scans nested response results, errors and notification params', () => {
    const nested: JsonRpcResponse = {
      jsonrpc: '2.0',
      id: 3,
      result: { structuredContent: { rows: [{ id: 1, owner: { contact: [`x ${SAMPLES.email}`, 'none'] } }] }, content: [] },
    };
    const redacted = filter().onResponse(nested, CTX)?.modified;
    assert.ok(redacted && 'result' in redacted);
    assert.deepEqual((redacted.result['structuredContent'] as { rows: { owner: { contact: string[] } }[] }).rows[0]!.owner.contact, ['x [EMAIL REDACTED by Gatekit]', 'none']);

    const failure: JsonRpcResponse = { jsonrpc: '2.0', id: 4, error: { code: -32000, message: `no user ${SAMPLES.email}`, data: { ip: SAMPLES.ip_address } } };
    const error = filter({ action: 'block' }).onResponse(failure, CTX);
    assert.equal(error?.allowed, false);
    assert.match(error?.reason ?? '', /in error\.message, error\.data\.ip$/);

    const note: JsonRpcNotification = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `login from ${SAMPLES.ip_address}` } };
    const redactedNote = filter().onNotification(note, CTX)?.modified;
    assert.equal(redactedNote?.params?.['data'], 'login from [IP_ADDRESS REDACTED by Gatekit]');
  });

  it('hides object keys that are not plain identifiers from reasons', () => {
    const decision = filter().onRequest(call({ 'maria.garcia@acme-corp.io': `phone ${SAMPLES.phone}` }), CTX);
    assert.match(decision?.reason ?? '', /in params\.arguments\[…\]$/);
    assert.ok(!allText(decision?.metadata).includes('acme-corp'));
  });

  it('returns undefined for clean messages and for messages without content', () => {
    const f = filter({ action: 'block', scan_base64: true });
    const clean = call({ query: 'weather in Paris on 2024-01-15, version 1.2.3.4', limit: 10, nested: { ok: [true, null, 3.5] } });
    assert.equal(f.onRequest(clean, CTX), undefined);
    assert.equal(f.onResponse(textResult('42 files changed, 1024 insertions(+)'), CTX), undefined);
    assert.equal(f.onRequest({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, CTX), undefined);
    assert.equal(f.onNotification({ jsonrpc: '2.0', method: 'notifications/initialized' }, CTX), undefined);
    assert.equal(filter({ pii_types: Object.fromEntries(PII_TYPES.map((t) => [t, { enabled: false }])) }).onRequest(call({ e: SAMPLES.email }), CTX), undefined);
  });

  it('refuses (throws, so the pipeline fails closed) content nested too deep to scan', () => {
    let deep: unknown = `mail ${SAMPLES.email}`;
    for (let i = 0; i < 600; i++) deep = { d: deep };
    assert.throws(() => filter().onRequest(call({ deep }), CTX), /cannot be scanned/);
  });

  describe('scan_base64', () => {
    const encoded = Buffer.from(`{"user": "${SAMPLES.email}", "card": "${SAMPLES.credit_card}"}`).toString('base64');

    it('is off by default: encoded PII passes', () => {
      // Any member but `blob`: a resource blob is decoded and scanned whatever scan_base64 says.
      assert.equal(filter().onRequest(call({ data: encoded }), CTX), undefined);
    });
    it('turns redact into block for PII found inside base64', () => {
      const decision = filter({ scan_base64: true }).onRequest(call({ blob: `payload=${encoded}` }), CTX);
      assert.ok(decision);
      assert.equal(decision.allowed, false);
      assert.equal(decision.modified, undefined);
      assert.equal(decision.metadata?.['base64_force_block'], true);
      assert.match(decision.reason ?? '', /^PII detected in base64-encoded content \(email, credit_card\) in params\.arguments\.blob; blocked because encoded content cannot be redacted$/);
      assert.deepEqual(decision.metadata?.['locations'], [
        { path: 'params.arguments.blob', type: 'email', count: 1, encoding: 'base64' },
        { path: 'params.arguments.blob', type: 'credit_card', count: 1, encoding: 'base64' },
      ]);
    });
    it('reports without blocking in audit_only, and blocks in block', () => {
      const audit = filter({ scan_base64: true, action: 'audit_only' }).onRequest(call({ blob: encoded }), CTX);
      assert.equal(audit?.allowed, true);
      assert.equal(audit?.metadata?.['found_in_base64'], true);
      assert.equal(filter({ scan_base64: true, action: 'block' }).onRequest(call({ blob: encoded }), CTX)?.allowed, false);
    });
    it('finds nothing in images', () => {
      const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(400, 7)]).toString('base64');
      assert.equal(filter({ scan_base64: true, action: 'block' }).onResponse(textResult(`data:image/png;base64,${png}`), CTX), undefined);
    });
  });

  describe('through the pipeline', () => {
    function pipeline(config: Record<string, unknown>) {
      const entry: PluginEntryConfig = { handler: 'basic_pii_filter', kind: 'security', enabled: true, priority: 50, critical: true, options: options(config) };
      return new PluginHost({ security: { _global: [entry] } }, { find: findPlugin }, ENV).pipelineFor('crm');
    }
    it('answers a blocked request with -32000 "Request blocked: Basic PII Filter"', async () => {
      const result = await pipeline({ action: 'block' }).processRequest(call({ to: SAMPLES.email }), CTX);
      assert.equal(result.outcome, 'blocked');
      assert.ok(result.response && 'error' in result.response);
      assert.equal(result.response.error.code, -32000);
      assert.equal(result.response.error.message, 'Request blocked: Basic PII Filter');
      assert.ok(!allText(result.response).includes(SAMPLES.email));
    });
    it('marks a redacted response sensitive and forwards the redacted content', async () => {
      const result = await pipeline({}).processResponse(textResult(`IBAN ${SAMPLES.iban}`), CTX);
      assert.equal(result.outcome, 'allowed');
      assert.equal(result.sensitive, true);
      assert.equal(result.reason, '[modified]');
      assert.ok(allText(result.message).includes('[IBAN REDACTED by Gatekit]'));
      assert.ok(!allText(result).includes(SAMPLES.iban));
    });
    it('passes clean traffic as the same object', async () => {
      const request: JsonRpcMessage = call({ q: 'nothing here' });
      const result = await pipeline({}).processRequest(request as JsonRpcRequest, CTX);
      assert.equal(result.message, request);
      assert.equal(result.modified, false);
    });
  });
});
