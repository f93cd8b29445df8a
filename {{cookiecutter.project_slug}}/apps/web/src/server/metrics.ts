import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { VitalsReport } from '../app/vitals.js';
import { REFUSALS, type BackendObserver } from './backend.js';

/**
 * Every metric this server records (beside prom-client's defaults: event-loop lag, heap, RSS, CPU);
 * the dashboard in docs/grafana/ and the tests read the names here. Labels take few values:
 * `route` is the route pattern (`/posts/:id`) or `unmatched`, never a raw path; the Web Vitals'
 * `route` is the page kind (`list`, `post`, `notFound`) and `metric`, `rating` come from fixed lists.
 */
export const METRIC_NAMES = {
  httpRequests: 'http_requests_total',
  httpRequestDuration: 'http_request_duration_seconds',
  httpRequestsInFlight: 'http_requests_in_flight',
  rateLimitRejections: 'rate_limit_rejections_total',
  backendRequestDuration: 'backend_request_duration_seconds',
  backendRequestErrors: 'backend_request_errors_total',
  backendCircuitState: 'backend_circuit_state',
  webVitals: 'web_vitals_seconds',
  webVitalsCls: 'web_vitals_cls',
} as const;

/**
 * Buckets holding every "good" and "poor" threshold of the timed vitals (INP 0.2/0.5 s,
 * TTFB 0.8/1.8 s, FCP 1.8/3 s, LCP 2.5/4 s), so each rating is a bucket boundary.
 */
const VITALS_SECONDS_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.8, 2.5, 3, 4, 6, 10, 20, 60];
/** CLS has no unit: good up to 0.1, poor above 0.25. */
const CLS_BUCKETS = [0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2];

/** prom-client's default metrics that the dashboard reads (`collectDefaultMetrics` registers them). */
export const RUNTIME_METRIC_NAMES = [
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
] as const;

/** The `route` of requests no route matched (404s): one label value for every unknown path. */
export const UNMATCHED = 'unmatched';

/** `backend_circuit_state` values. */
export const CIRCUIT_STATES = { closed: 0, half_open: 1, open: 2 } as const;

type HttpLabel = 'method' | 'route' | 'status';

export interface Metrics {
  registry: Registry;
  http: { requests: Counter<HttpLabel>; duration: Histogram<HttpLabel>; inFlight: Gauge };
  /** Counts a request refused by the rate limit. */
  rateLimited(): void;
  /** Records the backend client's calls and circuit state. */
  backend: BackendObserver;
  /** Records a browser's Web Vitals report (already checked by parseVitalsReport). */
  webVitals(report: VitalsReport): void;
}

/** One registry per app (tests build many apps in one process). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const labelNames: HttpLabel[] = ['method', 'route', 'status'];
  const help = {
    requests: 'Requests answered, by method, route pattern and status',
    duration: 'Time to answer a request, by method, route pattern and status',
    backendDuration: 'Calls to the backend API, by operation and outcome (ok, error, rejected, refused)',
    circuit: 'Circuit breaker in front of the backend: 0 closed, 1 half-open, 2 open',
  };
  const http = {
    requests: new Counter({ name: METRIC_NAMES.httpRequests, help: help.requests, labelNames, registers }),
    duration: new Histogram({ name: METRIC_NAMES.httpRequestDuration, help: help.duration, labelNames, registers }),
    inFlight: new Gauge({ name: METRIC_NAMES.httpRequestsInFlight, help: 'Requests being answered now', registers }),
  };
  const rateLimited = new Counter({
    name: METRIC_NAMES.rateLimitRejections,
    help: 'Requests refused by a limit (per_client: 429)',
    labelNames: ['limit'],
    registers,
  });
  const backendDuration = new Histogram({
    name: METRIC_NAMES.backendRequestDuration,
    help: help.backendDuration,
    labelNames: ['operation', 'outcome'],
    registers,
  });
  const backendErrors = new Counter({
    name: METRIC_NAMES.backendRequestErrors,
    help: 'Failed backend calls, by operation and reason',
    labelNames: ['operation', 'reason'],
    registers,
  });
  const circuit = new Gauge({ name: METRIC_NAMES.backendCircuitState, help: help.circuit, registers });
  circuit.set(CIRCUIT_STATES.closed);
  const vitalsHelp = 'Web Vitals reported by browsers (milliseconds recorded as seconds), by metric, page kind and rating';
  const vitals = new Histogram({
    name: METRIC_NAMES.webVitals,
    help: `${vitalsHelp}: LCP, INP, FCP, TTFB`,
    labelNames: ['metric', 'route', 'rating'],
    buckets: VITALS_SECONDS_BUCKETS,
    registers,
  });
  const cls = new Histogram({
    name: METRIC_NAMES.webVitalsCls,
    help: 'Cumulative Layout Shift reported by browsers, by page kind and rating',
    labelNames: ['route', 'rating'],
    buckets: CLS_BUCKETS,
    registers,
  });

  return {
    registry,
    http,
    rateLimited: () => rateLimited.inc({ limit: 'per_client' }),
    backend: {
      call(operation, seconds, failure) {
        const outcome = failure === null ? 'ok' : failure === 'not_called' ? 'rejected' : REFUSALS.has(failure) ? 'refused' : 'error';
        backendDuration.observe({ operation, outcome }, seconds);
        if (failure !== null) backendErrors.inc({ operation, reason: failure });
      },
      circuit: (state) => circuit.set(CIRCUIT_STATES[state]),
    },
    webVitals({ route, metrics }) {
      for (const { name, value, rating } of metrics) {
        if (name === 'CLS') cls.observe({ route, rating }, value);
        else vitals.observe({ metric: name, route, rating }, value / 1000);
      }
    },
  };
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function routeLabel(request: FastifyRequest): string {
  // A route pattern (the static files are one wildcard route, `/assets/*`), never a raw path.
  return (request.is404 ? undefined : request.routeOptions.url) ?? UNMATCHED;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** Request count, latency and in-flight requests of every route, the 404 handler included. */
async function httpMetrics(app: FastifyInstance, { metrics }: { metrics: Metrics }) {
  const { requests, duration, inFlight } = metrics.http;
  app.decorate('metrics', metrics);
  // Callback hooks, like the app's others: no promise per request on the hot path.
  app.addHook('onRequest', (_request, reply, done) => {
    inFlight.inc();
    // 'close' comes once per response, also when the client goes away before it is sent.
    reply.raw.once('close', () => inFlight.dec());
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: METHODS.has(request.method) ? request.method : 'other',
      route: routeLabel(request),
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

export default fp(httpMetrics, { name: 'metrics' });
