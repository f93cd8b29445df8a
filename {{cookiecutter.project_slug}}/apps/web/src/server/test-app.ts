// Test support (imported only by *.test.ts): the real app over a client build in miniature.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import type { Post } from '@repo/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildApp, type AppOverrides } from './app.js';
import { BackendError, type BackendClient } from './backend.js';
import { loadConfig } from './config.js';

export const HOSTILE: Post[] = [
  { id: 1, title: '</script><script>alert(1)</script>', body: '<!-- x' },
  { id: 2, title: 'Calm', body: 'fine' },
];

export function backendWith(posts: Post[]): BackendClient {
  return {
    listPosts: async () => posts,
    getPost: async (id) => posts.find((post) => post.id === id) ?? null,
    isReachable: async () => true,
  };
}

export const downBackend: BackendClient = {
  listPosts: () => Promise.reject(new BackendError('GET /api/posts: backend unreachable')),
  getPost: () => Promise.reject(new BackendError('GET /api/posts/1: backend unreachable')),
  isReachable: async () => false,
};

/** Registers the vitest hooks of a test file and returns its app factory; apps close after each test. */
export function useTestApps() {
  let clientDir = '';
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    // A client build in miniature: manifest, one hashed script and its precompressed twin.
    clientDir = await mkdtemp(join(tmpdir(), 'web-client-'));
    await mkdir(join(clientDir, '.vite'));
    await mkdir(join(clientDir, 'assets'));
    const script = 'console.log("hydrate");'.repeat(100);
    await writeFile(join(clientDir, 'assets', 'main-abc123.js'), script);
    await writeFile(join(clientDir, 'assets', 'main-abc123.js.br'), brotliCompressSync(script));
    await writeFile(
      join(clientDir, '.vite', 'manifest.json'),
      JSON.stringify({ 'src/client/main.ts': { file: 'assets/main-abc123.js', isEntry: true, css: [] } }),
    );
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await rm(clientDir, { recursive: true, force: true });
  });

  return async function appWith(
    env: Record<string, string> = {},
    backend: BackendClient = backendWith(HOSTILE),
    overrides: AppOverrides = {},
  ): Promise<FastifyInstance> {
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', ...env }), { backend, clientDir, ...overrides });
    apps.push(app);
    return app;
  };
}
