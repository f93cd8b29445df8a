import { parsePost, parsePosts, type Post } from '@repo/shared';
import type { FastifyBaseLogger } from 'fastify';
import CircuitBreaker from 'opossum';
import { FIXTURE_POSTS } from './fixture-posts.js';

/**
 * The web app's view of the API (see the contract in @repo/shared). `visitor` is the normalised
 * address of the visitor a call is made for (request.clientIp): with a service token the API limits
 * that visitor, not the web app's own address.
 */
export interface BackendClient {
  listPosts(visitor?: string): Promise<Post[]>;
  /** null when the API answers 404. */
  getPost(id: number, visitor?: string): Promise<Post | null>;
  /** For /ready: true when the API answers. */
  isReachable(): Promise<boolean>;
}

/**
 * Why a call failed: `not_called` when the circuit breaker refused it (open, or at capacity);
 * `refused` when the API said "later" on purpose (429, or 503 with Retry-After); `replay` when it
 * asked Fly's proxy to replay the call elsewhere (`fly-replay`) and the proxy passed that answer on.
 */
export type BackendFailure =
  'timeout' | 'unreachable' | 'status' | 'invalid_response' | 'not_called' | 'refused' | 'replay';
/** Deliberate answers of a working API: they never count towards opening the circuit. */
export const REFUSALS: ReadonlySet<BackendFailure> = new Set(['refused', 'replay']);
export type BackendOperation = 'list_posts' | 'get_post' | 'health';

export class BackendError extends Error {
  override name = 'BackendError';
  /** The API's status code, when it answered. */
  readonly status: number | null;
  /** For a refusal: when to try again, to pass on to the visitor as Retry-After. */
  readonly retryAfterSeconds: number | null;

  constructor(
    message: string,
    readonly reason: BackendFailure = 'unreachable',
    options?: ErrorOptions & { status?: number; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.status = options?.status ?? null;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? null;
  }

  get isRefusal(): boolean {
    return REFUSALS.has(this.reason);
  }
}

/** Told about every call and every change of the circuit (the metrics). */
export interface BackendObserver {
  call(operation: BackendOperation, seconds: number, failure: BackendFailure | null): void;
  circuit(state: 'closed' | 'half_open' | 'open'): void;
}

export interface BackendOptions {
  baseUrl: string | null;
  timeoutMs: number;
  /** Calls in flight at once; more are refused at once instead of queueing. */
  maxConcurrent: number;
  /** The web app's service credential at the API (API_WRITE_TOKEN); null sends none. */
  token?: string | null;
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  observer?: BackendObserver;
}

/** After this many calls in a window, a majority of failures opens the circuit... */
const VOLUME_THRESHOLD = 5;
const ERROR_THRESHOLD_PERCENTAGE = 50;
/** ...and one trial call is let through this long after it opened. */
const RESET_TIMEOUT_MS = 5_000;
/** A `fly-replay` reaching the web app is a deployment problem: warn about it at most this often. */
const REPLAY_WARNING_INTERVAL_MS = 60_000;
/** Retry-After passed on to visitors: the API's, within these bounds. */
const RETRY_AFTER_DEFAULT_SECONDS = 1;
const RETRY_AFTER_MAX_SECONDS = 300;

function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get('retry-after');
  if (value === null) return null;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : RETRY_AFTER_DEFAULT_SECONDS;
  return Math.min(Math.max(seconds, RETRY_AFTER_DEFAULT_SECONDS), RETRY_AFTER_MAX_SECONDS);
}

/**
 * An answer that is not data but a deliberate "not now", or null. A 429 and a 503 with Retry-After
 * are the API's limits at work; `fly-replay` is meant for Fly's proxy, which replays the request in
 * another region, but over Flycast that replay is unverified: when the header reaches us, the proxy
 * did not act on it.
 */
export function refusalOf(call: string, response: Response): BackendError | null {
  if (response.headers.has('fly-replay')) {
    return new BackendError(`${call}: backend answered fly-replay, not replayed by the proxy`, 'replay', {
      status: response.status,
      retryAfterSeconds: RETRY_AFTER_DEFAULT_SECONDS,
    });
  }
  const retryAfter = retryAfterSeconds(response);
  if (response.status === 429 || (response.status === 503 && retryAfter !== null)) {
    return new BackendError(`${call}: backend refused (${response.status})`, 'refused', {
      status: response.status,
      retryAfterSeconds: retryAfter ?? RETRY_AFTER_DEFAULT_SECONDS,
    });
  }
  return null;
}

