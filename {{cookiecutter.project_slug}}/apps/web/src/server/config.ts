import { isIP } from 'node:net';

// The one place the environment is read. Every variable the server understands is
// listed here; a bad value stops the start with a one-line message (see index.ts).

export interface Config {
  /**
   * PORT, HOST: where to listen (Fly routes to 0.0.0.0:3000 by default). `dev` listens on
   * 127.0.0.1 unless HOST says otherwise: Vite's dev server serves the source to whoever asks.
   */
  port: number;
  host: string;
  /** METRICS_PORT: Prometheus `/metrics` on HOST, a listener of its own (never PORT). */
  metricsPort: number;
  /** NODE_ENV: `production` in the image{% if cookiecutter.use_redis == "yes" %}; REDIS_URL is then required{% endif %}{% if cookiecutter.use_sentry == "yes" %}; names the environment in error reports{% endif %}. */
  production: boolean;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  logLevel: string;
  /** COMPOSABLE_RUST_BACKEND_URL: the API; unset uses the built-in fixture posts. No `user:pass@`. */
  backendUrl: string | null;
{%- if cookiecutter.backend == "rust" %}
  /**
   * API_WRITE_TOKEN: the web app's credential at the API (the value the API reads), sent as
   * `Authorization: Bearer` on every call with the visitor's address, so the API limits each visitor
   * and not the web app; 32+ characters in production. Unset: neither is sent.
   */
  apiToken: string | null;
{%- endif %}
{%- if cookiecutter.auth == "password" %}
  /**
   * PUBLIC_URL: this app's public origin (e.g. `https://<app>.fly.dev`); required in production.
   * The API puts it in the links it mails; here a form is accepted only from a page of this origin.
   */
  publicUrl: string | null;
{%- endif %}
  /** BACKEND_TIMEOUT_MS: a backend call slower than this degrades the page. */
  backendTimeoutMs: number;
  /** BACKEND_MAX_CONCURRENT: backend calls in flight at once; more degrade at once instead of queueing. */
  backendMaxConcurrent: number;
  /** PUBLIC_API_URL: origin the browser may call directly (added to the CSP); unset = same origin only. No `user:pass@`. */
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
  /**
   * ASSET_BASE_URL: where browsers fetch the hashed client files (`/assets/*`) from, e.g. a CDN
   * that pulls them from this app; read at start, so no rebuild is needed. The CSP allows exactly
   * its origin. Unset: this app serves them. No `user:pass@`.
   */
  assetBaseUrl: string | null;
  /**
   * CDN_CLIENT_IP_HEADER and CDN_TRUSTED_RANGES, both or neither: a CDN in front of the whole app
   * puts the visitor's address in that header (Cloudflare: CF-Connecting-IP). It is read only on
   * requests whose own address lies in the CDN's published ranges, never from anyone else.
   */
  cdn: CdnConfig | null;
{%- if cookiecutter.use_redis == "yes" %}
  /** REDIS_URL: shared rate-limit store; required in production. Its password is never echoed. */
  redisUrl: string | null;
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
  /** SENTRY_DSN: error reporting, only wired when set. Never echoed. */
  sentryDsn: string | null;
{%- endif %}
}

export interface CdnConfig {
  /** Lower-case header name. */
  header: string;
  /** CIDR ranges the CDN connects from. */
  ranges: string[];
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

/** Addresses or CIDR ranges; `presets` are names Fastify's trustProxy understands as well. */
function rangeList(env: Env, name: string, presets: string[] = []): string[] {
  const entries = (optional(env, name) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const validPrefix =
      prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!presets.includes(entry) && (family === 0 || !validPrefix || rest.length > 0)) {
      const alternatives = presets.length > 0 ? ` (or ${presets.join(', ')})` : '';
      throw new ConfigError(
        `${name} must list IP addresses or CIDR ranges${alternatives}, got ${JSON.stringify(entry)}`,
      );
    }
  }
  return entries;
}

interface UrlRule {
  protocols: string[];
  /** A URL of a service that takes no credentials in it: `user:pass@` is refused, not passed on. */
  credentials: 'allowed' | 'refused';
}

/**
 * An absolute URL. No error repeats any part of the value: a URL may carry a password or a key,
 * and a start-up error is printed where every operator (and log shipper) reads it.
 */
