import { createInitialI18nState, createSSRLocaleDetector, type I18nState } from '@composable-svelte/core/i18n';
import { MESSAGES_NAMESPACE, messages, type Messages } from '../messages.js';
import { fr } from './fr.js';

export const DEFAULT_LOCALE = 'en';

/** Add a locale: write `xx.ts` typed as `Messages` (the compiler lists what is missing) and add it here. */
const bundles: Record<string, Messages> = { en: messages, fr };
export const SUPPORTED_LOCALES = Object.keys(bundles);

/**
 * The query of a request target, whatever the target: URLSearchParams never throws, while
 * `new URL()` throws on targets such as `//x:99999` that a client may send on purpose.
 */
function queryOf(target: string): URLSearchParams {
  const start = target.indexOf('?');
  return new URLSearchParams(start === -1 ? '' : target.slice(start + 1));
}

/** `?lang=` first, then Accept-Language, then English. */
export function detectLocale(request: { url: string; acceptLanguage: string }): string {
  return createSSRLocaleDetector({
    supportedLocales: SUPPORTED_LOCALES,
    defaultLocale: DEFAULT_LOCALE,
    // Only the query matters to the detector; the origin is a fixed, valid one.
    url: `http://localhost/?${queryOf(request.url).toString()}`,
    cookies: '',
    acceptLanguage: request.acceptLanguage,
    urlParam: 'lang',
  }).detect();
}

/** The i18n slice of the state, with only the page's locale loaded (it travels in the page). */
export function createI18nState(locale: string): I18nState {
  const state = createInitialI18nState(locale, SUPPORTED_LOCALES, DEFAULT_LOCALE);
  const bundle = bundles[locale] ?? messages;
  return { ...state, translations: { [`${locale}:${MESSAGES_NAMESPACE}`]: { ...bundle } } };
}
