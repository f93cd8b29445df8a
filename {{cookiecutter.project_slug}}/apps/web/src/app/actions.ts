import type { Post } from '@repo/shared';
{%- if cookiecutter.auth == "password" %}
import type { AccountAction, AccountsApi } from './account/actions.js';
{%- endif %}

export type AppAction =
  | { type: 'hydrated' }
  | { type: 'filterChanged'; filter: string }
  | { type: 'refreshRequested' }
  | { type: 'postsLoaded'; posts: Post[] }
  | { type: 'postLoaded'; post: Post | null }
  | { type: 'loadFailed' }{% if cookiecutter.auth == "password" %}
  | AccountAction{% endif %};

/** Where the reducer's effects get their data; the server and the browser each pass their own. */
export interface PostsApi {
  listPosts(): Promise<Post[]>;
}

export interface AppDependencies {
  api: PostsApi;
{%- if cookiecutter.auth == "password" %}
  /** The enhanced account forms; absent on the server, where effects never run. */
  accounts?: AccountsApi;
{%- endif %}
}
