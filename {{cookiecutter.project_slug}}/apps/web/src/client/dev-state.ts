// `dev` only: the store's state outlives a reload caused by a server change (build/dev-server.js
// reloads the page). It is carried over unless the server now renders different data for the
// page: then the edit is what the reader should see.
import type { ViteHotContext } from 'vite/types/hot.js';
import type { AppState } from '../app/state.js';

const RELOAD_KEY = 'dev:state-before-reload';

interface Saved {
  url: string;
  /** The state the server embedded in that page, as text. */
  served: string;
  state: AppState;
}

/** The state to start from instead of the server's, or null to hydrate as in production. */
export function carriedState(served: string): AppState | null {
  const saved = sessionStorage.getItem(RELOAD_KEY);
  sessionStorage.removeItem(RELOAD_KEY);
  if (!saved) return null;
  const { url, served: before, state } = JSON.parse(saved) as Saved;
  return url === location.href && before === served ? state : null;
}

/** Keep the live state for the page that replaces this one. */
export function keepStateAcrossReload(hot: ViteHotContext, served: string, liveState: () => AppState): void {
  hot.on('vite:beforeFullReload', () => {
    const saved: Saved = { url: location.href, served, state: liveState() };
    sessionStorage.setItem(RELOAD_KEY, JSON.stringify(saved));
  });
}
