import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { pathOf } from '../logger.js';

type SentryEvent = { request?: { url?: string; query_string?: unknown; headers?: Record<string, string> } };

/** Error reports follow the logs' rule: no query string and no Referer (either can hold a token). */
export function withoutQueryOrReferer<Event extends SentryEvent>(event: Event): Event {
  if (!event.request) return event;
  const { query_string: _query, headers = {}, url, ...request } = event.request;
  const { referer: _referer, ...kept } = headers;
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
    beforeSend: withoutQueryOrReferer,
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
