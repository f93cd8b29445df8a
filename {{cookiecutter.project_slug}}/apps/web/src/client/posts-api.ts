import { parsePosts } from '@repo/shared';
import type { PostsApi } from '../app/reducer.js';

const TIMEOUT_MS = 5000;

/** The browser side of the reducer's dependencies: the web server's same-origin JSON route. */
export function createPostsApi(): PostsApi {
  return {
    async listPosts() {
      const response = await fetch('/api/posts', {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`GET /api/posts answered ${response.status}`);
      return parsePosts(await response.json());
    },
  };
}
