// `gatekit-gateway setup` in a temporary home holding every client's config file (some hostile):
// it finds the servers, writes a gatekit.yaml that validates and runs, points each client at the
// gateway with a backup, is idempotent, and `--restore` gives back every file byte for byte.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { GATEWAY, realServer } from './harness';
import { clientLocations } from '../../src/gateway/setup/clients';
import { parseCodexServers, rewriteCodexServers } from '../../src/gateway/setup/codex-toml';

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function setup(home: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: '' };
  const result = spawnSync(process.execPath, [GATEWAY, 'setup', ...args], { encoding: 'utf8', env, input: '', timeout: 30000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const [EVERYTHING_NODE, EVERYTHING_SCRIPT] = realServer('everything') as [string, string];

describe('process: gatekit-gateway setup', function () {
  this.timeout(60000);
  const home = mkdtempSync(path.join(tmpdir(), 'gatekit-home-'));
  const files = {
    desktop: path.join(home, '.config', 'Claude', 'claude_desktop_config.json'),
    code: path.join(home, '.claude.json'),
    cursor: path.join(home, '.cursor', 'mcp.json'),
    windsurf: path.join(home, '.codeium', 'windsurf', 'mcp_config.json'),
    codex: path.join(home, '.codex', 'config.toml'),
  };
  const originals: Record<string, string> = {};

  before(() => {
    // Claude Desktop: a real server, a hostile name, a non-string command, a remote server.
    write(files.desktop, JSON.stringify({
      mcpServers: {
        everything: { command: EVERYTHING_NODE, args: [EVERYTHING_SCRIPT] },
        PROTO_KEY: { command: EVERYTHING_NODE, args: [EVERYTHING_SCRIPT], env: { MODE: 'x' } },
        broken: { command: 42 },
        remote: { url: 'https://example.com/mcp' },
      },
      globalShortcut: 'Ctrl+Space',
    }, null, 2).replace('"PROTO_KEY"', '"__proto__"'));
    // Claude Code: the same server as Claude Desktop (merged), and unrelated state to keep.
    write(files.code, JSON.stringify({ numStartups: 3, projects: { '/x': { allowedTools: [] } }, mcpServers: { everything: { type: 'stdio', command: EVERYTHING_NODE, args: [EVERYTHING_SCRIPT] } } }));
    // Cursor: a link to a file elsewhere is never followed.
    const elsewhere = path.join(home, 'elsewhere.json');
    write(elsewhere, JSON.stringify({ mcpServers: { linked: { command: 'node' } } }));
    mkdirSync(path.dirname(files.cursor), { recursive: true });
    symlinkSync(elsewhere, files.cursor);
    // Windsurf: a file too large to be a config (sparse: no disk used).
    mkdirSync(path.dirname(files.windsurf), { recursive: true });
    const fd = openSync(files.windsurf, 'w');
    ftruncateSync(fd, 25 * 1024 * 1024);
    closeSync(fd);
    // Codex: TOML with other settings, a server with an env sub-table, one with a quoted name.
    write(files.codex, [
      'model = "o3"  # keep me', '',
      '[mcp_servers.docs]', `command = ${JSON.stringify(EVERYTHING_NODE)}`, `args = [`, `  ${JSON.stringify(EVERYTHING_SCRIPT)}, # the script`, ']', '',
      '[mcp_servers.docs.env]', 'API_KEY = "k\\u0041y"', '',
      '[mcp_servers."Odd Name"]', "command = 'node'", 'args = ["-e", "1"]', 'env = { A = "1" }', '',
      '[profiles.fast]', 'model = "o4-mini"', '',
    ].join('\n'));
    for (const [key, file] of Object.entries(files)) if (key !== 'cursor' && key !== 'windsurf') originals[key] = readFileSync(file, 'utf8');
  });

  it('finds each client\'s file by platform (HOME, APPDATA, XDG_CONFIG_HOME, CODEX_HOME)', () => {
    const mac = clientLocations({ HOME: '/Users/u' }, 'darwin').map((l) => l.file);
    assert.ok(mac.includes('/Users/u/Library/Application Support/Claude/claude_desktop_config.json'));
    const win = clientLocations({ USERPROFILE: 'C:\\Users\\u', APPDATA: 'D:\\Roam' }, 'win32').map((l) => l.file);
    assert.deepEqual(win, ['D:\\Roam\\Claude\\claude_desktop_config.json', 'C:\\Users\\u\\.claude.json', 'C:\\Users\\u\\.cursor\\mcp.json', 'C:\\Users\\u\\.codeium\\windsurf\\mcp_config.json', 'C:\\Users\\u\\.codex\\config.toml']);
    const linux = clientLocations({ HOME: '/h', XDG_CONFIG_HOME: '/cfg', CODEX_HOME: '/cx' }, 'linux').map((l) => l.file);
    assert.deepEqual([linux[0], linux[4]], ['/cfg/Claude/claude_desktop_config.json', '/cx/config.toml']);
  });

  it('--dry-run lists what it found and what it would do, changing nothing; without --yes nothing changes', () => {
    const dry = setup(home, ['--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Claude Desktop .*:\n {2}"everything": /);
    assert.match(dry.stdout, /skipped "broken": command is not a string/);
    assert.match(dry.stdout, /skipped "remote": a remote \(URL\) server/);
    assert.match(dry.stdout, /Cursor .*\n {2}not used: it is a symbolic link/);
    assert.match(dry.stdout, /Windsurf .*\n {2}not used: it is larger than 20 MB/);
    assert.match(dry.stdout, /"Odd Name"/);
    const asked = setup(home, []);
    assert.equal(asked.code, 2);
    assert.match(asked.stderr, /pass --yes/);
    for (const [key, text] of Object.entries(originals)) assert.equal(readFileSync(files[key as keyof typeof files], 'utf8'), text, key);
    assert.ok(!existsSync(path.join(home, '.gatekit', 'gatekit.yaml')));
  });

  it('--yes writes a gatekit.yaml that validates and serves, and points each client at the gateway', async () => {
    const applied = setup(home, ['--yes']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const configFile = path.join(home, '.gatekit', 'gatekit.yaml');
    const valid = spawnSync(process.execPath, [GATEWAY, '--validate-only', '-c', configFile], { encoding: 'utf8' });
    assert.equal(valid.status, 0, valid.stderr);
    const yaml = readFileSync(configFile, 'utf8');
    for (const name of ['name: everything', 'name: proto', 'name: docs', 'name: odd-name', 'handler: basic_secrets_filter', 'handler: tool_pinning']) assert.ok(yaml.includes(name), name);
    assert.ok(!yaml.includes('everything-2'), 'the server both Claudes declare is one upstream');

    const desktop = JSON.parse(readFileSync(files.desktop, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }>; globalShortcut: string };
    assert.deepEqual(Object.keys(desktop.mcpServers).sort(), ['broken', 'gatekit', 'remote']);
    assert.deepEqual(desktop.mcpServers.gatekit, { command: 'npx', args: ['-y', 'gatekit-gateway', '--config', configFile] });
    assert.equal(desktop.globalShortcut, 'Ctrl+Space');
    const code = JSON.parse(readFileSync(files.code, 'utf8')) as Record<string, unknown>;
    assert.equal(code.numStartups, 3);
    assert.deepEqual(Object.keys(code.mcpServers as object), ['gatekit']);
    const codex = readFileSync(files.codex, 'utf8');
    assert.ok(codex.startsWith('model = "o3"  # keep me'));
    assert.ok(codex.includes('[profiles.fast]\nmodel = "o4-mini"'));
    assert.ok(!codex.includes('[mcp_servers.docs'));
    assert.deepEqual(parseCodexServers(codex), [['gatekit', { command: 'npx', args: ['-y', 'gatekit-gateway', '--config', configFile] }]]);
    assert.equal(readFileSync(`${files.desktop}.gatekit-backup`, 'utf8'), originals.desktop);

    // Start it as Claude Desktop now would (the built gateway standing in for `npx -y gatekit-gateway`).
    const args = desktop.mcpServers.gatekit.args.slice(2);
    const client = new Client({ name: 'claude-desktop-stand-in', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [GATEWAY, ...args], stderr: 'pipe', env: { PATH: process.env.PATH ?? '', HOME: home } }));
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      assert.ok(names.includes('everything__echo') && names.includes('proto__echo'), names.join(','));
    } finally {
      await client.close();
    }
  });

  it('a second run finds nothing new and keeps the first backups; --restore gives every file back', () => {
    const again = setup(home, ['--yes']);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /already runs the Gatekit gateway/);
    assert.equal(readFileSync(`${files.codex}.gatekit-backup`, 'utf8'), originals.codex);
    const restored = setup(home, ['--restore']);
    assert.equal(restored.code, 0, restored.stderr);
    for (const [key, text] of Object.entries(originals)) {
      assert.equal(readFileSync(files[key as keyof typeof files], 'utf8'), text, key);
      assert.ok(!existsSync(`${files[key as keyof typeof files]}.gatekit-backup`));
    }
  });
});

describe('setup: Codex TOML, only the mcp_servers tables', () => {
  it('reads strings, escapes, literal strings, multi-line arrays, inline and sub-table env; ignores the rest', () => {
    const text = 'x = 1\n[mcp_servers.a]\ncommand = "n\\"x"\nargs = [\n "1",\n \'2\'\n]\n[mcp_servers.a.env]\nK = "v"\n[mcp_servers.__proto__]\ncommand = "p"\n[other]\ncommand = "no"\n';
    const servers = parseCodexServers(text);
    assert.deepEqual(servers.map(([name]) => name), ['a', '__proto__']);
    assert.deepEqual(servers[0]![1], { command: 'n"x', args: ['1', '2'], env: { K: 'v' } });
    assert.equal(({} as Record<string, unknown>).command, undefined, 'no prototype pollution');
  });

  it('survives hostile text: unterminated strings, garbage headers, huge input', () => {
    assert.deepEqual(parseCodexServers('[mcp_servers.a]\ncommand = "open\nargs = [1, 2\n[[[x\n'), [['a', {}]]);
    const huge = `[mcp_servers.a]\nargs = [${'"x",'.repeat(200000)}]\n`;
    assert.equal((parseCodexServers(huge)[0]![1] as { args: string[] }).args.length, 200000);
  });

  it('rewrites by removing whole tables and appending the gateway entry', () => {
    const out = rewriteCodexServers('# top\n[mcp_servers.a]\ncommand = "a"\n[mcp_servers.a.env]\nK = "v"\n[keep]\nz = 1\n', new Set(['a']), { name: 'gatekit', command: 'npx', args: ['-y', 'gatekit-gateway', '--config', 'C:\\x "y".yaml'] });
    assert.equal(out, '# top\n[keep]\nz = 1\n\n[mcp_servers.gatekit]\ncommand = "npx"\nargs = ["-y", "gatekit-gateway", "--config", "C:\\\\x \\"y\\".yaml"]\n');
    assert.deepEqual(parseCodexServers(out)[0]![1], { command: 'npx', args: ['-y', 'gatekit-gateway', '--config', 'C:\\x "y".yaml'] });
  });
});
