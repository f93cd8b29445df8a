import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Post } from '@repo/shared';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { BackendClient } from '../../backend.js';
import { ConfigError, loadConfig } from '../../config.js';
import { useTestApps } from '../../test-app.js';
import { cachePrefix, withRedisCache } from './index.js';

const BACKEND = 'http://api.internal:8080';

/** The two Redis commands the cache uses, in memory; `broken` makes every call fail. */
function memoryRedis(broken = false) {
  const store = new Map<string, string>();
  const fail = () => Promise.reject(new Error('redis down'));
  return {
    store,
    client: {
      get: (key: string) => (broken ? fail() : Promise.resolve(store.get(key) ?? null)),
      set: (key: string, value: string) => (broken ? fail() : Promise.resolve(void store.set(key, value))),
    } as unknown as Redis,
  };
}

function countingBackend(posts: Post[]) {
  const calls = { list: 0 };
  const backend: BackendClient = {
    listPosts: async () => {
      calls.list += 1;
      return posts;
    },
    getPost: async (id) => posts.find((post) => post.id === id) ?? null,
    isReachable: async () => true,
  };
  return { backend, calls };
}

describe('withRedisCache', () => {
  const posts: Post[] = [{ id: 1, title: 'One', body: '1' }];

  it('asks the backend once while the entry lives', async () => {
    const { backend, calls } = countingBackend(posts);
    const redis = memoryRedis();
    const cached = withRedisCache(backend, redis.client, BACKEND);
    expect(await cached.listPosts()).toEqual(posts);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await cached.listPosts()).toEqual(posts);
    expect(calls.list).toBe(1);
    expect([...redis.store.keys()]).toEqual([`${cachePrefix(BACKEND)}posts`]);
  });

  it('keeps the answers of two backends apart in one Redis', async () => {
    const redis = memoryRedis();
    const first = countingBackend(posts);
    const second = countingBackend([{ id: 2, title: 'Two', body: '2' }]);
    expect(await withRedisCache(first.backend, redis.client, BACKEND).listPosts()).toEqual(posts);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const other = await withRedisCache(second.backend, redis.client, 'http://127.0.0.1:40123').listPosts();
    expect(other).toEqual([{ id: 2, title: 'Two', body: '2' }]);
    expect(second.calls.list).toBe(1);
    expect(cachePrefix(BACKEND)).not.toContain('api.internal');
  });

  it('falls through to the backend when Redis fails', async () => {
    const { backend, calls } = countingBackend(posts);
    const cached = withRedisCache(backend, memoryRedis(true).client, BACKEND);
    expect(await cached.listPosts()).toEqual(posts);
    expect(await cached.listPosts()).toEqual(posts);
    expect(calls.list).toBe(2);
  });

  it('caches a missing post as missing', async () => {
    const { backend } = countingBackend(posts);
    const cached = withRedisCache(backend, memoryRedis().client, BACKEND);
    expect(await cached.getPost(9)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await cached.getPost(9)).toBeNull();
  });
});

describe('REDIS_URL', () => {
  it('is required in production, where the rate limit is shared through it', () => {
    const production = { NODE_ENV: 'production'{% if cookiecutter.auth == "password" %}, PUBLIC_URL: 'https://app.example'{% endif %} };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/REDIS_URL/);
    expect(loadConfig({ ...production, REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe('redis://127.0.0.1:6379');
  });
});

describe('rate limit with Redis unreachable', () => {
  const appWith = useTestApps();

  it('keeps limiting, in the memory of this process, instead of switching off', async () => {
    // Nothing listens on port 1: every Redis call fails at once (no offline queue).
    const lines: string[] = [];
    const app = await appWith({ RATE_LIMIT_MAX: '2', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' }, undefined, {
      logStream: { write: (line) => void lines.push(line) },
    });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await app.inject({ url: '/api/posts' })).statusCode);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(lines.filter((line) => line.includes("counting in this Machine's memory"))).toHaveLength(1);
  });
});

/** A "Redis" that accepts connections and reads commands but never answers: a stopped process. */
async function hungRedis() {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('rate limit with a Redis that never answers', () => {
  const appWith = useTestApps();

  it('falls back to this process within a fraction of a second, not never', async () => {
    const redis = await hungRedis();
    const lines: string[] = [];
    try {
      const app = await appWith({ RATE_LIMIT_MAX: '3', REDIS_URL: redis.url, LOG_LEVEL: 'warn' }, undefined, {
        logStream: { write: (line) => void lines.push(line) },
      });
      const started = performance.now();
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await app.inject({ url: '/' })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(performance.now() - started).toBeLessThan(1500);
      expect(lines.filter((line) => line.includes("counting in this Machine's memory"))).toHaveLength(1);
    } finally {
      await redis.close();
    }
  });
});
