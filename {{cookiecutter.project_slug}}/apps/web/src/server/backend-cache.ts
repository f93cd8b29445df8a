import { parsePost, parsePosts } from '@repo/shared';
import type { Redis } from 'ioredis';
import type { BackendClient } from './backend.js';

const TTL_SECONDS = 5;
const PREFIX = 'web-cache:';

/**
 * Backend answers shared through Redis for a few seconds, so a burst of page views across
 * every Machine costs the API one call. Redis trouble never fails a page: it falls through
 * to the backend. /ready still asks the backend itself.
 */
export function withRedisCache(backend: BackendClient, redis: Redis, ttlSeconds = TTL_SECONDS): BackendClient {
  async function cached<T>(key: string, load: () => Promise<T>, parse: (value: unknown) => T): Promise<T> {
    try {
      const hit = await redis.get(PREFIX + key);
      if (hit !== null) return parse(JSON.parse(hit));
    } catch {
      // Redis unavailable or a corrupt entry: ask the backend.
    }
    const value = await load();
    redis.set(PREFIX + key, JSON.stringify(value), 'EX', ttlSeconds).catch(() => undefined);
    return value;
  }

  return {
    listPosts: () => cached('posts', () => backend.listPosts(), parsePosts),
    getPost: (id) => cached(`posts:${id}`, () => backend.getPost(id), (value) => (value === null ? null : parsePost(value))),
    isReachable: () => backend.isReachable(),
  };
}
