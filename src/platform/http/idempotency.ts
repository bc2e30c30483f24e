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
 *
 * This file holds the rules and a single-command executor; the batching transfer engine applies
 * the same rules to many commands at once with the set-based functions of idempotency-store.ts.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { DomainError, validationError } from '../../core/errors.js';
import { deleteExpiredKeys, findStoredResponses, keyId, storeResponses, tryLockKeys, type StoredResponse } from '../db/idempotency-store.js';
import type { Transactor, Tx } from '../db/transaction.js';
import { runStatement } from '../db/script.js';
import { problemFromDomainError, statusOf } from './problem.js';

export interface CommandResponse {
  readonly statusCode: number;
  /** The exact bytes of the JSON body. */
  readonly payload: string;
  readonly replayed: boolean;
  /** For refusals that may succeed later (429, 503). */
  readonly retryAfterSeconds?: number | undefined;
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

/** Checks the header's form. Errors: invalid_idempotency_key (422). */
export function checkIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw validationError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', 'Idempotency-Key');
  }
}

export const keyInUse = () =>
  new DomainError({
    code: 'idempotency_key_in_use',
    kind: 'conflict',
    message: 'A request with this Idempotency-Key is still being processed; retry shortly.',
    retryAfterSeconds: 1,
  });

export const keyReused = () =>
  validationError('idempotency_key_reused', 'This Idempotency-Key was already used for a different request; use a new key.', 'Idempotency-Key');

/** Whether a refusal may succeed on retry, and so must not be stored under its key. */
export function isTransient(error: DomainError): boolean {
  return TRANSIENT_KINDS.has(error.kind);
}

/** The stored response to replay, or a reuse error when the key served another request. */
export function replayOf(stored: StoredResponse, fingerprint: string): CommandResponse {
  if (stored.fingerprint !== fingerprint) throw keyReused();
  return { statusCode: stored.statusCode, payload: stored.payload, replayed: true };
}

/** A refusal as a response (problem+json bytes). */
export function refusalResponse(error: DomainError, path: string): CommandResponse {
  return {
    statusCode: statusOf(error),
    payload: JSON.stringify(problemFromDomainError(error, path)),
    replayed: false,
    retryAfterSeconds: error.retryAfterSeconds,
  };
}

export function createIdempotentExecutor(options: { transact: Transactor; ttlHours: number }) {
  /**
   * Runs one command in one transaction. `execute` must do every check before its first write and
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
    checkIdempotencyKey(request.key);
    const ref = { scope: request.scope, key: request.key };
    const fingerprint = requestFingerprint(request);
    return options.transact(async (tx) => {
      const [locked] = await runStatement(tx, tryLockKeys([ref]));
      if (locked !== true) throw keyInUse();
      const stored = (await runStatement(tx, findStoredResponses([ref]))).get(keyId(ref));
      if (stored !== undefined) return replayOf(stored, fingerprint);
      let response: CommandResponse;
      await sql`savepoint idempotent_command`.execute(tx);
      try {
        const result = await execute(tx);
        response = { statusCode: result.statusCode, payload: JSON.stringify(result.body), replayed: false };
      } catch (error) {
        if (!(error instanceof DomainError) || isTransient(error)) throw error;
        // Undo anything the command may have written before refusing, then remember the refusal.
        await sql`rollback to savepoint idempotent_command`.execute(tx);
        response = refusalResponse(error, request.path);
      }
      await runStatement(tx, storeResponses([{ ...ref, fingerprint, statusCode: response.statusCode, payload: response.payload }], options.ttlHours));
      return response;
    });
  };
}

export type IdempotentExecutor = ReturnType<typeof createIdempotentExecutor>;

/** Deletes expired keys, a bounded number at a time. */
export function purgeExpiredIdempotencyKeys(transact: Transactor, batchSize = 5000): Promise<number> {
  return transact((tx) => runStatement(tx, deleteExpiredKeys(batchSize)));
}
