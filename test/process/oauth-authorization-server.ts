// An OAuth 2.1 authorization server and an MCP server that requires its bearer tokens, in one
// in-process HTTP server, for the sign-in tests. Small and ours (rather than the SDK's server auth
// router) so that a test can make it misbehave the ways a hostile or broken server does: another
// issuer in its metadata, a wrong `iss` in the redirect, expired tokens, a scope step-up.
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface AuthorizationServerOptions {
  /** What the metadata says its issuer is (default: the real one). */
  metadataIssuer?: string;
  /** `iss` in the redirect: the real issuer, another one, or none. */
  issInRedirect?: 'right' | 'wrong' | 'none';
  /** `authorization_response_iss_parameter_supported` in the metadata. */
  advertiseIss?: boolean;
  /** Access token lifetime in seconds announced (expiry itself is driven by expireAccessTokens()). */
  expiresIn?: number;
  /** The admin tool refuses for want of scope whatever the token holds (a server that never accepts). */
  neverEnoughScope?: boolean;
}

interface Grant {
  scope: string;
  expired: boolean;
}

/** A running server; `url` is the MCP endpoint. */
export class TestAuthorizationServer {
  readonly log: string[] = [];
  /** Every access and refresh token issued, to search outputs for them. */
  readonly issuedSecrets: string[] = [];
  private readonly clients = new Map<string, string[]>();
  private readonly codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; scope: string; resource: string | null }>();
  private readonly accessTokens = new Map<string, Grant>();
  private readonly refreshTokens = new Map<string, string>();
  private server!: http.Server;
  origin = '';

  constructor(private readonly options: AuthorizationServerOptions = {}) {}

  get url(): string {
    return `${this.origin}/mcp`;
  }

  get issuer(): string {
    return this.origin;
  }

  count(kind: string): number {
    return this.log.filter((line) => line.startsWith(kind)).length;
  }

  /** Every access token issued so far stops working (the next request gets 401). */
  expireAccessTokens(): void {
    for (const grant of this.accessTokens.values()) grant.expired = true;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    switch (url.pathname) {
      case '/.well-known/oauth-protected-resource/mcp':
      case '/.well-known/oauth-protected-resource':
        this.log.push('prm');
        return json(200, { resource: this.url, authorization_servers: [this.issuer], scopes_supported: ['mcp:read'] });
      case '/.well-known/oauth-authorization-server':
        this.log.push('metadata');
        return json(200, {
          issuer: this.options.metadataIssuer ?? this.issuer,
          authorization_endpoint: `${this.origin}/authorize`,
          token_endpoint: `${this.origin}/token`,
          registration_endpoint: `${this.origin}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
          ...(this.options.advertiseIss ? { authorization_response_iss_parameter_supported: true } : {}),
        });
      case '/register': {
        const body = JSON.parse(await readBody(req)) as { redirect_uris?: string[] };
        const clientId = `client-${randomBytes(6).toString('hex')}`;
        this.clients.set(clientId, body.redirect_uris ?? []);
        this.log.push('register');
        return json(201, { ...body, client_id: clientId, client_id_issued_at: Math.floor(Date.now() / 1000), token_endpoint_auth_method: 'none' });
      }
      case '/authorize':
        return this.authorize(url, res);
      case '/token':
        return this.token(new URLSearchParams(await readBody(req)), json);
      case '/mcp':
        return this.mcp(req, res);
      default:
        res.writeHead(404).end();
    }
  }

  private authorize(url: URL, res: http.ServerResponse): void {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const scope = q.get('scope') ?? '';
    this.log.push(`authorize scope=${scope}`);
    if (!this.clients.get(clientId)?.includes(redirectUri) || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
      res.writeHead(400).end('bad authorization request');
      return;
    }
    const code = randomBytes(12).toString('hex');
    this.codes.set(code, { clientId, redirectUri, challenge: q.get('code_challenge')!, scope, resource: q.get('resource') });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state') ?? '');
    const iss = this.options.issInRedirect ?? 'none';
    if (iss !== 'none') back.searchParams.set('iss', iss === 'right' ? this.issuer : 'https://attacker.example');
    res.writeHead(302, { location: back.href }).end();
  }

  private token(form: URLSearchParams, json: (status: number, body: unknown) => void): void {
    const grantType = form.get('grant_type');
    this.log.push(`token ${grantType}`);
    let scope: string;
    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (!code || code.clientId !== form.get('client_id') || code.redirectUri !== form.get('redirect_uri') || createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
        return json(400, { error: 'invalid_grant' });
      }
      if (code.resource !== this.url) return json(400, { error: 'invalid_target' });
      scope = code.scope;
    } else if (grantType === 'refresh_token') {
      const known = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (known === undefined) return json(400, { error: 'invalid_grant' });
      this.refreshTokens.delete(form.get('refresh_token')!);
      scope = known;
    } else {
      return json(400, { error: 'unsupported_grant_type' });
    }
    const accessToken = `at-${randomBytes(16).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(16).toString('hex')}`;
    this.accessTokens.set(accessToken, { scope, expired: false });
    this.refreshTokens.set(refreshToken, scope);
    this.issuedSecrets.push(accessToken, refreshToken);
    json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: this.options.expiresIn ?? 3600, refresh_token: refreshToken, scope });
  }

  private async mcp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const challenge = `Bearer resource_metadata="${this.origin}/.well-known/oauth-protected-resource/mcp"`;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const grant = token === undefined ? undefined : this.accessTokens.get(token);
    if (!grant || grant.expired) {
      this.log.push('mcp 401');
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const body = JSON.parse(await readBody(req)) as { method?: string; params?: { name?: string } };
    // Step-up: one tool needs a scope the first sign-in did not ask for.
    if (body.method === 'tools/call' && body.params?.name === 'admin' && (this.options.neverEnoughScope || !grant.scope.split(' ').includes('mcp:admin'))) {
      this.log.push('mcp 403');
      res.writeHead(403, { 'www-authenticate': `Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${this.origin}/.well-known/oauth-protected-resource/mcp"` }).end();
      return;
    }
    this.log.push(`mcp ${body.method}`);
    const server = new McpServer({ name: 'protected', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Says who is signed in' }, () => ({ content: [{ type: 'text', text: `signed in with scope ${grant.scope}` }] }));
    server.registerTool('admin', { description: 'Needs mcp:admin' }, () => ({ content: [{ type: 'text', text: 'admin done' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    res.on('close', () => void server.close());
    await transport.handleRequest(req, res, body);
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
