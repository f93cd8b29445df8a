import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/** JSON logs on stdout (Fly ships them as they are), with credentials removed. */
export function loggerOptions(config: Config): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
    serializers: {
      req: (request) => ({
        method: request.method,
        url: request.url,
        ip: request.ip,
        headers: request.headers,
      }),
    },
  };
}
