/**
 * In-memory rate limits: a fixed one-minute window per key (client IP, username or user), so a
 * check is one map lookup and one increment, cheap enough for the transfer hot path. Each process
 * counts on its own: with several workers a client may get up to that many times the limit, and a
 * restart forgets the counts. A refused request is a 429 `rate_limited` with Retry-After (the
 * seconds until the window ends).
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { DomainError } from '../../core/errors.js';

const WINDOW_MS = 60_000;

/** Keys tracked per window at most; past that, new keys pass unchecked (memory stays bounded). */
const KEYS_MAX = 200_000;

export interface RateLimiter {
  readonly perMinute: number;
  /** Counts one request for the key; returns the seconds to wait when it is over the limit. */
  hit(key: string): number | undefined;
}

export function rateLimited(retryAfterSeconds: number): DomainError {
  return new DomainError({
    code: 'rate_limited',
    kind: 'rate_limited',
    message: `Too many requests; try again in ${retryAfterSeconds} seconds.`,
    retryAfterSeconds,
  });
}

/** A limiter allowing `perMinute` requests per key and minute; undefined when perMinute is 0 (off). */
export function createRateLimiter(options: { perMinute: number; nowMs: () => number; keysMax?: number }): RateLimiter | undefined {
  if (options.perMinute <= 0) return undefined;
  const keysMax = options.keysMax ?? KEYS_MAX;
  let windowEndMs = 0;
  let counts = new Map<string, number>();
  return {
    perMinute: options.perMinute,
    hit(key) {
      const nowMs = options.nowMs();
      if (nowMs >= windowEndMs || nowMs < windowEndMs - WINDOW_MS) {
        windowEndMs = (Math.floor(nowMs / WINDOW_MS) + 1) * WINDOW_MS;
        counts = new Map();
      }
      const count = (counts.get(key) ?? 0) + 1;
      if (count === 1 && counts.size >= keysMax) return undefined;
      counts.set(key, count);
      if (count <= options.perMinute) return undefined;
      return Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000));
    },
  };
}

/** Throws 429 rate_limited when the key is over the limit (nothing when there is no limiter or key). */
export function enforceRateLimit(limiter: RateLimiter | undefined, key: string | undefined): void {
  if (limiter === undefined || key === undefined) return;
  const retryAfterSeconds = limiter.hit(key);
  if (retryAfterSeconds !== undefined) throw rateLimited(retryAfterSeconds);
}

/** A route limit: which routes, how many requests per minute, counted per client IP or per signed-in user. */
export interface RouteRateLimit {
  readonly name: string;
  readonly perMinute: number;
  readonly by: 'ip' | 'user';
  /** Whether the limit applies to a route, by method and full URL pattern (`/api/v1/transfers/:id`). */
  matches(method: string, url: string): boolean;
}

/**
 * An onRequest hook enforcing a route limit. It runs after authentication, so a per-user limit
 * knows the caller; requests without a signed-in user are left to the route's own 401.
 */
export function rateLimitHook(limit: RouteRateLimit, nowMs: () => number): onRequestAsyncHookHandler | undefined {
  const limiter = createRateLimiter({ perMinute: limit.perMinute, nowMs });
  if (limiter === undefined) return undefined;
  const keyOf = limit.by === 'ip' ? (request: FastifyRequest) => request.ip : (request: FastifyRequest) => request.principal?.userId;
  return async function checkRateLimit(request) {
    enforceRateLimit(limiter, keyOf(request));
  };
}
