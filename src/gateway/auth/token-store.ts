// Where the standalone gateway keeps what OAuth sign-in produced (client registrations and tokens),
// per authorization server (issuer): one owner-only JSON file in the user's config folder, written
// atomically. The file holds bearer tokens, so it is refused (never read, never written) when someone
// else could have read or replaced it: a symlink, a group/world-accessible mode, another owner.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Environment } from '../../config/paths';

/** Everything stored for one authorization server. */
export interface IssuerRecord {
  /** Client registrations, by redirect URI (a dynamic registration is bound to the one it named). */
  clients: Record<string, OAuthClientInformationMixed>;
  /** Tokens, by the MCP server URL (the resource) they were issued for. */
  grants: Record<string, OAuthTokens>;
}

/**
 * Where a gateway keeps its issuers' records: the token file standalone ({@link OAuthTokenStore}),
 * VS Code's SecretStorage through the control link when the extension started the gateway
 * (src/gateway/control/sign-in-link.ts). Each member may answer now or later.
 */
export interface TokenStore {
  /** The record of `issuer` (empty when nothing is stored). */
  read(issuer: string): IssuerRecord | Promise<IssuerRecord>;
  /** Every issuer's record (to find the tokens of a server before discovery has named its issuer). */
  all(): ReadonlyArray<[string, IssuerRecord]> | Promise<ReadonlyArray<[string, IssuerRecord]>>;
  /** Changes the record of `issuer` and stores it. */
  update(issuer: string, change: (record: IssuerRecord) => void): void | Promise<void>;
}

interface TokenFile {
  version: 1;
  issuers: Record<string, IssuerRecord>;
}

/** The store refused its file (or could not use it): the message names the path and the fix, never a token. */
export class TokenStoreError extends Error {
  override name = 'TokenStoreError';
}

const FILE_NAME = 'oauth-tokens.json';
/** A token file beyond this is not ours (or is an attack on memory): refused rather than parsed. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The user's Gatekit config folder: `$XDG_CONFIG_HOME/gatekit` (else `~/.config/gatekit`) on Linux,
 * `~/Library/Application Support/gatekit` on macOS, `%APPDATA%\gatekit` on Windows.
 */
export function userConfigDirectory(env: Environment, platform: NodeJS.Platform = process.platform): string {
  const own = (name: string): string | undefined => {
    const value = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
    return typeof value === 'string' && path.isAbsolute(value) ? value : undefined;
  };
  const home = own('HOME') ?? own('USERPROFILE') ?? os.homedir();
  if (platform === 'win32') return path.join(own('APPDATA') ?? path.join(home, 'AppData', 'Roaming'), 'gatekit');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'gatekit');
  return path.join(own('XDG_CONFIG_HOME') ?? path.join(home, '.config'), 'gatekit');
}

/** The token file of one config folder. Reads and writes are synchronous: they are small and rare (sign-in, refresh). */
export class OAuthTokenStore implements TokenStore {
  readonly filePath: string;
  /** POSIX ownership and modes mean nothing on Windows (ACLs protect %APPDATA%): checked elsewhere only. */
  private readonly checkModes = process.platform !== 'win32';

  constructor(readonly directory: string) {
    this.filePath = path.join(directory, FILE_NAME);
  }

  /** The record of `issuer` (empty when nothing is stored). Throws {@link TokenStoreError} when the file is refused. */
  read(issuer: string): IssuerRecord {
    const record = this.load().issuers[issuer];
    return record ?? emptyIssuerRecord();
  }

  /** Every issuer's record (to find the tokens of a server before discovery has named its issuer). */
  all(): ReadonlyArray<[string, IssuerRecord]> {
    return Object.entries(this.load().issuers);
  }

  /** Changes the record of `issuer` and writes the file atomically (a temporary file renamed over it). */
  update(issuer: string, change: (record: IssuerRecord) => void): void {
    const file = this.load();
    const record = file.issuers[issuer] ?? emptyIssuerRecord();
    change(record);
    file.issuers[issuer] = record;
    this.write(file);
  }

