import { {% if cookiecutter.use_i18n == "yes" %}MESSAGES_NAMESPACE, {% endif %}messages, type MessageKey } from './messages.js';
import type { AppState } from './state.js';

type Params = Record<string, string | number>;

function interpolate(template: string, params: Params): string {
  // Most texts have no placeholder: skip the regular expression for them (every render calls this).
  if (!template.includes('{')) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}
{%- if cookiecutter.use_i18n == "yes" %}

/**
 * The text for `key` in the page's locale, from the translations the server put in the state
 * (English when missing). Reads the state directly instead of the library's ICU translator,
 * which would add intl-messageformat (~12 kB gzip) to the browser bundle.
 */
export function text(state: AppState, key: MessageKey, params: Params = {}): string {
  for (const locale of state.i18n.fallbackChain) {
    const value = state.i18n.translations[`${locale}:${MESSAGES_NAMESPACE}`]?.[key];
    if (typeof value === 'string') return interpolate(value, params);
  }
  return interpolate(messages[key], params);
}

export function pageLocale(state: AppState): string {
  return state.i18n.currentLocale;
}

export function availableLocales(state: AppState): readonly string[] {
  return state.i18n.availableLocales;
}
{%- else %}

const LOCALE = 'en';

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function text(_state: AppState, key: MessageKey, params: Params = {}): string {
  return interpolate(messages[key], params);
}

export function pageLocale(_state: AppState): string {
  return LOCALE;
}

/** The locales a reader can switch between (the header shows a switcher for two or more). */
export function availableLocales(_state: AppState): readonly string[] {
  return [LOCALE];
}
{%- endif %}
