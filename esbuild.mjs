// Bundles the two entry points: the gateway (plain Node, everything inlined) and the VS Code
// extension (everything inlined except the 'vscode' module the host provides).
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const watch = process.argv.includes('--watch');
// `node esbuild.mjs --analyze`: after building, list the biggest inputs of each bundle (what to cut next).
const analyze = process.argv.includes('--analyze');
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

/**
 * How Node must run the gateway, declared once in its shebang; the extension and the benchmark's
 * `--launch shebang` read it from there. Young-generation semi-spaces of 2 MB (V8 grows them to 16 MB
 * under load) keep a busy gateway near 80 MB instead of 105–125 MB. The loader also stops them growing
 * at run time (`--semi-space-growth-factor=1`, src/gateway/loader.ts), so `node dist/gateway.js`
 * without these flags stays as small; the flag here still bounds them on a V8 that ignored that.
 */
const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=2'];

/**
 * Both bundles ship in the .vsix, so both are minified (about half the bytes, and less for the
 * extension host and the gateway to parse at start). The extension keeps its names so that stack
 * traces in its logs still name functions and classes. The gateway does not: esbuild keeps a name
 * by a call that sets it on every function object as it is created, closures on the per-call path
 * included, and that cost a third more CPU per small call without plugins (20 µs against 13 in one
 * run, docs/benchmarks.md); its source map (dist/gateway-core.js.map, `node --enable-source-maps`)
 * names them instead. Source maps are written beside both bundles and never packaged (.vscodeignore).
 */
const lean = { minify: true, keepNames: true };

// The gateway's code goes to gateway-core.js; dist/gateway.js is the small loader that runs it
// through V8's code cache, and needs the core's hash to tell its caches apart.
const builds = [
  { ...common, minify: true, entryPoints: ['src/gateway/main.ts'], outfile: 'dist/gateway-core.js' },
];
// Parts of the gateway loaded only when a configuration uses them (src/gateway/chunks.ts): each
// src/gateway/chunks/<name>.ts becomes dist/gateway-<name>.js.
for (const file of existsSync('src/gateway/chunks') ? readdirSync('src/gateway/chunks') : []) {
  if (!file.endsWith('.ts')) continue;
  builds.push({ ...common, minify: true, entryPoints: [`src/gateway/chunks/${file}`], outfile: `dist/gateway-${file.slice(0, -3)}.js` });
}
// The extension entry arrives with the VS Code extension work; build it as soon as it exists.
if (existsSync('src/extension/main.ts')) {
  builds.push({
    ...common,
    ...lean,
    entryPoints: ['src/extension/main.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    // The moment the bundle starts to run, for the activation timings main.ts reports.
    banner: { js: 'var GATEKIT_BUNDLE_START = performance.now();' },
  });
}

const loader = (coreHash) => ({
  ...common,
  sourcemap: false,
  entryPoints: ['src/gateway/loader.ts'],
  outfile: 'dist/gateway.js',
  banner: { js: `#!/usr/bin/env -S node ${GATEWAY_NODE_FLAGS.join(' ')}` },
  define: { ...common.define, GATEWAY_CORE_HASH: JSON.stringify(coreHash) },
});
const coreHash = () => createHash('sha256').update(readFileSync('dist/gateway-core.js')).digest('hex').slice(0, 16);

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  // In watch mode the loader is built once and would not follow the core: an empty hash turns the cache off.
  await esbuild.build(loader(''));
} else {
  const results = await Promise.all(builds.map((b) => esbuild.build({ ...b, metafile: analyze })));
  if (analyze) for (const r of results) console.log(await esbuild.analyzeMetafile(r.metafile, { verbose: false }));
  await esbuild.build(loader(coreHash()));
  // Runnable as `./dist/gateway.js`, with the flags of its shebang.
  chmodSync('dist/gateway.js', 0o755);
}
