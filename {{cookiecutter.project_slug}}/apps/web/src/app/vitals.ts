// The Web Vitals report the browser sends (client/web-vitals.ts) and the server records
// (server/routes/vitals.ts): one contract, checked strictly, because anyone can post to it.
{%- if cookiecutter.auth == "password" %}
import { FORMS, type AccountRouteName } from './account/forms.js';
{%- endif %}
import type { Route } from './state.js';

/** Same origin, so the CSP's connect-src 'self' already allows the beacon. */
export const VITALS_PATH = '/vitals';
/** A report holds at most one entry per metric: a few hundred bytes. */
export const VITALS_BODY_LIMIT = 2048;

export const VITAL_NAMES = ['CLS', 'FCP', 'INP', 'LCP', 'TTFB'] as const;
export const VITAL_RATINGS = ['good', 'needs-improvement', 'poor'] as const;
// Every page kind the router knows, and only those: the type check fails when `Route` gains one.
{%- if cookiecutter.auth == "password" %}
const ROUTE_KINDS: Record<Route['name'], true> = {
  list: true,
  post: true,
  notFound: true,
  ...(Object.fromEntries(Object.keys(FORMS).map((name) => [name, true])) as Record<AccountRouteName, true>),
};
{%- else %}
const ROUTE_KINDS: Record<Route['name'], true> = { list: true, post: true, notFound: true };
{%- endif %}
/** The `route` label: a page kind, never a path. */
export const VITAL_ROUTES = Object.keys(ROUTE_KINDS) as Route['name'][];

export type VitalName = (typeof VITAL_NAMES)[number];
export type VitalRating = (typeof VITAL_RATINGS)[number];
export type VitalRoute = Route['name'];

/**
 * The largest value kept per metric (milliseconds; CLS has no unit). Anything above is a broken
 * clock or a forged report, not a slow page: refused rather than stretching the histogram.
 */
export const VITAL_MAX: Record<VitalName, number> = { CLS: 10, FCP: 120_000, INP: 60_000, LCP: 120_000, TTFB: 120_000 };

export interface VitalEntry {
  name: VitalName;
  value: number;
  rating: VitalRating;
}

export interface VitalsReport {
  route: VitalRoute;
  metrics: VitalEntry[];
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** A plain object with exactly these keys (no extra field slips through into a label). */
function hasExactKeys(value: unknown, keys: string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => own.includes(key));
}

function parseEntry(entry: unknown): VitalEntry | null {
  if (!hasExactKeys(entry, ['name', 'value', 'rating'])) return null;
  const { name, value, rating } = entry;
  if (!isOneOf(VITAL_NAMES, name) || !isOneOf(VITAL_RATINGS, rating)) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > VITAL_MAX[name]) return null;
  return { name, value, rating };
}

/**
 * The report in a beacon's body (a JSON string: sendBeacon sends a string as text/plain, or the
 * object Fastify parsed from application/json), or null when any part of it is not one.
 */
export function parseVitalsReport(body: unknown): VitalsReport | null {
  let report: unknown = body;
  if (typeof body === 'string') {
    try {
      report = JSON.parse(body);
    } catch {
      return null;
    }
  }
  if (!hasExactKeys(report, ['route', 'metrics']) || !isOneOf(VITAL_ROUTES, report.route)) return null;
  const { metrics } = report;
  if (!Array.isArray(metrics) || metrics.length === 0 || metrics.length > VITAL_NAMES.length) return null;
  const entries = metrics.map(parseEntry);
  if (entries.some((entry) => entry === null)) return null;
  return { route: report.route, metrics: entries as VitalEntry[] };
}
