// Screenshots of a running app, for the template's README (run by screenshots.py from inside a
// baked project, so playwright-core resolves from that project's node_modules).
//   node screenshots.mjs <origin> <out-dir> <chromium-path>
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [origin, outDir, executablePath] = process.argv.slice(2);
const PAGES = { list: '/', post: '/posts/2' };
const SHOTS = [
  { name: 'light', colorScheme: 'light', viewport: { width: 1280, height: 800 } },
  { name: 'dark', colorScheme: 'dark', viewport: { width: 1280, height: 800 } },
  { name: 'phone', colorScheme: 'light', viewport: { width: 390, height: 844 } },
];

mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--font-render-hinting=none'],
});
try {
  for (const shot of SHOTS) {
    const context = await browser.newContext({ viewport: shot.viewport, colorScheme: shot.colorScheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    for (const [pageName, path] of Object.entries(PAGES)) {
      await page.goto(origin + path);
      await page.waitForSelector('[data-hydrated="true"]');
      const file = join(outDir, `${pageName}-${shot.name}.png`);
      await page.screenshot({ path: file });
      console.log(file);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
