// Writes package.json's `contributes.configuration` from the zod schemas of the gatekit.* settings,
// and the settings restricted in untrusted workspaces (npm run gen:settings-schema). Only those keys
// change; the rest of package.json is kept as it is. Also writes media/schemas/gatekit.schema.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gatekitFileJsonSchema } from '../../src/extension/plugin-schema';
import { configurationContribution, restrictedSettings } from '../../src/extension/settings-schema';

const file = path.join(__dirname, '..', '..', 'package.json');
const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
  contributes?: Record<string, unknown>;
  capabilities?: { untrustedWorkspaces?: Record<string, unknown> };
};
manifest.contributes = { ...manifest.contributes, configuration: configurationContribution() };
manifest.capabilities = {
  ...manifest.capabilities,
  untrustedWorkspaces: { ...manifest.capabilities?.untrustedWorkspaces, restrictedConfigurations: restrictedSettings() },
};
// Non-ASCII as \u escapes, as the file has always been written.
const text = JSON.stringify(manifest, null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
writeFileSync(file, `${text}\n`);
console.log(`updated contributes.configuration in ${file}`);
// The schema of gatekit.yaml / gatekit.json, which contributes.jsonValidation and yamlValidation name.
const schemaFile = path.join(__dirname, '..', '..', 'media', 'schemas', 'gatekit.schema.json');
mkdirSync(path.dirname(schemaFile), { recursive: true });
// Compact: it ships in the .vsix, and editors read it, not people.
writeFileSync(schemaFile, `${JSON.stringify(gatekitFileJsonSchema())}\n`);
console.log(`wrote ${schemaFile}`);
