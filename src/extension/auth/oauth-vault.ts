// The extension's side of the gateways' OAuth token store: one secret per authorization server
// (issuer) in VS Code's SecretStorage, plus a secret listing the issuers (SecretStorage cannot list
// its keys). Plain Node over a SecretStorage-like interface, so it is tested without an editor.
// Everything arrives from a gateway process: the issuer and the record are checked before use, and a
// record is only ever returned for the issuer it was stored under.

/** The part of `vscode.SecretStorage` the vault uses. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
}

/** A request the vault refuses: the message names what is wrong, never a token. */
export class OAuthVaultError extends Error {
  override name = 'OAuthVaultError';
}

const RECORD_KEY_PREFIX = 'gatekit.oauth.v1:';
const INDEX_KEY = 'gatekit.oauth.v1.issuers';
/** Issuer URLs are short; a long one is not an issuer (or is an attack on the keychain). */
const MAX_ISSUER_CHARS = 2048;
/** One issuer's registrations and tokens are a few kilobytes; a keychain entry is no place for more. */
export const MAX_RECORD_CHARS = 256 * 1024;
/** Beyond this many authorization servers something is filling the keychain: refused. */
const MAX_ISSUERS = 256;

interface StoredRecord {
  issuer: string;
  record: { clients: Record<string, unknown>; grants: Record<string, unknown> };
}

export class OAuthVault {
  /** Writes one at a time: each rewrites the index. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: SecretStore,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** The record stored for `issuer`, or null. */
  async read(issuer: unknown): Promise<StoredRecord['record'] | null> {
    const key = recordKey(checkIssuer(issuer));
    const text = await this.secrets.get(key);
    if (text === undefined) return null;
    const stored = parseStored(text);
    // The key names the issuer, and so does the record: a record that names another one (a damaged or
    // planted entry) is never handed to the gateway that asked for this issuer.
    if (stored === undefined || stored.issuer !== issuer) {
      this.log(`OAuth store: the entry for ${String(issuer).slice(0, 200)} is not a record of that issuer: ignored`);
      return null;
    }
    return stored.record;
  }

  /** Every issuer with a stored record. */
  async list(): Promise<string[]> {
    return this.index();
  }

  /** Replaces the record of `issuer` (null deletes it). */
  write(issuer: unknown, record: unknown): Promise<void> {
    const checked = checkIssuer(issuer);
    const value = record === null ? null : checkRecord(record, checked);
    const run = async (): Promise<void> => {
      const issuers = await this.index();
      if (value === null) {
        await this.secrets.delete(recordKey(checked));
        if (issuers.includes(checked)) await this.secrets.store(INDEX_KEY, JSON.stringify(issuers.filter((i) => i !== checked)));
        return;
      }
      if (!issuers.includes(checked)) {
        if (issuers.length >= MAX_ISSUERS) throw new OAuthVaultError(`tokens of more than ${MAX_ISSUERS} authorization servers are stored: refused (sign out of some)`);
        await this.secrets.store(INDEX_KEY, JSON.stringify([...issuers, checked]));
      }
      await this.secrets.store(recordKey(checked), value);
    };
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /** Removes the tokens one MCP server holds with any issuer (sign out when no gateway is there to do it). */
  async forgetServer(serverUrl: string): Promise<string[]> {
    const changed: string[] = [];
    for (const issuer of await this.index()) {
      const record = await this.read(issuer);
      if (!record || !Object.prototype.hasOwnProperty.call(record.grants, serverUrl)) continue;
      const grants = Object.fromEntries(Object.entries(record.grants).filter(([url]) => url !== serverUrl));
      await this.write(issuer, { clients: record.clients, grants });
      changed.push(issuer);
    }
    return changed;
  }

  private async index(): Promise<string[]> {
    const text = await this.secrets.get(INDEX_KEY);
    if (text === undefined) return [];
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) ? parsed.filter((i): i is string => typeof i === 'string' && issuerProblem(i) === undefined).slice(0, MAX_ISSUERS) : [];
    } catch {
      return [];
    }
  }
}

function recordKey(issuer: string): string {
  return `${RECORD_KEY_PREFIX}${issuer}`;
}

/** Why `issuer` cannot be an authorization server's issuer identifier (RFC 8414 §2: an https URL; http on loopback for tests), or undefined. */
function issuerProblem(issuer: string): string | undefined {
  if (issuer.length === 0 || issuer.length > MAX_ISSUER_CHARS) return `is empty or longer than ${MAX_ISSUER_CHARS} characters`;
  if (/[\u0000-\u001f\u007f\s]/.test(issuer)) return 'contains spaces or control characters';
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'is not an http(s) URL';
  if (url.username || url.password || url.search || url.hash) return 'carries credentials, a query or a fragment';
  return undefined;
}

function checkIssuer(issuer: unknown): string {
  if (typeof issuer !== 'string') throw new OAuthVaultError('the issuer is not a string: refused');
  const problem = issuerProblem(issuer);
  if (problem) throw new OAuthVaultError(`the issuer ${JSON.stringify(issuer.slice(0, 100))} ${problem}: refused`);
  return issuer;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The record as JSON text to store, or a refusal: two maps of objects, within the size limit. */
function checkRecord(record: unknown, issuer: string): string {
  if (!isObject(record) || !isObject(record.clients) || !isObject(record.grants)) throw new OAuthVaultError('the OAuth record is not {clients, grants}: refused');
  for (const map of [record.clients, record.grants]) {
    for (const entry of Object.values(map)) if (!isObject(entry)) throw new OAuthVaultError('the OAuth record holds an entry that is not an object: refused');
  }
  const stored: StoredRecord = { issuer, record: { clients: record.clients, grants: record.grants } };
  const text = JSON.stringify(stored);
  if (text.length > MAX_RECORD_CHARS) throw new OAuthVaultError(`the OAuth record of ${issuer.slice(0, 100)} is larger than ${MAX_RECORD_CHARS} characters: refused`);
  return text;
}

function parseStored(text: string): StoredRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed) || typeof parsed.issuer !== 'string' || !isObject(parsed.record)) return undefined;
    const { clients, grants } = parsed.record;
    if (!isObject(clients) || !isObject(grants)) return undefined;
    return { issuer: parsed.issuer, record: { clients, grants } };
  } catch {
    return undefined;
  }
}
