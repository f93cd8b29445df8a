import { Effect } from './composable.js';
import type { AppAction, PostsApi } from './reducer.js';

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
