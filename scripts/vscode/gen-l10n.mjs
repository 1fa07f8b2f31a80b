// Writes l10n/bundle.l10n.json: every `vscode.l10n.t('…')` message of src/extension (the English
// originals translators start from; translations go in l10n/bundle.l10n.<locale>.json).
// Usage: node scripts/vscode/gen-l10n.mjs [--check]
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
const messages = {};
for (const file of files('src/extension').sort()) {
  for (const match of readFileSync(file, 'utf8').matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) {
    const text = match[1].replace(/\\'/g, "'");
    messages[text] = text;
  }
}
const sorted = Object.fromEntries(Object.keys(messages).sort().map((k) => [k, k]));
const text = `${JSON.stringify(sorted, null, 2)}\n`;
const out = 'l10n/bundle.l10n.json';
if (process.argv.includes('--check')) {
  if (!existsSync(out) || readFileSync(out, 'utf8') !== text) {
    console.error(`${out} is out of date: run node scripts/vscode/gen-l10n.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`${out}: ${Object.keys(sorted).length} messages`);
}
