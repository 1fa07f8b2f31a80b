// Entry of dist/gateway.js: runs the gateway's bundle (dist/gateway-core.js) through V8's code cache,
// so a start does not parse and compile 1.8 MB of JavaScript again (see docs/benchmarks.md, start-up).
// Node 20 has no built-in compile cache for CommonJS (module.enableCompileCache came with Node 22),
// hence this small loader. It must stay free of imports beyond Node's own modules.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

/** Hash of dist/gateway-core.js, inlined at build time: a new build never meets an old cache ('' = no cache). */
declare const GATEWAY_CORE_HASH: string;

/** Written once the gateway has started, so the cache also holds the functions start-up compiled. */
const WRITE_CACHE_AFTER_MS = 3000;

/**
 * After each full collection V8 lets the old generation grow to a multiple of what survived, up to 4×
 * when collecting is cheap; under sustained load the gateway's promoted garbage then fills that room
 * before anything is reclaimed, and peak RSS grows by tens of MB. 1.5× keeps the throughput run's
 * peak near 78 MB instead of 102 at the same CPU per call (docs/benchmarks.md). It only paces
 * collections: the heap still grows as far as a large message needs. Set here rather than in the
 * shebang because V8 reads it at each collection, and an unknown flag here is a warning on stderr,
 * not a refusal to start.
 */
v8.setFlagsFromString('--heap-growing-percent=50');

/**
 * The young generation stays at its initial 1 MB semi-spaces, however the gateway was started. Under
 * load V8 doubles them up to 16 MB, which alone put a busy gateway at 105–124 MB instead of about 80.
 * The shebang's `--max-semi-space-size=2` caps them only when a launcher passes the shebang's flags
 * (the extension does, `./dist/gateway.js` does); `node dist/gateway.js`, as the README shows, does
 * not. The cap cannot be set from here: V8 sizes the young generation when it creates the heap, before
 * this line runs (setting it here changed nothing: 104–105 MB against 108). The growth factor, though,
 * V8 reads each time it grows the young generation, and 1 means it never grows. Measured in the
 * throughput run with the filters (docs/benchmarks.md, issue #12): 78–81 MB started either way, as
 * with the shebang's flag alone, at the same CPU per call; on Node 20 and Node 24 alike.
 */
v8.setFlagsFromString('--semi-space-growth-factor=1');

const corePath = path.join(__dirname, 'gateway-core.js');
const source = readFileSync(corePath, 'utf8');
const cacheFile = codeCacheFile();
const cached = cacheFile ? readOrUndefined(cacheFile) : undefined;
const script = new vm.Script(Module.wrap(source), { filename: corePath, ...(cached ? { cachedData: cached } : {}) });
if (cacheFile && (!cached || script.cachedDataRejected)) {
  // Once started, or on the way out if the session is shorter than that.
  const write = (): void => {
    process.removeListener('exit', write);
    clearTimeout(timer);
    writeCodeCache(cacheFile, script);
  };
  const timer = setTimeout(write, WRITE_CACHE_AFTER_MS).unref();
  process.once('exit', write);
}
const core = new Module(corePath, module);
core.filename = corePath;
const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
run.call(core.exports, core.exports, createRequire(corePath), core, corePath, __dirname);

/**
 * Where this user's cache for this build and this Node lives, or undefined when there is no private
 * place for it. The folder must be ours and writable by no one else: V8 checks a cache against the
 * source's length, not its content, so a cache someone else could write would run their code.
 */
function codeCacheFile(): string | undefined {
  if (process.env.GATEKIT_CODE_CACHE === '0' || !GATEWAY_CORE_HASH) return undefined;
  try {
    const dir = path.join(userCacheDir(), 'gatekit');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    if (process.platform !== 'win32' && (stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0)) return undefined;
    return path.join(dir, `gateway-${cacheKey()}-${process.version}-${process.arch}.v8cache`);
  } catch {
    return undefined;
  }
}

/**
 * The build's hash, mixed with the Node flags of this start when there are any. V8 rejects a cache
 * made under other flags (it checks a hash of them), so the extension's launch (with the shebang's
 * flags) and `node dist/gateway.js` (without) overwrote each other's cache at every alternation and
 * compiled the bundle again each time; each now keeps its own.
 */
function cacheKey(): string {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0');
  return flags === '' ? GATEWAY_CORE_HASH : fnv1a64(`${GATEWAY_CORE_HASH}\0${flags}`);
}

/** FNV-1a, 64 bits, as 16 hex digits: a file name part, not a security check (the folder is private). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) hash = BigInt.asUintN(64, (hash ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}

function userCacheDir(): string {
  if (process.platform === 'win32') return process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches');
  return process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Caches of other builds are removed once this old (younger ones may belong to another window's version). */
const STALE_CACHE_MS = 7 * 24 * 3600 * 1000;

/** Writes the cache atomically (a half-written cache is never read) and drops stale ones of other builds. */
function writeCodeCache(file: string, compiled: vm.Script): void {
  try {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, compiled.createCachedData(), { mode: 0o600 });
    renameSync(temp, file);
    const dir = path.dirname(file);
    for (const name of readdirSync(dir)) {
      const other = path.join(dir, name);
      if (name.startsWith('gateway-') && name.endsWith('.v8cache') && other !== file && Date.now() - statSync(other).mtimeMs > STALE_CACHE_MS) unlinkSync(other);
    }
  } catch {
    // A cache is an optimisation: without it the next start compiles again, nothing else changes.
  }
}
