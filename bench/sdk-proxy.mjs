#!/usr/bin/env node
// Reference point (dev only): a stdio pass-through proxy written the usual way on the official MCP SDK.
//
//   node bench/sdk-proxy.mjs <upstream command> [args...]
//
// An SDK Client talks to the upstream, an SDK Server answers the downstream client, and each
// tools/list and tools/call handler awaits the client's call. No filtering, no namespacing.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: sdk-proxy.mjs <upstream command> [args...]\n');
  process.exit(2);
}

// The SDK refuses lines over 10 MiB by default; the benchmark passes 10 MiB results.
const MAX_BUFFER = 64 * 1024 * 1024;

const client = new Client({ name: 'sdk-proxy', version: '1.0.0' });
await client.connect(new StdioClientTransport({ command, args, stderr: 'inherit', maxBufferSize: MAX_BUFFER }));

const server = new Server({ name: 'sdk-proxy', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, (request) => client.listTools(request.params));
server.setRequestHandler(CallToolRequestSchema, (request) => client.callTool(request.params));
const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_BUFFER });
transport.onclose = () => void client.close().finally(() => process.exit(0));
await server.connect(transport);
process.stdin.on('end', () => void client.close().finally(() => process.exit(0)));
