import { createInitialI18nState, createSSRLocaleDetector, type I18nState } from '@composable-svelte/core/i18n';
import { MESSAGES_NAMESPACE, messages, type Messages } from '../messages.js';
import { fr } from './fr.js';

export const DEFAULT_LOCALE = 'en';

/** Add a locale: write `xx.ts` typed as `Messages` (the compiler lists what is missing) and add it here. */
const bundles: Record<string, Messages> = { en: messages, fr };
export const SUPPORTED_LOCALES = Object.keys(bundles);

/** `?lang=` first, then Accept-Language, then English. */
export function detectLocale(request: { url: string; acceptLanguage: string }): string {
  return createSSRLocaleDetector({
    supportedLocales: SUPPORTED_LOCALES,
    defaultLocale: DEFAULT_LOCALE,
    url: new URL(request.url, 'http://localhost').toString(),
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
