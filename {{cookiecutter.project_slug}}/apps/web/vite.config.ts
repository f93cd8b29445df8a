import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { composableCoreEntries } from './build/composable-core.js';
import { precompress } from './build/precompress.js';

// Two builds from one config:
//   vite build                           -> dist/client  (hashed assets, manifest, .br/.gz)
//   vite build --ssr src/server/index.ts -> dist/server/index.cjs (one file, no node_modules at run time)
export default defineConfig(({ isSsrBuild }) => ({
  plugins: [svelte(), precompress()],
  resolve: {
{%- if cookiecutter.layout == "standalone" %}
    alias: [
      { find: /^@repo\/shared$/, replacement: fileURLToPath(new URL('./src/shared/index.ts', import.meta.url)) },
      ...composableCoreEntries(),
    ],
{%- else %}
    alias: [...composableCoreEntries()],
{%- endif %}
  },
  build: isSsrBuild
    ? {
        outDir: 'dist/server',
        // The oldest Node line the template offers: the bundle runs on every supported line.
        target: 'node22',
        emptyOutDir: true,
        // Half the bytes to read and compile at every start, and half the image's payload.
        minify: true,
        // CommonJS: Node's ESM loader reads every export of a built-in it imports, and node:http's
        // include lazy getters that load undici (about 25 ms at every start) for nothing.
        rollupOptions: { output: { format: 'cjs', entryFileNames: 'index.cjs', codeSplitting: false } },
      }
    : {
        outDir: 'dist/client',
        manifest: true,
        emptyOutDir: true,
        rollupOptions: { input: fileURLToPath(new URL('./src/client/main.ts', import.meta.url)) },
      },
  ssr: {
    // Bundle every dependency into dist/server/index.cjs: the runtime image copies dist/ only.
    // (`dev` and tests load dependencies from node_modules as usual.)
    noExternal: isSsrBuild ? true : undefined,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // The store is a `.svelte.js` module (runes): it must go through the Svelte plugin.
    server: { deps: { inline: ['@composable-svelte/core'] } },
  },
}));