  private load(): TokenFile {
    this.checkDirectory(false);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(this.filePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyFile();
      throw new TokenStoreError(`cannot read the OAuth token file ${this.filePath}: ${(err as Error).message}`);
    }
    this.checkEntry(this.filePath, stat, 'file');
    if (stat.size > MAX_FILE_BYTES) throw new TokenStoreError(`the OAuth token file ${this.filePath} is larger than ${MAX_FILE_BYTES} bytes: refused (delete it to sign in again)`);
    // O_NOFOLLOW closes the window between the lstat above and the open: a symlink swapped in meanwhile fails here.
    let text: string;
    try {
      const fd = fs.openSync(this.filePath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      try {
        this.checkEntry(this.filePath, fs.fstatSync(fd), 'file');
        text = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if (err instanceof TokenStoreError) throw err;
      throw new TokenStoreError(`cannot read the OAuth token file ${this.filePath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return parseTokenFile(text, this.filePath);
  }

  private write(file: TokenFile): void {
    this.checkDirectory(true);
    const temporary = path.join(this.directory, `.${FILE_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    // 'wx' with mode 0600: created fresh by us, never through an existing file or symlink.
    const fd = fs.openSync(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify(file, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(temporary, this.filePath);
    } catch (err) {
      fs.rmSync(temporary, { force: true });
      throw new TokenStoreError(`cannot write the OAuth token file ${this.filePath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  /** The folder must be a real directory of ours, not open to others; `create` makes it (0700) when missing. */
  private checkDirectory(create: boolean): void {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(this.directory);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new TokenStoreError(`cannot use the OAuth token folder ${this.directory}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      fs.mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      stat = fs.lstatSync(this.directory);
    }
    this.checkEntry(this.directory, stat, 'folder');
  }

  private checkEntry(where: string, stat: fs.Stats, kind: 'file' | 'folder'): void {
    if (stat.isSymbolicLink()) throw new TokenStoreError(`the OAuth token ${kind} ${where} is a symbolic link: refused (tokens are only kept in a real ${kind} of yours)`);
    if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) throw new TokenStoreError(`the OAuth token ${kind} ${where} is not a regular ${kind}: refused`);
    if (!this.checkModes) return;
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) throw new TokenStoreError(`the OAuth token ${kind} ${where} belongs to another user (uid ${stat.uid}): refused`);
    if ((stat.mode & 0o077) !== 0) {
      const wanted = kind === 'file' ? '600' : '700';
      throw new TokenStoreError(`the OAuth token ${kind} ${where} is accessible to other users (mode ${(stat.mode & 0o777).toString(8)}): refused; run chmod ${wanted} on it`);
    }
  }
}

function emptyFile(): TokenFile {
  return { version: 1, issuers: Object.create(null) as TokenFile['issuers'] };
}

/**
 * The file as written by us, or a clear refusal. Its content is only trusted as far as its shape: a
 * hand-edited or damaged file must not smuggle `__proto__` keys or non-objects into the records.
 */
function parseTokenFile(text: string, where: string): TokenFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokenStoreError(`the OAuth token file ${where} is not valid JSON: delete it to sign in again`);
  }
  if (!isRecord(parsed) || parsed.version !== 1 || !isRecord(parsed.issuers)) {
    throw new TokenStoreError(`the OAuth token file ${where} is not a Gatekit token file (version 1): delete it to sign in again`);
  }
  const file = emptyFile();
  for (const [issuer, value] of Object.entries(parsed.issuers)) {
    if (!isRecord(value)) continue;
    file.issuers[issuer] = issuerRecordFrom(value);
  }
  return file;
}

/** An empty record, safe to fill with any key (no prototype). */
export function emptyIssuerRecord(): IssuerRecord {
  return { clients: Object.create(null) as IssuerRecord['clients'], grants: Object.create(null) as IssuerRecord['grants'] };
}

/**
 * A record as far as its shape can be trusted (it was read from a file or came from another
 * process): objects only, copied onto prototype-less maps, so `__proto__` keys stay plain keys.
 */
export function issuerRecordFrom(value: unknown): IssuerRecord {
  if (!isRecord(value)) return emptyIssuerRecord();
  return { clients: copyRecords(value.clients) as IssuerRecord['clients'], grants: copyRecords(value.grants) as IssuerRecord['grants'] };
}

function copyRecords(value: unknown): Record<string, Record<string, unknown>> {
  const out = Object.create(null) as Record<string, Record<string, unknown>>;
  if (!isRecord(value)) return out;
  for (const [key, entry] of Object.entries(value)) if (isRecord(entry)) out[key] = entry;
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
