// An untrusted workspace's settings file is read by the extension to say that its values are
// ignored: what an attacker would put there must not hang or exhaust the extension host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MAX_SETTINGS_FILE_BYTES, readSettingsFile } from '../../src/extension/settings-file';

describe('reading a workspace settings file (untrusted)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatekit-settings-file-'));

  it('reads the top-level object of a JSONC file, comments and trailing commas included', () => {
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, '// a comment\n{ "gatekit.plugins": { "security": { "_global": [] } }, }\n');
    assert.deepEqual(readSettingsFile(file), { 'gatekit.plugins': { security: { _global: [] } } });
  });

  it('returns {} for a link to an endless device, a FIFO, an oversized file, a non-object and a missing file', function () {
    if (process.platform === 'win32') this.skip();
    const endless = path.join(dir, 'endless.json');
    symlinkSync('/dev/zero', endless);
    assert.deepEqual(readSettingsFile(endless), {});
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual(readSettingsFile(fifo), {});
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, `{"gatekit.upstreams": "${'x'.repeat(MAX_SETTINGS_FILE_BYTES)}"}`);
    assert.deepEqual(readSettingsFile(huge), {});
    const list = path.join(dir, 'list.json');
    writeFileSync(list, '[{"gatekit.plugins": {}}]');
    assert.deepEqual(readSettingsFile(list), {});
    assert.deepEqual(readSettingsFile(path.join(dir, 'missing.json')), {});
  });
});
