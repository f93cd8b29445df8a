import type { AppAction, AppDependencies } from './actions.js';
import { createStore, type Store } from './composable.js';
import { appReducer } from './reducer.js';
import type { AppState } from './state.js';

export type AppStore = Store<AppState, AppAction>;

/** One store per request on the server, one per page in the browser. */
export function createAppStore(state: AppState, dependencies: AppDependencies): AppStore {
  return createStore({ initialState: state, reducer: appReducer, dependencies, maxHistorySize: 0 });
}
