import type { Post } from '@repo/shared';
{%- if cookiecutter.auth == "password" %}
import type { AccountRouteName } from './account/forms.js';
import { anonymousAccount, type AccountState } from './account/state.js';
{%- endif %}
{%- if cookiecutter.use_i18n == "yes" %}
import type { I18nState } from '@composable-svelte/core/i18n';
import { createI18nState, detectLocale } from './i18n/index.js';
{%- endif %}

export type Route = { name: 'list' } | { name: 'post'; id: number } | { name: 'notFound' }{% if cookiecutter.auth == "password" %} | { name: AccountRouteName }{% endif %};

/** `failed`: the backend could not be reached; the page says so instead of erroring. */
export type LoadStatus = 'idle' | 'loading' | 'failed';

export interface AppState {
  route: Route;
  posts: Post[];
  post: Post | null;
  filter: string;
  status: LoadStatus;
  /** Set by the browser once the page is interactive; false in server-rendered HTML. */
  hydrated: boolean;
{%- if cookiecutter.auth == "password" %}
  account: AccountState;
{%- endif %}
{%- if cookiecutter.use_i18n == "yes" %}
  i18n: I18nState;
{%- endif %}
}

/** What a request tells the initial state: its URL and its preferred languages. */
export interface RequestInfo {
  url: string;
  acceptLanguage: string;
}

export function initialState(route: Route, {% if cookiecutter.use_i18n == "yes" %}request{% else %}_request{% endif %}: RequestInfo): AppState {
  return {
    route,
    posts: [],
    post: null,
    filter: '',
    status: 'idle',
    hydrated: false,
{%- if cookiecutter.auth == "password" %}
    account: anonymousAccount(),
{%- endif %}
{%- if cookiecutter.use_i18n == "yes" %}
    i18n: createI18nState(detectLocale(request)),
{%- endif %}
  };
}

export function visiblePosts(state: AppState): Post[] {
  const needle = state.filter.trim().toLowerCase();
  if (!needle) return state.posts;
  return state.posts.filter((post) => post.title.toLowerCase().includes(needle));
}
