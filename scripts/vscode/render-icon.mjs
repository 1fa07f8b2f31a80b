// Renders media/icon.svg to media/icon.png (256×256, the Marketplace icon) with the Chromium the VS
// Code tests use (Debian's, driven by playwright-core): no image tool needed.
// Usage: node scripts/vscode/render-icon.mjs   (CHROMIUM=/path/to/chromium to choose the browser)
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const svg = readFileSync('media/icon.svg', 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 256, height: 256 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: 'media/icon.png', omitBackground: true });
  console.log('media/icon.png written');
} finally {
  await browser.close();
}
