import type { AppAction, AppDependencies } from '../actions.js';
import { Effect, type Reducer } from '../composable.js';
import type { AppState } from '../state.js';
import { text } from '../text.js';
import type { AccountAction, FormVerdict } from './actions.js';
import { FORMS, fieldError, isAccountRoute, validateForm, type FieldName } from './forms.js';

type Errors = Partial<Record<FieldName, string>>;

/** The texts under the fields: the API's own words, or ours by key in the page's language. */
function errorsOf(state: AppState, { problems = {}, messages = {} }: FormVerdict): Errors {
  const errors: Errors = { ...messages };
  for (const [name, key] of Object.entries(problems)) errors[name as FieldName] = text(state, key);
  return errors;
}

/** The account forms: checked as one types and before sending; sent without a reload when JavaScript runs. */
export function accountReducer(
  state: AppState,
  action: AccountAction,
  deps: AppDependencies,
): ReturnType<Reducer<AppState, AppAction, AppDependencies>> {
  const { account } = state;
  const form = account.form;
  const withForm = (changes: Partial<typeof form>): AppState => ({
    ...state,
    account: { ...account, form: { ...form, ...changes } },
  });
  switch (action.type) {
    case 'accountLoaded':
      return [{ ...state, account: { ...account, ...action.account } }, Effect.none()];
    case 'formShown':
      return [
        withForm({
          values: action.values,
          errors: errorsOf(state, action),
          problem: action.problem ?? null,
          notice: action.notice ?? null,
        }),
        Effect.none(),
      ];
    case 'fieldChanged': {
      const values = { ...form.values, [action.field]: action.value };
      // A field is judged at the first submit; from then on its message follows each key stroke.
      const errors = { ...form.errors };
      if (errors[action.field] !== undefined) {
        const spec = isAccountRoute(state.route.name) ? FORMS[state.route.name] : null;
        const field = spec?.fields.find(({ name }) => name === action.field);
        const problem = field ? fieldError(field, action.value) : null;
        if (problem === null) delete errors[action.field];
        else errors[action.field] = text(state, problem);
      }
      return [withForm({ values, errors }), Effect.none()];
    }
    case 'formSubmitted': {
      if (form.submitting || !isAccountRoute(state.route.name)) return [state, Effect.none()];
      const spec = FORMS[state.route.name];
      const problems = validateForm(spec, form.values);
      if (Object.keys(problems).length > 0) {
        return [withForm({ errors: errorsOf(state, { problems }), problem: null }), Effect.none()];
      }
      const { accounts } = deps;
      if (accounts === undefined) return [state, Effect.none()];
      const fields: Record<string, string> = { _csrf: account.csrfToken };
      for (const { name } of spec.fields) fields[name] = form.values[name] ?? '';
      return [
        withForm({ errors: {}, problem: null, notice: null, submitting: true }),
        Effect.run<AppAction>(async (dispatch) => {
          try {
            const answer = await accounts.submit(spec.action, fields);
            if (answer.ok) dispatch({ type: 'formAccepted', location: answer.location });
            else
              dispatch({
                type: 'formRejected',
                problem: answer.problem,
                problems: answer.problems,
                messages: answer.messages,
              });
          } catch {
            dispatch({ type: 'formRejected', problem: 'errorUnavailable' });
          }
        }),
      ];
    }
    case 'formAccepted':
      return [state, Effect.fireAndForget<AppAction>(async () => deps.accounts?.navigate(action.location))];
    case 'formRejected':
      return [
        withForm({ errors: errorsOf(state, action), problem: action.problem ?? null, submitting: false }),
        Effect.none(),
      ];
  }
}
