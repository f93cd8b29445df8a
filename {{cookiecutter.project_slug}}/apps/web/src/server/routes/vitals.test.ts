import { describe, expect, it } from 'vitest';
import { VITAL_NAMES, VITAL_RATINGS, VITAL_ROUTES, VITALS_BODY_LIMIT, VITALS_PATH } from '../../app/vitals.js';
import { METRIC_NAMES } from '../metrics.js';
import { useTestApps } from '../test-app.js';

const appWith = useTestApps();
const VALID = JSON.stringify({
  route: 'post',
  metrics: [
    { name: 'LCP', value: 2600, rating: 'needs-improvement' },
    { name: 'CLS', value: 0.02, rating: 'good' },
  ],
});
// What navigator.sendBeacon sends for a string body.
const BEACON = { 'content-type': 'text/plain;charset=UTF-8' };

/** Every Web Vitals series (name and labels) as the metrics port lists them. */
async function seriesSet(app: Awaited<ReturnType<typeof appWith>>): Promise<Set<string>> {
  const lines = (await app.metrics.registry.metrics()).split('\n');
  return new Set(lines.filter((line) => line.startsWith('web_vitals')).map((line) => line.slice(0, line.lastIndexOf(' '))));
}

describe(`POST ${VITALS_PATH}`, () => {
  it('records a beacon as histogram samples and answers 204', async () => {
    const app = await appWith();
    const answer = await app.inject({ method: 'POST', url: VITALS_PATH, headers: BEACON, payload: VALID });
    expect(answer.statusCode).toBe(204);
    const text = await app.metrics.registry.metrics();
    expect(text).toContain(`${METRIC_NAMES.webVitals}_count{metric="LCP",route="post",rating="needs-improvement"} 1`);
    expect(text).toContain(`${METRIC_NAMES.webVitals}_bucket{le="3",metric="LCP",route="post",rating="needs-improvement"} 1`);
    expect(text).toContain(`${METRIC_NAMES.webVitalsCls}_count{route="post",rating="good"} 1`);
  });

  it('takes the same report as application/json', async () => {
    const app = await appWith();
    const answer = await app.inject({ method: 'POST', url: VITALS_PATH, headers: { 'content-type': 'application/json' }, payload: VALID });
    expect(answer.statusCode).toBe(204);
  });

  it.each([
    ['garbage', BEACON, 'garbage', 400],
    ['a path as the route', BEACON, VALID.replace('"post"', '"/posts/1"'), 400],
    ['an unknown metric', BEACON, VALID.replace('"CLS"', '"FID"'), 400],
    ['a body over the limit', BEACON, VALID + ' '.repeat(VITALS_BODY_LIMIT), 413],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'route=list', 415],
    ['no body', {}, undefined, 400],
  ])('refuses %s with a 4xx and adds no series', async (_case, headers, payload, status) => {
    const app = await appWith();
    const before = await seriesSet(app);
    const answer = await app.inject({ method: 'POST', url: VITALS_PATH, headers, payload });
    expect(answer.statusCode).toBe(status);
    expect(answer.body).not.toContain('at ');
    expect(await seriesSet(app)).toEqual(before);
  });

  it('keeps the series set bounded under a thousand distinct route values', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '10000' });
    const before = await seriesSet(app);
    for (let i = 0; i < 1000; i += 1) {
      const body = VALID.replace('"post"', `"route-${i}"`);
      const answer = await app.inject({ method: 'POST', url: VITALS_PATH, headers: BEACON, payload: body });
      expect(answer.statusCode).toBe(400);
    }
    expect(await seriesSet(app)).toEqual(before);
  });

  it('stays within one series per metric, page kind and rating, whatever valid reports come', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '10000' });
    for (const route of VITAL_ROUTES) {
      for (const rating of VITAL_RATINGS) {
        for (let value = 0; value < 5; value += 1) {
          const metrics = VITAL_NAMES.map((name) => ({ name, value: value / 10, rating }));
          const answer = await app.inject({ method: 'POST', url: VITALS_PATH, headers: BEACON, payload: JSON.stringify({ route, metrics }) });
          expect(answer.statusCode).toBe(204);
        }
      }
    }
    const counts = [...(await seriesSet(app))].filter((series) => series.includes('_count'));
    // Four timed metrics and CLS, each by page kind and rating.
    expect(counts).toHaveLength(5 * VITAL_ROUTES.length * VITAL_RATINGS.length);
  });

  it('is rate limited like every route', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push((await app.inject({ method: 'POST', url: VITALS_PATH, headers: BEACON, payload: VALID })).statusCode);
    }
    expect(statuses).toEqual([204, 204, 204, 429, 429]);
  });
});
