// Browser entry: rebuild the store from the state the server embedded, then hydrate.
import { hydrate } from 'svelte';
import App from '../app/App.svelte';
import { API_URL_META, STATE_ELEMENT_ID } from '../app/hydration.js';
import type { AppState } from '../app/state.js';
import { createAppStore } from '../app/store.js';
import { createPostsApi } from './posts-api.js';
import { reportWebVitals } from './web-vitals.js';

const stateElement = document.getElementById(STATE_ELEMENT_ID);
const target = document.getElementById('app');
if (stateElement?.textContent && target) {
  const state = JSON.parse(stateElement.textContent) as AppState;
  const apiUrl = document.querySelector<HTMLMetaElement>(`meta[name="${API_URL_META}"]`)?.content ?? '';
  const store = createAppStore(state, { api: createPostsApi(apiUrl) });
  hydrate(App, { target, props: { store } });
  store.dispatch({ type: 'hydrated' });
  reportWebVitals(state.route.name);
}
