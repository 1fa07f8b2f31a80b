// Bundles the two entry points: the gateway (plain Node, everything inlined) and the VS Code
// extension (everything inlined except the 'vscode' module the host provides).
import * as esbuild from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Prefer ES module builds: jsonc-parser's UMD main cannot be bundled (its requires are dynamic).
  mainFields: ['module', 'main'],
  define: { GATEKIT_VERSION: JSON.stringify(pkg.version) },
};

const builds = [
  { ...common, entryPoints: ['src/gateway/main.ts'], outfile: 'dist/gateway.js', banner: { js: '#!/usr/bin/env node' } },
];
// The extension entry arrives with the VS Code extension work; build it as soon as it exists.
if (existsSync('src/extension/main.ts')) {
  builds.push({ ...common, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
