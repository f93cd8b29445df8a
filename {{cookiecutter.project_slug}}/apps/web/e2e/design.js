// The design's promises, checked in the browser on every page the app renders:
// no serious or critical axe-core violation in the light and the dark theme, themes that really
// differ, nothing wider than a phone, touch-sized controls, and styles that need no JavaScript.
import { createRequire } from 'node:module';

// axe-core's own bundle, put into each page through the DevTools protocol (page.evaluate),
// which the page's CSP does not govern: the app's strict policy stays on while it is checked.
const AXE_SOURCE = createRequire(import.meta.url)('axe-core').source;
const FAILING_IMPACTS = new Set(['serious', 'critical']);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const MIN_CONTROL_PX = 36;

/** @typedef {(condition: boolean, message: string) => void} Check */

/** Serious and critical violations on the open page, one line each. */
async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations);
  return violations
    .filter((violation) => FAILING_IMPACTS.has(violation.impact))
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}) at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

function bodyBackground(page) {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

/**
 * axe-core in the light and the dark theme on the page as it is now (`label` names it in the
 * output), and the two themes really differ.
 * @param {import('playwright-core').Page} page
 * @param {string} label
 * @param {Check} check
 */
export async function checkBothThemes(page, label, check) {
  const backgrounds = {};
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    backgrounds[colorScheme] = await bodyBackground(page);
    const violations = await axeViolations(page);
    check(
      violations.length === 0,
      `axe-core finds no serious or critical violation on ${label} (${colorScheme})${
        violations.length ? `: ${violations.join('; ')}` : ''
      }`,
    );
  }
  check(
    backgrounds.light !== backgrounds.dark,
    `light and dark themes differ on ${label} (${backgrounds.light} / ${backgrounds.dark})`,
  );
  await page.emulateMedia({ colorScheme: null });
}

/**
 * At phone width nothing scrolls sideways and every control is touch-sized.
 * @param {import('playwright-core').Page} page
 * @param {string} label
 * @param {Check} check
 */
async function checkPhoneWidth(page, label, check) {
  await page.setViewportSize(PHONE);
  const { scrollWidth, innerWidth, small } = await page.evaluate(
    (minimum) => ({
      scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
      innerWidth: window.innerWidth,
      small: [...document.querySelectorAll('input:not([type="hidden"]), button, select, textarea')]
        .map((element) => ({ name: element.outerHTML.slice(0, 60), height: element.getBoundingClientRect().height }))
        .filter(({ height }) => height < minimum),
    }),
    MIN_CONTROL_PX,
  );
  check(
    scrollWidth <= innerWidth,
    `nothing scrolls sideways at ${PHONE.width} px on ${label} (${scrollWidth} <= ${innerWidth})`,
  );
  check(
    small.length === 0,
    `every control is at least ${MIN_CONTROL_PX} px tall at phone width on ${label}${
      small.length ? `: ${JSON.stringify(small)}` : ''
    }`,
  );
  await page.setViewportSize(DESKTOP);
}

/**
 * A page of its own in a fresh context that records what would mean a broken design: a style
 * the CSP refused, a stylesheet that failed to load. (A 404 page's own status is the one
 * expected "failed to load" message, hence responses and console read separately.)
 * @param {import('playwright-core').Browser} browser
 */
export async function openDesignPage(browser) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== 'document')
      errors.push(`${response.status()} ${response.url()}`);
  });
  return { page, errors, close: () => context.close() };
}

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 * @param {string[]} paths every page to check, e.g. the list, a post and a 404
 * @param {Check} check
 */
export async function checkDesign(browser, origin, paths, check) {
  const { page, errors, close } = await openDesignPage(browser);
  try {
    for (const path of paths) {
      await page.goto(origin + path);
      await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
      await checkBothThemes(page, path, check);
      await checkPhoneWidth(page, path, check);
    }
    const faviconLoads = await page.evaluate(async () => {
      const icon = new Image();
      icon.src = document.querySelector('link[rel="icon"]')?.getAttribute('href') ?? '';
      return icon.decode().then(
        () => icon.naturalWidth > 0,
        () => false,
      );
    });
    check(faviconLoads, 'the favicon loads under the CSP');
    check(
      errors.length === 0,
      `no console errors or failed assets while checking the design${errors.length ? `: ${errors.join('; ')}` : ''}`,
    );
  } finally {
    await close();
  }

  // The stylesheet is a file, not something JavaScript injects: the page looks the same without it.
  const withScript = await browser.newContext({ colorScheme: 'dark' });
  const withoutScript = await browser.newContext({ colorScheme: 'dark', javaScriptEnabled: false });
  try {
    const styled = await withScript.newPage();
    await styled.goto(`${origin}${paths[0]}`);
    const plain = await withoutScript.newPage();
    await plain.goto(`${origin}${paths[0]}`);
    const [expected, actual] = [await bodyBackground(styled), await bodyBackground(plain)];
    check(actual === expected, `the page is styled without JavaScript (${actual})`);
  } finally {
    await withScript.close();
    await withoutScript.close();
  }
}
