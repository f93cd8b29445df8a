import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * `@composable-svelte/core` exposes the store through its root entry, which also re-exports
 * the UI components and the SSR helpers, and those import isomorphic-dompurify (jsdom on the
 * server: +10 MB bundle, slow cold start). These aliases point at the two modules this app
 * uses, so neither bundle contains anything else. Types come from the root entry
 * (src/composable-core.d.ts).
 * @returns {import('vite').Alias[]}
 */
export function composableCoreEntries() {
  const dist = dirname(createRequire(import.meta.url).resolve('@composable-svelte/core'));
  return [
    { find: /^@composable-svelte\/core\/store$/, replacement: join(dist, 'store.svelte.js') },
    { find: /^@composable-svelte\/core\/effect$/, replacement: join(dist, 'effect.js') },
  ];
}
