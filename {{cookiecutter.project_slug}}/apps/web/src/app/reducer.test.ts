import type { Post } from '@repo/shared';
import { describe, expect, it } from 'vitest';
import type { AppAction, PostsApi } from './actions.js';
import { appReducer } from './reducer.js';
import { initialState, visiblePosts, type AppState } from './state.js';

const posts: Post[] = [
  { id: 1, title: 'Alpha', body: 'a' },
  { id: 2, title: 'Beta', body: 'b' },
];
const request = { url: '/', acceptLanguage: '' };
const unusedApi: PostsApi = { listPosts: () => Promise.reject(new Error('not expected')) };

function listState(overrides: Partial<AppState> = {}): AppState {
  return { ...initialState({ name: 'list' }, request), posts, ...overrides };
}

/** Runs the effect a reducer returned and collects what it dispatches. */
async function run(effect: ReturnType<typeof appReducer>[1]): Promise<AppAction[]> {
  const dispatched: AppAction[] = [];
  if (effect._tag === 'Run') await effect.execute((action) => dispatched.push(action));
  return dispatched;
}

describe('appReducer', () => {
  it('filters the visible posts by title, ignoring case', () => {
    const [state, effect] = appReducer(listState(), { type: 'filterChanged', filter: 'BET' }, { api: unusedApi });
    expect(visiblePosts(state).map((post) => post.id)).toEqual([2]);
    expect(effect._tag).toBe('None');
  });

  it('marks the page hydrated', () => {
    const [state] = appReducer(listState(), { type: 'hydrated' }, { api: unusedApi });
    expect(state.hydrated).toBe(true);
  });

  it('refresh loads the posts through the api effect', async () => {
    const fresh: Post[] = [{ id: 3, title: 'Gamma', body: 'c' }];
    const api: PostsApi = { listPosts: async () => fresh };
    const [loading, effect] = appReducer(listState(), { type: 'refreshRequested' }, { api });
    expect(loading.status).toBe('loading');
    const actions = await run(effect);
    expect(actions).toEqual([{ type: 'postsLoaded', posts: fresh }]);
    const [loaded] = appReducer(loading, actions[0]!, { api });
    expect(loaded).toMatchObject({ status: 'idle', posts: fresh });
  });

  it('a failing refresh ends in the failed status, not an exception', async () => {
    const [loading, effect] = appReducer(listState(), { type: 'refreshRequested' }, { api: unusedApi });
    const actions = await run(effect);
    expect(actions).toEqual([{ type: 'loadFailed' }]);
    expect(appReducer(loading, actions[0]!, { api: unusedApi })[0].status).toBe('failed');
  });

  it('ignores a second refresh while one is in flight', () => {
    const [state, effect] = appReducer(
      listState({ status: 'loading' }),
      { type: 'refreshRequested' },
      { api: unusedApi },
    );
    expect(state.status).toBe('loading');
    expect(effect._tag).toBe('None');
  });

  it('a missing post turns the page into the not-found page', () => {
    const start = initialState({ name: 'post', id: 9 }, request);
    const [state] = appReducer(start, { type: 'postLoaded', post: null }, { api: unusedApi });
    expect(state.route).toEqual({ name: 'notFound' });
  });
});
