import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, metricsPort: 9091, host: '0.0.0.0', production: false, backendUrl: null, rateLimitMax: 100 });
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
    });
    expect(config.production).toBe(true);
    expect(config.backendUrl).toBe('http://api.internal:8080');
  });

  it('trusts no forwarding header unless told which proxies stand in front', () => {
    expect(loadConfig({})).toMatchObject({ onFly: false, trustedProxies: [] });
    expect(loadConfig({ FLY_APP_NAME: 'web' }).onFly).toBe(true);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, fd00::1, loopback' }).trustedProxies).toEqual(['10.0.0.0/8', 'fd00::1', 'loopback']);
  });
});
