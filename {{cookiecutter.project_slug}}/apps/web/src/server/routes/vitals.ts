import type { FastifyInstance } from 'fastify';
import { parseVitalsReport, VITALS_BODY_LIMIT, VITALS_PATH } from '../../app/vitals.js';

/**
 * The browser's Web Vitals beacon (text/plain, or application/json), recorded as histograms.
 * No CSRF check: a cross-site post can only add a number to a series that already may exist,
 * because every label comes from a fixed list. Limited per client like every route.
 */
export default async function vitalsRoutes(app: FastifyInstance) {
  app.post(VITALS_PATH, { bodyLimit: VITALS_BODY_LIMIT }, async (request, reply) => {
    const report = parseVitalsReport(request.body);
    if (report === null) return reply.code(400).send({ error: 'Not a Web Vitals report' });
    app.metrics.webVitals(report);
    return reply.code(204).send();
  });
}
