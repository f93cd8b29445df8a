import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

/**
 * Per-client-IP limit on every route and on the not-found handler; 429 with Retry-After.
 * Behind Fly's proxy (trustProxy) the client is Fly-Client-IP, else the X-Forwarded-For
 * hop Fastify resolves into request.ip.
{%- if cookiecutter.use_redis == "yes" %}
 * With REDIS_URL the counters live in Redis, so every Machine shares one limit.
{%- endif %}
 */
async function rateLimit(app: FastifyInstance, { config }: { config: Config }) {
  const clientIp = (request: FastifyRequest): string => {
    const flyClientIp = request.headers['fly-client-ip'];
    return config.trustProxy && typeof flyClientIp === 'string' && flyClientIp ? flyClientIp : request.ip;
  };
  await app.register(fastifyRateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    keyGenerator: clientIp,
{%- if cookiecutter.use_redis == "yes" %}
    redis: app.redis ?? undefined,
    nameSpace: 'web-rate-limit:',
    skipOnError: true,
{%- endif %}
    // /health is polled by Fly's checks: never limit it.
    allowList: (request) => request.url === '/health',
  });
}

export default fp(rateLimit, { name: 'rate-limit'{% if cookiecutter.use_redis == "yes" %}, dependencies: ['redis']{% endif %} });
