import type { Post } from '@repo/shared';

/** Served when COMPOSABLE_RUST_BACKEND_URL is unset, so `dev` works without the API. */
export const FIXTURE_POSTS: Post[] = [
  {
    id: 1,
    title: 'Hello from the fixture',
    body: 'Set COMPOSABLE_RUST_BACKEND_URL to read posts from the API instead.',
  },
  {
    id: 2,
    title: 'Server-rendered, then hydrated',
    body: 'This page was rendered by Fastify and made interactive in the browser.',
  },
  {
    id: 3,
    title: 'State goes through the reducer',
    body: 'Filtering and refreshing the list are actions handled by one reducer.',
  },
];
