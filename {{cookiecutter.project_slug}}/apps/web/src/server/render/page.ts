import type { FastifyReply, FastifyRequest } from 'fastify';
import { render } from 'svelte/server';
import App from '../../app/App.svelte';
import type { PostsApi } from '../../app/actions.js';
import { SITE_NAME } from '../../app/site.js';
import { initialState, type AppState, type Route } from '../../app/state.js';
import { createAppStore, type AppStore } from '../../app/store.js';
import { pageLocale, text } from '../../app/text.js';
import type { ClientAssets } from './assets.js';
import { renderDocument } from './document.js';

/** What every page carries besides its state: the built assets and where the browser finds the API. */
export interface PageShell {
  assets: ClientAssets;
  /** PUBLIC_API_URL: the browser calls the API there directly; null = through this server. */
  publicApiUrl: string | null;
}

/**
 * The store a page starts from: the route, and what the request says about the reader (locale).
 * Effects never run on the server, so `api` is only there to satisfy the store's dependencies.
 */
export function pageStore(request: FastifyRequest, route: Route, api: PostsApi): AppStore {
  const state = initialState(route, { url: request.url, acceptLanguage: request.headers['accept-language'] ?? '' });
  return createAppStore(state, { api });
}

function pageTitle(state: AppState): string {
  if (state.route.name === 'post' && state.post) return `${state.post.title} · ${SITE_NAME}`;
  if (state.route.name === 'notFound') return `${text(state, 'notFoundTitle')} · ${SITE_NAME}`;
  return SITE_NAME;
}

/** Server-render the app for this store's state and embed that state for hydration. */
export function renderPage(store: AppStore, { assets, publicApiUrl }: PageShell): string {
  const { head, body } = render(App, { props: { store } });
  const state = store.state;
  return renderDocument({
    lang: pageLocale(state),
    title: pageTitle(state),
    head,
    body,
    state,
    scripts: assets.scripts,
    styles: assets.styles,
    apiUrl: publicApiUrl,
  });
}

export function sendPage(reply: FastifyReply, store: AppStore, shell: PageShell): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(renderPage(store, shell));
}
