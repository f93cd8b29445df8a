import {
  parseApiProblem,
  parseCurrentUser,
  parsePost,
  parseSessionGrant,
  type AccountUser,
  type ApiProblem,
  type Post,
  type SessionGrant,
} from '@repo/shared';
import { BackendError, refusalOf } from '../backend.js';

/**
 * The API's accounts routes (see @repo/shared's accounts contract), called for one visitor:
 * every call carries the service token and the visitor's address; calls for a signed-in person
 * carry their session token too, and the API resolves the user from it itself.
 *
 * An expected "no" of the API (wrong password, taken token...) is an answer, `{ ok: false }`; a
 * deliberate "later" (429, 503 with Retry-After) is a BackendError with reason `refused`; anything
 * else (unreachable, 5xx, not the contract) is a BackendError too. None of these go through the
 * posts' circuit breaker: one person's refused sign-in never degrades another's pages.
 */
export interface AccountsClient {
  signUp(visitor: string, email: string, password: string): Promise<Outcome<null>>;
  verify(visitor: string, token: string): Promise<Outcome<SessionGrant>>;
  resendVerification(visitor: string, email: string): Promise<Outcome<null>>;
  signIn(visitor: string, email: string, password: string): Promise<Outcome<SessionGrant>>;
  /** null when the session is missing, unknown or expired. */
  currentUser(visitor: string, session: string): Promise<AccountUser | null>;
  signOut(visitor: string, session: string): Promise<void>;
  requestReset(visitor: string, email: string): Promise<Outcome<null>>;
  confirmReset(visitor: string, token: string, password: string): Promise<Outcome<null>>;
  createPost(visitor: string, session: string, title: string, body: string): Promise<Outcome<Post>>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; problem: ApiProblem };

export interface AccountsClientOptions {
  baseUrl: string;
  /** API_WRITE_TOKEN: the accounts routes answer 401 without it. */
  token: string | null;
  timeoutMs: number;
}

export function createAccountsClient({ baseUrl, token, timeoutMs }: AccountsClientOptions): AccountsClient {
  /**
   * One call. `expected` are the statuses the contract gives a meaning to besides success; their
   * error body is returned as an answer. Error messages name the route, never a body or a header.
   */
  async function call<T>(
    method: string,
    path: string,
    { visitor, session, body, read, expected = [] }: CallOptions<T>,
  ): Promise<Outcome<T>> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-visitor-address': visitor };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (session !== undefined) headers['x-session-token'] = session;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new BackendError(
        `${method} ${path}: backend ${timedOut ? 'timed out' : 'unreachable'}`,
        timedOut ? 'timeout' : 'unreachable',
        {
          cause: error,
        },
      );
    }
    const refusal = refusalOf(`${method} ${path}`, response);
    if (refusal !== null) {
      await response.body?.cancel();
      throw refusal;
    }
    const json: unknown = await response.json().catch(() => null);
    if (response.ok) {
      try {
        return { ok: true, value: read(json) };
      } catch (error) {
        throw new BackendError(
          `${method} ${path}: ${error instanceof Error ? error.message : 'bad response'}`,
          'invalid_response',
          {
            cause: error,
          },
        );
      }
    }
    // A request with a body may be refused for it (400, 422): the form says so.
    if (
      expected.includes(response.status) ||
      (body !== undefined && (response.status === 400 || response.status === 422))
    )
      return { ok: false, status: response.status, problem: parseApiProblem(json) };
    throw new BackendError(`${method} ${path}: backend answered ${response.status}`, 'status', {
      status: response.status,
    });
  }

  const nothing = () => null;
  return {
    signUp: (visitor, email, password) =>
      call('POST', '/api/accounts', { visitor, body: { email, password }, read: nothing }),
    verify: (visitor, token) =>
      call('POST', '/api/accounts/verification', {
        visitor,
        body: { token },
        read: parseSessionGrant,
      }),
    resendVerification: (visitor, email) =>
      call('POST', '/api/accounts/verification/resend', { visitor, body: { email }, read: nothing }),
    signIn: (visitor, email, password) =>
      call('POST', '/api/sessions', {
        visitor,
        body: { email, password },
        read: parseSessionGrant,
        expected: [401],
      }),
    async currentUser(visitor, session) {
      const answer = await call('GET', '/api/sessions/current', {
        visitor,
        session,
        read: parseCurrentUser,
        expected: [401],
      });
      return answer.ok ? answer.value : null;
    },
    async signOut(visitor, session) {
      await call('DELETE', '/api/sessions/current', { visitor, session, read: nothing });
    },
    requestReset: (visitor, email) =>
      call('POST', '/api/accounts/password-reset', { visitor, body: { email }, read: nothing }),
    confirmReset: (visitor, token, password) =>
      call('POST', '/api/accounts/password-reset/confirm', {
        visitor,
        body: { token, password },
        read: nothing,
      }),
    createPost: (visitor, session, title, body) =>
      call('POST', '/api/posts', { visitor, session, body: { title, body }, read: parsePost, expected: [401] }),
  };
}

interface CallOptions<T> {
  visitor: string;
  session?: string;
  body?: Record<string, string>;
  read: (json: unknown) => T;
  expected?: number[];
}
