import type { MessageKey } from '../messages.js';
import type { FieldName, FieldProblems } from './forms.js';
import type { AccountState } from './state.js';

/** What the form shows besides what is typed: per field a message key or the API's own words. */
export interface FormVerdict {
  problem?: MessageKey | null;
  problems?: FieldProblems;
  messages?: Partial<Record<FieldName, string>>;
}

export type AccountAction =
  /** The server: who reads the page and the token of its forms. */
  | { type: 'accountLoaded'; account: Pick<AccountState, 'user' | 'csrfToken'> }
  /** The server: a form page, fresh or refused (then without any password in `values`). */
  | ({ type: 'formShown'; values: Partial<Record<FieldName, string>>; notice?: MessageKey | null } & FormVerdict)
  | { type: 'fieldChanged'; field: FieldName; value: string }
  | { type: 'formSubmitted' }
  /** Accepted: go where the server says (the browser navigates: the header changes with it). */
  | { type: 'formAccepted'; location: string }
  /** Refused, in the browser, by the server's JSON answer. */
  | ({ type: 'formRejected' } & FormVerdict);

/** Where the enhanced forms send their fields (the browser's fetch) and how it leaves the page. */
export interface AccountsApi {
  submit(action: string, fields: Record<string, string>): Promise<FormAnswer>;
  navigate(location: string): void;
}

/** The server's JSON answer to an enhanced form: where to go, or what to show. */
export type FormAnswer = { ok: true; location: string } | ({ ok: false } & FormVerdict);
