import type { FastifyInstance } from 'fastify';
import { parseVitalsReport, VITALS_BODY_LIMIT, VITALS_PATH } from '../../app/vitals.js';

/**
 * The browser's Web Vitals beacon (text/plain, or application/json), recorded as histograms.
 * No CSRF check: a cross-site post can only add a sample under labels from fixed lists, so it may
 * skew the figures but never add a series. Limited per client like every route.
 */
export default async function vitalsRoutes(app: FastifyInstance) {
  app.post(VITALS_PATH, { bodyLimit: VITALS_BODY_LIMIT }, async (request, reply) => {
    const report = parseVitalsReport(request.body);
    if (report === null) return reply.code(400).send({ error: 'Not a Web Vitals report' });
    app.metrics.webVitals(report);
    return reply.code(204).send();
  });
}
