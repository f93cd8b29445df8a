// Loads a page of the built app whose hashed assets come from another origin (ASSET_BASE_URL),
// in headless Chromium (tests/test_cdn.py runs it). Prints one `ok - ...` line per check; exits 1
// on the first failure. Usage: node cdn.mjs <page URL> <asset origin> <project web dir>.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [pageUrl, assetOrigin, web] = process.argv.slice(2);
const { chromium } = createRequire(join(web, 'package.json'))('playwright-core');

function check(condition, message) {
  if (!condition) {
    console.log(`not ok - ${message}`);
    process.exit(1);
  }
  console.log(`ok - ${message}`);
}

const profile = mkdtempSync(join(tmpdir(), 'cdn-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  const assets = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/assets/')) assets.push(response);
  });

  await page.goto(pageUrl);
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
  check(true, 'the page hydrates with its script from the asset origin');
  check(
    assets.length >= 2 && assets.every((response) => new URL(response.url()).origin === assetOrigin),
    `every asset came from ${assetOrigin}: ${assets.map((response) => response.url()).join(', ')}`,
  );
  check(assets.every((response) => response.status() === 200), 'every asset answered 200');
  const styled = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  check(!/^"?Times/.test(styled), `the stylesheet applies (body font: ${styled})`);
  check(problems.length === 0, `no CSP, CORS or script errors${problems.length ? `: ${problems.join('; ')}` : ''}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
