// `npm run demo`: a scripted MCP session through the built gateway on demo/gatekit.yaml, printing
// what was routed and what the plugins did. Self-checking: exits non-zero if Gatekit misbehaves.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'gatekit-demo-'));
let failures = 0;

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
function step(title) {
  console.log(`\n${bold(title)}`);
}
function show(label, value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  console.log(`  ${label.padEnd(10)} ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`);
}
function expect(ok, what) {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'}       ${what}`);
  if (!ok) failures++;
}
const text = (result) => (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');
async function call(client, name, args) {
  try {
    return { result: await client.callTool({ name, arguments: args }) };
  } catch (error) {
    return { error };
  }
}

/** A port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The remote server of the demo: server-everything in its Streamable HTTP mode, on a free loopback port. */
async function startRemoteServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'), 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      if (/listening on port/i.test(seen)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the remote demo server exited (${code}): ${seen}`)));
  });
  return { port, child };
}

const remoteServer = await startRemoteServer();
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.join(root, 'dist', 'gateway.js'), '--config', path.join(root, 'demo', 'gatekit.yaml')],
  // The demo's audit log and lockfile go to a scratch folder outside demo/: allowed the way a user would.
  env: { ...process.env, GATEKIT_DEMO_DIR: work, GATEKIT_WRITABLE_ROOTS: work, GATEKIT_DEMO_REMOTE_PORT: String(remoteServer.port) },
  stderr: 'pipe',
});
const gatewayLog = [];
transport.stderr?.on('data', (chunk) => gatewayLog.push(chunk.toString()));
const client = new Client({ name: 'gatekit-demo', version: '1.0.0' }, { capabilities: {} });

try {
  step('1. Connect: one MCP server in front of four (everything, memory, crm local; remote over Streamable HTTP)');
  await client.connect(transport);
  show('server', client.getServerVersion());
  show('caps', Object.keys(client.getServerCapabilities() ?? {}).join(', '));

  step('2. tools/list: fanned out, merged, namespaced as server__tool, filtered by tool_manager');
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  show('tools', names.join(', '));
  expect(names.includes('everything__add_numbers') && !names.includes('everything__get-sum'), "everything's get-sum is shown renamed as add_numbers");
  expect(!names.includes('everything__get-env'), 'everything__get-env is hidden by the allowlist');

  step('3. tools/call routed by namespace');
  const sum = await call(client, 'everything__add_numbers', { a: 20, b: 22 });
  show('result', text(sum.result));
  expect(/42/.test(text(sum.result)), 'add_numbers reached get-sum on the everything server');
  const remoteEcho = await call(client, 'remote__echo', { message: 'hello over HTTP' });
  show('remote', text(remoteEcho.result) || remoteEcho.error?.message);
  expect(/hello over HTTP/.test(text(remoteEcho.result)), `remote__echo reached the remote server at http://127.0.0.1:${remoteServer.port}/mcp, through the same plugins`);

  step('4. A hidden tool is refused without reaching its server');
  const hidden = await call(client, 'everything__get-env', {});
  show('error', hidden.error?.message ?? 'none');
  expect(hidden.error?.code === -32601, 'refused with -32601 (hidden_by_policy)');

  step('5. A response carrying a secret and personal data is redacted on the way back');
  const record = await call(client, 'crm__lookup_customer', { id: 'acme' });
  show('result', text(record.result));
  expect(!/ghp_/.test(text(record.result)) && /\[SECRET REDACTED by Gatekit\]/.test(text(record.result)), 'the GitHub token was redacted');
  expect(!/jane\.roe@acme/.test(text(record.result)), 'the e-mail address was redacted');

  step('6. A request carrying personal data to the memory server is blocked');
  const blocked = await call(client, 'memory__create_entities', { entities: [{ name: 'Jane', entityType: 'person', observations: ['email: jane.roe@acme.example'] }] });
  show('error', blocked.error?.message ?? 'none');
  expect(blocked.error?.code === -32000, 'blocked with -32000 before reaching the memory server');
  const stored = await call(client, 'memory__read_graph', {});
  expect(!/jane\.roe/.test(text(stored.result)), 'the memory server never received it');

  step('7. A tool definition that changes behind the user is caught (tool pinning)');
  let changed = false;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void (changed = true));
  await call(client, 'crm__upgrade', {});
  for (let i = 0; i < 100 && !changed; i++) await new Promise((r) => setTimeout(r, 20));
  const after = (await client.listTools()).tools.map((t) => t.name);
  expect(!after.includes('crm__lookup_customer'), 'crm__lookup_customer is withheld until approved');
  const refused = await call(client, 'crm__lookup_customer', { id: 'globex' });
  show('error', refused.error?.message ?? 'none');
  expect(refused.error?.code === -32601 && refused.error?.data?.reason === 'pin_mismatch', 'its calls are refused (pin_mismatch)');
  show('approve', `gatekit-gateway pins approve crm__lookup_customer --config demo/gatekit.yaml`);

  step('8. Every exchange is in the audit log, with redacted content only');
  await client.close();
  const audit = readFileSync(path.join(work, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const outcomes = {};
  for (const r of audit) outcomes[r.pipeline_outcome] = (outcomes[r.pipeline_outcome] ?? 0) + 1;
  show('records', `${audit.length} (${Object.entries(outcomes).map(([k, v]) => `${k}: ${v}`).join(', ')})`);
  const raw = JSON.stringify(audit);
  expect(!raw.includes('ghp_') && !raw.includes('jane.roe@acme'), 'no secret or blocked personal data in the log');
} catch (error) {
  console.error('demo error:', error);
  console.error(gatewayLog.join(''));
  failures++;
} finally {
  await client.close().catch(() => undefined);
  remoteServer.child.kill();
  rmSync(work, { recursive: true, force: true });
}
console.log(failures ? `\n${failures} check(s) failed` : '\nAll demo checks passed.');
process.exit(failures ? 1 : 0);
