// Bundles the VS Code integration tests (test/vscode) into out/test/vscode, one file per test module,
// with 'vscode' left to the extension host that loads them.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const testDir = 'test/vscode';
const entryPoints = readdirSync(testDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(testDir, name));

await esbuild.build({
  entryPoints,
  outdir: 'out/test/vscode',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
  // jsonc-parser's UMD main hides its requires from the bundler: take the ES module build.
  mainFields: ['module', 'main'],
  // mocha loads the test modules with a runtime require(); esbuild rightly cannot resolve that.
  logOverride: { 'unsupported-require-call': 'silent', 'require-resolve-not-external': 'silent' },
});
