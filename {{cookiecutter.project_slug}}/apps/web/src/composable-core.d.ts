// Types of the two entry points aliased in build/composable-core.js.
declare module '@composable-svelte/core/store' {
  export { createStore } from '@composable-svelte/core';
}
declare module '@composable-svelte/core/effect' {
  export { Effect } from '@composable-svelte/core';
}
