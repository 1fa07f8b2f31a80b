// The `http-server` chunk: the gateway as a Streamable HTTP server (`proxy.transport: http`): the
// request handling, the legacy SSE endpoint and the per-request model of MCP 2026-07-28 clients.
// Loaded by src/gateway/http-server/start.ts; a stdio gateway never reads it.
export { GatewayHttpServer, MCP_PATH } from '../http-server/server';
