import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const ONE_YEAR_MS = 31_536_000_000;
/** Where the hashed client files are served: the same bytes for every visitor. */
export const ASSETS_PREFIX = '/assets/';

/**
 * /assets/* from the client build: the `.br`/`.gz` written by the build are sent when the
 * browser accepts them, and hashed names are cached for a year (`immutable`).
 * Registered without fastify-plugin: an encapsulated context, so its hook covers /assets/ only.
 */
export default async function staticAssets(app: FastifyInstance, { root }: { root: string }) {
  // Public files that a CDN (ASSET_BASE_URL) serves to this app's pages: module scripts are
  // fetched with CORS, and stylesheets must pass the same-origin resource policy set for every
  // other response. Sent with or without a CDN today: a CDN keeps the headers of its first copy.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
    done();
  });
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: ASSETS_PREFIX,
    preCompressed: true,
    // One route for the folder, files looked up per request: no listing of the folder at start.
    wildcard: true,
    index: false,
    // Every file here has a content hash in its name: a changed file is a new URL.
    maxAge: ONE_YEAR_MS,
    immutable: true,
  });
}
