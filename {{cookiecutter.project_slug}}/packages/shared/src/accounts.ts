// The accounts contract (auth=password), the one the Rust API serves under /api:
//   POST   /api/accounts                            {email, password}  -> 202 {} (new or taken address alike)
//   POST   /api/accounts/verification               {token}            -> 201 SessionGrant
//   POST   /api/accounts/verification/resend        {email}            -> 202 {}
//   POST   /api/sessions                            {email, password}  -> 201 SessionGrant
//   GET    /api/sessions/current   (X-Session-Token)                   -> 200 {user}
//   DELETE /api/sessions/current   (X-Session-Token)                   -> 204
//   POST   /api/accounts/password-reset             {email}            -> 202 {}
//   POST   /api/accounts/password-reset/confirm     {token, password}  -> 204
// Errors are {error, message?, fields?}; field problems are 422 {error: "invalid", fields}.
import { ContractError } from './index.js';

export interface AccountUser {
  id: number | string;
  email: string;
}

/** A session the API opened: the opaque token (only ever sent back to the API) and its expiry. */
export interface SessionGrant {
  token: string;
  expiresAt: Date;
  user: AccountUser;
}

export interface ApiProblem {
  error: string;
  /** Per field, for `invalid`: what is wrong with it, in words for the person who typed it. */
  fields: Record<string, string>;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractError(`${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

export function parseAccountUser(value: unknown): AccountUser {
  const { id, email } = record(value, 'user');
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isSafeInteger(id))) {
    throw new ContractError('user.id must be an integer or a string');
  }
  if (typeof email !== 'string' || !email.includes('@')) throw new ContractError('user.email must be an address');
  return { id, email };
}

/** 201 of POST /api/sessions and /api/accounts/verification. */
export function parseSessionGrant(value: unknown): SessionGrant {
  const { session, user } = record(value, 'answer');
  const { token, expires_at: expiresAt } = record(session, 'session');
  // The token becomes a cookie value: base64url only, so it can never carry `;` or a newline.
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,512}$/.test(token)) {
    throw new ContractError('session.token must be base64url');
  }
  const expires = typeof expiresAt === 'string' ? new Date(expiresAt) : null;
  if (expires === null || Number.isNaN(expires.getTime())) {
    throw new ContractError('session.expires_at must be an RFC 3339 date');
  }
  return { token, expiresAt: expires, user: parseAccountUser(user) };
}

/** 200 of GET /api/sessions/current. */
export function parseCurrentUser(value: unknown): AccountUser {
  return parseAccountUser(record(value, 'answer').user);
}

/** An error body; anything unexpected in it is dropped rather than trusted. */
export function parseApiProblem(value: unknown): ApiProblem {
  const body = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const fields: Record<string, string> = {};
  if (typeof body.fields === 'object' && body.fields !== null) {
    for (const [name, message] of Object.entries(body.fields)) {
      if (typeof message === 'string') fields[name] = message;
    }
  }
  return { error: typeof body.error === 'string' ? body.error : 'unknown', fields };
}
