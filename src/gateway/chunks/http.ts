// The `http` chunk: remote upstreams (the SDK's Streamable HTTP and HTTP+SSE client transports,
// undici for TLS policy). Loaded by src/gateway/transport/http-upstream.ts on first use.
export { HttpUpstreamConnection } from '../transport/http-connection';
export { CertificatePins, remoteFetch } from '../transport/http-fetch';
export { createUpstreamOAuthProvider } from '../auth/upstream-oauth';
