// Web Vitals end to end: a real page load in the browser reaches the metrics port as histogram
// samples, and junk posted to the same endpoint is refused without adding a series.

/** @typedef {(condition: boolean, message: string) => void} Check */

const VITALS_PATH = '/vitals';
const SERIES_PREFIX = 'web_vitals';
const JUNK_COUNT = 200;
const DISTINCT_ROUTES = 1000;

/** The lines once two reads 300 ms apart agree: late beacons of a closed page have landed. */
async function settledLines(metricsUrl) {
  let previous = await vitalsLines(metricsUrl);
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = await vitalsLines(metricsUrl);
    if (JSON.stringify(lines) === JSON.stringify(previous)) return lines;
    previous = lines;
  }
  return previous;
}

/** Every Web Vitals line of the metrics port: series (name and labels) and value. */
async function vitalsLines(metricsUrl) {
  const text = await (await fetch(metricsUrl)).text();
  return text.split('\n').filter((line) => line.startsWith(SERIES_PREFIX));
}

function sampleCount(lines, metric) {
  const prefix = metric === 'CLS' ? 'web_vitals_cls_count{' : `web_vitals_seconds_count{metric="${metric}"`;
  return lines.filter((line) => line.startsWith(prefix)).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** Bodies no browser of this app sends: each must get a 4xx. */
function junkBeacons() {
  const entry = { name: 'LCP', value: 1200, rating: 'good' };
  const kinds = [
    () => ({ type: 'text/plain;charset=UTF-8', body: 'garbage' }),
    () => ({ type: 'text/plain;charset=UTF-8', body: JSON.stringify({ route: 'list', metrics: [entry], pad: 'x'.repeat(64 * 1024) }) }),
    (i) => ({ type: 'application/json', body: JSON.stringify({ route: 'list', metrics: [{ ...entry, name: `METRIC_${i}` }] }) }),
    (i) => ({ type: 'text/plain;charset=UTF-8', body: JSON.stringify({ route: `/posts/${i}`, metrics: [entry] }) }),
    (i) => ({ type: 'application/json', body: JSON.stringify({ route: 'list', metrics: [{ ...entry, rating: `r${i}` }] }) }),
    () => ({ type: 'application/json', body: JSON.stringify({ route: 'list', metrics: [{ ...entry, value: 1e12 }] }) }),
    () => ({ type: 'application/x-www-form-urlencoded', body: 'route=list&name=LCP&value=1' }),
    () => ({ type: 'text/plain;charset=UTF-8', body: 'x'.repeat(1024 * 1024) }),
    () => ({ type: 'text/plain;charset=UTF-8', body: JSON.stringify({ route: 'list', metrics: Array(6).fill(entry) }) }),
    () => ({ type: 'application/json', body: '{"route":"list","metrics":[],"__proto__":{"route":"/x"}}' }),
    (i) => ({ type: 'text/plain;charset=UTF-8', body: JSON.stringify({ route: 'list', metrics: [{ ...entry, id: `v5-${i}` }] }) }),
  ];
  return Array.from({ length: JUNK_COUNT }, (_, i) => kinds[i % kinds.length](i));
}

/** Statuses of posting each beacon, outside the browser (a forger needs none). */
async function post(origin, beacons) {
  const statuses = [];
  for (const { type, body } of beacons) {
    const response = await fetch(origin + VITALS_PATH, { method: 'POST', headers: { 'content-type': type }, body });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

/**
 * Run against a server of its own: no earlier page's beacon may count as this page load's.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 * @param {string} metricsUrl
 * @param {Check} check
 */
export async function checkWebVitals(browser, origin, metricsUrl, check) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 10_000 });
  const rendered = await page.locator('ul.posts li a').count();
  await page.click('input[name="filter"]');
  // web-vitals settles LCP, CLS and INP when the page is hidden: closing it hides it.
  await page.close({ runBeforeUnload: true });
  const reported = ['FCP', 'TTFB', 'LCP', 'CLS'];
  let lines = [];
  for (let attempt = 0; attempt < 50; attempt += 1) {
    lines = await vitalsLines(metricsUrl);
    if (reported.every((metric) => sampleCount(lines, metric) > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await context.close();
  for (const metric of reported) {
    check(sampleCount(lines, metric) > 0, `a page load reports ${metric} to the metrics port`);
  }
  check(lines.some((line) => line.includes('route="list"')), 'the samples are labelled with the page kind, not the path');

  const before = await settledLines(metricsUrl);
  const junk = await post(origin, junkBeacons());
  const routes = Array.from({ length: DISTINCT_ROUTES }, (_, i) => ({
    type: 'text/plain;charset=UTF-8',
    body: JSON.stringify({ route: `route-${i}`, metrics: [{ name: 'FCP', value: 100, rating: 'good' }] }),
  }));
  const distinct = await post(origin, routes);
  const refused = [...junk, ...distinct].every((status) => status >= 400 && status < 500 && status !== 429);
  check(refused, `${JUNK_COUNT} junk beacons and ${DISTINCT_ROUTES} distinct route values all get a 4xx (${[...new Set([...junk, ...distinct])].join(', ')})`);
  const after = await vitalsLines(metricsUrl);
  check(JSON.stringify(after) === JSON.stringify(before), 'junk beacons leave the Web Vitals series and their values unchanged');

  const withoutScript = await browser.newContext({ javaScriptEnabled: false });
  try {
    const plain = await withoutScript.newPage();
    const beacons = [];
    plain.on('request', (request) => request.url().endsWith(VITALS_PATH) && beacons.push(request));
    await plain.goto(`${origin}/`);
    const titles = await plain.locator('ul.posts li a').count();
    await plain.close({ runBeforeUnload: true });
    check(titles === rendered && rendered > 0 && beacons.length === 0, 'without JavaScript the list renders in full and sends no beacon');
  } finally {
    await withoutScript.close();
  }
}
