import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionGrant } from '@repo/shared';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../backend.js';
import { backendWith, HOSTILE, useTestApps } from '../test-app.js';
import { createAccountsClient, type AccountsClient } from './client.js';

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'https://app.example';
const SAME_ORIGIN = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };
const FORM = 'application/x-www-form-urlencoded';

const grant = (token: string, email: string): SessionGrant => ({
  token,
  expiresAt: new Date(Date.now() + 3600_000),
  user: { id: 1, email },
});

/** The accounts routes of the API as a test double: two users, their sessions, and every call recorded. */
function fakeAccounts() {
  const sessions = new Map([
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'ada@example.com'],
    ['bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'bob@example.com'],
  ]);
  const calls: string[] = [];
  const client: AccountsClient = {
    signUp: async () => (calls.push('signUp'), { ok: true, value: null }),
    verify: async (_visitor, token) => (
      calls.push('verify'),
      token === 'good'
        ? { ok: true, value: grant('c'.repeat(43), 'new@example.com') }
        : { ok: false, status: 400, problem: { error: 'invalid_token', fields: {} } }
    ),
    resendVerification: async () => (calls.push('resend'), { ok: true, value: null }),
    async signIn(_visitor, email, password) {
      calls.push(`signIn ${email}`);
      if (password !== PASSWORD)
        return { ok: false, status: 401, problem: { error: 'invalid_credentials', fields: {} } };
      return { ok: true, value: grant('a'.repeat(43), email) };
    },
    currentUser: async (_visitor, session) => {
      calls.push('currentUser');
      const email = sessions.get(session);
      return email ? { id: 1, email } : null;
    },
    signOut: async (_visitor, session) => void (calls.push('signOut'), sessions.delete(session)),
    requestReset: async () => (calls.push('requestReset'), { ok: true, value: null }),
    confirmReset: async () => (calls.push('confirmReset'), { ok: true, value: null }),
    createPost: async (_visitor, session, title, body) => (
      calls.push('createPost'),
      sessions.has(session)
        ? { ok: true, value: { id: 9, title, body } }
        : { ok: false, status: 401, problem: { error: 'no_session', fields: {} } }
    ),
  };
  return { client, calls, sessions };
}

const ADA = `__Host-session=${'a'.repeat(43)}`;
const BOB = `__Host-session=${'b'.repeat(43)}`;

/** The form token and its cookie, as a page of the site hands them out. */
async function formToken(
  app: FastifyInstance,
  path = '/signin',
  cookie = '',
): Promise<{ token: string; cookie: string }> {
  const page = await app.inject({ url: path, headers: { accept: 'text/html', cookie } });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  const secret = page.cookies.find((c) => c.name === '__Host-csrf');
  expect(token).toBeTruthy();
  expect(secret).toBeTruthy();
  return { token: token!, cookie: [cookie, `__Host-csrf=${secret!.value}`].filter(Boolean).join('; ') };
}

function post(app: FastifyInstance, url: string, fields: Record<string, string>, headers: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': FORM, accept: 'text/html', ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
}

function sessionCookie(response: LightMyRequestResponse) {
  return response.cookies.find((cookie) => cookie.name === '__Host-session');
}

