/**
 * Idempotent commands. A money-moving POST may carry an `Idempotency-Key`; its first response is
 * stored in the same database transaction as the change it made and is replayed byte for byte to
 * every later request with the same key (for 24 hours by default). The same key with a different
 * request is refused (422); a request whose twin is still running is refused (409) rather than
 * queued. Keys are scoped to the caller, so two users cannot collide.
 *
 * Guarantees: either the change and its stored response commit together or neither does, so a
 * crash at any moment leaves the key free for the client's retry, and a retry never moves money
 * twice. Transient refusals (limits, rate limits, overload) are not stored: a retry may succeed.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { DomainError, validationError } from '../../core/errors.js';
import type { Transactor, Tx } from '../db/transaction.js';
import { problemFromDomainError, statusOf } from './problem.js';

export interface CommandResponse {
  readonly statusCode: number;
  /** The exact bytes of the JSON body. */
  readonly payload: string;
  readonly replayed: boolean;
}

export interface IdempotencyRequest {
  /** The caller's identity; keys are unique per scope. */
  readonly scope: string;
  /** The raw header value, if any. */
  readonly key: string | undefined;
  /** Method, path and body of the request, hashed to detect a key reused for another request. */
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TRANSIENT_KINDS = new Set(['limit_exceeded', 'rate_limited', 'unavailable']);

/** A JSON serialization with sorted object keys, so that equal bodies hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(request: Pick<IdempotencyRequest, 'method' | 'path' | 'body'>): string {
  return createHash('sha256').update(`${request.method} ${request.path}\n${canonicalJson(request.body)}`).digest('hex');
}

export function createIdempotentExecutor(options: { transact: Transactor; ttlHours: number }) {
  /**
   * Runs a command in one transaction. `execute` must do every check before its first write and
   * signal refusals by throwing a DomainError; it returns the success status and body.
   */
  return async function executeCommand(
    request: IdempotencyRequest,
    execute: (tx: Tx) => Promise<{ statusCode: number; body: unknown }>,
  ): Promise<CommandResponse> {
    if (request.key === undefined) {
      return options.transact(async (tx) => {
        const result = await execute(tx);
        return { statusCode: result.statusCode, payload: JSON.stringify(result.body), replayed: false };
      });
    }
    const key = request.key;
    if (!KEY_PATTERN.test(key)) {
      throw validationError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', 'Idempotency-Key');
    }
    const fingerprint = requestFingerprint(request);
    return options.transact(async (tx) => {
      const locked = await sql<{ locked: boolean }>`
        select pg_try_advisory_xact_lock(hashtextextended(${`${request.scope}|${key}`}, 7)) as locked`.execute(tx);
      if (locked.rows[0]?.locked !== true) {
        throw new DomainError({
          code: 'idempotency_key_in_use',
          kind: 'conflict',
          message: 'A request with this Idempotency-Key is still being processed; retry shortly.',
          retryAfterSeconds: 1,
        });
      }
      const existing = await sql<{ request_hash: string; status_code: number; response_body: string; live: boolean }>`
        select request_hash, status_code, response_body, expires_at > now() as live
          from idempotency_keys where scope = ${request.scope} and key = ${key}`.execute(tx);
      const stored = existing.rows[0];
      if (stored !== undefined && stored.live) {
        if (stored.request_hash !== fingerprint) {
          throw validationError(
            'idempotency_key_reused',
            'This Idempotency-Key was already used for a different request; use a new key.',
            'Idempotency-Key',
          );
        }
        return { statusCode: stored.status_code, payload: stored.response_body, replayed: true };
      }
      if (stored !== undefined) await sql`delete from idempotency_keys where scope = ${request.scope} and key = ${key}`.execute(tx);

      let response: { statusCode: number; payload: string };
      await sql`savepoint idempotent_command`.execute(tx);
      try {
        const result = await execute(tx);
        response = { statusCode: result.statusCode, payload: JSON.stringify(result.body) };
      } catch (error) {
        if (!(error instanceof DomainError) || TRANSIENT_KINDS.has(error.kind)) throw error;
        // Undo anything the command may have written before refusing, then remember the refusal.
        await sql`rollback to savepoint idempotent_command`.execute(tx);
        response = { statusCode: statusOf(error), payload: JSON.stringify(problemFromDomainError(error, request.path)) };
      }
      await sql`
        insert into idempotency_keys (scope, key, request_hash, status_code, response_body, expires_at)
        values (${request.scope}, ${key}, ${fingerprint}, ${response.statusCode}, ${response.payload},
                now() + make_interval(hours => ${options.ttlHours}))`.execute(tx);
      return { ...response, replayed: false };
    });
  };
}

export type IdempotentExecutor = ReturnType<typeof createIdempotentExecutor>;

/** Deletes expired keys, a bounded number at a time. */
export async function purgeExpiredIdempotencyKeys(transact: Transactor, batchSize = 5000): Promise<number> {
  return transact(async (tx) => {
    const result = await sql`
      delete from idempotency_keys where ctid in (
        select ctid from idempotency_keys where expires_at <= now() limit ${batchSize})`.execute(tx);
    return Number(result.numAffectedRows ?? 0n);
  });
}
