import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared Redis connection; null when REDIS_URL is unset (local development). */
    redis: Redis | null;
  }
}

async function redis(app: FastifyInstance, { config }: { config: Config }) {
  if (!config.redisUrl) {
    app.decorate('redis', null);
    return;
  }
  const client = new Redis(config.redisUrl, {
    // Fail fast instead of queueing: the rate limiter skips Redis errors, /ready reports them.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
  });
  client.on('error', (error) => app.log.warn({ err: error }, 'redis error'));
  app.decorate('redis', client);
  app.addHook('onClose', async () => {
    await client.quit().catch(() => client.disconnect());
  });
}

export default fp(redis, { name: 'redis' });
