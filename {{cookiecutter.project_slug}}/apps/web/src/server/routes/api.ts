import type { FastifyInstance } from 'fastify';
import type { BackendClient } from '../backend.js';

/** Same-origin JSON for the browser's effects (the CSP allows only 'self' by default). */
export default async function apiRoutes(app: FastifyInstance, { backend }: { backend: BackendClient }) {
  app.get('/api/posts', async (request, reply) => {
    try {
      return await backend.listPosts();
    } catch (error) {
      request.log.warn({ err: error }, 'backend failed');
      return reply.code(502).send({ error: 'Backend unavailable' });
    }
  });
}
