import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const ONE_YEAR_MS = 31_536_000_000;

/**
 * /assets/* from the client build: the `.br`/`.gz` written by the build are sent when the
 * browser accepts them, and hashed names are cached for a year (`immutable`).
 */
async function staticAssets(app: FastifyInstance, { root }: { root: string }) {
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    // One route for the folder, files looked up per request: no listing of the folder at start.
    wildcard: true,
    index: false,
    // Every file here has a content hash in its name: a changed file is a new URL.
    maxAge: ONE_YEAR_MS,
    immutable: true,
  });
}

export default fp(staticAssets, { name: 'static' });
