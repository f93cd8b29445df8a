import { describe, expect, it } from 'vitest';
import { parseVitalsReport, VITAL_MAX, VITAL_NAMES, VITAL_ROUTES } from './vitals.js';

const lcp = { name: 'LCP', value: 1234.5, rating: 'good' };
const report = (fields: Record<string, unknown> = {}) => ({ route: 'list', metrics: [lcp], ...fields });

describe('parseVitalsReport', () => {
  it('reads the report web-vitals produces, as a string (text/plain) or as parsed JSON', () => {
    const expected = { route: 'list', metrics: [lcp] };
    expect(parseVitalsReport(JSON.stringify(report()))).toEqual(expected);
    expect(parseVitalsReport(report())).toEqual(expected);
    const all = VITAL_NAMES.map((name) => ({ name, value: 0, rating: 'poor' }));
    expect(parseVitalsReport(report({ route: 'notFound', metrics: all }))?.metrics).toHaveLength(5);
  });

  it('knows every page kind and a value up to the maximum of its metric', () => {
    for (const route of VITAL_ROUTES) expect(parseVitalsReport(report({ route }))?.route).toBe(route);
    for (const name of VITAL_NAMES) {
      const at = (value: number) => parseVitalsReport(report({ metrics: [{ name, value, rating: 'poor' }] }));
      expect(at(VITAL_MAX[name])).not.toBeNull();
      expect(at(VITAL_MAX[name] * 1.01)).toBeNull();
    }
  });

  it.each([
    ['not JSON', '{"route":'],
    ['an empty body', ''],
    ['JSON null', 'null'],
    ['an array', '[]'],
    ['a number', 42],
    ['a path as the route', report({ route: '/posts/1' })],
    ['an unknown route', report({ route: 'admin' })],
    ['a route inherited from Object', report({ route: 'toString' })],
    ['a route that is not a string', report({ route: ['list'] })],
    ['no metrics', report({ metrics: [] })],
    ['metrics that are not a list', report({ metrics: lcp })],
    ['more entries than metrics', report({ metrics: Array(6).fill(lcp) })],
    ['an unknown metric', report({ metrics: [{ ...lcp, name: 'FID' }] })],
    ['a lowercase metric', report({ metrics: [{ ...lcp, name: 'lcp' }] })],
    ['an unknown rating', report({ metrics: [{ ...lcp, rating: 'great' }] })],
    ['a negative value', report({ metrics: [{ ...lcp, value: -1 }] })],
    ['a value as a string', report({ metrics: [{ ...lcp, value: '12' }] })],
    ['an infinite value', `{"route":"list","metrics":[{"name":"LCP","value":1e400,"rating":"good"}]}`],
    ['a huge CLS', report({ metrics: [{ name: 'CLS', value: 1e6, rating: 'poor' }] })],
    ['an extra field in an entry', report({ metrics: [{ ...lcp, id: 'v5-123' }] })],
    ['an extra field in the report', report({ url: 'https://example.com/?secret' })],
    ['a missing field', report({ metrics: [{ name: 'LCP', value: 1 }] })],
    ['one bad entry among good ones', report({ metrics: [lcp, { ...lcp, name: 'XSS' }] })],
    ['a prototype key', '{"route":"list","metrics":[{"name":"LCP","value":1,"rating":"good","__proto__":{}}]}'],
  ])('refuses %s', (_case, body) => {
    expect(parseVitalsReport(body)).toBeNull();
  });
});
