// The slice of @composable-svelte/core this app uses, imported in one place.
// Deep entries (see build/composable-core.js) keep the library's DOMPurify/jsdom out of both bundles.
export { createStore } from '@composable-svelte/core/store';
export { Effect } from '@composable-svelte/core/effect';
export type { Reducer, Store } from '@composable-svelte/core';
