import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

const NAMESPACE = 'web-rate-limit:';

/**
 * The rate limit's counters in Redis, so every Machine shares one limit. A Redis call that fails
 * is counted in this Machine's memory instead (the library's LRU store, bounded), so a Redis
 * outage makes the limit per Machine for a while, never off. Each switch is logged once.
 */
export function failoverRateLimitStore(client: Redis, log: FastifyBaseLogger): FastifyRateLimitStoreCtor {
  let degraded = false;

  class FailoverStore implements FastifyRateLimitStore {
    private readonly shared: FastifyRateLimitStore;
    private readonly local: FastifyRateLimitStore;

    // The plugin constructs the store with its options; this app uses none of them
    // (no continueExceeding, no exponential backoff).
    constructor(_options?: FastifyRateLimitOptions, stores?: [FastifyRateLimitStore, FastifyRateLimitStore]) {
      [this.shared, this.local] = stores ?? [
        new RedisStore(false, false, client, NAMESPACE),
        new LocalStore(false, false),
      ];
    }

    incr(...[key, callback, timeWindow, max]: Parameters<FastifyRateLimitStore['incr']>): void {
      this.shared.incr(
        key,
        (error, result) => {
          if (!error) {
            if (degraded) log.info('rate limit: counting in Redis again');
            degraded = false;
            return callback(null, result);
          }
          if (!degraded) log.warn({ err: error }, "rate limit: Redis failed, counting in this Machine's memory");
          degraded = true;
          this.local.incr(key, callback, timeWindow, max);
        },
        timeWindow,
        max,
      );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      return new FailoverStore(undefined, [this.shared.child(routeOptions), this.local.child(routeOptions)]);
    }
  }

  return FailoverStore;
}
