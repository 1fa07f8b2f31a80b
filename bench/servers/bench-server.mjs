#!/usr/bin/env node
// The benchmark's upstream: a minimal, fast stdio MCP server (echo, big results, N listed tools), no dependencies.
//
// `echo {text}` for small calls, `--tools N` realistic tool definitions for tools/list, and
// `big {bytes, kind}` where kind `prose` returns clean English text (what the content filters
// really scan) and `x` a run of one letter.
//
//   node bench/servers/bench-server.mjs [--tools N] [--name NAME]

import { proseOfLength } from '../lib/prose.cjs';

const argv = process.argv.slice(2);
const optionIndex = argv.indexOf('--tools');
const extraTools = optionIndex === -1 ? 0 : Number(argv[optionIndex + 1]) || 0;
const nameIndex = argv.indexOf('--name');
const serverName = nameIndex === -1 ? 'bench' : String(argv[nameIndex + 1]);

const tools = [
  { name: 'echo', description: 'Echoes the given text back.', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
  {
    name: 'big',
    description: 'Returns a text of exactly the given number of ASCII bytes (kind "prose" or "x").',
    inputSchema: { type: 'object', properties: { bytes: { type: 'number' }, kind: { type: 'string', enum: ['prose', 'x'] } }, required: ['bytes'] },
  },
];
for (let i = 0; i < extraTools; i++) {
  // Descriptions and schemas of the size real servers ship (a few hundred bytes per tool).
  tools.push({
    name: `tool_${i}`,
    description: `Looks up record ${i} in the project database and returns its fields as text. Use it when the user asks about an item by its name; the search is case-insensitive and matches whole words.`,
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'Words to look for.' },
        limit: { type: 'number', description: 'Largest number of results.', minimum: 1, maximum: 100 },
        fields: { type: 'array', items: { type: 'string' }, description: 'Fields to return.' },
      },
      required: ['query'],
    },
  });
}

const textCache = new Map();
function textOf(bytes, kind) {
  const key = `${kind}:${bytes}`;
  let text = textCache.get(key);
  if (text === undefined) {
    text = kind === 'x' ? 'x'.repeat(bytes) : proseOfLength(bytes);
    // Each distinct size is built once: the server's own cost stays out of the measured round trip.
    if (textCache.size < 16) textCache.set(key, text);
  }
  return text;
}

function respond(message) {
  const { id, method, params } = message;
  if (id === undefined || typeof method !== 'string') return undefined; // notifications and responses need nothing
  switch (method) {
    case 'initialize':
      return {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: params?.protocolVersion ?? '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: serverName, version: '1.0.0' },
        },
      };
    case 'ping':
      return { jsonrpc: '2.0', id, result: {} };
    case 'tools/list':
      return { jsonrpc: '2.0', id, result: { tools } };
    case 'tools/call': {
      const args = params?.arguments ?? {};
      if (params?.name === 'echo') return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: String(args.text ?? '') }] } };
      if (params?.name === 'big') {
        const bytes = Math.max(0, Math.floor(Number(args.bytes) || 0));
        return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: textOf(bytes, args.kind === 'x' ? 'x' : 'prose') }] } };
      }
      if (typeof params?.name === 'string' && params.name.startsWith('tool_')) {
        return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `${params.name}: ${String(args.query ?? '')}` }] } };
      }
      return { jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${String(params?.name)}` } };
    }
    default:
      return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } };
  }
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (chunk.indexOf('\n') === -1) {
    // Appending without splitting keeps a multi-megabyte request linear.
    pending += chunk;
    return;
  }
  const lines = (pending + chunk).split('\n');
  pending = lines.pop() ?? '';
  // Answers to one chunk leave in one write: one syscall instead of one per message.
  let out = '';
  for (const line of lines) {
    if (line.trim() === '') continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      out += '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}\n';
      continue;
    }
    const reply = respond(message);
    if (reply !== undefined) out += JSON.stringify(reply) + '\n';
  }
  if (out !== '') process.stdout.write(out);
});
process.stdin.on('end', () => process.exit(0));
