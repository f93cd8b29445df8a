import type { AccountsApi, FormAnswer } from '../app/account/actions.js';

const TIMEOUT_MS = 15_000;

/**
 * The enhanced forms: the same POST as without JavaScript, asking for JSON instead of a page.
 * The server answers where to go next, or what is wrong; the browser then navigates, so the
 * session cookie and the header change together.
 */
export function createAccountsApi(): AccountsApi {
  return {
    async submit(action, fields) {
      const response = await fetch(action, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const answer = (await response.json()) as FormAnswer;
      if (typeof answer !== 'object' || answer === null || typeof answer.ok !== 'boolean') {
        throw new Error(`POST ${action} answered ${response.status}`);
      }
      return answer;
    },
    navigate(location) {
      window.location.assign(location);
    },
  };
}
