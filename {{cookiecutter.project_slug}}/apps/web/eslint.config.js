// ESLint for every JavaScript, TypeScript and Svelte file of the web app. Formatting is
// Prettier's job (.prettierrc.json): these rules only catch mistakes.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', '**/coverage/'] },
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  svelte.configs.prettier,
  {
    // Server, build scripts and components all run JavaScript: Node's and the browser's globals.
    languageOptions: {
      globals: { ...globals.browser, ...globals.node },
      // This folder holds the web app's tsconfig.json, whatever folder ESLint runs from.
      parserOptions: { tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      // A leading underscore marks a parameter kept for its position; a rest sibling drops keys.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
);
