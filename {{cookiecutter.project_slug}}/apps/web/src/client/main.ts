// Browser entry: rebuild the store from the state the server embedded, then hydrate.
import { hydrate } from 'svelte';
import App from '../app/App.svelte';
import type { AppState } from '../app/state.js';
import { createAppStore } from '../app/store.js';
import { createPostsApi } from './posts-api.js';
import { STATE_ELEMENT_ID } from '../server/render/document.js';

const stateElement = document.getElementById(STATE_ELEMENT_ID);
const target = document.getElementById('app');
if (stateElement?.textContent && target) {
  const state = JSON.parse(stateElement.textContent) as AppState;
  const store = createAppStore(state, { api: createPostsApi() });
  hydrate(App, { target, props: { store } });
  store.dispatch({ type: 'hydrated' });
}
