import { Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Stop accepting connections, serve the open ones for a while, then close. */
    drain(): Promise<void>;
  }
}

export interface DrainOptions {
  /** How long requests on already-open connections are still served after the listener closes. */
  windowMs: number;
}

/**
 * Graceful shutdown without errors for anyone already connected (Fly's proxy keeps connections
 * open): the listener closes at once, but requests that still arrive on open keep-alive
 * connections are answered normally, with `Connection: close` so the client moves to another
 * Machine. Once those connections are gone, or after `windowMs`, the app closes: idle sockets are
 * dropped, in-flight requests finish, then the onClose hooks run (Redis, Sentry).
 */
async function drain(app: FastifyInstance, { windowMs }: DrainOptions) {
  let draining = false;
  const open = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.decorate('drain', async () => {
    draining = true;
    // net.Server's close stops listening only; http.Server's would also drop idle keep-alive
    // sockets at once, racing clients that are sending a request on them right now.
    if (app.server.listening) Server.prototype.close.call(app.server);
    const deadline = Date.now() + windowMs;
    while (open.size > 0 && Date.now() < deadline) await sleep(25);
    await app.close();
  });
}

export default fp(drain, { name: 'drain' });
