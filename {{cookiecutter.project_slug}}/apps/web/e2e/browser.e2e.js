// End-to-end check in a real browser: server rendering, hydration, a client interaction,
// inert hostile content, the design (accessibility in both themes, phone width: design.js) and
// Web Vitals reaching the metrics port (vitals.js). Runs the built server (`build` first) against
// a fake backend whose post titles try to break out of the page.
//
//   CHROMIUM_PATH       browser to drive (default: the first of the usual system paths)
//   E2E_BACKEND_URL     use this backend instead of the built-in fake one
//   E2E_REQUIRE_BROWSER fail instead of skipping when no browser is found
{%- if cookiecutter.use_redis == "yes" %}
//   E2E_REDIS_URL       a Redis for the server under test (default none: it counts and caches in
//                       its own memory, never in the Redis of your dev server that .env names)
{%- endif %}
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { checkBothThemes, checkDesign, openDesignPage } from './design.js';
import { checkWebVitals } from './vitals.js';

export const HOSTILE_POSTS = [
  { id: 1, title: '</script><script>window.__pwned = 1</script>', body: 'closes the state element' },
  { id: 2, title: '<!-- <script>window.__pwned = 2</script>', body: 'opens a comment' },
  { id: 3, title: 'line\u2028separator\u2029 & "quotes" \'single\'', body: '<img src=x onerror="window.__pwned = 3">' },
  { id: 4, title: 'A calm title', body: 'plain text' },
];

const BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

function findBrowser() {
  const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : BROWSERS;
  return candidates.find((path) => existsSync(path)) ?? null;
}

