// The whole account journey in headless Chromium against the built web app and the real API
// (tests/test_accounts_web.py runs it): sign up, read the verification mail, verify, publish,
// sign out, sign in, forgot password, reset, sign in with the new password.
// Usage: node accounts_journey.mjs <web origin> <project web dir> <mailbox url> <js|nojs> <email>
// The mailbox answers GET <mailbox url>?to=<address>&path=<path> with the newest link to <path>
// in a mail to <address> (404 while there is none). Prints one `ok - ...` line per check.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [origin, web, mailbox, mode, email] = process.argv.slice(2);
const { chromium } = createRequire(join(web, 'package.json'))('playwright-core');
const javaScript = mode === 'js';
const label = javaScript ? 'with JavaScript' : 'without JavaScript';
const FIRST = 'a first passphrase long enough';
const SECOND = 'a second passphrase, longer still';

function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message} (${label})`);
  console.log(`ok - ${message} (${label})`);
}

/** The newest link to `path` mailed to `to` that is not in `seen`, within 20 s. */
async function mailedLink(to, path, seen = new Set()) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const reply = await fetch(`${mailbox}?to=${encodeURIComponent(to)}&path=${encodeURIComponent(path)}`);
    if (reply.ok) {
      const link = await reply.text();
      if (!seen.has(link)) return link;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`FAILED: no mail to ${to} with a link to ${path} (${label})`);
}

async function submit(page, fields) {
  for (const [name, value] of Object.entries(fields)) await page.fill(`form.form [name="${name}"]`, value);
  // Without JavaScript the browser posts the form and follows the 303; with it the reducer
  // sends it and navigates where the server says: either way a new page loads.
  await Promise.all([page.waitForNavigation(), page.click('form.form button[type="submit"]')]);
}

async function ready(page) {
  if (javaScript) await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const context = await browser.newContext({ javaScriptEnabled: javaScript });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`${origin}/signup`);
  await ready(page);
  if (javaScript) {
    // Inline validation: the reducer refuses a short password in place, with no request sent.
    const before = page.url();
    await page.fill('form.form [name="email"]', email);
    await page.fill('form.form [name="password"]', 'too short');
    await page.click('form.form button[type="submit"]');
    await page.waitForSelector('#password-error', { timeout: 5000 });
    check(page.url() === before, 'a short password is refused inline, without leaving the page');
  }
  await submit(page, { email, password: FIRST });
  check(new URL(page.url()).pathname === '/signin', 'sign-up leads to the sign-in page');
  check((await page.locator('[role="status"]').count()) === 1, 'sign-up says to check the inbox');

  const verify = await mailedLink(email, '/verify-email');
  await page.goto(verify);
  await ready(page);
  check(new URL(page.url()).pathname === '/', 'the verification link signs in and leaves the token URL');
  check((await page.textContent('header')).includes(email), 'the header shows the signed-in address');
  const [cookie] = (await context.cookies()).filter((c) => c.name === '__Host-session');
  check(
    cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === 'Lax' && cookie.path === '/',
    'Chromium keeps the __Host-session cookie: HttpOnly, Secure, SameSite=Lax, Path=/',
  );

  await Promise.all([page.waitForNavigation(), page.click('a[href="/posts/new"]')]);
  await ready(page);
  const title = `Published ${label} ${Date.now()}`;
  await submit(page, { title, body: 'Written in the journey test.' });
  check(/^\/posts\/\d+$/.test(new URL(page.url()).pathname), 'publishing leads to the new post');
  check((await page.textContent('main')).includes(title), 'the new post shows its title');

  await Promise.all([page.waitForNavigation(), page.click('header form[action="/signout"] button')]);
  check(!(await page.textContent('header')).includes(email), 'sign-out leaves a visitor\'s header');

  await page.goto(`${origin}/signin`);
  await ready(page);
  await submit(page, { email, password: FIRST });
  check((await page.textContent('header')).includes(email), 'sign-in with the password works');
  await Promise.all([page.waitForNavigation(), page.click('header form[action="/signout"] button')]);

  await page.goto(`${origin}/forgot-password`);
  await ready(page);
  await submit(page, { email });
  check((await page.locator('[role="status"]').count()) === 1, 'the reset request says a link is on its way');
  const reset = await mailedLink(email, '/reset-password');
  await page.goto(reset);
  await ready(page);
  await submit(page, { password: SECOND });
  check(new URL(page.url()).searchParams.get('notice') === 'password-reset', 'the reset leads to sign-in');

  await ready(page);
  if (javaScript) {
    await page.fill('form.form [name="email"]', email);
    await page.fill('form.form [name="password"]', FIRST);
    await page.click('form.form button[type="submit"]');
    await page.waitForSelector('[role="alert"]', { timeout: 10_000 });
  } else {
    await submit(page, { email, password: FIRST });
  }
  check((await page.locator('[role="alert"]').count()) === 1, 'the old password no longer signs in');
  await page.goto(`${origin}/signin`);
  await ready(page);
  await submit(page, { email, password: SECOND });
  check((await page.textContent('header')).includes(email), 'the new password signs in');
  check(errors.length === 0, `no script error on any page${errors.length ? `: ${errors.join('; ')}` : ''}`);
} finally {
  await browser.close();
}
