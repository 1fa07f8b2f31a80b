// Finding the extension host's control server: discovery folders and records, best match first.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoveryDirectories, findControlServers } from '../../../src/gateway/control/discovery';
import { CONTROL_PROTOCOL_VERSION } from '../../../src/shared/protocol';

describe('control server discovery', () => {
  let temp: string;
  beforeEach(() => (temp = mkdtempSync(path.join(os.tmpdir(), 'gatekit-discovery-test-'))));
  afterEach(() => rmSync(temp, { recursive: true, force: true }));

  function record(name: string, fields: Record<string, unknown>): void {
    writeFileSync(path.join(temp, name), JSON.stringify({ protocolVersion: CONTROL_PROTOCOL_VERSION, pid: process.pid, socket: `/s/${name}`, token: 't', workspaceFolders: [], startedAt: 1, ...fields }));
  }

  it('prefers the window whose workspace contains the working folder, then the newest', () => {
    record('a.json', { startedAt: 30, workspaceFolders: ['/elsewhere'] });
    record('b.json', { startedAt: 10, workspaceFolders: ['/work'] });
    record('c.json', { startedAt: 20, workspaceFolders: ['/work/project'] });
    record('d.json', { startedAt: 40, workspaceFolders: [] });
    const found = findControlServers([temp], '/work/project/src');
    assert.deepEqual(found.map((r) => r.socket), ['/s/c.json', '/s/b.json', '/s/d.json', '/s/a.json']);
  });

  it('skips records of dead processes, other protocol versions and garbage', () => {
    record('alive.json', {});
    record('dead.json', { pid: 2 ** 22 + 12345 });
    record('old.json', { protocolVersion: CONTROL_PROTOCOL_VERSION + 1 });
    writeFileSync(path.join(temp, 'broken.json'), '{');
    writeFileSync(path.join(temp, 'notes.txt'), 'x');
    assert.deepEqual(findControlServers([temp, path.join(temp, 'missing')], '/').map((r) => r.socket), ['/s/alive.json']);
  });

  it('looks in GATEKIT_CONTROL_DIR first, then in every editor profile of the platform', () => {
    const linux = discoveryDirectories({ GATEKIT_CONTROL_DIR: '/explicit', XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u');
    assert.equal(linux[0], '/explicit');
    assert.ok(linux.includes(path.join('/cfg', 'Code', 'User', 'globalStorage', 'gatekit.gatekit-vscode', 'control')));
    assert.ok(linux.includes(path.join('/home/u', '.local', 'share', 'code-server', 'User', 'globalStorage', 'gatekit.gatekit-vscode', 'control')));
    const mac = discoveryDirectories({}, 'darwin', '/Users/u');
    assert.ok(mac.includes(path.join('/Users/u', 'Library', 'Application Support', 'Code', 'User', 'globalStorage', 'gatekit.gatekit-vscode', 'control')));
    const windows = discoveryDirectories({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u');
    assert.ok(windows.some((d) => d.startsWith(path.join('C:\\Users\\u\\AppData\\Roaming', 'Code'))));
  });
});
