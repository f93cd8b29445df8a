// The one place the environment is read. Every variable the server understands is
// listed here; a bad value stops the start with a one-line message (see index.ts).

export interface Config {
  /** PORT, HOST: where to listen (Fly routes to 0.0.0.0:3000 by default). */
  port: number;
  host: string;
  /** NODE_ENV: `production` turns on the strict checks below. */
  production: boolean;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  logLevel: string;
  /** COMPOSABLE_RUST_BACKEND_URL: the API; unset uses the built-in fixture posts. */
  backendUrl: string | null;
  /** BACKEND_TIMEOUT_MS: a backend call slower than this degrades the page. */
  backendTimeoutMs: number;
  /** PUBLIC_API_URL: origin the browser may call directly (added to the CSP); unset = same origin only. */
  publicApiUrl: string | null;
  /** RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS, per client IP. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** SESSION_SECRET: required in production, at least 32 characters. */
  sessionSecret: string | null;
  /** TRUST_PROXY: trust X-Forwarded-For / Fly-Client-IP; defaults to on when running on Fly (FLY_APP_NAME set). */
  trustProxy: boolean;
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

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env): Config {
  const production = env.NODE_ENV === 'production';
  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  const sessionSecret = optional(env, 'SESSION_SECRET');
  if (production && (sessionSecret === null || sessionSecret.length < 32)) {
    throw new ConfigError('SESSION_SECRET must be set to at least 32 characters in production (e.g. `openssl rand -hex 32`)');
  }
{%- if cookiecutter.use_redis == "yes" %}
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  if (production && redisUrl === null) {
    throw new ConfigError('REDIS_URL must be set in production (the rate limit is shared through Redis)');
  }
{%- endif %}
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    production,
    logLevel,
    backendUrl: url(env, 'COMPOSABLE_RUST_BACKEND_URL', ['http:', 'https:']),
    backendTimeoutMs: integer(env, 'BACKEND_TIMEOUT_MS', 3000, 1, 60_000),
    publicApiUrl: url(env, 'PUBLIC_API_URL', ['http:', 'https:']),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 100, 1, 1_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
    sessionSecret,
    trustProxy: boolean(env, 'TRUST_PROXY', optional(env, 'FLY_APP_NAME') !== null),
{%- if cookiecutter.use_redis == "yes" %}
    redisUrl,
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
    sentryDsn: url(env, 'SENTRY_DSN', ['http:', 'https:']),
{%- endif %}
  };
}
