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
  // Issue #15 rules: each literal they start from, repeated, and near-misses of each shape.
  ':AA runs': repeat(':AA'),
  'telegram ids without bodies': repeat('123456789:AA' + 'b'.repeat(20) + ' '),
  'bar runs': repeat('|'),
  'app ids and bars': repeat('1234567890123456|'),
  'discord near-misses': repeat('MTIzNDU2Nzg5MDEyMzQ1Njc4.aaaaaa.' + 'b'.repeat(20) + ' '),
  'dotted word runs': repeat('Mabcdefghijklmnopqrstuvwxyz.abcdef.'),
  '-u runs': repeat('-u a:'),
  '-u with long user': repeat('-u ' + 'a'.repeat(70) + ':'),
  '--password runs': repeat('--password '),
  '-p with user option': repeat('mysql -u root -p'),
  'kind: Secret with data': 'kind: Secret\ndata:\n' + repeat('  k: v\n'),
  'kind: Secret, data keys only': 'kind: Secret\n' + repeat('data: '),
  'Secret JSON members': '{"kind":"Secret","data":{' + repeat('"k":"v",'),
  'generated prefixes': repeat('gsk_dckr_pat_hvs.ntn_shpat_'),
  'hvs. bodies too long': repeat('hvs.' + 'a'.repeat(130) + ' '),
  '_key= runs': repeat('user_auth=a1b2c3d4e5f6g7h8 '),
  'redis-cli without -a': repeat('redis-cli -h a '),
  'redis-cli then -a runs': 'redis-cli ' + repeat('-a '),
  'htpasswd flag runs': repeat('htpasswd -b -c -B -m -s -p -i '),
  'htpasswd without value': repeat('htpasswd -b f u'),
  'hv prefixes': repeat('hvs.hvb.hvr.hv'),
  'hvs. bodies inside bodies': repeat('hvs.aB3' + 'hvs'),
  'key attribute runs': repeat('<add key="ApiSecret" value="'),
  'net use runs': repeat('net use '),
  'net use share runs': 'net use ' + repeat('\\\\s\\x /u:a '),
  'https userinfo runs': repeat('https://u:aB3dE5fG7@'),
};

const ALL = new Set<SecretType>(SECRET_TYPES);
const SCANNERS: Record<string, (text: string) => unknown> = {
  'detectSecrets (all types)': (t) => detectSecrets(t, ALL),
  'detectSecrets with entropy': (t) => detectSecrets(t, ALL, { entropy: { threshold: 4, minLength: 10 } }),
  findBase64Candidates: (t) => [...findBase64Candidates(t, 8)],
  findHighEntropyTokens: (t) => [...findHighEntropyTokens(t, { threshold: 4, minLength: 10 })],
};

describe('secrets scanners run in linear time on 1 MiB adversarial inputs', function () {
  // Forty-odd megabyte-sized scans per scanner on a shared machine; the per-input bound is what matters.
  this.timeout(120_000);
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
