// Where the page is built, and where everything that goes into it is escaped.
import { API_URL_META, STATE_ELEMENT_ID } from '../../app/hydration.js';
import faviconSvg from '../../app/favicon.svg?raw';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value for HTML. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` become
 * \u escapes, so no string in the state can close the element (`</script>`) or open a
 * comment (`<!--`); U+2028/U+2029 too, for parsers that still treat them as line ends.
 * JSON.parse gives back exactly the original strings.
 */
export function serializeState(state: unknown): string {
  const json = JSON.stringify(state);
  if (json === undefined) throw new TypeError('state is not serializable');
  return json.replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The favicon inline, so it costs no request and needs no route (the CSP allows data: images).
 * Only what a URL or a quoted attribute cannot hold is percent-encoded: two thirds of the bytes
 * of encodeURIComponent, on every page.
 */
const FAVICON_HREF = `data:image/svg+xml,${faviconSvg
  .trim()
  .replace(/["#%&'<>\t\n\r]/g, (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;

export interface DocumentParts {
  lang: string;
  title: string;
  /** Component HTML from svelte/server, already escaped by Svelte. */
  head: string;
  body: string;
  /** The page state, already through `serializeState`. */
  stateJson: string;
  scripts: string[];
  styles: string[];
  apiUrl?: string | null;
}

export function renderDocument(parts: DocumentParts): string {
  const styles = parts.styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('');
  const apiMeta = parts.apiUrl ? `<meta name="${API_URL_META}" content="${escapeHtml(parts.apiUrl)}">\n` : '';
  const scripts = parts.scripts.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('');
  return `<!doctype html>
<html lang="${escapeHtml(parts.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(parts.title)}</title>
<link rel="icon" type="image/svg+xml" href="${escapeHtml(FAVICON_HREF)}">
${apiMeta}${styles}${scripts}
${parts.head}
</head>
<body>
<div id="app">${parts.body}</div>
<script id="${STATE_ELEMENT_ID}" type="application/json">${parts.stateJson}</script>
</body>
</html>
`;
}
