import type { AppAction, AppDependencies } from './actions.js';
{%- if cookiecutter.auth == "password" %}
import { accountReducer } from './account/reducer.js';
{%- endif %}
import { Effect, type Reducer } from './composable.js';
import { refreshPosts } from './effects.js';
import type { AppState } from './state.js';

export const appReducer: Reducer<AppState, AppAction, AppDependencies> = (state, action, deps) => {
  switch (action.type) {
    case 'hydrated':
      return [{ ...state, hydrated: true }, Effect.none()];
    case 'filterChanged':
      return [{ ...state, filter: action.filter }, Effect.none()];
    case 'refreshRequested':
      if (state.status === 'loading') return [state, Effect.none()];
      return [{ ...state, status: 'loading' }, refreshPosts(deps.api)];
    case 'postsLoaded':
      return [{ ...state, posts: action.posts, status: 'idle' }, Effect.none()];
    case 'postLoaded':
      return action.post
        ? [{ ...state, post: action.post, status: 'idle' }, Effect.none()]
        : [{ ...state, post: null, route: { name: 'notFound' }, status: 'idle' }, Effect.none()];
    case 'loadFailed':
      return [{ ...state, status: 'failed' }, Effect.none()];
{%- if cookiecutter.auth == "password" %}
    default:
      return accountReducer(state, action, deps);
{%- endif %}
  }
};
