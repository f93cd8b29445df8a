import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      metricsPort: 9091,
      host: '0.0.0.0',
      production: false,
      backendUrl: null,
      rateLimitMax: 100,
    });
  });

  it('listens on this machine only for the dev script, unless HOST says otherwise', () => {
    expect(loadConfig({}, { dev: true }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }, { dev: true }).host).toBe('0.0.0.0');
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ RATE_LIMIT_MAX: '0' }, /RATE_LIMIT_MAX/],
    [{ COMPOSABLE_RUST_BACKEND_URL: 'not a url' }, /COMPOSABLE_RUST_BACKEND_URL must be an absolute URL/],
    [{ COMPOSABLE_RUST_BACKEND_URL: 'ftp://api' }, /must use http: or https:/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ TRUSTED_PROXIES: 'true' }, /TRUSTED_PROXIES must list IP addresses or CIDR ranges/],
    [{ TRUSTED_PROXIES: '10.0.0.0/33' }, /TRUSTED_PROXIES/],
    [{ TRUSTED_PROXIES: '10.0.0.1, *' }, /TRUSTED_PROXIES/],
    [{ METRICS_PORT: '3000' }, /METRICS_PORT must differ from PORT/],
    [{ PORT: '9100', METRICS_PORT: '9100' }, /METRICS_PORT must differ from PORT/],
    [{ METRICS_PORT: '0' }, /METRICS_PORT must be an integer/],
  ])('rejects %j with one clear line', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts a production environment', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      // Read only when the project uses Redis; harmless otherwise.
      REDIS_URL: 'redis://127.0.0.1:6379',
      COMPOSABLE_RUST_BACKEND_URL: 'http://api.internal:8080/',
{%- if cookiecutter.auth == "password" %}
      PUBLIC_URL: 'https://app.example',
{%- endif %}
    });
    expect(config.production).toBe(true);
    expect(config.backendUrl).toBe('http://api.internal:8080');
  });

  // Malformed on purpose, each with a password in it: the error names the variable, never the value.
  it.each([
    ['COMPOSABLE_RUST_BACKEND_URL', 'http://user:hunter2@[api:8080'],
    ['COMPOSABLE_RUST_BACKEND_URL', 'user:hunter2@api.internal:8080'],
    ['PUBLIC_API_URL', 'ftp://user:hunter2@cdn.example'],
{%- if cookiecutter.use_redis == "yes" %}
    ['REDIS_URL', 'redis://default:hunter2@[redis'],
    ['REDIS_URL', 'hunter2:6379'],
    ['REDIS_URL', 'http://default:hunter2@redis:6379'],
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
    ['SENTRY_DSN', 'https://hunter2@o1.ingest.sentry.io:x/1'],
    ['SENTRY_DSN', 'hunter2@o1.ingest.sentry.io/1'],
{%- endif %}
  ])('refuses a malformed %s without echoing it', (name, value) => {
    const error = (() => {
      try {
        loadConfig({ [name]: value });
      } catch (thrown) {
        return thrown;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toMatch(/hunter2|user/);
  });

  it.each(['COMPOSABLE_RUST_BACKEND_URL', 'PUBLIC_API_URL'])(
    'refuses credentials in %s: they would be sent and logged',
    (name) => {
      expect(() => loadConfig({ [name]: 'https://user:hunter2@api.example' })).toThrow(
        /must not contain a user name or password/,
      );
      expect(() => loadConfig({ [name]: 'https://token-only@api.example' })).toThrow(ConfigError);
    },
  );
{%- if cookiecutter.backend == "rust" %}

  it('takes API_WRITE_TOKEN as the service credential, 32+ characters in production, never echoed', () => {
    const strong = 'a'.repeat(32);
    expect(loadConfig({}).apiToken).toBeNull();
    expect(loadConfig({ API_WRITE_TOKEN: 'dev-token' }).apiToken).toBe('dev-token');
{%- if cookiecutter.auth == "password" %}
    const production = {
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PUBLIC_URL: 'https://app.example',
    };
{%- else %}
    const production = { NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' };
{%- endif %}
    expect(loadConfig({ ...production, API_WRITE_TOKEN: strong }).apiToken).toBe(strong);
    expect(() => loadConfig({ ...production, API_WRITE_TOKEN: 'hunter2' })).toThrow(
      /API_WRITE_TOKEN must be at least 32 characters/,
    );
    expect(() => loadConfig({ ...production, API_WRITE_TOKEN: 'hunter2' })).not.toThrow(/hunter2/);
  });
{%- endif %}

  it('trusts no forwarding header unless told which proxies stand in front', () => {
    expect(loadConfig({})).toMatchObject({ onFly: false, trustedProxies: [] });
    expect(loadConfig({ FLY_APP_NAME: 'web' }).onFly).toBe(true);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, fd00::1, loopback' }).trustedProxies).toEqual([
      '10.0.0.0/8',
      'fd00::1',
      'loopback',
    ]);
  });

  it('takes a CDN client-address header only together with the ranges it is trusted from', () => {
    expect(loadConfig({})).toMatchObject({ cdn: null, assetBaseUrl: null });
    const cdn = loadConfig({
      CDN_CLIENT_IP_HEADER: 'CF-Connecting-IP',
      CDN_TRUSTED_RANGES: '173.245.48.0/20, 2400:cb00::/32',
    });
    expect(cdn.cdn).toEqual({ header: 'cf-connecting-ip', ranges: ['173.245.48.0/20', '2400:cb00::/32'] });
    expect(() => loadConfig({ CDN_CLIENT_IP_HEADER: 'CF-Connecting-IP' })).toThrow(
      /CDN_CLIENT_IP_HEADER and CDN_TRUSTED_RANGES must be set together/,
    );
    expect(() => loadConfig({ CDN_TRUSTED_RANGES: '173.245.48.0/20' })).toThrow(/must be set together/);
    expect(() => loadConfig({ CDN_CLIENT_IP_HEADER: 'X-Real-IP', CDN_TRUSTED_RANGES: 'loopback' })).toThrow(
      /CDN_TRUSTED_RANGES must list IP addresses or CIDR ranges, got "loopback"/,
    );
    expect(() => loadConfig({ CDN_CLIENT_IP_HEADER: 'a header', CDN_TRUSTED_RANGES: '10.0.0.1' })).toThrow(
      /CDN_CLIENT_IP_HEADER must be a header name/,
    );
  });

  it('takes ASSET_BASE_URL as an http(s) URL without credentials, never echoed', () => {
    expect(loadConfig({ ASSET_BASE_URL: 'https://cdn.example.com/app/' }).assetBaseUrl).toBe(
      'https://cdn.example.com/app',
    );
    expect(() => loadConfig({ ASSET_BASE_URL: 'https://user:s3cret@cdn.example.com' })).toThrow(
      /ASSET_BASE_URL must not contain a user name or password/,
    );
    expect(() => loadConfig({ ASSET_BASE_URL: 'ftp://cdn.example.com' })).toThrow(
      /ASSET_BASE_URL must use https: or http:/,
    );
  });
});
