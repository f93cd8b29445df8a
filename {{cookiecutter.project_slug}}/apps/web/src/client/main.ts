// Browser entry: rebuild the store from the state the server embedded, then hydrate.
import { hydrate, mount, unmount } from 'svelte';
import App from '../app/App.svelte';
import { API_URL_META, STATE_ELEMENT_ID } from '../app/hydration.js';
import type { AppState } from '../app/state.js';
import { createAppStore } from '../app/store.js';
{%- if cookiecutter.auth == "password" %}
import { createAccountsApi } from './accounts-api.js';
{%- endif %}
import { carriedState, keepStateAcrossReload } from './dev-state.js';
import { createPostsApi } from './posts-api.js';
import { reportWebVitals } from './web-vitals.js';

const served = document.getElementById(STATE_ELEMENT_ID)?.textContent;
const target = document.getElementById('app');
if (served && target) {
  const apiUrl = document.querySelector<HTMLMetaElement>(`meta[name="${API_URL_META}"]`)?.content ?? '';
  // `dev`: the state of the page a server change reloaded (import.meta.hot is undefined in the build).
  const carried = import.meta.hot ? carriedState(served) : null;
{%- if cookiecutter.auth == "password" %}
  let store = createAppStore(carried ?? (JSON.parse(served) as AppState), {
    api: createPostsApi(apiUrl),
    accounts: createAccountsApi(),
  });
{%- else %}
  let store = createAppStore(carried ?? (JSON.parse(served) as AppState), { api: createPostsApi(apiUrl) });
{%- endif %}
  let app = carried
    ? (target.replaceChildren(), mount(App, { target, props: { store } }))
    : hydrate(App, { target, props: { store } });
  if (!carried) store.dispatch({ type: 'hydrated' });
  reportWebVitals(store.state.route.name);

  if (import.meta.hot) {
    // `dev`. A component edit never gets here: the Svelte plugin swaps the component in place.
    // An edit of the store's code (the reducer, its effects) or of the API client: the same
    // components, mounted again on a store built by the new code from the live state.
    let latest = { createAppStore, createPostsApi };
    import.meta.hot.accept(['../app/store.js', './posts-api.js'], ([nextStore, nextApi]) => {
      latest = { ...latest, ...nextStore, ...nextApi };
      const state = store.state;
      store.destroy();
      void unmount(app);
{%- if cookiecutter.auth == "password" %}
      store = latest.createAppStore(state, { api: latest.createPostsApi(apiUrl), accounts: createAccountsApi() });
{%- else %}
      store = latest.createAppStore(state, { api: latest.createPostsApi(apiUrl) });
{%- endif %}
      app = mount(App, { target, props: { store } });
    });
    keepStateAcrossReload(import.meta.hot, served, () => store.state);
  }
}
