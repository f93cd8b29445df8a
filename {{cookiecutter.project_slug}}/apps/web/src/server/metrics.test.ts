import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createBackendClient } from './backend.js';
import { CIRCUIT_STATES, createMetrics, METRIC_NAMES, RUNTIME_METRIC_NAMES, UNMATCHED } from './metrics.js';
import { listenForMetrics } from './metrics-server.js';
import { useTestApps } from './test-app.js';

const appWith = useTestApps();

/** Every series of one metric: its labels and value. */
async function series(registry: ReturnType<typeof createMetrics>['registry'], name: string) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return (await metric.get()).values;
}

describe('metrics', () => {
  it('counts requests by route pattern and status; unknown paths share one label', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '1000' });
    for (const id of [1, 2, 3, 99, 12345]) await app.inject({ url: `/posts/${id}`, headers: { accept: 'text/html' } });
    for (const path of ['/nope', '/nope/42', '/posts/1/extra']) await app.inject({ url: path });
    await app.inject({ url: '/' });

    const requests = await series(app.metrics.registry, METRIC_NAMES.httpRequests);
    const count = (route: string, status: string) =>
      requests.find((s) => s.labels.route === route && s.labels.status === status)?.value ?? 0;
    expect(count('/posts/:id', '200')).toBe(2);
    expect(count('/posts/:id', '404')).toBe(3);
    expect(count(UNMATCHED, '404')).toBe(3);
    expect(count('/', '200')).toBe(1);
    expect(new Set(requests.map((s) => s.labels.route))).toEqual(new Set(['/posts/:id', UNMATCHED, '/']));
    const inFlight = await series(app.metrics.registry, METRIC_NAMES.httpRequestsInFlight);
    expect(inFlight[0]?.value).toBe(0);
  });

  it('counts rate-limit rejections', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '2' });
    for (let i = 0; i < 5; i += 1) await app.inject({ url: '/nope' });
    const rejections = await series(app.metrics.registry, METRIC_NAMES.rateLimitRejections);
    expect(rejections).toEqual([expect.objectContaining({ labels: { limit: 'per_client' }, value: 3 })]);
  });

  it('records backend calls by outcome and the circuit opening', async () => {
    const metrics = createMetrics();
    // A port that was just free and closed again: every call fails as unreachable.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const log = { info: () => undefined, warn: () => undefined };
    const baseUrl = `http://127.0.0.1:${port}`;
    const client = createBackendClient({ baseUrl, timeoutMs: 500, maxConcurrent: 4, log, observer: metrics.backend });
    for (let i = 0; i < 8; i += 1) await client.listPosts().catch(() => undefined);

    const errors = await series(metrics.registry, METRIC_NAMES.backendRequestErrors);
    const reasons = Object.fromEntries(errors.map((s) => [s.labels.reason, s.value]));
    expect(reasons.unreachable).toBeGreaterThanOrEqual(5);
    expect((reasons.unreachable ?? 0) + (reasons.not_called ?? 0)).toBe(8);
    const circuit = await series(metrics.registry, METRIC_NAMES.backendCircuitState);
    expect(circuit[0]?.value).toBe(CIRCUIT_STATES.open);
  });

  it('serves /metrics on its own listener and nothing else there', async () => {
    const metrics = createMetrics();
    const server = await listenForMetrics(metrics.registry, { host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const scrape = await fetch(`${base}/metrics`);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toContain('# TYPE http_requests_total counter');
      expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
      expect((await fetch(`${base}/`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('registers every metric it names, prom-client defaults included', () => {
    const { registry } = createMetrics();
    for (const name of [...Object.values(METRIC_NAMES), ...RUNTIME_METRIC_NAMES]) {
      expect(registry.getSingleMetric(name), name).toBeDefined();
    }
  });

  it('is not served on the public port', async () => {
    const app = await appWith();
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
  });
});