export function createBackendClient({
  baseUrl,
  timeoutMs,
  maxConcurrent,
  token = null,
  log,
  observer,
}: BackendOptions): BackendClient {
  if (baseUrl === null) return fixtureBackend();

  function headersFor(visitor: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // The visitor's address means something to the API only from a caller it trusts (the token).
    if (token !== null) {
      headers.authorization = `Bearer ${token}`;
      if (visitor !== undefined) headers['x-visitor-address'] = visitor;
    }
    return headers;
  }

  let lastReplayWarning = -Infinity;
  function warnAboutReplay(path: string) {
    const now = performance.now();
    if (now - lastReplayWarning < REPLAY_WARNING_INTERVAL_MS) return;
    lastReplayWarning = now;
    log.warn(
      { path },
      'backend answered fly-replay and the proxy did not replay it: answering as unavailable (see the runbook; warned once a minute)',
    );
  }

  // Everything that shows the backend is failing (unreachable, too slow, 5xx, not the contract)
  // happens inside the breaker, so it counts; refusals are let through uncounted (errorFilter).
  // A 404 is an answer (null) only where the caller asks for one thing by id; on a list or
  // /health it is the wrong backend, a failure.
  async function request(
    path: string,
    read: (body: unknown) => unknown,
    nullOn404: boolean,
    visitor?: string,
  ): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        headers: headersFor(visitor),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const reason = timedOut ? `timed out after ${timeoutMs} ms` : 'unreachable';
      throw new BackendError(`GET ${path}: backend ${reason}`, timedOut ? 'timeout' : 'unreachable', { cause: error });
    }
    const refusal = refusalOf(`GET ${path}`, response);
    if (refusal !== null) {
      await response.body?.cancel();
      if (refusal.reason === 'replay') warnAboutReplay(path);
      throw refusal;
    }
    if (response.status === 404 && nullOn404) return null;
    if (!response.ok)
      throw new BackendError(`GET ${path}: backend answered ${response.status}`, 'status', { status: response.status });
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new BackendError(`GET ${path}: backend sent invalid JSON`, 'invalid_response', { cause: error });
    }
    try {
      return read(body);
    } catch (error) {
      const message = `GET ${path}: ${error instanceof Error ? error.message : 'bad response'}`;
      throw new BackendError(message, 'invalid_response', { cause: error });
    }
  }

  // opossum: at most `maxConcurrent` calls in flight (no unbounded queue behind a slow backend),
  // and a backend that keeps failing is not called again until a trial call succeeds.
  const breaker = new CircuitBreaker(request, {
    timeout: false, // each fetch carries its own timeout
    capacity: maxConcurrent,
    volumeThreshold: VOLUME_THRESHOLD,
    errorThresholdPercentage: ERROR_THRESHOLD_PERCENTAGE,
    resetTimeout: RESET_TIMEOUT_MS,
    // A refusal is the API working as designed: one visitor's 429 must not degrade every other's page.
    errorFilter: (error: unknown) => error instanceof BackendError && error.isRefusal,
  });
  breaker.on('open', () => {
    log.warn('backend failing: circuit open, pages degrade without calling it');
    observer?.circuit('open');
  });
  breaker.on('halfOpen', () => observer?.circuit('half_open'));
  breaker.on('close', () => {
    log.info('backend answering again: circuit closed');
    observer?.circuit('closed');
  });

  const call = async (
    operation: BackendOperation,
    path: string,
    read: (body: unknown) => unknown,
    nullOn404 = false,
    visitor?: string,
  ) => {
    const started = performance.now();
    let failure: BackendFailure | null = null;
    try {
      return await breaker.fire(path, read, nullOn404, visitor);
    } catch (error) {
      // Refused by the breaker itself: open, or at capacity.
      const backendError =
        error instanceof BackendError
          ? error
          : new BackendError(
              `GET ${path}: backend not called (${error instanceof Error ? error.message : 'circuit open'})`,
              'not_called',
              {
                cause: error,
              },
            );
      failure = backendError.reason;
      throw backendError;
    } finally {
      observer?.call(operation, (performance.now() - started) / 1000, failure);
    }
  };

  return {
    listPosts: async (visitor) => (await call('list_posts', '/api/posts', parsePosts, false, visitor)) as Post[],
    getPost: async (id, visitor) =>
      (await call('get_post', `/api/posts/${id}`, parsePost, true, visitor)) as Post | null,
    async isReachable() {
      try {
        await call('health', '/health', () => true);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** No backend configured: serve the built-in posts so the app runs on its own. */
function fixtureBackend(): BackendClient {
  return {
    listPosts: async () => FIXTURE_POSTS,
    getPost: async (id) => FIXTURE_POSTS.find((post) => post.id === id) ?? null,
    isReachable: async () => true,
  };
}
