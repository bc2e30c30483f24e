/**
 * Identifiers: UUID version 7 (RFC 9562; time-ordered, so new rows land at the end of their
 * indexes). To clients they are opaque strings; a string that is not a UUID simply names nothing.
 *
 * Layout: 48 bits of Unix time in milliseconds, the version (7), 12 bits of counter (rand_a,
 * RFC 9562 section 6.2, method 1: it starts at a random value in its lower half each millisecond
 * and counts up, so the ids of one process are strictly increasing), the variant, and 62 random
 * bits. The random bits come from crypto.randomUUID, which draws from a cached pool of
 * cryptographic randomness: about 15 times cheaper than a call to getRandomValues per id, and the
 * transfer engine creates several ids per movement.
 */
import { randomUUID } from 'node:crypto';

const COUNTER_MAX = 0xfff;
let lastMs = 0;
let counter = 0;

export function newId(): string {
  // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: V already carries the RFC 9562 variant.
  const random = randomUUID();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = Number.parseInt(random.slice(15, 18), 16) & (COUNTER_MAX >> 1);
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    // 4,096 ids in one millisecond (or the clock went back): borrow the next millisecond.
    lastMs += 1;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${counter.toString(16).padStart(3, '0')}-${random.slice(19)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}
