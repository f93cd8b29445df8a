import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

/**
 * Security headers on every response: pages, assets, 404s, errors, 429s.
 * The page state travels in a `<script type="application/json">`, which is data, not code,
 * so script-src needs no 'unsafe-inline' and no nonce.
 */
async function helmet(app: FastifyInstance, { config, dev }: { config: Config; dev: boolean }) {
  const connectSrc = ["'self'"];
  if (config.publicApiUrl) connectSrc.push(new URL(config.publicApiUrl).origin);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Vite injects component styles as <style> elements in dev only.
        styleSrc: dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc,
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

export default fp(helmet, { name: 'helmet' });
