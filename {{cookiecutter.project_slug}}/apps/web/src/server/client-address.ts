import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address: the one key of the rate limit and the one `ip` in the logs. */
    clientIp: string;
  }
}

/**
 * Where the client address comes from, so that it cannot be chosen by the client:
 * - on Fly, Fly-Client-IP, which Fly's proxy sets on every request it forwards;
 * - elsewhere, `request.ip`: the socket's peer; when that peer is one of TRUSTED_PROXIES, the
 *   X-Forwarded-For entry that proxy added (Fastify's `trustProxy` with those addresses), so
 *   entries a client writes itself are never read.
 */
export function clientAddress(config: Config): (request: FastifyRequest) => string {
  if (!config.onFly) return (request) => request.ip;
  return (request) => {
    const flyClientIp = request.headers['fly-client-ip'];
    // Absent only on requests that did not come through Fly's proxy (the private network).
    return typeof flyClientIp === 'string' && isIP(flyClientIp) ? flyClientIp : request.ip;
  };
}

async function clientAddressPlugin(app: FastifyInstance, { config }: { config: Config }) {
  const resolve = clientAddress(config);
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return resolve(this);
    },
  });
}

export default fp(clientAddressPlugin, { name: 'client-address' });
