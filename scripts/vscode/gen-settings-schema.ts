// Writes package.json's `contributes.configuration` from the zod schemas of the gatekit.* settings
// (npm run gen:settings-schema). Only that key changes; the rest of package.json is kept as it is.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { configurationContribution } from '../../src/extension/settings-schema';

const file = path.join(__dirname, '..', '..', 'package.json');
const manifest = JSON.parse(readFileSync(file, 'utf8')) as { contributes?: Record<string, unknown> };
manifest.contributes = { ...manifest.contributes, configuration: configurationContribution() };
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`updated contributes.configuration in ${file}`);
