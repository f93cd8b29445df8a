{%- if cookiecutter.use_i18n == "yes" -%}
import { createTranslator } from '@composable-svelte/core/i18n';
import type { MessageKey } from './messages.js';
import type { AppState } from './state.js';
import { NAMESPACE } from './i18n/index.js';

/** The text for `key` in the page's locale. */
export function text(state: AppState, key: MessageKey, params?: Record<string, string | number>): string {
  return createTranslator(state.i18n, NAMESPACE)(key, params);
}

export function pageLocale(state: AppState): string {
  return state.i18n.currentLocale;
}

export function availableLocales(state: AppState): readonly string[] {
  return state.i18n.availableLocales;
}
{%- else -%}
import { messages, type MessageKey } from './messages.js';
import type { AppState } from './state.js';

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function text(_state: AppState, key: MessageKey, params: Record<string, string | number> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

export function pageLocale(_state: AppState): string {
  return 'en';
}

/** Only one locale: no language switcher. Generate with use_i18n=yes for more. */
export function availableLocales(_state: AppState): readonly string[] {
  return [];
}
{%- endif %}
