// What the template's options add to the page frame (App.svelte, which is copied as it is):
// pages by route and controls at the end of the header.
import type { Component } from 'svelte';
{%- if cookiecutter.auth == "password" %}
import AccountForm from './account/AccountForm.svelte';
import AccountMenu from './account/AccountMenu.svelte';
import { isAccountRoute } from './account/forms.js';
{%- endif %}
import type { AppStore } from './store.js';

type Part = Component<{ store: AppStore }>;

/** The page of a route App.svelte does not know itself, or null. */
export function pageOf({% if cookiecutter.auth == "password" %}route{% else %}_route{% endif %}: string): Part | null {
  return {% if cookiecutter.auth == "password" %}isAccountRoute(route) ? AccountForm : null{% else %}null{% endif %};
}

export const HEADER_PARTS: Part[] = [{% if cookiecutter.auth == "password" %}AccountMenu{% endif %}];
