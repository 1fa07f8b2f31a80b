// Drives code-server's workbench in headless Chromium to run one extension test module, and turns the
// workbench's automation exit code into this process's exit code (see scripts/test-vscode.sh).
//
// Environment: CS_URL, EXT_DIR, TESTS_PATH, WORKSPACE, CHROMIUM, TIMEOUT_MS, RUN_DIR, VERBOSE,
// SCREENSHOT (screenshot mode: the test module prints SCREENSHOT_READY when the views hold live
// traffic, waits for SCREENSHOT_TAKEN_FILE, then finishes).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { format } from 'node:util';

const env = process.env;
const SCREENSHOT_READY = '[gatekit-screenshot] ready';
// Printed by test/vscode/trust.restricted.test.ts after opening the Workspace Trust editor: no
// extension API grants trust, so the driver clicks "Trust" as a user would.
const GRANT_TRUST = '[gatekit-trust] grant';
const screenshotTakenFile = join(env.RUN_DIR ?? tmpdir(), 'screenshot-taken');
// `[gatekit-screenshot] shot NAME`: photograph the workbench as it is to <dir of SCREENSHOT>/NAME.png,
// then write RUN_DIR/screenshot-taken-NAME (the module waits for it before changing the scene).
const SCREENSHOT_SHOT = /\[gatekit-screenshot\] shot ([\w-]+)/;
// Workbench chatter that says nothing about our tests (offline marketplace, GitHub auth, ...).
const NOISE =
  /AgentHost|ChatModelSelection|AccountPolicyGate|open-vsx\.org|github' to register|api\.github\.com|ENOTFOUND|^Canceled|Creating a socket|connection token|grace time|Service Worker|builtin extensions cache|Ignoring the error while validating workspace folder/;

const authority = new URL(env.CS_URL).host;
const payload = [
  ['extensionDevelopmentPath', `vscode-remote://${authority}${env.EXT_DIR}`],
  ['extensionTestsPath', `vscode-remote://${authority}${env.TESTS_PATH}`],
];
const url = `${env.CS_URL}/?folder=${encodeURIComponent(env.WORKSPACE)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

process.on('unhandledRejection', (error) => {
  console.error('[drive] set-up error:', error);
  process.exit(3);
});

const started = Date.now();
const browserProfile = mkdtempSync(join(tmpdir(), 'gatekit-chromium-'));
const context = await chromium.launchPersistentContext(browserProfile, {
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());

let finished = false;
async function finish(code, why) {
  if (finished) return;
  finished = true;
  console.log(`[drive] ${why}: exit code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await context.close().catch(() => undefined);
  rmSync(browserProfile, { recursive: true, force: true });
  process.exit(code);
}

async function takeScreenshot() {
  try {
    const item = page.locator('.activitybar .action-item a[aria-label^="Gatekit"]').first();
    await item.waitFor({ timeout: 30_000 });
    // The container may already be open (clicking would close it).
    if (!(await page.locator('.sidebar .pane-header[aria-label*="Traffic"]').count())) await item.click();
    await page.waitForSelector('.sidebar .monaco-list-row:has-text("tools/call")', { timeout: 30_000 });
    // Widen the side bar (drag the sash at its right edge) so each exchange's decision is readable.
    const edge = await page.evaluate(() => {
      const sidebar = document.querySelector('.part.sidebar')?.getBoundingClientRect();
      if (!sidebar) return undefined;
      const sashes = [...document.querySelectorAll('.monaco-sash.vertical')].map((s) => s.getBoundingClientRect());
      const sash = sashes.filter((r) => r.height > sidebar.height / 2).sort((a, b) => Math.abs(a.x - sidebar.right) - Math.abs(b.x - sidebar.right))[0];
      return sash ? { x: sash.x + sash.width / 2, y: sash.y + sash.height / 2 } : undefined;
    });
    if (edge) {
      await page.mouse.move(edge.x, edge.y);
      await page.mouse.down();
      await page.mouse.move(edge.x + 320, edge.y, { steps: 10 });
      await page.mouse.up();
      await page.mouse.move(edge.x + 600, edge.y); // no hover highlight on the sash
    }
    // Let the tree finish its expand animation so the picture is stable.
    await page.waitForFunction(() => document.querySelectorAll('.sidebar .monaco-list-row').length >= 4, null, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: env.SCREENSHOT });
    console.log(`[drive] screenshot saved: ${env.SCREENSHOT}`);
  } catch (error) {
    console.log(`[drive] screenshot failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    writeFileSync(screenshotTakenFile, 'done');
  }
}

async function takeNamedShot(name) {
  const file = join(dirname(env.SCREENSHOT), `${name}.png`);
  try {
    // Let notifications slide in and editors render.
    await page.waitForTimeout(1200);
    await page.screenshot({ path: file });
    console.log(`[drive] screenshot saved: ${file}`);
  } catch (error) {
    console.log(`[drive] screenshot ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    writeFileSync(`${screenshotTakenFile}-${name}`, 'done');
  }
}

async function grantTrust() {
  try {
    // The grant button's text is its label and its key binding ("Trust", "Ctrl+Enter"); not "Don't Trust".
    await page.locator('.workspace-trust-buttons .monaco-button', { hasText: /^\s*Trust/ }).first().click({ timeout: 30_000 });
    console.log('[drive] clicked "Trust" in the Workspace Trust editor');
  } catch (error) {
    console.log(`[drive] could not grant workspace trust: ${error instanceof Error ? error.message : String(error)}`);
  }
}

if (env.VERBOSE) page.on('console', (m) => console.log(`[browser:${m.type()}] ${m.text()}`));
page.on('pageerror', (e) => console.log('[browser:pageerror]', e.message));
// Extension host console output (the mocha reporter) arrives here.
await page.exposeFunction('codeAutomationLog', (type, args) => {
  const text = format(...(args ?? []));
  if (env.SCREENSHOT && text.includes(SCREENSHOT_READY)) void takeScreenshot();
  const shot = env.SCREENSHOT ? SCREENSHOT_SHOT.exec(text) : null;
  if (shot) void takeNamedShot(shot[1]);
  if (text.includes(GRANT_TRUST)) void grantTrust();
  if (!env.VERBOSE && NOISE.test(text.split('\n')[0])) return;
  const shown = env.VERBOSE ? text : text.split('\n').filter((l) => !/^\s+at /.test(l)).join('\n');
  console.log(type === 'error' || type === 'warn' ? `[${type}] ${shown}` : shown);
});
// Called by the workbench once the extension host ran extensionTestsPath and exited.
await page.exposeFunction('codeAutomationExit', (code) => finish(code, 'extension host finished'));
setTimeout(() => void finish(124, 'TIMEOUT'), Number(env.TIMEOUT_MS || 300_000)).unref();
console.log(`[drive] opening the workbench (${env.TESTS_PATH})`);
await page.goto(url);
