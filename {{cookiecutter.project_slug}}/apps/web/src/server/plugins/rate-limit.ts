import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
{%- if cookiecutter.use_redis == "yes" %}
import { failoverRateLimitStore } from './redis/rate-limit-store.js';
{%- endif %}

/**
 * Per-client limit on every route and on the not-found handler; 429 with Retry-After.
 * The key is `request.clientKey` (client-address.ts): the client's address, an IPv6 one by its /64.
{%- if cookiecutter.use_redis == "yes" %}
 * With REDIS_URL the counters live in Redis, so every Machine shares one limit.
{%- endif %}
 */
async function rateLimit(app: FastifyInstance, { config, metrics }: { config: Config; metrics: Metrics }) {
  await app.register(fastifyRateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    keyGenerator: (request) => request.clientKey,
    onExceeded: () => metrics.rateLimited(),
    // A 429 says when to come back (Retry-After). A countdown on every other answer costs three
    // headers per response and tells a scraper exactly how fast it may go.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
{%- if cookiecutter.use_redis == "yes" %}
    store: app.redis ? failoverRateLimitStore(app.redis, app.log) : undefined,
{%- endif %}
    // /health is polled by Fly's checks: never limit it.
    allowList: (request) => request.url === '/health',
  });
}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['client-address'{% if cookiecutter.use_redis == "yes" %}, 'redis'{% endif %}] });
