import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError, createBackendClient } from './backend.js';

/** A real HTTP backend on loopback whose behaviour each test chooses; it counts what reaches it. */
async function backend(handle: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>) {
  const seen = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const server: Server = createServer(async (request, response) => {
    seen.calls += 1;
    seen.inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    try {
      await handle(request, response);
    } finally {
      seen.inFlight -= 1;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const log = { info: () => undefined, warn: () => undefined };
const client = (url: string, options: { timeoutMs?: number; maxConcurrent?: number; token?: string; warnings?: string[] } = {}) =>
  createBackendClient({
    baseUrl: url,
    timeoutMs: options.timeoutMs ?? 500,
    maxConcurrent: options.maxConcurrent ?? 64,
    token: options.token ?? null,
    log: { ...log, warn: (...args: unknown[]) => void options.warnings?.push(JSON.stringify(args)) },
  });

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

describe('backend client', () => {
  it('reads the contract, and a 404 is an answer, not a failure', async () => {
    const api = await backend((request, response) =>
      request.url === '/api/posts/1' ? json(response, 200, { id: 1, title: 't', body: 'b' }) : json(response, 404, {}),
    );
    expect(await client(api.url).getPost(1)).toEqual({ id: 1, title: 't', body: 'b' });
    expect(await client(api.url).getPost(2)).toBeNull();
  });

  it('takes a 404 for a list or for /health as a failure: that is not the API', async () => {
    const api = await backend((_, response) => json(response, 404, {}));
    await expect(client(api.url).listPosts()).rejects.toThrow(/answered 404/);
    expect(await client(api.url).isReachable()).toBe(false);
  });

  it.each([
    ['slower than the timeout', async (_: IncomingMessage, response: ServerResponse) => {
      await sleep(1_000);
      json(response, 200, []);
    }, /timed out after 200 ms/],
    ['answering 500', (_: IncomingMessage, response: ServerResponse) => json(response, 500, {}), /answered 500/],
    ['sending garbage', (_: IncomingMessage, response: ServerResponse) => response.end('<html>oops'), /invalid JSON/],
    ['breaking the contract', (_: IncomingMessage, response: ServerResponse) => json(response, 200, [{ id: 'x' }]), /post\.id/],
  ])('fails with a BackendError when the backend is %s', async (_name, handle, message) => {
    const api = await backend(handle);
    const started = Date.now();
    const failure = client(api.url, { timeoutMs: 200 }).listPosts();
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(failure).rejects.toThrow(message);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('stops calling a failing backend (circuit open) and reports it not ready', async () => {
    const api = await backend((_, response) => json(response, 503, {}));
    const backendClient = client(api.url);
    for (let i = 0; i < 8; i += 1) await expect(backendClient.listPosts()).rejects.toBeInstanceOf(BackendError);
    const callsWhenOpen = api.seen.calls;
    expect(callsWhenOpen).toBeLessThan(8);
    await expect(backendClient.listPosts()).rejects.toThrow(/not called/);
    expect(await backendClient.isReachable()).toBe(false);
    expect(api.seen.calls).toBe(callsWhenOpen);
  });

  it('never has more than maxConcurrent calls in flight; the rest fail at once', async () => {
    const api = await backend(async (_, response) => {
      await sleep(300);
      json(response, 200, []);
    });
    const backendClient = client(api.url, { maxConcurrent: 2 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => backendClient.listPosts()));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
    expect(api.seen.maxInFlight).toBe(2);
  });

  it('reports an unreachable backend as not ready', async () => {
    const api = await backend((_, response) => json(response, 200, {}));
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await client(api.url).isReachable()).toBe(false);
  });

  it.each([
    ['429', { status: 429, headers: { 'retry-after': '7' } }, 7, 'refused'],
    ['503 with Retry-After', { status: 503, headers: { 'retry-after': '2' } }, 2, 'refused'],
    ['fly-replay', { status: 409, headers: { 'fly-replay': 'region=sjc' } }, 1, 'replay'],
    ['429 with a date for Retry-After', { status: 429, headers: { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' } }, 1, 'refused'],
    ['429 asking for a day', { status: 429, headers: { 'retry-after': '86400' } }, 300, 'refused'],
  ])('takes a %s as a refusal that never opens the circuit', async (_name, answer, retryAfter, reason) => {
    let refusing = true;
    const api = await backend((_, response) => {
      if (!refusing) return json(response, 200, []);
      response.writeHead(answer.status, answer.headers);
      response.end();
    });
    const warnings: string[] = [];
    const backendClient = client(api.url, { warnings });
    for (let i = 0; i < 12; i += 1) {
      const failure = backendClient.listPosts();
      await expect(failure).rejects.toMatchObject({ reason, retryAfterSeconds: retryAfter });
    }
    expect(api.seen.calls).toBe(12);
    refusing = false;
    expect(await backendClient.listPosts()).toEqual([]);
    // A replay the proxy did not make is a deployment problem: said once, not on every call.
    expect(warnings.filter((warning) => warning.includes('fly-replay'))).toHaveLength(reason === 'replay' ? 1 : 0);
  });

  it('still opens the circuit on a 503 without Retry-After: that is a failure', async () => {
    const api = await backend((_, response) => json(response, 503, {}));
    const backendClient = client(api.url);
    for (let i = 0; i < 8; i += 1) await backendClient.listPosts().catch(() => undefined);
    await expect(backendClient.listPosts()).rejects.toThrow(/not called/);
  });

  it('sends the service token and the visitor address with every call when it has a token', async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const api = await backend((request, response) => {
      seen.push({ authorization: request.headers.authorization, visitor: request.headers['x-visitor-address'] });
      json(response, request.url === '/api/posts' ? 200 : 404, request.url === '/api/posts' ? [] : {});
    });
    const token = 't'.repeat(40);
    await client(api.url, { token }).listPosts('2001:db8::1');
    await client(api.url, { token }).getPost(5, '203.0.113.9');
    await client(api.url, { token }).isReachable();
    await client(api.url).listPosts('203.0.113.9');
    expect(seen).toEqual([
      { authorization: `Bearer ${token}`, visitor: '2001:db8::1' },
      { authorization: `Bearer ${token}`, visitor: '203.0.113.9' },
      { authorization: `Bearer ${token}`, visitor: undefined },
      // Without a token the API would not trust the address: neither is sent.
      { authorization: undefined, visitor: undefined },
    ]);
  });
});
