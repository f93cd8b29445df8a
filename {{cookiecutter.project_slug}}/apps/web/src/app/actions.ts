import type { Post } from '@repo/shared';

export type AppAction =
  | { type: 'hydrated' }
  | { type: 'filterChanged'; filter: string }
  | { type: 'refreshRequested' }
  | { type: 'postsLoaded'; posts: Post[] }
  | { type: 'postLoaded'; post: Post | null }
  | { type: 'loadFailed' };

/** Where the reducer's effects get their data; the server and the browser each pass their own. */
export interface PostsApi {
  listPosts(): Promise<Post[]>;
}

export interface AppDependencies {
  api: PostsApi;
}
