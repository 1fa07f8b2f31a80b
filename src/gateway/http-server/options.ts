// From `proxy.http` to what the HTTP server runs with: the bearer token (configured, or generated on
// first start and kept owner-only), the TLS key pair read from disk, and the Host names it answers to.
import { constants, fstatSync, mkdirSync, openSync, closeSync, readFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { httpServerSchema, LOOPBACK_HOSTS, type HttpServerConfig } from '../../config/schema';
import { homeDirectory, resolveUserPath, type Environment } from '../../config/paths';

export interface HttpServeOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Host header names accepted (lower case, without port or brackets). */
  readonly allowedHosts: readonly string[];
  /** Origin header values accepted (exact, lower case). */
  readonly allowedOrigins: readonly string[];
  /**
   * Served on loopback: pages of a loopback origin (any port) are accepted too, as the spec asks of a
   * local server. A DNS-rebinding page has its attacker's origin, never a loopback one.
   */
  readonly loopbackOrigins: boolean;
  /** Largest request body, in bytes (the gateway's message limit). */
  readonly maxBodyBytes: number;
}

/** A `proxy.http` value that cannot be used: the message names the field. */
export class HttpOptionsError extends Error {}

/** Shortest configured token accepted: a short token could be guessed over the network. */
const MIN_TOKEN_CHARS = 32;

export interface ResolveContext {
  readonly configDir: string;
  readonly env: Environment;
  readonly maxBodyBytes: number;
  readonly log: (line: string) => void;
}

export function resolveHttpOptions(config: HttpServerConfig | undefined, context: ResolveContext): HttpServeOptions {
  const http = config ?? httpServerSchema.parse({});
  const host = http.host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const loopback = (LOOPBACK_HOSTS as readonly string[]).includes(host);
  const tls = http.tls
    ? { cert: readConfigured(http.tls.cert_file, 'proxy.http.tls.cert_file', context), key: readConfigured(http.tls.key_file, 'proxy.http.tls.key_file', context) }
    : undefined;
  return {
    host,
    port: http.port,
    token: resolveToken(http, context),
    ...(tls ? { tls } : {}),
    allowedHosts: [...new Set([host, ...(loopback ? LOOPBACK_HOSTS : []), ...http.allowed_hosts.map((h) => h.toLowerCase())])],
    allowedOrigins: http.allowed_origins.map((o) => o.toLowerCase()),
    loopbackOrigins: loopback,
    maxBodyBytes: context.maxBodyBytes,
  };
}

function readConfigured(file: string, field: string, context: ResolveContext): Buffer {
  const resolved = resolveUserPath(file, context.configDir, context.env);
  try {
    return readFileSync(resolved);
  } catch (err) {
    throw new HttpOptionsError(`${field}: cannot read '${resolved}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function resolveToken(http: HttpServerConfig, context: ResolveContext): string {
  if (http.token_env !== undefined) {
    const token = context.env[http.token_env]?.trim() ?? '';
    if (!token) throw new HttpOptionsError(`proxy.http.token_env: the environment variable ${http.token_env} is not set or empty`);
    return checkedToken(token, `proxy.http.token_env (${http.token_env})`);
  }
  if (http.token_file !== undefined) {
    const text = readConfigured(http.token_file, 'proxy.http.token_file', context).toString('utf8').trim();
    return checkedToken(text, 'proxy.http.token_file');
  }
  return generatedToken(context);
}

function checkedToken(token: string, field: string): string {
  if (token.length < MIN_TOKEN_CHARS) throw new HttpOptionsError(`${field}: the token must be at least ${MIN_TOKEN_CHARS} characters (it guards the gateway on the network)`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new HttpOptionsError(`${field}: the token must be printable ASCII without spaces (it is sent in an HTTP header)`);
  return token;
}

/** Where the generated token lives: `$XDG_CONFIG_HOME/gatekit/http-token` (default `~/.config/gatekit/http-token`). */
export function generatedTokenPath(env: Environment): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(homeDirectory(env), '.config');
  return path.join(configHome, 'gatekit', 'http-token');
}

/**
 * The token kept in the user's config folder: created on first start (owner-only, never through a
 * symlink, never over an existing file) and printed once on stderr; refused when others can read it.
 */
function generatedToken(context: ResolveContext): string {
  const file = generatedTokenPath(context.env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new HttpOptionsError(`cannot open the gateway token '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    const token = randomBytes(32).toString('base64url');
    // O_EXCL: never write through a link someone planted, never over a file created meanwhile.
    const out = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(out, `${token}\n`);
    } finally {
      closeSync(out);
    }
    context.log(`generated a bearer token for the HTTP server and kept it in ${file} (readable by you only):`);
    context.log(`  ${token}`);
    context.log(`clients send it as the header 'Authorization: Bearer <token>'; set proxy.http.token_env or token_file to choose your own`);
    return token;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new HttpOptionsError(`the gateway token '${file}' is not a regular file`);
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) throw new HttpOptionsError(`the gateway token '${file}' belongs to another user`);
    if ((stat.mode & 0o077) !== 0) throw new HttpOptionsError(`the gateway token '${file}' can be read by others (mode ${(stat.mode & 0o777).toString(8)}): run 'chmod 600 ${file}' or delete it to get a new one`);
    return checkedToken(readFileSync(fd, 'utf8').trim(), `the gateway token '${file}'`);
  } finally {
    closeSync(fd);
  }
}
