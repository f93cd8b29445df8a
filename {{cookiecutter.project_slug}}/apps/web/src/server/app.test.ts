import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { LOGGED_HEADERS } from './logger.js';
import { backendWith, downBackend, HOSTILE, useTestApps } from './test-app.js';

const appWith = useTestApps();

/** Header names that carry credentials in the wild; none may reach the logs. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-amz-security-token',
  'x-goog-api-key',
  'x-hub-signature-256',
  'api-key',
  'x-session-id',
];

function expectSecurityHeaders(headers: Record<string, unknown>) {
  const csp = String(headers['content-security-policy']);
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
  expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
}

describe('pages', () => {
  it('renders the posts on the server with the hashed entry script', async () => {
    const app = await appWith();
    const response = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Calm');
    expect(response.body).toContain('<script type="module" src="/assets/main-abc123.js"></script>');
    expectSecurityHeaders(response.headers);
  });

  it('embeds hostile titles as inert text and escaped state', async () => {
    const app = await appWith();
    const { body } = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(body.match(/<script/g)).toHaveLength(2);
    expect(body).toContain('&lt;/script>&lt;script>alert(1)&lt;/script>');
    const state = /<script id="app-state" type="application\/json">([\s\S]*?)<\/script>/.exec(body)?.[1] ?? '';
    expect(JSON.parse(state).posts).toEqual(HOSTILE);
  });

  it('renders a post at /posts/:id and a 404 page for a missing or malformed id', async () => {
    const app = await appWith();
    const found = await app.inject({ url: '/posts/2', headers: { accept: 'text/html' } });
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain('<h1>Calm</h1>');
    for (const url of ['/posts/99', '/posts/abc', '/no/such/page']) {
      const missing = await app.inject({ url, headers: { accept: 'text/html' } });
      expect(missing.statusCode).toBe(404);
      expectSecurityHeaders(missing.headers);
    }
  });

  it('degrades with a message, not a 500, when the backend is down', async () => {
    const app = await appWith({}, downBackend);
    const list = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('role="alert"');
    expect(list.body).not.toContain('unreachable');
    const api = await app.inject({ url: '/api/posts' });
    expect(api.statusCode).toBe(502);
  });
});

describe('operations', () => {
  it('/health needs nothing; /ready reports an unreachable backend', async () => {
    const app = await appWith({}, downBackend);
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { backend: false } });
  });

  it('never leaks the message of a 5xx, and keeps the security headers on errors', async () => {
    const app = await appWith();
    app.get('/boom', async () => {
      throw new Error('database password is hunter2');
    });
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
    expect(response.headers['x-request-id']).toBeTruthy();
    expectSecurityHeaders(response.headers);
  });

  it('logs JSON with a request id and only allow-listed headers', async () => {
    const lines: string[] = [];
    const app = await appWith({ LOG_LEVEL: 'info' }, backendWith(HOSTILE), {
      logStream: { write: (line) => void lines.push(line) },
    });
    const credentials = Object.fromEntries(CREDENTIAL_HEADERS.map((name, i) => [name, `s3cret-${i}-value`]));
    await app.inject({ url: '/health', headers: { ...credentials, 'user-agent': 'probe/1.0' } });
    const logs = lines.join('');
    expect(logs).not.toContain('s3cret');
    const incoming = lines.map((line) => JSON.parse(line)).find((entry) => entry.req);
    expect(incoming.req.headers).toMatchObject({ 'user-agent': 'probe/1.0' });
    expect(
      Object.keys(incoming.req.headers).every((name) => (LOGGED_HEADERS as readonly string[]).includes(name)),
    ).toBe(true);
    expect(incoming.reqId).toBeTruthy();
  });

  it('logs the path and the route, never a query value or the Referer', async () => {
    const lines: string[] = [];
    const app = await appWith({ LOG_LEVEL: 'debug' }, backendWith(HOSTILE), {
      logStream: { write: (line) => void lines.push(line) },
    });
    const referer = 'https://mail.example/reset?token=s3cret-referer';
    for (const url of [
      '/posts/1?access_token=s3cret-query',
      '/nope?access_token=s3cret-query#frag',
      '/?a=1&access_token=s3cret-query',
    ]) {
      await app.inject({ url, headers: { referer, accept: 'text/html' } });
    }
    expect(lines.join('')).not.toContain('s3cret');
    const requests = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.req)
      .map((entry) => entry.req);
    expect(requests.map((req) => [req.url, req.route])).toEqual([
      ['/posts/1', '/posts/:id'],
      ['/nope', undefined],
      ['/', '/'],
    ]);
  });

  it('rejects bodies over the limit with 413', async () => {
    const app = await appWith();
    app.post('/echo', async (request) => request.body);
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ blob: 'x'.repeat(100 * 1024) }),
    });
    expect(response.statusCode).toBe(413);
  });
});

describe('PUBLIC_API_URL', () => {
  it('names the API for the browser and allows it in connect-src only when set', async () => {
    const direct = await appWith({ PUBLIC_API_URL: 'https://api.example.com' });
    const page = await direct.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(page.body).toContain('<meta name="public-api-url" content="https://api.example.com">');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' https://api.example.com");
    const proxied = await appWith();
    const same = await proxied.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(same.body).not.toContain('public-api-url');
    expect(same.headers['content-security-policy']).toContain("connect-src 'self';");
  });
});

describe('ASSET_BASE_URL', () => {
  it('points the page at the CDN and lets the CSP load from exactly its origin', async () => {
    const app = await appWith({ ASSET_BASE_URL: 'https://cdn.example.com/app' });
    const page = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(page.body).toContain('<script type="module" src="https://cdn.example.com/app/assets/main-abc123.js">');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self' https://cdn.example.com;");
    expect(csp).toContain("style-src 'self' https://cdn.example.com;");
    expect(csp.match(/https?:\/\/[^\s;]+/g)).toEqual(Array(4).fill('https://cdn.example.com'));
  });

  it('serves assets a CDN may hand to this origin, with or without one configured', async () => {
    const app = await appWith();
    const asset = await app.inject({ url: '/assets/main-abc123.js' });
    expect(asset.headers['access-control-allow-origin']).toBe('*');
    expect(asset.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const page = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(page.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limit', () => {
  it('returns 429 with Retry-After past RATE_LIMIT_MAX, also on unknown URLs', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '3' });
    for (let i = 0; i < 3; i += 1) expect((await app.inject({ url: '/nope' })).statusCode).toBe(404);
    const limited = await app.inject({ url: '/nope' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectSecurityHeaders(limited.headers);
  });

  it('on Fly, counts each Fly-Client-IP separately and logs that same address', async () => {
    const lines: string[] = [];
    const app = await appWith({ RATE_LIMIT_MAX: '1', FLY_APP_NAME: 'web', LOG_LEVEL: 'info' }, backendWith(HOSTILE), {
      logStream: { write: (line) => void lines.push(line) },
    });
    const as = (ip: string) => app.inject({ url: '/api/posts', headers: { 'fly-client-ip': ip } });
    expect((await as('203.0.113.1')).statusCode).toBe(200);
    expect((await as('203.0.113.1')).statusCode).toBe(429);
    expect((await as('203.0.113.2')).statusCode).toBe(200);
    const logged = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.req)
      .map((entry) => entry.req.ip);
    expect(logged).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2']);
  });

  it('off Fly, forged Fly-Client-IP and X-Forwarded-For headers do not move the bucket', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '2' });
    for (let i = 0; i < 2; i += 1) {
      const forged = { 'fly-client-ip': `198.51.100.${i}`, 'x-forwarded-for': `198.51.100.${i}` };
      expect((await app.inject({ url: '/api/posts', headers: forged })).statusCode).toBe(200);
    }
    const forged = { 'fly-client-ip': '198.51.100.9', 'x-forwarded-for': '198.51.100.9' };
    expect((await app.inject({ url: '/api/posts', headers: forged })).statusCode).toBe(429);
  });

  it('behind TRUSTED_PROXIES, the client is the address the proxy added; entries a client adds are ignored', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '1', TRUSTED_PROXIES: '10.0.0.0/8' });
    const via = (chain: string, peer = '10.1.2.3') =>
      app.inject({ url: '/api/posts', remoteAddress: peer, headers: { 'x-forwarded-for': chain } });
    expect((await via('203.0.113.7')).statusCode).toBe(200);
    expect((await via('198.51.100.1, 203.0.113.7')).statusCode).toBe(429);
    expect((await via('203.0.113.8')).statusCode).toBe(200);
    // A client connecting directly, not through the proxy: its header is not read.
    expect((await via('203.0.113.9', '192.0.2.1')).statusCode).toBe(200);
    expect((await via('203.0.113.10', '192.0.2.1')).statusCode).toBe(429);
  });

  it('counts an IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 one', async () => {
    const lines: string[] = [];
    const app = await appWith({ RATE_LIMIT_MAX: '3', FLY_APP_NAME: 'web', LOG_LEVEL: 'info' }, backendWith(HOSTILE), {
      logStream: { write: (line) => void lines.push(line) },
    });
    const as = (ip: string) => app.inject({ url: '/api/posts', headers: { 'fly-client-ip': ip } });
    const sameNetwork = ['2001:db8:1:2::1', '2001:DB8:1:2:ffff::abcd', '2001:db8:1:2:0:0:0:99'];
    expect(await Promise.all(sameNetwork.map(async (ip) => (await as(ip)).statusCode))).toEqual([200, 200, 200]);
    expect((await as('2001:db8:1:2:aaaa::1')).statusCode).toBe(429);
    expect((await as('2001:db8:1:3::1')).statusCode).toBe(200);
    for (let i = 0; i < 3; i += 1)
      expect((await as(i % 2 ? '198.51.100.7' : '::ffff:198.51.100.7')).statusCode).toBe(200);
    expect((await as('::ffff:c633:6407')).statusCode).toBe(429);
    // The logs keep the whole (normalised) address.
    const logged = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.req)
      .map((entry) => entry.req.ip);
    expect(logged.slice(0, 3)).toEqual(['2001:db8:1:2::1', '2001:db8:1:2:ffff::abcd', '2001:db8:1:2::99']);
    expect(logged.at(-1)).toBe('198.51.100.7');
  });

  it("behind a CDN, reads its header only from the CDN's ranges; a forged one moves no bucket", async () => {
    const cdn = { CDN_CLIENT_IP_HEADER: 'CF-Connecting-IP', CDN_TRUSTED_RANGES: '173.245.48.0/20, 2400:cb00::/32' };
    const app = await appWith({ RATE_LIMIT_MAX: '1', FLY_APP_NAME: 'web', ...cdn });
    const via = (edge: string, visitor: string) =>
      app.inject({ url: '/api/posts', headers: { 'fly-client-ip': edge, 'cf-connecting-ip': visitor } });
    expect((await via('173.245.48.1', '203.0.113.1')).statusCode).toBe(200);
    expect((await via('2400:cb00::9', '203.0.113.2')).statusCode).toBe(200);
    expect((await via('173.245.48.7', '203.0.113.1')).statusCode).toBe(429);
    // From outside the ranges the header is the client's own writing: one bucket, the address's.
    expect((await via('198.51.100.5', '203.0.113.3')).statusCode).toBe(200);
    expect((await via('198.51.100.5', '203.0.113.4')).statusCode).toBe(429);
    // Garbage from the CDN's range falls back to the edge's address rather than a made-up key.
    expect((await via('173.245.48.2', 'not-an-ip')).statusCode).toBe(200);
    expect((await via('173.245.48.2', 'not-an-ip')).statusCode).toBe(429);
  });

  it('normalises the address a trusted proxy forwarded, as it does the socket peer', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: '2', TRUSTED_PROXIES: '10.0.0.0/8' });
    const via = (forwarded: string) =>
      app.inject({ url: '/api/posts', remoteAddress: '::ffff:10.1.2.3', headers: { 'x-forwarded-for': forwarded } });
    expect((await via('::ffff:203.0.113.7')).statusCode).toBe(200);
    expect((await via('203.0.113.7')).statusCode).toBe(200);
    expect((await via('::FFFF:cb00:7107')).statusCode).toBe(429);
  });
});

describe('static assets', () => {
  it('sends the precompressed Brotli file with immutable caching and security headers', async () => {
    const app = await appWith();
    const response = await app.inject({ url: '/assets/main-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('br');
    expect(response.headers['cache-control']).toContain('immutable');
    expectSecurityHeaders(response.headers);
  });

  it('does not serve the build manifest', async () => {
    const app = await appWith();
    expect((await app.inject({ url: '/.vite/manifest.json' })).statusCode).toBe(404);
  });

  it('refuses to start without a client build unless in dev mode', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    await expect(buildApp(config, { clientDir: '/nonexistent/client' })).rejects.toThrow(
      /no client build at .*run the build/,
    );
    const dev = await buildApp(config, { dev: true, backend: backendWith(HOSTILE) });
    const page = await dev.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(page.body).toContain('<script type="module" src="/src/client/main.ts"></script>');
    await dev.close();
  });
});
