import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { LOGGED_HEADERS, pathOf } from '../logger.js';

type SentryEvent = {
  request?: {
    url?: string;
    query_string?: unknown;
    headers?: Record<string, string>;
    cookies?: unknown;
    data?: unknown;
  };
};

const KEPT_HEADERS: ReadonlySet<string> = new Set(LOGGED_HEADERS);

/**
 * Error reports follow the logs' rule: the path without its query string, only the headers the
 * logs keep (no Cookie, Authorization or Referer: any can hold a token), and never the cookies or
 * the body (a form's password).
 */
export function withoutSecrets<Event extends SentryEvent>(event: Event): Event {
  if (!event.request) return event;
  const { query_string: _query, cookies: _cookies, data: _data, headers = {}, url, ...request } = event.request;
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => KEPT_HEADERS.has(name.toLowerCase())));
  return { ...event, request: { ...request, headers: kept, ...(url ? { url: pathOf(url) } : {}) } };
}

/** Sends 5xx errors to Sentry when SENTRY_DSN is set; does nothing (and loads nothing) otherwise. */
async function sentry(app: FastifyInstance, { config }: { config: Config }) {
  if (!config.sentryDsn) return;
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn: config.sentryDsn,
    environment: config.production ? 'production' : 'development',
    tracesSampleRate: 0,
    // The server is one bundle: no module hooks to install.
    skipOpenTelemetrySetup: true,
    beforeSend: withoutSecrets,
  });
  app.addHook('onError', async (request, _reply, error) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) Sentry.captureException(error, { tags: { requestId: request.id } });
  });
  app.addHook('onClose', async () => {
    await Sentry.close(2000);
  });
}

export default fp(sentry, { name: 'sentry' });
