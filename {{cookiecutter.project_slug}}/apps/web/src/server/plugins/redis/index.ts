import { createHash } from 'node:crypto';
import { parsePost, parsePosts } from '@repo/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { BackendClient } from '../../backend.js';
import type { Config } from '../../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared Redis connection; null when REDIS_URL is unset (local development). */
    redis: Redis | null;
  }
}

const CONNECT_TIMEOUT_MS = 2000;
/**
 * A Redis that stops answering without closing (a stopped process, a network partition) must act
 * like one that is down, fast: each command gives up after this long, and a connection that sent
 * a command and heard nothing for this long is dropped, so the next commands fail at once (no
 * offline queue) and the callers fall back until the reconnection's ready check is answered.
 */
const COMMAND_TIMEOUT_MS = 300;
/** TCP keep-alive probes find a silently dead peer on an idle connection too. */
const KEEP_ALIVE_DELAY_MS = 10_000;

async function redis(app: FastifyInstance, { config }: { config: Config }) {
  if (!config.redisUrl) {
    app.decorate('redis', null);
    return;
  }
  const client = new Redis(config.redisUrl, {
    // Fail fast instead of queueing or retrying: callers fall back (rate limit, cache), /ready
    // reports it. A command in flight when its connection drops fails then, not after a reconnect.
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: COMMAND_TIMEOUT_MS,
    keepAlive: KEEP_ALIVE_DELAY_MS,
  });
  // ioredis reports every reconnection attempt: log the outage once, and its end.
  let down = false;
  client.on('error', (error) => {
    if (!down) app.log.warn({ err: error }, 'redis unavailable');
    down = true;
  });
  client.on('ready', () => {
    if (down) app.log.info('redis available again');
    down = false;
  });
  app.decorate('redis', client);
  app.addHook('onClose', async () => {
    await client.quit().catch(() => client.disconnect());
  });
  await firstAttempt(client);
}

/**
 * Wait for the first connection attempt before the server listens: without an offline queue,
 * requests that came before it would count their rate limit in this Machine's memory. A Redis
 * that is down at boot costs the start at most the connect timeout; the server then starts degraded.
 */
function firstAttempt(client: Redis): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(settle, CONNECT_TIMEOUT_MS + 500);
    function settle() {
      clearTimeout(timer);
      client.off('ready', settle).off('error', settle);
      resolve();
    }
    client.once('ready', settle).once('error', settle);
  });
}

export default fp(redis, { name: 'redis' });

const CACHE_TTL_SECONDS = 5;

/**
 * Where one backend's answers live: `web-cache:<hash of its URL>:`. An answer depends on which
 * backend gave it (posts are the same in every locale), so servers pointed at different backends
 * never read each other's entries, even in one Redis.
 */
export function cachePrefix(backendUrl: string): string {
  return `web-cache:${createHash('sha256').update(backendUrl).digest('hex').slice(0, 16)}:`;
}

/**
 * Backend answers shared through Redis for a few seconds, so a burst of page views across
 * every Machine costs the API one call. Redis trouble never fails a page: it falls through
 * to the backend. /ready still asks the backend itself.
 */
export function withRedisCache(
  backend: BackendClient,
  client: Redis,
  backendUrl: string,
  ttlSeconds = CACHE_TTL_SECONDS,
): BackendClient {
  const prefix = cachePrefix(backendUrl);
  async function cached<T>(key: string, load: () => Promise<T>, parse: (value: unknown) => T): Promise<T> {
    try {
      const hit = await client.get(prefix + key);
      if (hit !== null) return parse(JSON.parse(hit));
    } catch {
      // Redis unavailable or a corrupt entry: ask the backend.
    }
    const value = await load();
    client.set(prefix + key, JSON.stringify(value), 'EX', ttlSeconds).catch(() => undefined);
    return value;
  }

  return {
    listPosts: (visitor) => cached('posts', () => backend.listPosts(visitor), parsePosts),
    getPost: (id, visitor) =>
      cached(
        `posts:${id}`,
        () => backend.getPost(id, visitor),
        (value) => (value === null ? null : parsePost(value)),
      ),
    isReachable: () => backend.isReachable(),
  };
}
