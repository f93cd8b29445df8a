// The account pages (auth=password): one table says each form's fields, texts and links; the
// server, the reducer and AccountForm.svelte all read it.
import type { MessageKey } from '../messages.js';

export type AccountRouteName = 'signup' | 'signin' | 'forgotPassword' | 'resetPassword' | 'verifyEmail' | 'newPost';
export type FieldName = 'email' | 'password' | 'token' | 'title' | 'body';

export interface FieldSpec {
  name: FieldName;
  label: MessageKey;
  /** `new-password` is checked against the policy; `current-password` only for presence (old passwords work). */
  kind: 'email' | 'new-password' | 'current-password' | 'hidden' | 'text' | 'textarea';
  max: number;
  hint?: MessageKey;
}

export interface FormSpec {
  /** Where the form posts (and the page's path). */
  action: string;
  title: MessageKey;
  intro?: MessageKey;
  submit: MessageKey;
  fields: FieldSpec[];
  links: { href: string; label: MessageKey }[];
}

/** The API's limits, checked here first so a person learns of a mistake before a round trip. */
export const LIMITS = { email: 254, passwordMin: 15, password: 1024, title: 200, body: 10_000, token: 512 } as const;

const EMAIL: FieldSpec = { name: 'email', label: 'emailLabel', kind: 'email', max: LIMITS.email };
/** A password being chosen: checked against the policy, with the hint that explains it. */
const newPassword = (label: MessageKey): FieldSpec => ({
  name: 'password',
  label,
  kind: 'new-password',
  max: LIMITS.password,
  hint: 'passwordHint',
});

export const FORMS: Record<AccountRouteName, FormSpec> = {
  signup: {
    action: '/signup',
    title: 'signUpTitle',
    intro: 'signUpIntro',
    submit: 'signUpSubmit',
    fields: [EMAIL, newPassword('passwordLabel')],
    links: [{ href: '/signin', label: 'haveAccount' }],
  },
  signin: {
    action: '/signin',
    title: 'signInTitle',
    submit: 'signInSubmit',
    fields: [EMAIL, { name: 'password', label: 'passwordLabel', kind: 'current-password', max: LIMITS.password }],
    links: [
      { href: '/forgot-password', label: 'forgotLink' },
      { href: '/signup', label: 'noAccount' },
      { href: '/verify-email', label: 'resendLink' },
    ],
  },
  forgotPassword: {
    action: '/forgot-password',
    title: 'forgotTitle',
    intro: 'forgotIntro',
    submit: 'forgotSubmit',
    fields: [EMAIL],
    links: [{ href: '/signin', label: 'signIn' }],
  },
  resetPassword: {
    action: '/reset-password',
    title: 'resetTitle',
    submit: 'resetSubmit',
    fields: [
      { name: 'token', label: 'resetTitle', kind: 'hidden', max: LIMITS.token },
      newPassword('newPasswordLabel'),
    ],
    links: [{ href: '/forgot-password', label: 'forgotLink' }],
  },
  // GET /verify-email?token= verifies and signs in; this form is what a bad link shows: ask again.
  verifyEmail: {
    action: '/verify-email/resend',
    title: 'verifyTitle',
    intro: 'verifyIntro',
    submit: 'resendSubmit',
    fields: [EMAIL],
    links: [{ href: '/signin', label: 'signIn' }],
  },
  newPost: {
    action: '/posts/new',
    title: 'newPostTitle',
    submit: 'newPostSubmit',
    fields: [
      { name: 'title', label: 'titleLabel', kind: 'text', max: LIMITS.title },
      { name: 'body', label: 'bodyLabel', kind: 'textarea', max: LIMITS.body },
    ],
    links: [],
  },
};

export function isAccountRoute(name: string): name is AccountRouteName {
  return Object.hasOwn(FORMS, name);
}

/** Notices a page may show, chosen by `?notice=` after a redirect: a fixed set, never text from the URL. */
export const NOTICES = {
  'check-inbox': 'noticeCheckInbox',
  'verification-sent': 'noticeVerificationSent',
  'reset-sent': 'noticeResetSent',
  'password-reset': 'noticePasswordReset',
  'signed-out': 'noticeSignedOut',
  'sign-in-first': 'noticeSignInFirst',
} as const satisfies Record<string, MessageKey>;

export type NoticeName = keyof typeof NOTICES;

export type FieldProblems = Partial<Record<FieldName, MessageKey>>;

/** One field's problem, or null: the same rules in the browser (as one types) and on the server. */
export function fieldError(field: FieldSpec, raw: string): MessageKey | null {
  const value = field.kind === 'new-password' || field.kind === 'current-password' ? raw : raw.trim();
  const length = [...value].length;
  if (length === 0) return field.kind === 'email' ? 'errorEmail' : 'errorRequired';
  if (field.kind === 'new-password' && (length < LIMITS.passwordMin || length > field.max))
    return 'errorPasswordLength';
  if (length > field.max) return field.kind === 'email' ? 'errorEmail' : 'errorTooLong';
  // One @ with something on both sides, no spaces or control characters: the API decides the rest.
  // eslint-disable-next-line no-control-regex
  if (field.kind === 'email' && !/^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+$/.test(value)) {
    return 'errorEmail';
  }
  return null;
}

export function validateForm(spec: FormSpec, values: Partial<Record<FieldName, string>>): FieldProblems {
  const errors: FieldProblems = {};
  for (const field of spec.fields) {
    const error = fieldError(field, values[field.name] ?? '');
    if (error !== null) errors[field.name] = error;
  }
  return errors;
}
