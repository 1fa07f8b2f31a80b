// `npm pack` / `npm publish` of gatekit-gateway: builds the repository's bundles and copies the
// gateway's (the loader, its core and its lazily loaded chunks; no source maps) into this folder.
// Everything is bundled, so the package has no dependencies at all.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const own = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
const repository = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
// The gateway reports the repository's version (--version, serverInfo): the two must not drift.
if (own.version !== repository.version) {
  throw new Error(`packages/gateway/package.json version ${own.version} differs from the repository's ${repository.version}`);
}

execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });

const target = path.join(here, 'dist');
rmSync(target, { recursive: true, force: true });
mkdirSync(target);
for (const file of readdirSync(path.join(root, 'dist'))) {
  if (file === 'gateway.js' || /^gateway-[\w-]+\.js$/.test(file)) copyFileSync(path.join(root, 'dist', file), path.join(target, file));
}
chmodSync(path.join(target, 'gateway.js'), 0o755);
