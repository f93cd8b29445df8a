import { isIP } from 'node:net';

// The one place the environment is read. Every variable the server understands is
// listed here; a bad value stops the start with a one-line message (see index.ts).

export interface Config {
  /** PORT, HOST: where to listen (Fly routes to 0.0.0.0:3000 by default). */
  port: number;
  host: string;
  /** METRICS_PORT: Prometheus `/metrics` on HOST, a listener of its own (never PORT). */
  metricsPort: number;
  /** NODE_ENV: `production` in the image{% if cookiecutter.use_redis == "yes" %}; REDIS_URL is then required{% endif %}{% if cookiecutter.use_sentry == "yes" %}; names the environment in error reports{% endif %}. */
  production: boolean;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  logLevel: string;
  /** COMPOSABLE_RUST_BACKEND_URL: the API; unset uses the built-in fixture posts. */
  backendUrl: string | null;
  /** BACKEND_TIMEOUT_MS: a backend call slower than this degrades the page. */
  backendTimeoutMs: number;
  /** BACKEND_MAX_CONCURRENT: backend calls in flight at once; more degrade at once instead of queueing. */
  backendMaxConcurrent: number;
  /** PUBLIC_API_URL: origin the browser may call directly (added to the CSP); unset = same origin only. */
  publicApiUrl: string | null;
  /** RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS, per client IP. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** FLY_APP_NAME (set by Fly on its Machines): the client address is Fly-Client-IP, set by Fly's proxy. */
  onFly: boolean;
  /**
   * TRUSTED_PROXIES: addresses or CIDR ranges (or `loopback`, `linklocal`, `uniquelocal`) of
   * proxies of your own in front of the app, off Fly; X-Forwarded-For is read only when the
   * connection comes from one of them. Empty: no forwarding header is trusted.
   */
  trustedProxies: string[];
{%- if cookiecutter.use_redis == "yes" %}
  /** REDIS_URL: shared rate-limit store; required in production. */
  redisUrl: string | null;
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
  /** SENTRY_DSN: error reporting, only wired when set. */
  sentryDsn: string | null;
{%- endif %}
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function optional(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

function proxyList(env: Env, name: string): string[] {
  const entries = (optional(env, name) ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const validPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!PROXY_PRESETS.includes(entry) && (family === 0 || !validPrefix || rest.length > 0)) {
      throw new ConfigError(`${name} must list IP addresses or CIDR ranges (or ${PROXY_PRESETS.join(', ')}), got ${JSON.stringify(entry)}`);
    }
  }
  return entries;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = optional(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got ${JSON.stringify(parsed.protocol)}`);
  }
  return raw.replace(/\/+$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env): Config {
  const production = env.NODE_ENV === 'production';
  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
{%- if cookiecutter.use_redis == "yes" %}
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  if (production && redisUrl === null) {
    throw new ConfigError('REDIS_URL must be set in production (the rate limit is shared through Redis)');
  }
{%- endif %}
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const metricsPort = integer(env, 'METRICS_PORT', 9091, 1, 65535);
  if (metricsPort === port) {
    throw new ConfigError(`METRICS_PORT must differ from PORT (${port}): metrics are never served on the public port`);
  }
  return {
    port,
    metricsPort,
    host: optional(env, 'HOST') ?? '0.0.0.0',
    production,
    logLevel,
    backendUrl: url(env, 'COMPOSABLE_RUST_BACKEND_URL', ['http:', 'https:']),
    backendTimeoutMs: integer(env, 'BACKEND_TIMEOUT_MS', 3000, 1, 60_000),
    backendMaxConcurrent: integer(env, 'BACKEND_MAX_CONCURRENT', 64, 1, 10_000),
    publicApiUrl: url(env, 'PUBLIC_API_URL', ['http:', 'https:']),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 100, 1, 1_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
    onFly: optional(env, 'FLY_APP_NAME') !== null,
    trustedProxies: proxyList(env, 'TRUSTED_PROXIES'),
{%- if cookiecutter.use_redis == "yes" %}
    redisUrl,
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
    sentryDsn: url(env, 'SENTRY_DSN', ['http:', 'https:']),
{%- endif %}
  };
}
