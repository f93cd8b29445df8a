import { describe, expect, it } from 'vitest';
import type { AppAction, AppDependencies } from '../actions.js';
import { appReducer } from '../reducer.js';
import { initialState, type AppState } from '../state.js';
import type { FormAnswer } from './actions.js';

const request = { url: '/signup', acceptLanguage: '' };
const PASSWORD = 'correct horse battery staple';

function signupPage(): AppState {
  const state = initialState({ name: 'signup' }, request);
  return { ...state, hydrated: true, account: { ...state.account, csrfToken: 'form-token' } };
}

function depsAnswering(answer: FormAnswer) {
  const sent: { action: string; fields: Record<string, string> }[] = [];
  const visited: string[] = [];
  const deps: AppDependencies = {
    api: { listPosts: () => Promise.reject(new Error('not expected')) },
    accounts: {
      submit: async (action, fields) => (sent.push({ action, fields }), answer),
      navigate: (location) => void visited.push(location),
    },
  };
  return { deps, sent, visited };
}

function reduce(state: AppState, actions: AppAction[], deps: AppDependencies): AppState {
  return actions.reduce((current, action) => appReducer(current, action, deps)[0], state);
}

/** The sign-up form with a good address and password typed in. */
function filledIn(deps: AppDependencies): AppState {
  const typing: AppAction[] = [
    { type: 'fieldChanged', field: 'email', value: 'ada@example.com' },
    { type: 'fieldChanged', field: 'password', value: PASSWORD },
  ];
  return reduce(signupPage(), typing, deps);
}

async function effectOf(state: AppState, action: AppAction, deps: AppDependencies) {
  const [next, effect] = appReducer(state, action, deps);
  const dispatched: AppAction[] = [];
  if (effect._tag === 'Run') await effect.execute((action) => dispatched.push(action));
  if (effect._tag === 'FireAndForget') await effect.execute();
  return { next, dispatched };
}

describe('account forms', () => {
  it('checks every field before sending and sends nothing while one is wrong', async () => {
    const { deps, sent } = depsAnswering({ ok: true, location: '/' });
    const typed = reduce(
      signupPage(),
      [
        { type: 'fieldChanged', field: 'email', value: 'not an address' },
        { type: 'fieldChanged', field: 'password', value: 'short' },
      ],
      deps,
    );
    const { next, dispatched } = await effectOf(typed, { type: 'formSubmitted' }, deps);
    expect(Object.keys(next.account.form.errors).sort()).toEqual(['email', 'password']);
    expect(next.account.form.submitting).toBe(false);
    expect(sent).toEqual([]);
    expect(dispatched).toEqual([]);
  });

  it("clears a field's message as soon as its value is right, without a submit", () => {
    const { deps } = depsAnswering({ ok: true, location: '/' });
    const [refused] = appReducer(signupPage(), { type: 'formSubmitted' }, deps);
    expect(refused.account.form.errors.password).toBeTruthy();
    const fixed = reduce(refused, [{ type: 'fieldChanged', field: 'password', value: PASSWORD }], deps);
    expect(fixed.account.form.errors.password).toBeUndefined();
    expect(fixed.account.form.errors.email).toBeTruthy();
  });

  it('sends the fields with the form token, then follows the server to the next page', async () => {
    const { deps, sent, visited } = depsAnswering({ ok: true, location: '/signin?notice=check-inbox' });
    const typed = filledIn(deps);
    const { next, dispatched } = await effectOf(typed, { type: 'formSubmitted' }, deps);
    expect(next.account.form.submitting).toBe(true);
    expect(sent).toEqual([
      { action: '/signup', fields: { _csrf: 'form-token', email: 'ada@example.com', password: PASSWORD } },
    ]);
    expect(dispatched).toEqual([{ type: 'formAccepted', location: '/signin?notice=check-inbox' }]);
    await effectOf(next, dispatched[0]!, deps);
    expect(visited).toEqual(['/signin?notice=check-inbox']);
  });

  it("shows the server's refusal: its words per field and the problem of the form", async () => {
    const { deps } = depsAnswering({
      ok: false,
      problem: null,
      messages: { password: 'This password is on a list of breached passwords.' },
    });
    const typed = filledIn(deps);
    const { next, dispatched } = await effectOf(typed, { type: 'formSubmitted' }, deps);
    const shown = reduce(next, dispatched, deps);
    expect(shown.account.form.submitting).toBe(false);
    expect(shown.account.form.errors.password).toBe('This password is on a list of breached passwords.');
    expect(shown.account.form.values.password).toBe(PASSWORD);
  });
});
