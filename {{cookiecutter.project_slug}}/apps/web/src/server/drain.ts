import { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Stop accepting connections, serve the open ones for up to `windowMs`, then close. */
    drain(windowMs: number): Promise<void>;
  }
}

/**
 * Graceful shutdown without errors for anyone already connected (Fly's proxy keeps connections
 * open): the listener closes at once, but requests that still arrive on open keep-alive
 * connections are answered normally, with `Connection: close` so the client moves to another
 * Machine. Once those connections are gone, or after `windowMs`, the app closes: idle sockets are
 * dropped, in-flight requests finish, then the onClose hooks run (Redis, Sentry).
 */
async function drain(app: FastifyInstance) {
  let draining = false;
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.decorate('drain', async (windowMs: number) => {
    draining = true;
    if (app.server.listening) {
      // net.Server's close stops listening only, and calls back once every connection is gone;
      // http.Server's would also drop idle keep-alive sockets at once, racing clients that are
      // sending a request on them right now.
      const connectionsGone = new Promise<void>((resolve) => Server.prototype.close.call(app.server, () => resolve()));
      const window = new AbortController();
      const windowOver = sleep(windowMs, undefined, { signal: window.signal }).catch(() => undefined);
      await Promise.race([connectionsGone, windowOver]);
      window.abort();
    }
    await app.close();
  });
}

export default fp(drain, { name: 'drain' });
