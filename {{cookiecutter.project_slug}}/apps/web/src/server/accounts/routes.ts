import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  FORMS,
  NOTICES,
  validateForm,
  type AccountRouteName,
  type FieldName,
  type FieldProblems,
} from '../../app/account/forms.js';
import type { MessageKey } from '../../app/messages.js';
import { BackendError } from '../backend.js';
import { pageState, sendPage, type PageShell } from '../render/page.js';
import type { AccountsClient, Outcome } from './client.js';
import { clearSessionCookie, setSessionCookie } from './session.js';

interface Options {
  accounts: AccountsClient;
  shell: PageShell;
  /** PUBLIC_URL: forms are accepted only from pages of this origin (else the request's own). */
  publicUrl: string | null;
}

type Values = Partial<Record<FieldName, string>>;

/** How a form ends: somewhere to go, or the form again with what is wrong. */
type Result = { location: string } | Shown;
type Shown = { status: number; problem?: MessageKey | null; problems?: FieldProblems; messages?: Values };

/** What the API's field errors say, for the fields this form has. */
function apiMessages(route: AccountRouteName, fields: Record<string, string>): Values {
  const messages: Values = {};
  for (const { name } of FORMS[route].fields) if (fields[name] !== undefined) messages[name] = fields[name];
  return messages;
}

/** An expected "no" of the API, as the form shows it. */
function refusedForm(route: AccountRouteName, outcome: Outcome<unknown> & { ok: false }, problem: MessageKey): Result {
  if (outcome.status === 422) return { status: 422, messages: apiMessages(route, outcome.problem.fields) };
  return { status: outcome.status, problem };
}

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').startsWith('application/json');
}

/**
 * A state-changing request from another site is refused before anything else: the browser says
 * where it comes from in Sec-Fetch-Site, or at least in Origin. A request with neither still
 * needs the form token (checked next), which only a page of this site has.
 */
export function isCrossSite(request: FastifyRequest, publicUrl: string | null): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin';
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  const expected = publicUrl !== null ? new URL(publicUrl).origin : `${request.protocol}://${request.host}`;
  return origin !== expected;
}

const ROUTE_OF_ACTION = new Map(Object.entries(FORMS).map(([route, spec]) => [spec.action, route as AccountRouteName]));

class ForbiddenError extends Error {
  readonly statusCode = 403;
  readonly code = 'FORBIDDEN_CROSS_SITE';
}

