// Feeds the secrets, base64 and entropy scanners 1 MiB adversarial inputs (long runs of near-matches)
// and checks they finish promptly: catastrophic backtracking would take seconds to hours.
import assert from 'node:assert/strict';
import { findBase64Candidates } from '../../../../src/plugins/security/detect/base64';
import { findHighEntropyTokens } from '../../../../src/plugins/security/detect/entropy';
import { detectSecrets, SECRET_TYPES, type SecretType } from '../../../../src/plugins/security/detect/secrets';
import { cpuMs } from './cpu-time';

const MiB = 1 << 20;
/** CPU milliseconds (see cpu-time.ts), loose on purpose: a super-linear scan of 1 MiB takes far longer. */
const BOUND_MS = 2000;

function repeat(unit: string): string {
  return unit.repeat(Math.ceil(MiB / unit.length)).slice(0, MiB);
}

const INPUTS: Record<string, string> = {
  'AKIA repeated': repeat('AKIA'),
  'AKIA + 16, space': repeat('AKIA' + 'A'.repeat(16) + ' '),
  '-----BEGIN without end': repeat('-----BEGIN '),
  'RSA header without end': repeat('-----BEGIN RSA PRIVATE KEY-----'),
  'header then colon': repeat('-----BEGIN RSA PRIVATE KEY-----:'),
  'distinct labels': Array.from({ length: 40000 }, (_, i) => `-----BEGIN K${i} PRIVATE KEY-----`).join('').slice(0, MiB),
  'END without BEGIN': repeat('-----END RSA PRIVATE KEY-----'),
  'base64-ish run': repeat('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'),
  'one long base64 run': repeat('A'),
  '= run': repeat('='),
  '. run': repeat('.'),
  'eyJ.': repeat('eyJ.'),
  'eyJ segments': repeat('eyJhbGciOi.'),
  'sk-': repeat('sk-'),
  'sk-aB3': repeat('sk-aB3'),
  'ghp_ short': repeat('ghp_abc '),
  'password=': repeat('password='),
  'password: x1': repeat('password: x1 '),
  '"token": "': repeat('"token": "'),
  'keyword run': repeat('passwordtokensecret'),
  '://': repeat('://'),
  'db URLs': repeat('postgres://a:b@'),
  'userinfo without @': repeat('postgres://' + 'a'.repeat(600)),
  'slack hooks': repeat('hooks.slack.com/services/'),
  'AccountKey=': repeat('AccountKey='),
  'PuTTY headers': repeat('PuTTY-User-Key-File-'),
  'SSH2 headers': repeat('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----'),
  '40-char tokens near secret': repeat('aws_secret_access_key ' + 'aB1'.repeat(13) + 'c '),
  'prose': repeat('lorem ipsum dolor sit amet '),
};

const ALL = new Set<SecretType>(SECRET_TYPES);
const SCANNERS: Record<string, (text: string) => unknown> = {
  'detectSecrets (all types)': (t) => detectSecrets(t, ALL),
  'detectSecrets with entropy': (t) => detectSecrets(t, ALL, { entropy: { threshold: 4, minLength: 10 } }),
  findBase64Candidates: (t) => [...findBase64Candidates(t, 8)],
  findHighEntropyTokens: (t) => [...findHighEntropyTokens(t, { threshold: 4, minLength: 10 })],
};

describe('secrets scanners run in linear time on 1 MiB adversarial inputs', () => {
  for (const [name, scan] of Object.entries(SCANNERS)) {
    it(name, () => {
      const times: string[] = [];
      let slowest = 0;
      for (const [inputName, text] of Object.entries(INPUTS)) {
        const elapsed = cpuMs(() => scan(text)).ms;
        slowest = Math.max(slowest, elapsed);
        times.push(`${inputName} ${elapsed.toFixed(0)}`);
        assert.ok(elapsed < BOUND_MS, `${name} took ${elapsed.toFixed(0)} ms on ${inputName}`);
      }
      console.log(`      ${name}: slowest ${slowest.toFixed(0)} ms (${times.join(', ')} ms)`);
    });
  }
});
