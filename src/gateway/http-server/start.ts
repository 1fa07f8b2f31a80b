// `proxy.transport: http`: the gateway opens its upstreams once, then serves each HTTP client a
// session of its own over them until it is told to stop (a signal); stdin plays no part.
import type { Gateway } from '../gateway';
import type { ClientHandshake } from '../upstream';
import type { HttpServerConfig } from '../../config/schema';
import type { GatewayHttpServer } from './server';
import { loadChunk } from '../chunks';
import type * as HttpServerChunk from '../chunks/http-server';
import { resolveHttpOptions, type HttpServeOptions } from './options';

/**
 * What the upstreams are told about "the client": every client is behind this one handshake, so it
 * declares what the gateway relays to the session a request comes from (sampling, elicitation). Not
 * roots: a shared server cannot have one client's roots, and asking would reach no client.
 */
export function sessionsHandshake(gatewayVersion: string): ClientHandshake {
  return { protocolVersion: '2025-06-18', capabilities: { sampling: {}, elicitation: {} }, clientInfo: { name: 'gatekit-http', version: gatewayVersion } };
}

export interface HttpStartContext {
  readonly configDir: string;
  readonly maxBodyBytes: number;
  readonly version: string;
  readonly log: (line: string) => void;
}

/** Resolves `proxy.http` (token, TLS): throws with the field named when it cannot be used. */
export function httpOptionsFor(config: HttpServerConfig | undefined, context: HttpStartContext): HttpServeOptions {
  return resolveHttpOptions(config, { configDir: context.configDir, env: process.env, maxBodyBytes: context.maxBodyBytes, log: context.log });
}

/** Starts serving; resolves with the running server once it listens (rejects when it cannot, e.g. the port is taken). */
export async function serveHttp(gateway: Gateway, options: HttpServeOptions, context: HttpStartContext): Promise<GatewayHttpServer> {
  const { GatewayHttpServer, MCP_PATH } = loadChunk<typeof HttpServerChunk>('http-server');
  const hub = gateway.startSessions(sessionsHandshake(context.version));
  const server = new GatewayHttpServer(hub, options, context.log);
  const address = await server.listen();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  context.log(`serving MCP at ${options.tls ? 'https' : 'http'}://${host}:${address.port}${MCP_PATH} (Streamable HTTP; send 'Authorization: Bearer <token>')`);
  return server;
}
