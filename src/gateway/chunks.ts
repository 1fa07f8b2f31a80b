// Parts of the gateway that only some configurations use and that would weigh on every start if they
// sat in gateway-core.js (an HTTP client stack, the OpenTelemetry SDK, a tokenizer's ranks): each
// `src/gateway/chunks/<name>.ts` is bundled on its own to `dist/gateway-<name>.js` (esbuild.mjs finds
// them) and loaded here the first time a plugin or transport asks for it. Import a chunk's types with
// `import type` only: a value import would inline the chunk into the core again.
import { createRequire } from 'node:module';
import path from 'node:path';

const loaded = new Map<string, unknown>();

/** `name` is a file name under src/gateway/chunks/ without its extension (our literal, never input). */
export function loadChunk<T>(name: string): T {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached as T;
  // createRequire keeps esbuild from following the path (it must stay a separate file). From the
  // sources (tests under tsx) this file sits beside chunks/; in dist/ the bundles sit side by side.
  const load = createRequire(__filename);
  const fromSources = __filename.endsWith('.ts');
  const module = load(fromSources ? path.join(__dirname, 'chunks', name) : path.join(__dirname, `gateway-${name}.js`)) as T;
  loaded.set(name, module);
  return module;
}
