import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/**
 * The request headers an operator needs to follow a request; every other header (credentials,
 * cookies, tokens under any name) stays out of the logs. Add to this list, never log them all.
 * Not `referer`: the previous page's URL, query string and all, can carry a token.
 */
export const LOGGED_HEADERS = [
  'host',
  'user-agent',
  'accept',
  'accept-language',
  'content-type',
  'content-length',
  'x-request-id',
  'fly-request-id',
  'fly-region',
  'x-forwarded-proto',
] as const;

/** The path alone: a query string can carry a token (`?access_token=…`), so no value of it is logged. */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function loggedHeaders(request: FastifyRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name of LOGGED_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/** JSON logs on stdout (Fly ships them as they are), one line per event. */
export function loggerOptions(config: Config): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level: config.logLevel,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: pathOf(request.url),
        // The route's pattern (`/posts/:id`); absent for a URL no route matched.
        route: request.routeOptions.url,
        ip: request.clientIp,
        headers: loggedHeaders(request),
      }),
    },
  };
}
