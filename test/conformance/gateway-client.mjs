#!/usr/bin/env node
// The client command of the official conformance suite's CLIENT scenarios, with the gateway as the
// client under test: `conformance client --command "node test/conformance/gateway-client.mjs"`
// starts a scenario's test server and appends its URL. We write a gatekit.yaml with that URL as one
// remote (http) upstream, start the built gateway (dist/gateway.js) over stdio, and drive it with the
// official SDK client as an assistant would: list the tools, call the ones the scenario serves. For
// the auth/* scenarios the gateway prints "sign in: open <url>" on stderr; this script plays the
// user's browser by opening that URL and following the authorization server's redirect to the
// gateway's loopback listener. Exit code 0 when everything the scenario asked for was done.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const GATEWAY = path.join(ROOT, 'dist', 'gateway.js');
/** The conformance suite's fixed client ID metadata document URL (auth/basic-cimd checks it is used). */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const SERVER = 'conformance';
/** Longest wait for the upstream's tools (sign-in included) before giving up. */
const UPSTREAM_DEADLINE_MS = 20000;

const serverUrl = process.argv[process.argv.length - 1];
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = parseContext(process.env.MCP_CONFORMANCE_CONTEXT);
const log = (line) => process.stderr.write(`[gateway-client] ${line}\n`);

function parseContext(raw) {
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

function gatewayConfig(home) {
  const oauth = { client_metadata_url: CIMD_URL, open_browser: false };
  if (typeof context.client_id === 'string') oauth.client_id = context.client_id;
  if (typeof context.client_secret === 'string') oauth.client_secret = context.client_secret;
  const upstream = { name: SERVER, transport: 'http', url: serverUrl, oauth };
  const file = path.join(home, 'gatekit.yaml');
  // JSON is YAML: no YAML writer needed here.
  writeFileSync(file, JSON.stringify({ proxy: { transport: 'stdio', upstreams: [upstream], timeouts: { connection_timeout: 20, request_timeout: 20 } } }, null, 2));
  return file;
}

/** What the user's browser does with the sign-in link: open it and follow redirects back to the gateway. */
async function playBrowser(url) {
  let next = url;
  for (let hop = 0; hop < 5; hop++) {
    const response = await fetch(next, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      log(`browser: ${new URL(next).origin}${new URL(next).pathname} answered ${response.status}`);
      return;
    }
    next = new URL(location, next).href;
  }
}

async function main() {
  const home = mkdtempSync(path.join(tmpdir(), 'gatekit-conformance-'));
  mkdirSync(path.join(home, 'config'), { mode: 0o700 });
  const configFile = gatewayConfig(home);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GATEWAY, '--config', configFile],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config') },
    stderr: 'pipe',
  });
  const opened = new Set();
  let pendingBrowser = Promise.resolve();
  let buffered = '';
  transport.stderr?.on('data', (chunk) => {
    process.stderr.write(chunk);
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      // Only the gateway's own sign-in line ("gatekit: [server] sign in: open URL"), not errors quoting it.
      const url = /\] sign in: open (\S+)$/.exec(line)?.[1];
      if (url && !opened.has(url)) {
        opened.add(url);
        pendingBrowser = pendingBrowser.then(() => playBrowser(url)).catch((err) => log(`browser failed: ${err.message}`));
      }
    }
  });

  const client = new Client({ name: 'gatekit-conformance', version: '1.0.0' }, { capabilities: { elicitation: { form: { applyDefaults: true } } } });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: {} }));
  let toolsChanged = () => undefined;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => toolsChanged());
  try {
    await client.connect(transport);
    const tools = await upstreamTools(client, (listener) => (toolsChanged = listener), () => opened.size > 0);
    log(`tools: ${tools.map((t) => t.name).join(', ') || '(none)'}`);
    for (const tool of tools) {
      const bare = tool.name.slice(`${SERVER}__`.length);
      // add_numbers wants numbers; json_schema_echo wants back the inputSchema of the focal tool as it
      // arrived through the gateway (the suite then checks that no JSON Schema 2020-12 keyword was lost).
      const focal = tools.find((t) => t.name === `${SERVER}__json_schema_2020_12_tool`);
      const args = bare === 'add_numbers' ? { a: 5, b: 3 } : bare === 'json_schema_echo' ? { schema: focal?.inputSchema ?? {} } : sampleArguments(tool.inputSchema);
      const result = await callAfterStepUp(client, tool.name, args).catch((err) => {
        // Some scenario servers list tools without serving tools/call (json-schema-ref-no-deref):
        // the server's -32601, passed through by the gateway, is their answer, not a failure of ours.
        if (err?.code === -32601) return { notServed: true };
        throw err;
      });
      log(`${bare}: ${result.notServed ? 'tools/call not served by the scenario' : result.isError ? 'error' : 'ok'}`);
    }
  } finally {
    await pendingBrowser;
    await client.close().catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Arguments an assistant would fill in for a tool's required primitive properties. Strings carry a
 * non-ASCII character, as user text does (http-custom-headers then sees them Base64-encoded in their
 * Mcp-Param-* headers).
 */
function sampleArguments(schema) {
  const args = {};
  const properties = schema?.properties ?? {};
  for (const name of Array.isArray(schema?.required) ? schema.required : []) {
    const type = properties[name]?.type;
    if (type === 'string') args[name] = `${name} ✓`;
    else if (type === 'integer') args[name] = 7;
    else if (type === 'number') args[name] = 1.5;
    else if (type === 'boolean') args[name] = true;
  }
  return args;
}

/**
 * Calls a tool; a call the server refuses for want of scope (step-up) fails with a new sign-in
 * link, which the stderr watcher opens: the call is made again once the server is back.
 */
async function callAfterStepUp(client, name, args) {
  const deadline = Date.now() + UPSTREAM_DEADLINE_MS;
  for (;;) {
    try {
      return await client.callTool({ name, arguments: args });
    } catch (err) {
      if (!/sign in: open |is (starting|restarting|stopped)/.test(String(err?.message)) || Date.now() > deadline) throw err;
      log(`${name}: ${String(err.message).slice(0, 80)}…; trying again after sign-in`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

/**
 * The upstream's tools once it is up: at once when it needed no sign-in, else after the sign-in
 * (the gateway announces them with tools/list_changed). Scenarios that refuse to authorize leave
 * the list empty; that is their expected outcome, reported by the exit code. Scenario servers that
 * offer no tools (initialize) give an empty list at once.
 */
async function upstreamTools(client, onChange, signInSeen) {
  const deadline = Date.now() + UPSTREAM_DEADLINE_MS;
  for (;;) {
    const { tools } = await client.listTools();
    const ours = tools.filter((t) => t.name.startsWith(`${SERVER}__`));
    // A server that needed no sign-in is up once the handshake is done: its list is what it is.
    if (ours.length > 0 || (!signInSeen() && !scenario.startsWith('auth/'))) return ours;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the upstream offered no tools within ${UPSTREAM_DEADLINE_MS / 1000} s (scenario ${scenario})`);
    // Woken by tools/list_changed, or after a short while in case the gateway does not send it.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(left, 500));
      onChange(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`failed: ${err?.message ?? err}`);
    process.exit(1);
  },
);
