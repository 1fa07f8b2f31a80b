// Private key files: PEM blocks (SSH and other keys), RFC 4716 SSH2 and PuTTY .ppk keys, each
// redacted from its header to its footer, or over its body when the footer is missing.
import type { TextFinding } from '../findings';
import type { SecretFindingType, SecretType } from './types';
import { isBase64 } from './text';

const SSH_KEY_LABELS = new Set(['RSA PRIVATE KEY', 'DSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY']);

/** End of the line starting at `from` if it ends within `max` characters, else -1 (bounded, unlike indexOf). */
function lineEndWithin(text: string, from: number, max: number): number {
  const limit = Math.min(text.length, from + max);
  for (let i = from; i < limit; i++) if (text.charCodeAt(i) === 0x0a) return i;
  return limit === text.length ? text.length : -1;
}

/** Consumes the body of a PEM block without an END line: base64 lines and `Name: value` header lines. */
function pemBodyEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const runStart = i;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (!(isBase64(c) || c === 0x3d || c === 0x0a || c === 0x0d || c === 0x5c)) break;
      i++;
    }
    // A `Proc-Type: 4,ENCRYPTED` / `DEK-Info: …` line: skip to its end and go on.
    if (text.charCodeAt(i) === 0x3a || (text.charCodeAt(i) === 0x2d && i > runStart && text.charCodeAt(i + 1) !== 0x2d)) {
      const lineEnd = lineEndWithin(text, i, 200);
      if (lineEnd === -1 || lineEnd >= text.length) return lineEnd === -1 ? i : text.length;
      i = lineEnd + 1;
      continue;
    }
    return i;
  }
}

/** All offsets of `needle` in `text`, ascending (one linear pass). */
function offsetsOf(text: string, needle: string): number[] {
  const offsets: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) offsets.push(at);
  return offsets;
}

/** Shortest run of base64 characters that is key material rather than a word (a key's lines are 64). */
const MIN_KEY_MATERIAL = 24;

/** Whether [from, to) holds a run of base64 characters a key body would have (the first 4 KiB are looked at). */
function holdsKeyMaterial(text: string, from: number, to: number): boolean {
  let run = 0;
  const limit = Math.min(to, from + 4096);
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    const base64 = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2b || c === 0x2f;
    run = base64 ? run + 1 : 0;
    if (run >= MIN_KEY_MATERIAL) return true;
  }
  return false;
}

function detectPemKeys(text: string, wantSsh: boolean, wantOther: boolean, out: TextFinding<SecretFindingType>[]): void {
  // A block ends at the first END line after its header; walking both lists forward keeps this linear.
  const ends = offsetsOf(text, '-----END ');
  let nextEnd = 0;
  let coveredUntil = 0;
  let at = text.indexOf('-----BEGIN ');
  while (at !== -1) {
    const labelStart = at + 11;
    let labelEnd = labelStart;
    while (labelEnd < text.length && labelEnd - labelStart <= 64 && text.charCodeAt(labelEnd) !== 0x2d) labelEnd++;
    const label = text.startsWith('-----', labelEnd) ? text.slice(labelStart, labelEnd) : '';
    if (at >= coveredUntil && /PRIVATE KEY( BLOCK)?$/.test(label)) {
      const type: SecretType = SSH_KEY_LABELS.has(label) ? 'ssh_private_keys' : 'private_keys';
      const headerEnd = labelEnd + 5;
      if (type === 'ssh_private_keys' ? wantSsh : wantOther) {
        while (nextEnd < ends.length && ends[nextEnd]! < headerEnd) nextEnd++;
        const footer = `-----END ${label}-----`;
        const endAt = ends[nextEnd];
        const end = endAt !== undefined && text.startsWith(footer, endAt) ? endAt + footer.length : pemBodyEnd(text, headerEnd);
        // A header around `...` or `(paste your key here)` is documentation, not a key.
        if (holdsKeyMaterial(text, headerEnd, end)) {
          out.push({ type, start: at, end });
          coveredUntil = end;
        }
      }
    }
    at = text.indexOf('-----BEGIN ', Math.max(at + 11, coveredUntil));
  }
}

/**
 * Finds key files from `header` on: each block runs to the first `footer` after it (or, without one,
 * over its body or header line). The footer search is remembered, so repeated headers stay linear.
 */
function detectDelimitedKeys(
  text: string,
  header: string,
  footer: string,
  footerIsLine: boolean,
  out: TextFinding<SecretFindingType>[],
): void {
  let footerAt = -2;
  let at = text.indexOf(header);
  while (at !== -1) {
    if (footerAt !== -1 && footerAt < at) footerAt = text.indexOf(footer, at);
    let end: number;
    if (footerAt !== -1) {
      end = footerAt + footer.length;
      if (footerIsLine) {
        const lineEnd = lineEndWithin(text, end, 200);
        end = lineEnd === -1 ? end : lineEnd;
      }
    } else {
      const lineEnd = lineEndWithin(text, at, 200);
      end = pemBodyEnd(text, lineEnd === -1 ? at + header.length : lineEnd);
    }
    out.push({ type: 'ssh_private_keys', start: at, end });
    at = text.indexOf(header, Math.max(end, at + header.length));
  }
}

export function detectPrivateKeys(text: string, enabled: ReadonlySet<SecretType>, out: TextFinding<SecretFindingType>[]): void {
  const wantSsh = enabled.has('ssh_private_keys');
  const wantOther = enabled.has('private_keys');
  if (!wantSsh && !wantOther) return;
  detectPemKeys(text, wantSsh, wantOther, out);
  if (!wantSsh) return;
  // RFC 4716 and PuTTY .ppk private keys.
  detectDelimitedKeys(text, '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----', '---- END SSH2 ENCRYPTED PRIVATE KEY ----', false, out);
  detectDelimitedKeys(text, 'PuTTY-User-Key-File-', 'Private-MAC:', true, out);
}
