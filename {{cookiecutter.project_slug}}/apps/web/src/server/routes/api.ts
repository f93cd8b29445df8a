import type { FastifyInstance } from 'fastify';
import { BackendError, type BackendClient } from '../backend.js';

/** Same-origin JSON for the browser's effects (the CSP allows only 'self' by default). */
export default async function apiRoutes(app: FastifyInstance, { backend }: { backend: BackendClient }) {
  app.get('/api/posts', async (request, reply) => {
    try {
      return await backend.listPosts(request.clientIp);
    } catch (error) {
      if (error instanceof BackendError && error.isRefusal) {
        // The API's "later" is passed on as one: this visitor is limited, or the API is elsewhere.
        request.log.info({ reason: error.reason, status: error.status }, 'backend refused');
        const status = error.status === 429 ? 429 : 503;
        return reply
          .code(status)
          .header('retry-after', String(error.retryAfterSeconds))
          .send({ error: 'Try again later' });
      }
      request.log.warn({ err: error }, 'backend failed');
      return reply.code(502).send({ error: 'Backend unavailable' });
    }
  });
}