/** The account pages and their forms (auth=password): each POST answers 303 (or JSON to the reducer). */
export default async function accountRoutes(app: FastifyInstance, { accounts, shell, publicUrl }: Options) {
  // Form bodies for these routes only: every other route keeps refusing them (415).
  await app.register(fastifyFormbody);
  // A refused form (another site, no or an old form token) comes back with why, as a page.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode !== 403) throw error;
    request.log.info({ code: error.code }, 'form refused');
    if (wantsJson(request)) return reply.code(403).send({ ok: false, problem: 'errorForbidden' });
    const route = ROUTE_OF_ACTION.get(request.routeOptions.url ?? '') ?? 'signin';
    return showForm(request, reply, route, { status: 403, problem: 'errorForbidden' });
  });
  const guarded = {
    preHandler: [
      async (request: FastifyRequest) => {
        if (isCrossSite(request, publicUrl)) throw new ForbiddenError('cross-site form');
      },
      app.csrfProtection,
    ],
  };

  function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    route: AccountRouteName,
    { status = 200, values = {}, ...shown }: Partial<Shown> & { values?: Values; notice?: MessageKey | null } = {},
  ) {
    request.formToken = reply.generateCsrf();
    const state = pageState(request, { name: route }, [{ type: 'formShown', values, ...shown }]);
    return sendPage(reply.code(status), state, shell);
  }

  function noticeOf(request: FastifyRequest): MessageKey | null {
    const { notice } = request.query as { notice?: unknown };
    return typeof notice === 'string' && Object.hasOwn(NOTICES, notice)
      ? NOTICES[notice as keyof typeof NOTICES]
      : null;
  }

  /** A form's POST: its fields, checked as the browser checks them, then `run`. */
  function handle(
    route: AccountRouteName,
    run: (values: Values, request: FastifyRequest, reply: FastifyReply) => Promise<Result>,
  ) {
    const spec = FORMS[route];
    app.post(spec.action, guarded, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const values: Values = {};
      for (const { name, kind } of spec.fields) {
        const raw = typeof body[name] === 'string' ? body[name] : '';
        values[name] = kind === 'email' ? raw.trim() : raw;
      }
      const problems = validateForm(spec, values);
      let result: Result;
      if (Object.keys(problems).length > 0) {
        result = { status: 422, problems };
      } else {
        try {
          result = await run(values, request, reply);
        } catch (error) {
          result = failure(request, reply, error);
        }
      }
      if ('location' in result) {
        return wantsJson(request)
          ? reply.send({ ok: true, location: result.location })
          : reply.redirect(result.location, 303);
      }
      const { status, problem = null, problems: fieldProblems = {}, messages = {} } = result;
      if (wantsJson(request)) return reply.code(status).send({ ok: false, problem, problems: fieldProblems, messages });
      // Never echo a password: the form comes back with what else was typed.
      const kept = Object.fromEntries(
        spec.fields.filter((field) => !field.kind.endsWith('password')).map(({ name }) => [name, values[name] ?? '']),
      );
      return showForm(request, reply, route, { status, values: kept, problem, problems: fieldProblems, messages });
    });
  }

  /** The API down or saying "later": the form stays, with a message and Retry-After when known. */
  function failure(request: FastifyRequest, reply: FastifyReply, error: unknown): Shown {
    if (error instanceof BackendError && error.isRefusal) {
      request.log.info({ reason: error.reason, status: error.status }, 'backend refused the form');
      reply.header('retry-after', String(error.retryAfterSeconds));
      return error.status === 429
        ? { status: 429, problem: 'errorTooMany' }
        : { status: 503, problem: 'errorUnavailable' };
    }
    request.log.warn({ err: error }, 'backend failed; the form stays');
    return { status: 503, problem: 'errorUnavailable' };
  }

  for (const route of ['signup', 'signin', 'forgotPassword'] as const) {
    app.get(FORMS[route].action, async (request, reply) =>
      showForm(request, reply, route, { notice: noticeOf(request) }),
    );
  }

  handle('signup', async ({ email = '', password = '' }, request) => {
    const outcome = await accounts.signUp(request.clientIp, email, password);
    // A new and a taken address get the same answer: the inbox says which it was.
    return outcome.ok ? { location: '/signin?notice=check-inbox' } : refusedForm('signup', outcome, 'errorInvalid');
  });

  handle('signin', async ({ email = '', password = '' }, request, reply) => {
    const outcome = await accounts.signIn(request.clientIp, email, password);
    // One answer for a wrong password, an unknown address and one not verified yet (the API's).
    if (!outcome.ok) return refusedForm('signin', outcome, 'errorCredentials');
    setSessionCookie(reply, outcome.value);
    return { location: '/' };
  });

  handle('forgotPassword', async ({ email = '' }, request) => {
    const outcome = await accounts.requestReset(request.clientIp, email);
    return outcome.ok
      ? { location: '/forgot-password?notice=reset-sent' }
      : refusedForm('forgotPassword', outcome, 'errorInvalid');
  });

  app.get('/reset-password', async (request, reply) => {
    const { token } = request.query as { token?: unknown };
    return showForm(request, reply, 'resetPassword', { values: { token: typeof token === 'string' ? token : '' } });
  });

  handle('resetPassword', async ({ token = '', password = '' }, request, reply) => {
    const outcome = await accounts.confirmReset(request.clientIp, token, password);
    if (!outcome.ok) return refusedForm('resetPassword', outcome, 'errorToken');
    // The API closed every session of the account, this browser's too.
    clearSessionCookie(reply);
    return { location: '/signin?notice=password-reset' };
  });

  // The link of the verification mail: verifies, signs in, and leaves the URL with the token at once.
  app.get('/verify-email', async (request, reply) => {
    const { token } = request.query as { token?: unknown };
    if (typeof token !== 'string' || token === '') return showForm(request, reply, 'verifyEmail');
    // Not the shape of a token the API hands out: refused here, without a call.
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(token))
      return showForm(request, reply, 'verifyEmail', { status: 400, problem: 'errorToken' });
    let outcome;
    try {
      outcome = await accounts.verify(request.clientIp, token);
    } catch (error) {
      return showForm(request, reply, 'verifyEmail', failure(request, reply, error));
    }
    if (!outcome.ok) return showForm(request, reply, 'verifyEmail', { status: 400, problem: 'errorToken' });
    setSessionCookie(reply, outcome.value);
    return reply.redirect('/', 303);
  });

  handle('verifyEmail', async ({ email = '' }, request) => {
    const outcome = await accounts.resendVerification(request.clientIp, email);
    return outcome.ok
      ? { location: '/signin?notice=verification-sent' }
      : refusedForm('verifyEmail', outcome, 'errorInvalid');
  });

  app.post('/signout', guarded, async (request, reply) => {
    if (request.sessionToken !== null) {
      try {
        await accounts.signOut(request.clientIp, request.sessionToken);
      } catch (error) {
        // The cookie goes anyway; the session then ends at its idle expiry.
        request.log.warn(
          { reason: error instanceof BackendError ? error.reason : 'error' },
          'sign-out not recorded by the API',
        );
      }
    }
    clearSessionCookie(reply);
    return reply.redirect('/signin?notice=signed-out', 303);
  });

  app.get('/posts/new', async (request, reply) => {
    if (request.viewer === null) return reply.redirect('/signin?notice=sign-in-first', 303);
    return showForm(request, reply, 'newPost');
  });

  handle('newPost', async ({ title = '', body = '' }, request, reply) => {
    if (request.sessionToken === null) return { location: '/signin?notice=sign-in-first' };
    const outcome = await accounts.createPost(request.clientIp, request.sessionToken, title, body);
    if (outcome.ok) return { location: `/posts/${outcome.value.id}` };
    if (outcome.status === 401) {
      clearSessionCookie(reply);
      return { location: '/signin?notice=sign-in-first' };
    }
    return refusedForm('newPost', outcome, 'errorInvalid');
  });
}
