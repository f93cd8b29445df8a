import { parsePost, parsePosts, type Post } from '@repo/shared';
import { FIXTURE_POSTS } from './fixture-posts.js';

/** The web app's view of the API (see the contract in @repo/shared). */
export interface BackendClient {
  listPosts(): Promise<Post[]>;
  /** null when the API answers 404. */
  getPost(id: number): Promise<Post | null>;
  /** For /ready: true when the API answers. */
  isReachable(): Promise<boolean>;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

export interface BackendOptions {
  baseUrl: string | null;
  timeoutMs: number;
}

export function createBackendClient({ baseUrl, timeoutMs }: BackendOptions): BackendClient {
  if (baseUrl === null) return fixtureBackend();

  async function get(path: string): Promise<Response> {
    try {
      return await fetch(`${baseUrl}${path}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : 'unreachable';
      throw new BackendError(`GET ${path}: backend ${reason}`, { cause: error });
    }
  }

  async function json(path: string, response: Response): Promise<unknown> {
    if (!response.ok) throw new BackendError(`GET ${path}: backend answered ${response.status}`);
    try {
      return await response.json();
    } catch (error) {
      throw new BackendError(`GET ${path}: backend sent invalid JSON`, { cause: error });
    }
  }

  function contract<T>(path: string, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      throw new BackendError(`GET ${path}: ${error instanceof Error ? error.message : 'bad response'}`, { cause: error });
    }
  }

  return {
    async listPosts() {
      const path = '/api/posts';
      const body = await json(path, await get(path));
      return contract(path, () => parsePosts(body));
    },
    async getPost(id) {
      const path = `/api/posts/${id}`;
      const response = await get(path);
      if (response.status === 404) return null;
      const body = await json(path, response);
      return contract(path, () => parsePost(body));
    },
    async isReachable() {
      try {
        const response = await get('/health');
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}

/** No backend configured: serve the built-in posts so the app runs on its own. */
function fixtureBackend(): BackendClient {
  return {
    listPosts: async () => FIXTURE_POSTS,
    getPost: async (id) => FIXTURE_POSTS.find((post) => post.id === id) ?? null,
    isReachable: async () => true,
  };
}
