// Files a configuration makes Gatekit write (audit logs, the pin lockfile, its own log) may only lie
// under folders the user chose: the config file's folder, or extra roots given by the extension or
// GATEKIT_WRITABLE_ROOTS. `..`, linked folders, a link at the file and files others can write are
// validation errors that name the setting. Real files in a temporary folder, the built-in plugins.
import * as assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../src/config/errors';
import { loadConfigFile, validateConfigObject } from '../../../src/config/loader';

function auditing(outputFile: string, handler = 'audit_jsonl'): Record<string, unknown> {
  return {
    proxy: { transport: 'stdio', upstreams: [{ name: 'echo', command: ['node', 'echo.js'] }] },
    plugins: { auditing: { _global: [{ handler, config: { output_file: outputFile } }] } },
  };
}

function issuesOf(run: () => unknown): { path: string; message: string; fixInstructions: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('config: where plugins may write files', () => {
  let root: string;
  let home: string;
  let configDir: string;
  let outside: string;
  let env: Record<string, string>;

  beforeEach(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'gatekit-write-paths-')));
    home = path.join(root, 'home');
    configDir = path.join(root, 'project');
    outside = path.join(root, 'elsewhere');
    for (const dir of [home, configDir, outside]) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(home, '.bashrc'), '# shell start-up\n');
    env = { HOME: home };
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const validate = (value: unknown, writableRoots?: string[]) =>
    validateConfigObject(value, { configDir, env, ...(writableRoots ? { writableRoots } : {}) });

  it('keeps relative paths beside the config valid (logs/audit.jsonl, the default files)', () => {
    validate(auditing('logs/audit.jsonl'));
    validate(auditing('./audit.csv', 'audit_csv'));
    const defaults = { ...auditing('x'), plugins: { auditing: { _global: [{ handler: 'audit_human_readable' }] }, security: { _global: [{ handler: 'tool_pinning' }] } } };
    validate(defaults);
  });

  it("refuses an audit file in the user's home (~/.bashrc) and names the setting", () => {
    const [issue, ...rest] = issuesOf(() => validate(auditing('~/.bashrc')));
    assert.equal(rest.length, 0);
    assert.equal(issue!.path, 'plugins.auditing._global[0].config.output_file');
    assert.match(issue!.message, /'~\/\.bashrc' cannot be written: .*\.bashrc is outside the folders Gatekit may write to/);
    assert.ok(issue!.message.includes(configDir), issue!.message);
    assert.match(issue!.fixInstructions, /GATEKIT_WRITABLE_ROOTS/);
  });

  it('refuses absolute paths and ${VAR} paths outside the roots, for every audit format', () => {
    for (const handler of ['audit_jsonl', 'audit_csv', 'audit_human_readable']) {
      const [issue] = issuesOf(() => validate(auditing(path.join(outside, 'a.log'), handler)));
      assert.equal(issue!.path, 'plugins.auditing._global[0].config.output_file', handler);
    }
    const [issue] = issuesOf(() => validate(auditing('${HOME}/audit.jsonl')));
    assert.match(issue!.message, /outside the folders/);
  });

  it('refuses .. segments that lead out of the config folder', () => {
    const [issue] = issuesOf(() => validate(auditing('logs/../../elsewhere/audit.jsonl')));
    assert.match(issue!.message, /outside the folders/);
    validate(auditing('logs/../audit.jsonl'));
  });

  it('follows a linked folder to where it really leads', () => {
    symlinkSync(outside, path.join(configDir, 'logs'));
    const [issue] = issuesOf(() => validate(auditing('logs/audit.jsonl')));
    assert.match(issue!.message, /really .*elsewhere.*outside the folders/);
    // A link inside the config folder that stays inside is fine.
    mkdirSync(path.join(configDir, 'real'));
    symlinkSync(path.join(configDir, 'real'), path.join(configDir, 'inside'));
    validate(auditing('inside/audit.jsonl'));
  });

  it('refuses a symbolic link at the file itself, even one pointing inside', () => {
    writeFileSync(path.join(configDir, 'real.jsonl'), '');
    symlinkSync(path.join(configDir, 'real.jsonl'), path.join(configDir, 'audit.jsonl'));
    const [issue] = issuesOf(() => validate(auditing('audit.jsonl')));
    assert.match(issue!.message, /symbolic link/);
  });

  it('refuses an existing file that other users can write, and a folder where a file should be', () => {
    const file = path.join(configDir, 'audit.jsonl');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    const [issue] = issuesOf(() => validate(auditing('audit.jsonl')));
    assert.match(issue!.message, /other users can write to it \(mode 0666\)/);
    chmodSync(file, 0o600);
    validate(auditing('audit.jsonl'));
    mkdirSync(path.join(configDir, 'dir.jsonl'));
    assert.match(issuesOf(() => validate(auditing('dir.jsonl')))[0]!.message, /not a regular file/);
  });

  it('refuses a file that belongs to another user', function () {
    if (process.getuid?.() !== 0) this.skip(); // only root can give a file away
    const file = path.join(configDir, 'audit.jsonl');
    writeFileSync(file, '', { mode: 0o600 });
    chownSync(file, 1, 1);
    assert.match(issuesOf(() => validate(auditing('audit.jsonl')))[0]!.message, /belongs to another user/);
  });

  it('allows extra roots: folders, and single files (not their neighbours)', () => {
    validate(auditing(path.join(outside, 'sub', 'audit.jsonl')), [outside]);
    const chosen = path.join(home, 'gatekit-audit.jsonl');
    validate(auditing(chosen), [chosen]);
    assert.match(issuesOf(() => validate(auditing('~/.bashrc'), [chosen]))[0]!.message, /outside the folders/);
    // Relative roots mean nothing and are ignored.
    assert.match(issuesOf(() => validate(auditing('~/.bashrc'), ['.', '..']))[0]!.message, /outside the folders/);
  });

  it('takes extra roots from GATEKIT_WRITABLE_ROOTS when none are given', () => {
    env = { HOME: home, GATEKIT_WRITABLE_ROOTS: ['relative', outside].join(path.delimiter) };
    validate(auditing(path.join(outside, 'audit.jsonl')));
    assert.match(issuesOf(() => validate(auditing('~/.bashrc')))[0]!.message, /outside the folders/);
  });

  it('checks the tool-pinning lockfile and the gateway log file the same way', () => {
    const pinning = { ...auditing('x'), plugins: { security: { _global: [{ handler: 'tool_pinning', config: { lockfile: '~/.bashrc' } }] } } };
    assert.equal(issuesOf(() => validate(pinning))[0]!.path, 'plugins.security._global[0].config.lockfile');
    const logging = { ...auditing('x'), plugins: {}, logging: { handlers: ['file'], file_path: '~/.profile' } };
    assert.equal(issuesOf(() => validate(logging))[0]!.path, 'logging.file_path');
    validate({ ...logging, logging: { handlers: ['file'], file_path: 'logs/gatekit.log' } });
  });

  it('resolves relative paths of a config file against its own folder and reports the line', () => {
    const file = path.join(configDir, 'gatekit.yaml');
    writeFileSync(
      file,
      'proxy:\n  transport: stdio\n  upstreams:\n    - name: echo\n      command: [node, echo.js]\nplugins:\n  auditing:\n    _global:\n      - handler: audit_jsonl\n        config:\n          output_file: ../home/.bashrc\n',
    );
    const [issue] = issuesOf(() => loadConfigFile(file, { env }));
    assert.equal(issue!.path, 'plugins.auditing._global[0].config.output_file');
    assert.ok((issue as { line?: number }).line === 11, JSON.stringify(issue));
    writeFileSync(file, 'proxy:\n  transport: stdio\n  upstreams:\n    - name: echo\n      command: [node, echo.js]\nplugins:\n  auditing:\n    _global:\n      - handler: audit_jsonl\n        config:\n          output_file: logs/audit.jsonl\n');
    loadConfigFile(file, { env });
  });
});
