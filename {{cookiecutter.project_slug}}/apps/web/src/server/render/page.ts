import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { render } from 'svelte/server';
import App from '../../app/App.svelte';
{%- if cookiecutter.auth == "password" %}
import { FORMS, isAccountRoute } from '../../app/account/forms.js';
import { isPersonal } from '../../app/account/state.js';
{%- endif %}
import type { AppAction } from '../../app/actions.js';
import { appReducer } from '../../app/reducer.js';
import { SITE_NAME } from '../../app/site.js';
import { initialState, type AppState, type Route } from '../../app/state.js';
import { createAppStore } from '../../app/store.js';
import { pageLocale, text } from '../../app/text.js';
import type { ClientAssets } from './assets.js';
{%- if cookiecutter.auth == "password" %}
import { viewerLoaded } from '../accounts/session.js';
{%- endif %}
import { renderDocument, serializeState } from './document.js';

/** Bytes of rendered pages kept (keys included): a few hundred pages of this app. */
const RENDER_CACHE_BYTES = 4 * 1024 * 1024;

/** The reducer's dependencies on the server, where effects never run: nothing calls it. */
const SERVER_DEPENDENCIES = { api: { listPosts: () => Promise.reject(new Error('effects do not run on the server')) } };

/** What every page carries besides its state: the built assets and where the browser finds the API. */
export interface PageShell {
  assets: ClientAssets;
  /** PUBLIC_API_URL: the browser calls the API there directly; null = through this server. */
  publicApiUrl: string | null;
  /** Rendered documents by serialized state (see renderPage). */
  rendered: LRUCache<string, string>;
}

export function createPageShell(assets: ClientAssets, publicApiUrl: string | null): PageShell {
  const rendered = new LRUCache<string, string>({
    maxSize: RENDER_CACHE_BYTES,
    sizeCalculation: (html, stateJson) => html.length + stateJson.length,
  });
  return { assets, publicApiUrl, rendered };
}

/**
 * A page's state: the route, what the request says about the reader (locale{% if cookiecutter.auth == "password" %}, who is signed in{% endif %}), then the actions
 * the server's data loading produced, through the app's reducer. The reducer is pure and effects
 * never run on the server, so no store is needed until something has to be rendered.
 */
export function pageState(request: FastifyRequest, route: Route, actions: AppAction[] = []): AppState {
  const start = initialState(route, { url: request.url, acceptLanguage: request.headers['accept-language'] ?? '' });
{%- if cookiecutter.auth == "password" %}
  const loaded = [viewerLoaded(request), ...actions];
  return loaded.reduce((state, action) => appReducer(state, action, SERVER_DEPENDENCIES)[0], start);
{%- else %}
  return actions.reduce((state, action) => appReducer(state, action, SERVER_DEPENDENCIES)[0], start);
{%- endif %}
}

function pageTitle(state: AppState): string {
  if (state.route.name === 'post' && state.post) return `${state.post.title} · ${SITE_NAME}`;
  if (state.route.name === 'notFound') return `${text(state, 'notFoundTitle')} · ${SITE_NAME}`;
{%- if cookiecutter.auth == "password" %}
  if (isAccountRoute(state.route.name)) return `${text(state, FORMS[state.route.name].title)} · ${SITE_NAME}`;
{%- endif %}
  return SITE_NAME;
}

/**
 * Server-render the app for this state (through a store, as the browser will) and embed the state
 * for hydration. A page is a function of its state alone (the shell is fixed), so a state rendered
 * before, e.g. the same posts for the next reader, gets the same document back from a bounded cache.
 */
export function renderPage(state: AppState, { assets, publicApiUrl, rendered }: PageShell): string {
  const stateJson = serializeState(state);
{%- if cookiecutter.auth == "password" %}
  // One reader's page (their e-mail, a form token) is never kept for, or taken from, another.
  const shared = !isPersonal(state.account);
  const cached = shared ? rendered.get(stateJson) : undefined;
{%- else %}
  const cached = rendered.get(stateJson);
{%- endif %}
  if (cached !== undefined) return cached;
  const store = createAppStore(state, SERVER_DEPENDENCIES);
  const { head, body } = render(App, { props: { store } });
  const html = renderDocument({
    lang: pageLocale(state),
    title: pageTitle(state),
    head,
    body,
    stateJson,
    scripts: assets.scripts,
    styles: assets.styles,
    apiUrl: publicApiUrl,
  });
  {% if cookiecutter.auth == "password" %}if (shared) {% endif %}rendered.set(stateJson, html);
  return html;
}

export function sendPage(reply: FastifyReply, state: AppState, shell: PageShell): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage(state, shell));
}
