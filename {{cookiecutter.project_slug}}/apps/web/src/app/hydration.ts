// What the server-rendered document and the browser entry agree on.

/** Element id of the state the browser hydrates from. */
export const STATE_ELEMENT_ID = 'app-state';
/** Meta element naming the API origin the browser should call (absent: same origin). */
export const API_URL_META = 'public-api-url';
/** `dev`: element id of the error the dev server's error page shows in Vite's overlay. */
export const DEV_ERROR_ELEMENT_ID = 'dev-error';
/** `dev`: the event the dev server sends when a source file changes (its error page then reloads). */
export const SOURCE_CHANGED_EVENT = 'dev:source-changed';