function startFakeBackend() {
  const server = createServer((request, response) => {
    const send = (status, body) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/health') return send(200, { status: 'ok' });
    if (request.url === '/api/posts') return send(200, HOSTILE_POSTS);
    const match = /^\/api\/posts\/(\d+)$/.exec(request.url ?? '');
    const post = match && HOSTILE_POSTS.find((p) => p.id === Number(match[1]));
    return post ? send(200, post) : send(404, { error: 'not found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function freePort() {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    }),
  );
}

async function waitForServer(url, child) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not answer at ${url}`);
}

/**
 * The built server against `backendUrl`, on a free port, `env` added; resolves once it answers
 * /health.
 */
async function startServer(backendUrl, env = {}) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const metricsPort = await freePort();
  const server = spawn(process.execPath, ['dist/server/index.cjs'], {
    env: {
      ...process.env,
      // The built server as in production, minus the production-only start checks; set
      // NODE_ENV=production to include them{% if cookiecutter.use_redis == "yes" %} (then with E2E_REDIS_URL: production needs a Redis){% endif %}.
      NODE_ENV: process.env.NODE_ENV ?? 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      // Prometheus /metrics listens too: a free port, so another server on this machine is no obstacle.
      METRICS_PORT: String(metricsPort),
      COMPOSABLE_RUST_BACKEND_URL: backendUrl,
{%- if cookiecutter.auth == "password" %}
      // Required in production: the origin forms are accepted from (and of the API's mail links).
      PUBLIC_URL: origin,
{%- endif %}
      RATE_LIMIT_MAX: '10000',
      LOG_LEVEL: 'warn',
{%- if cookiecutter.use_redis == "yes" %}
      // The REDIS_URL loaded from .env is your dev server's: its counters and cache are not ours.
      REDIS_URL: process.env.E2E_REDIS_URL,
{%- endif %}
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForServer(`${origin}/health`, server);
  } catch (error) {
    server.kill('SIGTERM');
    throw error;
  }
  return { origin, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, server };
}

function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
  console.log(`ok - ${message}`);
}

/** The states a reader meets besides the pages themselves: an empty filter result, a backend down. */
async function checkDesignOfStates(browser, origin, postId) {
  const { page, close } = await openDesignPage(browser);
  // A port nothing listens on: every backend call fails at once (and would log a warning each).
  const down = await startServer(`http://127.0.0.1:${await freePort()}`, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
{%- if cookiecutter.use_redis == "yes" %}
    // Not through Redis, whose cache still holds the other server's posts (spawn drops undefined).
    REDIS_URL: undefined,
{%- endif %}
  });
  try {
    await page.goto(`${origin}/`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
    await page.fill('input[name="filter"]', 'no title has this');
    await page.waitForSelector('ul.posts:empty', { state: 'attached', timeout: 5000 });
    await checkBothThemes(page, 'the list filtered to nothing', check);
{%- if cookiecutter.auth == "password" %}

    // A form the reducer refused as typed: messages under the fields, read out, in both themes.
    await page.goto(`${origin}/signup`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
    await page.fill('input[name="email"]', 'not an address');
    await page.click('button[type="submit"]');
    await page.waitForSelector('#email-error', { timeout: 5000 });
    check((await page.locator('#password-error').count()) === 1, 'the sign-up form names each wrong field inline');
    await checkBothThemes(page, 'the sign-up form with its messages', check);
{%- endif %}

    for (const path of ['/', `/posts/${postId}`]) {
      await page.goto(down.origin + path);
      check((await page.locator('[role="alert"]').count()) === 1, `${path} tells the reader the backend is down`);
      await checkBothThemes(page, `${path} with the backend down`, check);
    }
  } finally {
    down.server.kill('SIGTERM');
    await close();
  }
}

async function main() {
  const executablePath = findBrowser();
  if (!executablePath) {
    const message = 'no Chromium found (install one or set CHROMIUM_PATH)';
    if (process.env.E2E_REQUIRE_BROWSER) throw new Error(message);
    console.log(`SKIPPED: ${message}`);
    return;
  }
  if (!existsSync('dist/server/index.cjs')) throw new Error('no build found: run the build script first');

  const fakeBackend = process.env.E2E_BACKEND_URL ? null : await startFakeBackend();
  const backendUrl = fakeBackend
    ? `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (fakeBackend.address()).port}`
    : String(process.env.E2E_BACKEND_URL);
  const { origin, server } = await startServer(backendUrl);
  let browser;
  try {
    // Playwright gives every launch a fresh temporary profile.
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog opened: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    const response = await page.goto(`${origin}/`);
    check(response?.status() === 200, 'the list page answers 200');
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
    check(true, 'the page hydrates');

    const titles = await page.locator('ul.posts li a').allTextContents();
    const expected = (await (await fetch(`${backendUrl}/api/posts`)).json()).map((post) => post.title);
    check(JSON.stringify(titles) === JSON.stringify(expected), 'every title is shown as literal text');
    check(
      (await page.evaluate(() => document.scripts.length)) === 2,
      'no script element other than the entry and the state',
    );
    check((await page.evaluate(() => window.__pwned)) === undefined, 'no injected script ran');
    const state = await page.evaluate(() => JSON.parse(document.getElementById('app-state')?.textContent ?? 'null'));
    check(
      JSON.stringify(state.posts.map((post) => post.title)) === JSON.stringify(expected),
      'the embedded state parses back to the same titles',
    );

    const needle = expected.at(-1).slice(0, 6);
    await page.fill('input[name="filter"]', needle);
    await page.waitForFunction(
      (n) => document.querySelectorAll('ul.posts li').length === n,
      expected.filter((t) => t.toLowerCase().includes(needle.toLowerCase())).length,
      { timeout: 5000 },
    );
    check(true, 'typing in the filter narrows the list through the reducer');

    await page.fill('input[name="filter"]', '');
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/posts') && r.status() === 200, {
      timeout: 5000,
    });
    await page.click('.toolbar button');
    await refreshed;
    await page.waitForFunction(() => !document.querySelector('.toolbar button[disabled]'), undefined, {
      timeout: 5000,
    });
    check(
      (await page.locator('ul.posts li').count()) === expected.length,
      'refresh reloads the list through an effect',
    );

    await page.goto(`${origin}/posts/${state.posts[0].id}`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
    check((await page.locator('article h1').textContent()) === expected[0], 'the detail page renders and hydrates');
    check((await page.evaluate(() => window.__pwned)) === undefined, 'no injected script ran on the detail page');
{%- if cookiecutter.auth == "password" %}

    // The account pages need no backend call to show their forms (a bad verification link would).
    const accountPages = ['/signin', '/signup', '/forgot-password', '/reset-password?token=t', '/verify-email'];
    const pages = ['/', `/posts/${state.posts[0].id}`, '/no/such/page', '/?lang=fr', ...accountPages];
{%- else %}

    const pages = ['/', `/posts/${state.posts[0].id}`, '/no/such/page', '/?lang=fr'];
{%- endif %}
    await checkDesign(browser, origin, pages, check);
    await checkDesignOfStates(browser, origin, state.posts[0].id);
    const fresh = await startServer(backendUrl);
    try {
      await checkWebVitals(browser, fresh.origin, fresh.metricsUrl, check);
    } finally {
      fresh.server.kill('SIGTERM');
    }

    check(
      problems.length === 0,
      `no page errors, dialogs or console errors${problems.length ? `: ${problems.join('; ')}` : ''}`,
    );
  } finally {
    await browser?.close();
    server.kill('SIGTERM');
    fakeBackend?.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
