import { parsePosts } from '@repo/shared';
import type { PostsApi } from '../app/actions.js';

const TIMEOUT_MS = 5000;

/**
 * The browser side of the reducer's dependencies: the API at PUBLIC_API_URL when the page names
 * one (the API must allow this origin in CORS_ALLOWED_ORIGINS), else this server's /api/posts.
 */
export function createPostsApi(apiUrl: string): PostsApi {
  return {
    async listPosts() {
      const response = await fetch(`${apiUrl}/api/posts`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`GET /api/posts answered ${response.status}`);
      return parsePosts(await response.json());
    },
  };
}
