// `dev` only, on the error page the dev server shows when it cannot load or render the app
// (build/dev-errors.js): the error in Vite's overlay, and a reload once the source changes.
import { DEV_ERROR_ELEMENT_ID, SOURCE_CHANGED_EVENT } from '../app/hydration.js';

type Overlay = new (error: unknown) => HTMLElement;

if (import.meta.hot) {
  // Vite's client (imported above by Vite for import.meta.hot) defines its overlay element.
  const ErrorOverlay = customElements.get('vite-error-overlay') as Overlay | undefined;
  const payload = document.getElementById(DEV_ERROR_ELEMENT_ID)?.textContent;
  if (ErrorOverlay && payload) document.body.appendChild(new ErrorOverlay(JSON.parse(payload)));
  // The page is not the app: nothing to keep, so any saved file is worth a fresh try.
  import.meta.hot.on(SOURCE_CHANGED_EVENT, () => location.reload());
}
