// What each bundle pulls in, read from esbuild's metafile: the extension bundles no gateway module,
// and the gateway (plain Node) no 'vscode'. An import that drags one side's code into the other shows
// up here with its chain, before it shows up as bytes in the .vsix.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.join(__dirname, '..', '..');

async function inputsOf(entry: string, external: string[]): Promise<esbuild.Metafile> {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external,
    write: false,
    metafile: true,
    outfile: path.join(root, 'out', 'bundle-check.js'),
    define: { GATEKIT_VERSION: '"0.0.0"' },
    logLevel: 'silent',
  });
  return result.metafile;
}

/** The import chain from `entry` to `target`, for the failure message. */
function chainTo(metafile: esbuild.Metafile, entry: string, target: string): string {
  const parent = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const { path: imported } of metafile.inputs[file]?.imports ?? []) {
      if (imported === entry || parent.has(imported)) continue;
      parent.set(imported, file);
      queue.push(imported);
    }
  }
  const chain = [target];
  for (let at = parent.get(target); at !== undefined; at = parent.get(at)) chain.unshift(at);
  return chain.join(' -> ');
}

describe('bundle contents', function () {
  this.timeout(60_000);

  it('the extension bundles no module of the gateway process', async () => {
    const entry = 'src/extension/main.ts';
    const metafile = await inputsOf(entry, ['vscode']);
    const gatewayModules = Object.keys(metafile.inputs).filter((file) => file.startsWith('src/gateway/'));
    assert.deepEqual(gatewayModules.map((file) => chainTo(metafile, entry, file)), []);
  });

  it('the gateway bundles nothing that needs VS Code', async () => {
    const entry = 'src/gateway/main.ts';
    const metafile = await inputsOf(entry, []);
    const extensionModules = Object.keys(metafile.inputs).filter((file) => file.startsWith('src/extension/'));
    assert.deepEqual(extensionModules.map((file) => chainTo(metafile, entry, file)), []);
  });
});
