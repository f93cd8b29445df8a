import type { AppAction, PostsApi } from './actions.js';
import { Effect } from './composable.js';

/** Reload the list; deferred on the server (the store never runs effects there). */
export function refreshPosts(api: PostsApi) {
  return Effect.run<AppAction>(async (dispatch) => {
    try {
      dispatch({ type: 'postsLoaded', posts: await api.listPosts() });
    } catch {
      dispatch({ type: 'loadFailed' });
    }
  });
}
