import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
{%- if cookiecutter.auth == "password" %}
import { createAccountsClient, type AccountsClient } from './accounts/client.js';
import accountRoutes from './accounts/routes.js';
import sessions from './accounts/session.js';
{%- endif %}
import { createBackendClient, type BackendClient } from './backend.js';
import clientAddress from './client-address.js';
import drain from './drain.js';
import type { Config } from './config.js';
import { registerErrorHandlers, type DevErrors } from './errors.js';
import { loggerOptions } from './logger.js';
import metrics, { createMetrics } from './metrics.js';
import helmet from './plugins/helmet.js';
import rateLimit from './plugins/rate-limit.js';
{%- if cookiecutter.use_redis == "yes" %}
import redis, { withRedisCache } from './plugins/redis/index.js';
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
import sentry from './plugins/sentry.js';
{%- endif %}
import staticAssets from './plugins/static.js';
import { DEV_ASSETS, loadClientAssets } from './render/assets.js';
import { createPageShell } from './render/page.js';
import apiRoutes from './routes/api.js';
import healthRoutes from './routes/health.js';
import pageRoutes from './routes/pages.js';
import vitalsRoutes from './routes/vitals.js';

/**
 * Fly's proxy reuses its connections to a Machine (it closed idle ones after 60 s until 2023 and
 * documents no timeout now): stay open long, so it rarely sends a request down a closing one.
 */
const KEEP_ALIVE_TIMEOUT_MS = 75_000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface AppOverrides {
  /** Replace the backend client (tests). */
  backend?: BackendClient;
{%- if cookiecutter.auth == "password" %}
  /** Replace the API's accounts routes (tests). */
  accounts?: AccountsClient;
{%- endif %}
  /** Folder of the client build; defaults to dist/client next to the server bundle. */
  clientDir?: string;
  /** The `dev` script: Vite serves the client source, so there is no build to read. */
  dev?: boolean;
  /** The `dev` script: a server error shows its file and line (page and terminal), not a bare 500. */
  devErrors?: DevErrors;
  /** Where the JSON log lines go; defaults to stdout. */
  logStream?: { write(line: string): void };
}

/** The whole server, ready to `listen()` or `inject()`. Registration order is the request order. */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { ...loggerOptions(config), ...(overrides.logStream ? { stream: overrides.logStream } : {}) },
    // Only named proxies, never `true`: trusting every hop would let a client choose its own address.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    bodyLimit: 64 * 1024,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: 30_000,
    // Requests on connections still open while closing are answered, not refused (drain.ts).
    return503OnClosing: false,
    // Keep the id Fly (or an upstream proxy) gave the request so logs line up across hops.
    genReqId: (request) => {
      const upstream = request.headers['fly-request-id'] ?? request.headers['x-request-id'];
      return typeof upstream === 'string' && REQUEST_ID.test(upstream) ? upstream : randomUUID();
    },
  });
  const recorded = createMetrics();
  await app.register(clientAddress, { config });
  await app.register(drain);
  await app.register(metrics, { metrics: recorded });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  const backend =
    overrides.backend ??
    createBackendClient({
      baseUrl: config.backendUrl,
      timeoutMs: config.backendTimeoutMs,
      maxConcurrent: config.backendMaxConcurrent,
{%- if cookiecutter.backend == "rust" %}
      token: config.apiToken,
{%- endif %}
      log: app.log,
      observer: recorded.backend,
    });
  const assets = overrides.dev
    ? DEV_ASSETS
    : await loadClientAssets(
        overrides.clientDir ?? fileURLToPath(new URL('../client/', import.meta.url)),
        config.assetBaseUrl ?? '',
      );
{%- if cookiecutter.use_sentry == "yes" %}

  await app.register(sentry, { config });
{%- endif %}
  await app.register(helmet, { config, dev: overrides.dev === true });
{%- if cookiecutter.use_redis == "yes" %}
  await app.register(redis, { config });
{%- endif %}
  await app.register(rateLimit, { config, metrics: recorded });
  if (assets.dir) await app.register(staticAssets, { root: assets.dir });
{%- if cookiecutter.auth == "password" %}
  // Before every route and the not-found handler: each page knows who reads it.
  const accounts =
    overrides.accounts ??
    createAccountsClient({
      baseUrl: config.backendUrl ?? '',
      token: config.apiToken,
      timeoutMs: config.backendTimeoutMs,
    });
  await app.register(sessions, { accounts });
{%- endif %}
  const shell = createPageShell(assets, config.publicApiUrl);
  registerErrorHandlers(app, shell, overrides.devErrors);

  await app.register(healthRoutes, { backend });
  await app.register(vitalsRoutes);
{%- if cookiecutter.auth == "password" %}
  await app.register(accountRoutes, { accounts, shell, publicUrl: config.publicUrl });
{%- endif %}
{%- if cookiecutter.use_redis == "yes" %}
  // Cached only answers of a real backend, under a key of its URL: two backends never share one.
  const data = app.redis && config.backendUrl ? withRedisCache(backend, app.redis, config.backendUrl) : backend;
  await app.register(apiRoutes, { backend: data });
  await app.register(pageRoutes, { backend: data, shell });
{%- else %}
  await app.register(apiRoutes, { backend });
  await app.register(pageRoutes, { backend, shell });
{%- endif %}
  return app;
}
