/**
 * Identifiers: UUID version 7 (time-ordered, so new rows land at the end of their indexes). To
 * clients they are opaque strings; a string that is not a UUID simply names nothing.
 */
import { v7 } from 'uuid';

export function newId(): string {
  return v7();
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}
