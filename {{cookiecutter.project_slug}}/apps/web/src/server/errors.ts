import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pageState, sendPage, type PageShell } from './render/page.js';

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/** `dev` (build/dev-errors.js): a server error as one terminal line and as a page with file and line. */
export interface DevErrors {
  line(error: Error): string;
  page(error: Error): string;
}

/** One error handler and one not-found handler for the whole app. */
export function registerErrorHandlers(app: FastifyInstance, shell: PageShell, devErrors?: DevErrors): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      if (devErrors) {
        request.log.error(devErrors.line(error));
        if (wantsHtml(request)) return reply.code(status).type('text/html; charset=utf-8').send(devErrors.page(error));
      } else {
        request.log.error({ err: error }, 'request failed');
      }
      // Never send the message of a server error: it may hold internals.
      return reply.code(status).send({ error: 'Internal Server Error', requestId: request.id });
    }
    request.log.info({ err: error }, 'request rejected');
    return reply.code(status).send({ error: error.message });
  });

  // Rate limited like the routes, so probing for URLs costs the same as using them.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request: FastifyRequest, reply: FastifyReply) => {
    if (!wantsHtml(request)) return reply.code(404).send({ error: 'Not Found' });
    return sendPage(reply.code(404), pageState(request, { name: 'notFound' }), shell);
  });
}
