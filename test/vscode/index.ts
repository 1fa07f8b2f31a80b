// Test runner the VS Code extension host loads as extensionTestsPath: runs every *.test.js module
// bundled next to it with mocha, and rejects when a test fails (the host turns that into exit code 1).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/** Entry point called by VS Code's test support once the extension under development is loaded. */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  if (process.env.MOCHA_GREP) mocha.grep(process.env.MOCHA_GREP);
  // *.restricted.test.js need a workbench with workspace trust on and the folder untrusted, which
  // scripts/test-vscode.sh opens separately (GATEKIT_TEST_SUITE=restricted); the others need trust off.
  const restricted = process.env.GATEKIT_TEST_SUITE === 'restricted';
  for (const name of readdirSync(__dirname).sort()) {
    if (name.endsWith('.test.js') && name.endsWith('.restricted.test.js') === restricted) mocha.addFile(join(__dirname, name));
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} test(s) failed`);
}
