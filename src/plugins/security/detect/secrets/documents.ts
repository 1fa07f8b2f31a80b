// Values of a Kubernetes `Secret` document (YAML or JSON): everything under `data:` (base64) and
// `stringData:` (plain) is a secret whatever its key is called. Only documents that declare
// `kind: Secret` are read; each value is read once, on its own line or JSON member, bounded.
import type { TextFinding } from '../findings';
import { execAt } from '../regex';
import { isPlaceholderValue } from './assignments';
import type { SecretFindingType } from './types';

const SECRET_KIND = /["']?kind["']?\s{0,4}:\s{0,4}["']?Secret\b/;
const DATA_KEY = /(?:^|[\s{,])["']?(?:stringData|data)["']?\s{0,4}:[ \t]*/gm;
/** One `key: value` line of a YAML map (indented), or one `"key": "value"` JSON member. */
const YAML_ENTRY = /^([ \t]+)["']?[\w.-]{1,253}["']?[ \t]*:[ \t]*(["']?)([^\s"'#]{1,4096})\2[ \t]*$/gmy;
const JSON_ENTRY = /\s{0,8}"[\w.-]{1,253}"\s{0,4}:\s{0,4}"([^"\\]{1,4096})"\s{0,4}([,}])/y;

export function detectKubernetesSecrets(text: string, out: TextFinding<SecretFindingType>[]): void {
  if (!text.includes('Secret') || !SECRET_KIND.test(text)) return;
  let next = 0;
  for (let m = execAt(DATA_KEY, text, next); m !== null; m = execAt(DATA_KEY, text, next)) {
    next = m.index + m[0].length;
    if (text.charCodeAt(next) === 0x7b) {
      // JSON: {"key": "value", …}
      let i = next + 1;
      for (let e = execAt(JSON_ENTRY, text, i); e !== null; e = execAt(JSON_ENTRY, text, i)) {
        const value = e[1]!;
        const end = e.index + e[0].lastIndexOf('"');
        if (!isPlaceholderValue(value)) out.push({ type: 'password_assignments', start: end - value.length, end });
        i = e.index + e[0].length;
        if (e[2] === '}') break;
      }
      next = Math.max(next, i);
      continue;
    }
    // YAML: the indented lines below, while they stay indented more than nothing.
    if (text.charCodeAt(next) !== 0x0a && text.charCodeAt(next) !== 0x0d) continue;
    let i = next + (text.charCodeAt(next) === 0x0d ? 2 : 1);
    let indent: string | undefined;
    for (let e = execAt(YAML_ENTRY, text, i); e !== null; e = execAt(YAML_ENTRY, text, i)) {
      if (indent === undefined) indent = e[1]!;
      else if (e[1] !== indent) break;
      const value = e[3]!;
      const valueEnd = e.index + e[0].trimEnd().length - e[2]!.length;
      if (!isPlaceholderValue(value)) out.push({ type: 'password_assignments', start: valueEnd - value.length, end: valueEnd });
      i = e.index + e[0].length + 1;
      if (i > text.length) break;
    }
    next = Math.max(next, i);
  }
}
