import { parsePost, parsePosts, type Post } from '@repo/shared';
import type { FastifyBaseLogger } from 'fastify';
import CircuitBreaker from 'opossum';
import { FIXTURE_POSTS } from './fixture-posts.js';

/** The web app's view of the API (see the contract in @repo/shared). */
export interface BackendClient {
  listPosts(): Promise<Post[]>;
  /** null when the API answers 404. */
  getPost(id: number): Promise<Post | null>;
  /** For /ready: true when the API answers. */
  isReachable(): Promise<boolean>;
}

/** Why a call failed: `not_called` when the circuit breaker refused it (open, or at capacity). */
export type BackendFailure = 'timeout' | 'unreachable' | 'status' | 'invalid_response' | 'not_called';
export type BackendOperation = 'list_posts' | 'get_post' | 'health';

export class BackendError extends Error {
  override name = 'BackendError';

  constructor(
    message: string,
    readonly reason: BackendFailure = 'unreachable',
    options?: ErrorOptions,
  ) {
    super(message, options);
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
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  observer?: BackendObserver;
}

/** After this many calls in a window, a majority of failures opens the circuit... */
const VOLUME_THRESHOLD = 5;
const ERROR_THRESHOLD_PERCENTAGE = 50;
/** ...and one trial call is let through this long after it opened. */
const RESET_TIMEOUT_MS = 5_000;

export function createBackendClient({ baseUrl, timeoutMs, maxConcurrent, log, observer }: BackendOptions): BackendClient {
  if (baseUrl === null) return fixtureBackend();

  // Everything that shows the backend is failing (unreachable, too slow, 5xx, not the contract)
  // happens inside the breaker, so it counts. A 404 is an answer (null) only where the caller
  // asks for one thing by id; on a list or /health it is the wrong backend, a failure.
  async function request(path: string, read: (body: unknown) => unknown, nullOn404: boolean): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const reason = timedOut ? `timed out after ${timeoutMs} ms` : 'unreachable';
      throw new BackendError(`GET ${path}: backend ${reason}`, timedOut ? 'timeout' : 'unreachable', { cause: error });
    }
    if (response.status === 404 && nullOn404) return null;
    if (!response.ok) throw new BackendError(`GET ${path}: backend answered ${response.status}`, 'status');
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

  const call = async (operation: BackendOperation, path: string, read: (body: unknown) => unknown, nullOn404 = false) => {
    const started = performance.now();
    let failure: BackendFailure | null = null;
    try {
      return await breaker.fire(path, read, nullOn404);
    } catch (error) {
      // Refused by the breaker itself: open, or at capacity.
      const backendError =
        error instanceof BackendError
          ? error
          : new BackendError(`GET ${path}: backend not called (${error instanceof Error ? error.message : 'circuit open'})`, 'not_called', {
              cause: error,
            });
      failure = backendError.reason;
      throw backendError;
    } finally {
      observer?.call(operation, (performance.now() - started) / 1000, failure);
    }
  };

  return {
    listPosts: async () => (await call('list_posts', '/api/posts', parsePosts)) as Post[],
    getPost: async (id) => (await call('get_post', `/api/posts/${id}`, parsePost, true)) as Post | null,
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
