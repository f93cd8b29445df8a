import type { MessageKey } from '../messages.js';
import type { FieldName } from './forms.js';

/** What the page knows of the person reading it (auth=password). */
export interface AccountState {
  /** The signed-in person, as the API resolved their session; null for a visitor. */
  user: { email: string } | null;
  /** The form token of this page's forms (sign-out included); '' on a page without a form. */
  csrfToken: string;
  form: FormState;
}

export interface FormState {
  /** What was typed. A password is never put here by the server: a failed form comes back without it. */
  values: Partial<Record<FieldName, string>>;
  /** Per field, the text to show under it. */
  errors: Partial<Record<FieldName, string>>;
  /** About the whole form (wrong credentials, too many attempts), read out as an alert. */
  problem: MessageKey | null;
  /** A confirmation after a redirect (`?notice=`). */
  notice: MessageKey | null;
  submitting: boolean;
}

export const EMPTY_FORM: FormState = { values: {}, errors: {}, problem: null, notice: null, submitting: false };

export function anonymousAccount(): AccountState {
  return { user: null, csrfToken: '', form: EMPTY_FORM };
}

/**
 * A page that holds anything of one reader (their e-mail, a form token: every form page has one,
 * so what they typed too) is rendered for them alone: never from or into the shared render cache.
 */
export function isPersonal(account: AccountState): boolean {
  return account.user !== null || account.csrfToken !== '';
}
