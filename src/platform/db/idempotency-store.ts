/**
 * Storage of idempotency keys and their responses, as statements that take any number of keys at
 * once, so that a batch of commands costs a fixed number of statements whatever its size.
 */
import { literal, parameterized, type Statement } from './script.js';

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
export function tryLockKeys(refs: readonly IdempotencyKeyRef[]): Statement<boolean[]> {
  return parameterized(
    (values) => `select ordinality, pg_try_advisory_xact_lock(hashtextextended(k, 7)) as locked
                   from unnest(${values.array(refs.map(keyId), 'text')}) with ordinality as t(k, ordinality)
                  order by ordinality`,
    (rows) => (rows as { locked: boolean }[]).map((row) => row.locked),
  );
}

/**
 * Live (unexpired) stored responses of the keys, by keyId. Run it after tryLockKeys.
 *
 * Written as one primary-key lookup per key (a lateral subquery with a limit, which the planner
 * cannot turn into a join) so that its plan never depends on the table's statistics: a prepared
 * statement keeps the plan made when it was first used, and a plain join planned while the table
 * was new and empty is a hash join over a full scan, which stays in use as the table grows.
 */
export function findStoredResponses(refs: readonly IdempotencyKeyRef[]): Statement<Map<string, StoredResponse>> {
  return parameterized(
    (values) => `select i.scope, i.key, i.request_hash, i.status_code, i.response_body
                   from unnest(${values.array(refs.map((ref) => ref.scope), 'text')}, ${values.array(refs.map((ref) => ref.key), 'text')}) as k(scope, key)
                  cross join lateral (
                        select * from idempotency_keys i
                         where i.scope = k.scope and i.key = k.key and i.expires_at > now()
                         limit 1) i`,
    (rows) =>
      new Map(
        (rows as { scope: string; key: string; request_hash: string; status_code: number; response_body: string }[]).map((row) => [
          keyId(row),
          { fingerprint: row.request_hash, statusCode: row.status_code, payload: row.response_body },
        ]),
      ),
  );
}

export interface ResponseToStore extends IdempotencyKeyRef, StoredResponse {}

/** Stores responses; an expired record of the same key is replaced. */
export function storeResponses(rows: readonly ResponseToStore[], ttlHours: number): Statement<void> {
  return parameterized(
    (values) => `insert into idempotency_keys (scope, key, request_hash, status_code, response_body, expires_at)
                 select scope, key, request_hash, status_code, response_body, now() + make_interval(hours => ${values.value(ttlHours, 'int4')})
                   from rows from (unnest(${values.array(rows.map((row) => row.scope), 'text')}), unnest(${values.array(rows.map((row) => row.key), 'text')}),
                                   unnest(${values.array(rows.map((row) => row.fingerprint), 'text')}), unnest(${values.array(rows.map((row) => row.statusCode), 'int4')}),
                                   json_array_elements_text(${values.texts(rows.map((row) => row.payload))})) as t(scope, key, request_hash, status_code, response_body)
                 on conflict (scope, key) do update
                    set request_hash = excluded.request_hash, status_code = excluded.status_code,
                        response_body = excluded.response_body, created_at = now(), expires_at = excluded.expires_at
                  where idempotency_keys.expires_at <= now()`,
    () => undefined,
  );
}

/** Deletes expired keys, a bounded number at a time. */
export function deleteExpiredKeys(batchSize: number): Statement<number> {
  return {
    sql: `with gone as (
            delete from idempotency_keys where ctid in (
              select ctid from idempotency_keys where expires_at <= now() limit ${literal(batchSize)})
            returning 1)
          select count(*)::int4 as count from gone`,
    parse: (rows) => (rows as { count: number }[])[0]?.count ?? 0,
  };
}
