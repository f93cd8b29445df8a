import type { FastifyInstance } from 'fastify';
import type { BackendClient } from '../backend.js';

export default async function healthRoutes(app: FastifyInstance, { backend }: { backend: BackendClient }) {
  // Liveness: the process answers. No dependency is checked, so a slow API never restarts the web app.
  app.get('/health', async () => ({ status: 'ok' }));

  // Readiness: the dependencies answer too.
  app.get('/ready', async (_request, reply) => {
    const checks: Record<string, boolean> = { backend: await backend.isReachable() };
{%- if cookiecutter.use_redis == "yes" %}
    if (app.redis) {
      checks.redis = await app.redis.ping().then(
        (answer) => answer === 'PONG',
        () => false,
      );
    }
{%- endif %}
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}