describe('account pages', () => {
  const appWith = useTestApps();
  const start = async () => {
    const fake = fakeAccounts();
    const app = await appWith({ PUBLIC_URL: ORIGIN }, backendWith(HOSTILE), { accounts: fake.client });
    return { app, ...fake };
  };

  it('sign-in sets a __Host- session cookie that scripts, other sites and plain HTTP never see', async () => {
    const { app } = await start();
    const { token, cookie } = await formToken(app);
    const response = await post(
      app,
      '/signin',
      { _csrf: token, email: 'ada@example.com', password: PASSWORD },
      { ...SAME_ORIGIN, cookie },
    );
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    const header = [response.headers['set-cookie']].flat().find((line) => line?.startsWith('__Host-session='))!;
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; Secure/);
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).toMatch(/; Path=\//);
    expect(header).not.toMatch(/Domain=/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(header)?.[1]);
    expect(maxAge).toBeGreaterThan(3590);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  it.each([
    ['another site (Sec-Fetch-Site)', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['a sibling site (Sec-Fetch-Site)', { 'sec-fetch-site': 'same-site' }],
    ['another origin (Origin alone)', { origin: 'https://evil.example' }],
    ['an opaque origin', { origin: 'null' }],
  ])('a POST from %s is refused with 403 even with a valid session and form token', async (_name, headers) => {
    const { app, calls } = await start();
    const { token, cookie } = await formToken(app, '/', ADA);
    for (const [path, fields] of [
      ['/signout', { _csrf: token }],
      ['/posts/new', { _csrf: token, title: 'Forged', body: 'by another site' }],
      ['/signin', { _csrf: token, email: 'ada@example.com', password: PASSWORD }],
    ] as const) {
      const response = await post(app, path, fields, { ...headers, cookie });
      expect(response.statusCode, path).toBe(403);
      expect(sessionCookie(response), path).toBeUndefined();
    }
    expect(calls.filter((call) => call !== 'currentUser')).toEqual([]);
  });

  it('a POST with neither Origin nor Sec-Fetch-Site needs the form token, even with a valid session cookie', async () => {
    const { app, calls } = await start();
    const { token, cookie } = await formToken(app, '/', ADA);
    const without = await post(app, '/posts/new', { title: 'No token', body: 'x' }, { cookie });
    expect(without.statusCode).toBe(403);
    const forged = await post(app, '/posts/new', { _csrf: 'forged', title: 'Bad token', body: 'x' }, { cookie });
    expect(forged.statusCode).toBe(403);
    expect(calls).not.toContain('createPost');
    const withToken = await post(app, '/posts/new', { _csrf: token, title: 'With token', body: 'x' }, { cookie });
    expect(withToken.statusCode).toBe(303);
    expect(withToken.headers.location).toBe('/posts/9');
  });

  it('a wrong password re-renders the form with 401, the address kept and the password never echoed', async () => {
    const { app } = await start();
    const { token, cookie } = await formToken(app);
    const wrong = 'not the right password at all';
    const response = await post(
      app,
      '/signin',
      { _csrf: token, email: 'ada@example.com', password: wrong },
      { ...SAME_ORIGIN, cookie },
    );
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('role="alert"');
    expect(response.body).toContain('value="ada@example.com"');
    expect(response.body).not.toContain(wrong);
    expect(sessionCookie(response)).toBeUndefined();
  });

  it('sign-up checks the password policy before calling the API: 422 and the field named', async () => {
    const { app, calls } = await start();
    const { token, cookie } = await formToken(app, '/signup');
    const short = 'tooshort1';
    const response = await post(
      app,
      '/signup',
      { _csrf: token, email: 'ada@example.com', password: short },
      { ...SAME_ORIGIN, cookie },
    );
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('id="password-error"');
    expect(response.body).toContain('aria-invalid="true"');
    expect(response.body).not.toContain(short);
    expect(calls).not.toContain('signUp');
  });

  it('the enhanced form gets JSON: where to go, or what is wrong', async () => {
    const { app } = await start();
    const { token, cookie } = await formToken(app);
    const headers = { ...SAME_ORIGIN, cookie, accept: 'application/json' };
    const ok = await post(app, '/signin', { _csrf: token, email: 'ada@example.com', password: PASSWORD }, headers);
    expect(ok.json()).toEqual({ ok: true, location: '/' });
    expect(sessionCookie(ok)?.value).toBe('a'.repeat(43));
    const bad = await post(app, '/signup', { _csrf: token, email: 'nope', password: PASSWORD }, headers);
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ ok: false, problems: { email: 'errorEmail' } });
  });

  it('signed-in pages are private and never reach another reader through the render cache', async () => {
    const { app } = await start();
    const pages = async (cookie?: string) =>
      app.inject({ url: '/', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
    const anonymous = await pages();
    const ada = await pages(ADA);
    const bob = await pages(BOB);
    const anonymousAgain = await pages();
    expect(ada.body).toContain('ada@example.com');
    expect(ada.body).not.toContain('bob@example.com');
    expect(bob.body).toContain('bob@example.com');
    expect(bob.body).not.toContain('ada@example.com');
    for (const page of [anonymous, anonymousAgain]) {
      expect(page.body).not.toMatch(/(ada|bob)@example\.com/);
      expect(page.body).not.toContain('_csrf');
      expect(page.headers['cache-control']).toBe('no-store');
    }
    expect(anonymousAgain.body).toBe(anonymous.body);
    for (const page of [ada, bob]) expect(page.headers['cache-control']).toBe('private, no-store');
    // The hashed client files are the same for everyone, signed in or not.
    for (const cookie of [undefined, ADA]) {
      const asset = await app.inject({ url: '/assets/main-abc123.js', headers: cookie ? { cookie } : {} });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
    }
  });

  it("an unknown session is dropped: the cookie is cleared and the page is a visitor's", async () => {
    const { app } = await start();
    const response = await app.inject({
      url: '/',
      headers: { accept: 'text/html', cookie: `__Host-session=${'z'.repeat(43)}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('private, no-store');
    const cleared = sessionCookie(response);
    expect(cleared?.value).toBe('');
    expect(response.body).toContain('href="/signin"');
  });

  it('sign-out ends the session at the API, clears the cookie and redirects', async () => {
    const { app, calls, sessions } = await start();
    const { token, cookie } = await formToken(app, '/', ADA);
    const response = await post(app, '/signout', { _csrf: token }, { ...SAME_ORIGIN, cookie });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/signin?notice=signed-out');
    expect(sessionCookie(response)?.value).toBe('');
    expect(calls).toContain('signOut');
    expect(sessions.has('a'.repeat(43))).toBe(false);
  });

  it("the verification link signs in and leaves the token's URL; a bad one says so with 400", async () => {
    const { app } = await start();
    const good = await app.inject({ url: '/verify-email?token=good', headers: { accept: 'text/html' } });
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe('/');
    expect(sessionCookie(good)?.value).toBe('c'.repeat(43));
    const bad = await app.inject({ url: '/verify-email?token=used', headers: { accept: 'text/html' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('role="alert"');
    expect(sessionCookie(bad)).toBeUndefined();
  });

  it('/posts/new sends a visitor to sign in', async () => {
    const { app } = await start();
    const response = await app.inject({ url: '/posts/new', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/signin?notice=sign-in-first');
  });

  it('a notice is chosen from a fixed list, never text from the URL', async () => {
    const { app } = await start();
    const known = await app.inject({ url: '/signin?notice=signed-out', headers: { accept: 'text/html' } });
    expect(known.body).toContain('role="status"');
    const unknown = await app.inject({ url: '/signin?notice=%3Cb%3Ehi', headers: { accept: 'text/html' } });
    expect(unknown.body).not.toContain('role="status"');
    expect(unknown.body).not.toContain('<b>hi');
  });
});

describe('accounts client', () => {
  /** A one-route API that answers `status` (with `headers`) and records what it was sent. */
  async function api(status: number, body: unknown, headers: Record<string, string> = {}) {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body === undefined ? '' : JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createAccountsClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: 'service-token-'.padEnd(40, 'x'),
      timeoutMs: 2000,
    });
    return { client, seen, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('sends the service token, the visitor and the session token, and validates the answer', async () => {
    const { client, seen, close } = await api(200, { user: { id: 7, email: 'ada@example.com' } });
    try {
      expect(await client.currentUser('203.0.113.9', 'a'.repeat(43))).toEqual({ id: 7, email: 'ada@example.com' });
      expect(seen[0]).toMatchObject({
        authorization: `Bearer ${'service-token-'.padEnd(40, 'x')}`,
        'x-visitor-address': '203.0.113.9',
        'x-session-token': 'a'.repeat(43),
      });
    } finally {
      await close();
    }
  });

  it.each([
    [429, { 'retry-after': '7' }, 7],
    [503, { 'retry-after': '3' }, 3],
  ])('a %i with Retry-After is a refusal, not a failure', async (status, headers, seconds) => {
    const { client, close } = await api(status, { error: 'later' }, headers);
    try {
      const error = await client.signIn('203.0.113.9', 'ada@example.com', PASSWORD).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).isRefusal).toBe(true);
      expect((error as BackendError).retryAfterSeconds).toBe(seconds);
    } finally {
      await close();
    }
  });

  it('an expected "no" is an answer; a session grant that breaks the contract is an error', async () => {
    const wrong = await api(401, { error: 'invalid_credentials', message: 'no' });
    try {
      expect(await wrong.client.signIn('203.0.113.9', 'a@example.com', PASSWORD)).toEqual({
        ok: false,
        status: 401,
        problem: { error: 'invalid_credentials', fields: {} },
      });
    } finally {
      await wrong.close();
    }
    const broken = await api(201, { session: { token: 'has; a semicolon', expires_at: 'soon' }, user: {} });
    try {
      await expect(broken.client.signIn('203.0.113.9', 'a@example.com', PASSWORD)).rejects.toMatchObject({
        reason: 'invalid_response',
      });
    } finally {
      await broken.close();
    }
  });
});

describe('refusals through the page', () => {
  const appWith = useTestApps();

  it('a refused sign-in answers 429 with Retry-After and the posts still load', async () => {
    const fake = fakeAccounts();
    fake.client.signIn = () =>
      Promise.reject(
        new BackendError('POST /api/sessions: backend refused (429)', 'refused', {
          status: 429,
          retryAfterSeconds: 30,
        }),
      );
    const app = await appWith({ PUBLIC_URL: ORIGIN }, backendWith(HOSTILE), { accounts: fake.client });
    const { token, cookie } = await formToken(app);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const response = await post(
        app,
        '/signin',
        { _csrf: token, email: 'ada@example.com', password: PASSWORD },
        { ...SAME_ORIGIN, cookie },
      );
      expect(response.statusCode).toBe(429);
      expect(response.headers['retry-after']).toBe('30');
    }
    const list = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Calm');
  });
});

describe('PUBLIC_URL', () => {
  it('is required in production and never echoed', async () => {
    const { loadConfig } = await import('../config.js');
    const production = { NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(() => loadConfig(production)).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'https://user:hunter2@app.example' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'https://user:hunter2@app.example' })).not.toThrow(/hunter2/);
    expect(loadConfig({ ...production, PUBLIC_URL: 'https://app.example/' }).publicUrl).toBe('https://app.example');
  });
});
