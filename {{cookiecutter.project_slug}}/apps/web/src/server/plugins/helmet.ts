import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { Config } from '../config.js';

/**
 * The headers helmet sets for these options, computed once: the policy never changes while the
 * server runs, so rebuilding it per request (what @fastify/helmet does) is pure cost.
 */
function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * Security headers on every response: pages, assets, 404s, errors, 429s.
 * The page state travels in a `<script type="application/json">`, which is data, not code,
 * so script-src needs no 'unsafe-inline' and no nonce.
 */
async function helmetHeaders(app: FastifyInstance, { config, dev }: { config: Config; dev: boolean }) {
  const connectSrc = ["'self'"];
  if (config.publicApiUrl) connectSrc.push(new URL(config.publicApiUrl).origin);
  // A CDN serving the hashed client files (ASSET_BASE_URL, never in dev): its origin and no other.
  const assetSrc = config.assetBaseUrl && !dev ? ["'self'", new URL(config.assetBaseUrl).origin] : ["'self'"];
  const headers = securityHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: assetSrc,
        // Vite injects component styles, and its error overlay's, as <style> elements in dev only.
        styleSrc: dev ? ["'self'", "'unsafe-inline'"] : assetSrc,
        imgSrc: [...assetSrc, 'data:'],
        fontSrc: assetSrc,
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
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

export default fp(helmetHeaders, { name: 'helmet' });