function url(env: Env, name: string, { protocols, credentials }: UrlRule): string | null {
  const raw = optional(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL (the value is not shown: it may hold a password)`);
  }
  if (!protocols.includes(parsed.protocol)) {
    // Not even the scheme: `user:secret@host` parses as the scheme `user:`.
    throw new ConfigError(`${name} must use ${protocols.join(' or ')} (the value is not shown)`);
  }
  if (credentials === 'refused' && (parsed.username !== '' || parsed.password !== '')) {
    // fetch() refuses such a URL anyway, and it would be logged with every failing call.
    throw new ConfigError(`${name} must not contain a user name or password (the value is not shown)`);
  }
  return raw.replace(/\/+$/, '');
}
{%- if cookiecutter.backend == "rust" %}

/** The API refuses a shorter API_WRITE_TOKEN; `openssl rand -hex 32` gives 64 characters. */
const MIN_TOKEN_LENGTH = 32;

function serviceToken(env: Env, name: string, production: boolean): string | null {
  const token = optional(env, name);
  if (production && token !== null && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `${name} must be at least ${MIN_TOKEN_LENGTH} characters in production (the value is not shown)`,
    );
  }
  return token;
}
{%- endif %}
{%- if cookiecutter.auth == "password" %}

function publicOrigin(env: Env, production: boolean): string | null {
  const publicUrl = url(env, 'PUBLIC_URL', { protocols: ['http:', 'https:'], credentials: 'refused' });
  if (production && publicUrl === null) {
    throw new ConfigError('PUBLIC_URL must be set in production (the origin of the links in account e-mails)');
  }
  return publicUrl;
}
{%- endif %}

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;

function cdnConfig(env: Env): CdnConfig | null {
  const header = optional(env, 'CDN_CLIENT_IP_HEADER');
  const ranges = rangeList(env, 'CDN_TRUSTED_RANGES');
  if (header === null && ranges.length === 0) return null;
  if (header === null || ranges.length === 0) {
    // A header trusted from everyone lets any client pick its own address (and rate-limit bucket).
    throw new ConfigError(
      "CDN_CLIENT_IP_HEADER and CDN_TRUSTED_RANGES must be set together (the CDN's header, its published ranges)",
    );
  }
  if (!HEADER_NAME.test(header)) {
    throw new ConfigError(
      `CDN_CLIENT_IP_HEADER must be a header name such as CF-Connecting-IP, got ${JSON.stringify(header)}`,
    );
  }
  return { header: header.toLowerCase(), ranges };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `dev`: the `dev` script's defaults (build/dev-server.js), for the same variables. */
export function loadConfig(env: Env, { dev = false }: { dev?: boolean } = {}): Config {
  const production = env.NODE_ENV === 'production';
  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
{%- if cookiecutter.use_redis == "yes" %}
  const redisUrl = url(env, 'REDIS_URL', { protocols: ['redis:', 'rediss:'], credentials: 'allowed' });
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
    host: optional(env, 'HOST') ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    production,
    logLevel,
    backendUrl: url(env, 'COMPOSABLE_RUST_BACKEND_URL', { protocols: ['http:', 'https:'], credentials: 'refused' }),
{%- if cookiecutter.backend == "rust" %}
    apiToken: serviceToken(env, 'API_WRITE_TOKEN', production),
{%- endif %}
    backendTimeoutMs: integer(env, 'BACKEND_TIMEOUT_MS', 3000, 1, 60_000),
    backendMaxConcurrent: integer(env, 'BACKEND_MAX_CONCURRENT', 64, 1, 10_000),
    publicApiUrl: url(env, 'PUBLIC_API_URL', { protocols: ['http:', 'https:'], credentials: 'refused' }),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 100, 1, 1_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
    onFly: optional(env, 'FLY_APP_NAME') !== null,
    trustedProxies: rangeList(env, 'TRUSTED_PROXIES', PROXY_PRESETS),
    assetBaseUrl: url(env, 'ASSET_BASE_URL', { protocols: ['https:', 'http:'], credentials: 'refused' }),
    cdn: cdnConfig(env),
{%- if cookiecutter.use_redis == "yes" %}
    redisUrl,
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
    sentryDsn: url(env, 'SENTRY_DSN', { protocols: ['http:', 'https:'], credentials: 'allowed' }),
{%- endif %}
{%- if cookiecutter.auth == "password" %}
    // Last, so that a mistyped variable above is the one reported.
    publicUrl: publicOrigin(env, production),
{%- endif %}
  };
}
