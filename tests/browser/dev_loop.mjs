// Drives headless Chromium against a generated project's `dev` server while editing its files
// (tests/test_dev_loop.py runs it). Prints one `ok - ...` line per check; exits 1 on the first failure.
// Usage: node dev_loop.mjs <dev server origin> <project web dir>; CHROMIUM_PATH names the browser.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const [origin, web] = process.argv.slice(2);
const { chromium } = createRequire(join(web, 'package.json'))('playwright-core');
const WAIT_MS = 20_000;

const files = {
  component: join(web, 'src/app/components/PostList.svelte'),
  reducer: join(web, 'src/app/reducer.ts'),
  route: join(web, 'src/server/routes/pages.ts'),
  health: join(web, 'src/server/routes/health.ts'),
};
const original = Object.fromEntries(Object.entries(files).map(([name, path]) => [name, readFileSync(path, 'utf8')]));

/**
 * Save as many editors do, whole (a new file renamed over the old): a write in place lets the
 * watcher see the file empty for a moment, and the test would measure that race instead. The new
 * file is written outside the project (same file system), where the dev server does not watch.
 */
function save(path, text) {
  const saving = join(tmpdir(), `${process.pid}-${basename(path)}`);
  writeFileSync(saving, text);
  renameSync(saving, path);
}

/**
 * `page.goto(url)` again until `accept(response)` or WAIT_MS: the server learns of a save from its
 * watcher a moment after the file is written, as it does for a person who reloads right after saving.
 */
async function gotoUntil(page, url, accept) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const response = await page.goto(url);
    if (accept(response) || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
  console.log(`ok - ${message}`);
}

/** `from` must be in the file: an edit that silently matches nothing would prove nothing. */
function edit(name, from, to) {
  const text = readFileSync(files[name], 'utf8');
  if (!text.includes(from)) throw new Error(`${files[name]} no longer contains ${JSON.stringify(from)}`);
  save(files[name], text.replace(from, to));
}

const HEADING = '<div class="heading">';
const editedComponent = (label) => original.component.replace(HEADING, `${HEADING}<p id="hmr-edit">${label}</p>`);

async function pageLoads(page) {
  return page.evaluate(() => ({
    marker: window.__marker ?? null,
    navigations: performance.getEntriesByType('navigation').length,
  }));
}

async function samePage(page, what) {
  const { marker, navigations } = await pageLoads(page);
  check(marker === 1 && navigations === 1, `${what}: no new page load (marker kept, one navigation)`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT_MS);
  // Shown if a check fails: what the page's Vite client said.
  const consoleLines = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`page error: ${error.message}`));
  process.on('exit', (code) => code !== 0 && console.log(`browser console:\n${consoleLines.join('\n')}`));
  const filter = page.locator('input[name="filter"]');
  const items = page.locator('ul.posts li');

  await page.goto(`${origin}/`);
  await page.waitForSelector('[data-hydrated="true"]');
  await page.evaluate(() => (window.__marker = 1));
  const total = await items.count();
  await filter.fill('hydrated');
  await page.waitForFunction((n) => document.querySelectorAll('ul.posts li').length < n, total);
  const shown = await items.count();
  check(shown >= 1 && shown < total, `typing filters the list (${shown} of ${total})`);

  // 1. A component edit is swapped in place; the store (filter text, the list) is untouched.
  save(files.component, editedComponent('edited'));
  await page.waitForSelector('#hmr-edit');
  await samePage(page, 'component edit');
  check((await filter.inputValue()) === 'hydrated' && (await items.count()) === shown,
    'component edit: the filter text and the filtered list are kept');

  // 2. A reducer edit: the new reducer runs on the live state.
  await page.evaluate(() => (document.querySelector('input[name="filter"]').dataset.before = 'edit'));
  edit('reducer', 'filter: action.filter }', 'filter: action.filter.toUpperCase() }');
  await page.waitForSelector('input[name="filter"]:not([data-before])');
  await samePage(page, 'reducer edit');
  check((await filter.inputValue()) === 'hydrated' && (await items.count()) === shown,
    'reducer edit: the filter text and the filtered list are kept');
  await filter.fill('hydrated');
  await page.waitForFunction(() => document.querySelector('input[name="filter"]').value === 'HYDRATED');
  check(true, 'reducer edit: the next action goes through the new reducer');

  // 3. A compile error shows Vite's overlay with file and line; the fix clears it without a reload.
  save(files.component, editedComponent('edited') + '\n{#if brokenOnPurpose}\n');
  const overlayFile = page.locator('vite-error-overlay .file');
  await overlayFile.waitFor();
  const where = await overlayFile.textContent();
  check(/PostList\.svelte:\d+:\d+/.test(where ?? ''), `a compile error shows Vite's overlay at ${where}`);
  save(files.component, editedComponent('fixed'));
  await page.waitForSelector('vite-error-overlay', { state: 'detached' });
  await page.waitForFunction(() => document.querySelector('#hmr-edit')?.textContent === 'fixed');
  await samePage(page, 'fixing the compile error');
  check((await filter.inputValue()) === 'HYDRATED', 'fixing the compile error: the filter text is kept');

  // 4. A server change reloads the page and carries the state over.
  edit('health', "({ status: 'ok' })", "({ status: 'ok', edited: true })");
  await page.waitForFunction(() => window.__marker === undefined);
  await page.waitForSelector('[data-hydrated="true"]');
  await page.waitForFunction(() => document.querySelector('input[name="filter"]')?.value === 'HYDRATED');
  check(true, 'a server change reloads the page with the filter text carried over');

  // 5. A page loaded while a component is broken: the dev error page (file, line, overlay) ...
  save(files.component, editedComponent('fixed') + '\n{#if brokenOnPurpose}\n');
  const broken = await gotoUntil(page, `${origin}/`, (response) => response.status() === 500);
  const html = await broken.text();
  check(broken.status() === 500 && /PostList\.svelte:\d+:\d+/.test(html),
    `a page rendered while a component is broken is the dev error page (${broken.status()}) with file and line`);
  await overlayFile.waitFor();
  check(true, 'the dev error page shows Vite overlay too');
  // ... which reloads itself once the file is fixed.
  save(files.component, editedComponent('recovered'));
  await page.waitForSelector('#hmr-edit:text("recovered")');
  await page.waitForSelector('[data-hydrated="true"]');
  check(true, 'the dev error page recovers by itself once the component is fixed');

  // 6. A runtime error on the server: the dev error page with the message, file and line.
  // Markup in the message is shown as text, in the page and in the overlay's JSON.
  const thrown = 'failed on purpose </script><img src=x>';
  edit('route', "app.get('/', async (request, reply) => {", `app.get('/', async (request, reply) => {\n    throw new Error('${thrown}');`);
  await page.waitForSelector('h1:text("failed on purpose")');
  const failed = await page.content();
  check(/src\/server\/routes\/pages\.ts:\d+:\d+/.test(failed), 'a server runtime error shows the dev error page with file and line');
  check((await page.locator('h1').textContent()) === thrown && (await page.locator('img').count()) === 0,
    'the dev error page shows markup in the message as text');
  save(files.route, original.route);
  await page.waitForSelector('[data-hydrated="true"]');
  check(true, 'the page recovers by itself once the route is fixed');
} finally {
  for (const [name, text] of Object.entries(original)) save(files[name], text);
  await browser.close();
}
