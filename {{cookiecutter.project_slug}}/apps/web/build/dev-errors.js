// `dev` only: how an error that stops the server from loading or rendering a page is shown.
// The terminal gets one line (file, line, message); the browser gets a page with the same and
// Vite's overlay, and reloads by itself when the source changes (src/client/dev-error.ts).
import { relative } from 'node:path';

/**
 * An error as Vite and its plugins report it (a compile error adds id, loc, frame and plugin).
 * @typedef {object} BuildError
 * @property {string} message
 * @property {string} [stack]
 * @property {string} [id]
 * @property { { file?: string, line: number, column: number } } [loc]
 * @property {string} [frame]
 * @property {string} [plugin]
 */

/** A frame of a stack trace in the project's own code, not in a dependency or in Node. */
const OWN_FRAME = /\(?((?:\/|[A-Za-z]:\\)[^():]+?):(\d+):(\d+)\)?$/;

/**
 * @typedef {object} ErrorLocation
 * @property {string} file relative to the project
 * @property {number} line
 * @property {number} column
 */

/**
 * Where the error comes from: the compiler's location, else the first stack frame in the project.
 * @param {BuildError} error
 * @param {string} root
 * @returns {ErrorLocation | null}
 */
export function errorLocation(error, root) {
  const file = error.id ?? error.loc?.file;
  if (file && error.loc)
    return { file: relative(root, file.split('?')[0] ?? file), line: error.loc.line, column: error.loc.column };
  for (const frame of (error.stack ?? '').split('\n').slice(1)) {
    const match = OWN_FRAME.exec(frame.trim());
    if (match?.[1] && !match[1].includes('node_modules') && match[1].startsWith(root)) {
      return { file: relative(root, match[1]), line: Number(match[2]), column: Number(match[3]) };
    }
  }
  return file ? { file: relative(root, file.split('?')[0] ?? file), line: 0, column: 0 } : null;
}

/**
 * The one terminal line: `src/app/components/PostList.svelte:12:3 Unexpected token`.
 * @param {BuildError} error
 * @param {string} root
 */
export function errorLine(error, root) {
  const at = errorLocation(error, root);
  // Compilers often start the message with the file's path and position: said once, in front.
  const message = firstLine(error.message).replace(/^\S+:\d+:\d+:?\s+/, '');
  return at ? `${at.file}:${at.line}:${at.column} ${message}` : message;
}

/** @param {string} text */
function firstLine(text) {
  // Compilers often repeat the location and a code frame after the first line.
  return (text.split('\n').find((line) => line.trim() !== '') ?? '').trim();
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {string} json JSON in a `<script type="application/json">`: nothing in it may close the element. */
function scriptSafe(json) {
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The page shown instead of the app: readable without JavaScript; with it, Vite's overlay and a
 * reload once the source changes. Under the dev CSP (no inline script, inline styles allowed).
 * @param {BuildError} error
 * @param {string} root
 * @param {string} elementId where src/client/dev-error.ts reads the error (see src/app/hydration.ts)
 */
export function errorPage(error, root, elementId) {
  const at = errorLocation(error, root);
  const where = at ? `${at.file}:${at.line}:${at.column}` : '';
  const overlay = {
    message: error.message,
    stack: error.stack ?? '',
    id: at?.file,
    frame: error.frame ?? '',
    plugin: error.plugin,
    loc: at ? { file: at.file, line: at.line, column: at.column } : undefined,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Error · dev server</title>
<style>
body { margin: 2rem; font: 16px/1.5 system-ui, sans-serif; color: #1f2937; }
h1 { font-size: 1.25rem; color: #b91c1c; }
pre { padding: 1rem; overflow-x: auto; background: #f3f4f6; font-size: 0.875rem; }
</style>
<script type="application/json" id="${elementId}">${scriptSafe(JSON.stringify(overlay))}</script>
<script type="module" src="/src/client/dev-error.ts"></script>
</head>
<body>
<h1>${escapeHtml(firstLine(error.message))}</h1>
${where ? `<p><code>${escapeHtml(where)}</code></p>` : ''}
${error.frame ? `<pre>${escapeHtml(error.frame)}</pre>` : ''}
<pre>${escapeHtml(error.stack ?? error.message)}</pre>
<p>This page reloads by itself once the file is saved again.</p>
</body>
</html>
`;
}
