// What the server-rendered document and the browser entry agree on.

/** Element id of the state the browser hydrates from. */
export const STATE_ELEMENT_ID = 'app-state';
/** Meta element naming the API origin the browser should call (absent: same origin). */
export const API_URL_META = 'public-api-url';
