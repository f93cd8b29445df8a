import fastifyCookie from '@fastify/cookie';
import fastifyCsrfProtection from '@fastify/csrf-protection';
import type { AccountUser, SessionGrant } from '@repo/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppAction } from '../../app/actions.js';
import { BackendError } from '../backend.js';
import { ASSETS_PREFIX } from '../plugins/static.js';
import type { AccountsClient } from './client.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The opaque token of the session cookie, when it has one of the right shape. */
    sessionToken: string | null;
    /** The signed-in person of a page request, as the API resolved the session; null otherwise. */
    viewer: AccountUser | null;
    /** The form token this page's forms carry; '' while the page has no form. */
    formToken: string;
  }
}

/**
 * `__Host-`: the browser takes it only with Secure, Path=/ and no Domain, so no subdomain and no
 * plain-HTTP page can set or shadow it. Browsers treat http://localhost and 127.0.0.1 as secure.
 */
export const SESSION_COOKIE = '__Host-session';
const CSRF_COOKIE = '__Host-csrf';
const COOKIE_OPTIONS = { path: '/', secure: true, httpOnly: true, sameSite: 'lax' } as const;
/** The API's tokens are 32 bytes in base64url; anything else in the cookie is not a session. */
const OPAQUE_SESSION = /^[A-Za-z0-9_-]{16,512}$/;

export function setSessionCookie(reply: FastifyReply, grant: SessionGrant): void {
  // Max-Age follows the API's expiry: the cookie never outlives the session it names.
  const maxAge = Math.max(0, Math.floor((grant.expiresAt.getTime() - Date.now()) / 1000));
  reply.setCookie(SESSION_COOKIE, grant.token, { ...COOKIE_OPTIONS, maxAge });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
}

/** The page state's account part for this request (page.ts puts it first in every page). */
export function viewerLoaded(request: FastifyRequest): AppAction {
  const user = request.viewer ? { email: request.viewer.email } : null;
  return { type: 'accountLoaded', account: { user, csrfToken: request.formToken ?? '' } };
}

function isPageRequest(request: FastifyRequest): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') && (request.headers.accept ?? '').includes('text/html')
  );
}

/**
 * Cookies and form tokens, and who reads each page. A page request with a session
 * cookie asks the API whose session it is (the API alone decides); every response to a request
 * that carries a session, or that holds a form token, is `private, no-store`.
 */
async function sessions(app: FastifyInstance, { accounts }: { accounts: AccountsClient }) {
  await app.register(fastifyCookie);
  // The secret behind the form tokens lives in its own cookie (double submit); the token is
  // read from the `_csrf` field of the form.
  await app.register(fastifyCsrfProtection, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: COOKIE_OPTIONS,
    getToken: (request) => (request.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
  });

  app.decorateRequest('sessionToken', null);
  app.decorateRequest('viewer', null);
  app.decorateRequest('formToken', '');

  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    request.sessionToken = token !== undefined && OPAQUE_SESSION.test(token) ? token : null;
  });

  app.addHook('preHandler', async (request, reply) => {
    if (request.sessionToken === null || !isPageRequest(request)) return;
    try {
      request.viewer = await accounts.currentUser(request.clientIp, request.sessionToken);
      if (request.viewer === null) clearSessionCookie(reply);
    } catch (error) {
      // The page still renders, as for a visitor; the cookie stays for when the API is back.
      const level = error instanceof BackendError && error.isRefusal ? 'info' : 'warn';
      request.log[level]({ reason: error instanceof BackendError ? error.reason : 'error' }, 'session not resolved');
    }
    // Signed-in pages carry the sign-out form.
    if (request.viewer !== null) request.formToken = reply.generateCsrf();
  });

  app.addHook('onSend', async (request, reply) => {
    // The hashed client files hold nothing of anyone's: they keep their year of public caching.
    if (request.url.startsWith(ASSETS_PREFIX)) return;
    if (request.cookies[SESSION_COOKIE] !== undefined || request.formToken) {
      reply.header('cache-control', 'private, no-store');
    }
  });
}

export default fp(sessions, { name: 'sessions', dependencies: ['client-address'] });
