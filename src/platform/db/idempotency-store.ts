/**
 * Storage of idempotency keys and their responses, set-based so that a batch of commands costs a
 * fixed number of statements whatever its size.
 */
import { sql } from 'kysely';
import type { Db } from './database.js';
import type { Tx } from './transaction.js';

export interface IdempotencyKeyRef {
  /** The caller's identity; keys are unique per scope. */
  readonly scope: string;
  readonly key: string;
}

export interface StoredResponse {
  readonly fingerprint: string;
  readonly statusCode: number;
  readonly payload: string;
}

export function keyId(ref: IdempotencyKeyRef): string {
  return `${ref.scope}|${ref.key}`;
}

/**
 * Takes a transaction-scoped advisory lock per key without waiting. A key whose lock is held by
 * another transaction (a twin request still running, in this process or another) comes back false.
 */
export async function tryLockKeys(tx: Tx, refs: readonly IdempotencyKeyRef[]): Promise<boolean[]> {
  if (refs.length === 0) return [];
  const result = await sql<{ ordinality: bigint; locked: boolean }>`
    select ordinality, pg_try_advisory_xact_lock(hashtextextended(k, 7)) as locked
      from unnest(${refs.map(keyId)}::text[]) with ordinality as t(k, ordinality)
     order by ordinality`.execute(tx);
  return result.rows.map((row) => row.locked);
}

/** Live (unexpired) stored responses of the keys, by keyId. */
export async function findStoredResponses(tx: Tx | Db, refs: readonly IdempotencyKeyRef[]): Promise<Map<string, StoredResponse>> {
  if (refs.length === 0) return new Map();
  const result = await sql<{ scope: string; key: string; request_hash: string; status_code: number; response_body: string }>`
    select i.scope, i.key, i.request_hash, i.status_code, i.response_body
      from idempotency_keys i
      join unnest(${refs.map((ref) => ref.scope)}::text[], ${refs.map((ref) => ref.key)}::text[]) as k(scope, key)
        on i.scope = k.scope and i.key = k.key
     where i.expires_at > now()`.execute(tx);
  return new Map(
    result.rows.map((row) => [
      keyId(row),
      { fingerprint: row.request_hash, statusCode: row.status_code, payload: row.response_body },
    ]),
  );
}

export interface ResponseToStore extends IdempotencyKeyRef, StoredResponse {}

/** Stores responses; an expired record of the same key is replaced. */
export async function storeResponses(tx: Tx, rows: readonly ResponseToStore[], ttlHours: number): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    insert into idempotency_keys (scope, key, request_hash, status_code, response_body, expires_at)
    select scope, key, request_hash, status_code, response_body, now() + make_interval(hours => ${ttlHours})
      from unnest(${rows.map((row) => row.scope)}::text[], ${rows.map((row) => row.key)}::text[],
                  ${rows.map((row) => row.fingerprint)}::text[], ${rows.map((row) => row.statusCode)}::int[],
                  ${rows.map((row) => row.payload)}::text[]) as t(scope, key, request_hash, status_code, response_body)
    on conflict (scope, key) do update
       set request_hash = excluded.request_hash, status_code = excluded.status_code,
           response_body = excluded.response_body, created_at = now(), expires_at = excluded.expires_at
     where idempotency_keys.expires_at <= now()`.execute(tx);
}

/** Deletes expired keys, a bounded number at a time. */
export async function deleteExpiredKeys(tx: Tx, batchSize: number): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys where expires_at <= now() limit ${batchSize})`.execute(tx);
  return Number(result.numAffectedRows ?? 0n);
}
