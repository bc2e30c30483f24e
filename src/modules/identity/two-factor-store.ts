/**
 * SQL of the second-factor credentials: the transaction PIN (user_pins), the TOTP enrolment
 * (user_two_factor) and the recovery codes (user_recovery_codes). Every time comparison uses the
 * time the caller passes (context.now()), never the database clock, so that tests can move time.
 *
 * Failure counters are claimed before a secret is verified (see claimAttempt): concurrent guesses
 * each take a numbered attempt, so parallel requests cannot try more than the threshold allows.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';

type Executor = Db | Tx;

/** The tables whose rows carry a failure counter and a lock. */
export type GuardedTable = 'user_pins' | 'user_two_factor';

function guarded(table: GuardedTable) {
  // Only these two literal names ever reach the statement.
  return sql.table(table === 'user_pins' ? 'user_pins' : 'user_two_factor');
}

export interface AttemptGuard {
  readonly failedAttempts: number;
  readonly lockedUntil: Date | null;
}

/**
 * Takes the next attempt number of a guarded secret: the counter goes up by one before the secret is
 * checked (an expired lock starts the count again at one). Returns undefined when the row is missing
 * or locked at `now`. The caller resets the count when the secret matches.
 */
export async function claimAttempt(executor: Executor, table: GuardedTable, userId: string, now: Date): Promise<number | undefined> {
  const result = await sql<{ failed_attempts: number }>`
    update ${guarded(table)}
       set failed_attempts = case when locked_until is null then failed_attempts + 1 else 1 end,
           locked_until = null, updated_at = ${now}::timestamptz
     where user_id = ${userId} and (locked_until is null or locked_until <= ${now}::timestamptz)
    returning failed_attempts`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : Number(row.failed_attempts);
}

/** Clears the failure count after a matching secret. */
export async function resetAttempts(executor: Executor, table: GuardedTable, userId: string, now: Date): Promise<void> {
  await sql`update ${guarded(table)} set failed_attempts = 0, locked_until = null, updated_at = ${now}::timestamptz
             where user_id = ${userId}`.execute(executor);
}

/**
 * Locks a guarded secret until `until`, when its count has reached `threshold` and no one has reset
 * it meanwhile. Returns whether it locked (so that the lock is audited once).
 */
export async function lockAfterFailures(
  executor: Executor,
  table: GuardedTable,
  options: { userId: string; threshold: number; until: Date; now: Date },
): Promise<boolean> {
  const result = await sql`
    update ${guarded(table)} set locked_until = ${options.until}::timestamptz, updated_at = ${options.now}::timestamptz
     where user_id = ${options.userId} and failed_attempts >= ${options.threshold} and locked_until is null
    returning user_id`.execute(executor);
  return result.rows.length > 0;
}

// Transaction PIN.

export interface PinRecord extends AttemptGuard {
  readonly pinHash: string;
}

export async function findPin(executor: Executor, userId: string): Promise<PinRecord | undefined> {
  const result = await sql<{ pin_hash: string; failed_attempts: number; locked_until: Date | null }>`
    select pin_hash, failed_attempts, locked_until from user_pins where user_id = ${userId}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : { pinHash: row.pin_hash, failedAttempts: Number(row.failed_attempts), lockedUntil: row.locked_until };
}

/** Sets or replaces a PIN, which clears its failure count and lock. */
export async function upsertPin(executor: Executor, options: { userId: string; pinHash: string; now: Date }): Promise<void> {
  await sql`
    insert into user_pins (user_id, pin_hash, created_at, updated_at)
    values (${options.userId}, ${options.pinHash}, ${options.now}::timestamptz, ${options.now}::timestamptz)
    on conflict (user_id) do update
       set pin_hash = excluded.pin_hash, failed_attempts = 0, locked_until = null, updated_at = excluded.updated_at`.execute(executor);
}

// TOTP enrolment.

export interface TwoFactorRecord extends AttemptGuard {
  readonly secretSealed: string;
  readonly enabledAt: Date | null;
  readonly lastUsedStep: number | null;
}

interface TwoFactorRow {
  secret_sealed: string;
  enabled_at: Date | null;
  last_used_step: bigint | string | null;
  failed_attempts: number;
  locked_until: Date | null;
}

export async function findTwoFactor(executor: Executor, userId: string): Promise<TwoFactorRecord | undefined> {
  const result = await sql<TwoFactorRow>`
    select secret_sealed, enabled_at, last_used_step, failed_attempts, locked_until
      from user_two_factor where user_id = ${userId}`.execute(executor);
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return {
    secretSealed: row.secret_sealed,
    enabledAt: row.enabled_at,
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    failedAttempts: Number(row.failed_attempts),
    lockedUntil: row.locked_until,
  };
}

/**
 * Stores a pending (not yet confirmed) enrolment, replacing an earlier pending one. Returns false,
 * changing nothing, when two-factor authentication is already on.
 */
export async function savePendingTwoFactor(executor: Executor, options: { userId: string; secretSealed: string; now: Date }): Promise<boolean> {
  const result = await sql`
    insert into user_two_factor as t (user_id, secret_sealed, created_at, updated_at)
    values (${options.userId}, ${options.secretSealed}, ${options.now}::timestamptz, ${options.now}::timestamptz)
    on conflict (user_id) do update
       set secret_sealed = excluded.secret_sealed, last_used_step = null, failed_attempts = 0, locked_until = null,
           created_at = excluded.created_at, updated_at = excluded.updated_at
     where t.enabled_at is null
    returning user_id`.execute(executor);
  return result.rows.length > 0;
}

/** Turns a pending enrolment on, remembering the step of the confirming code. False when not pending. */
export async function enableTwoFactor(executor: Executor, options: { userId: string; step: number; now: Date }): Promise<boolean> {
  const result = await sql`
    update user_two_factor set enabled_at = ${options.now}::timestamptz, last_used_step = ${options.step}::int8,
           failed_attempts = 0, locked_until = null, updated_at = ${options.now}::timestamptz
     where user_id = ${options.userId} and enabled_at is null
    returning user_id`.execute(executor);
  return result.rows.length > 0;
}

/**
 * Records a TOTP time step as used, if it is later than every step used before. False when the step
 * (or a later one) was already used: each code works once, even under concurrent requests.
 */
export async function useTotpStep(executor: Executor, options: { userId: string; step: number; now: Date }): Promise<boolean> {
  const result = await sql`
    update user_two_factor set last_used_step = ${options.step}::int8, updated_at = ${options.now}::timestamptz
     where user_id = ${options.userId} and enabled_at is not null
       and (last_used_step is null or last_used_step < ${options.step}::int8)
    returning user_id`.execute(executor);
  return result.rows.length > 0;
}

/** Removes the enrolment and the recovery codes; returns whether two-factor authentication was on. */
export async function deleteTwoFactor(executor: Executor, userId: string): Promise<boolean> {
  await sql`delete from user_recovery_codes where user_id = ${userId}`.execute(executor);
  const result = await sql`delete from user_two_factor where user_id = ${userId} and enabled_at is not null returning user_id`.execute(executor);
  return result.rows.length > 0;
}

// Recovery codes.

/** Replaces every recovery code of a user with new ones (given as hashes). */
export async function replaceRecoveryCodes(executor: Executor, options: { userId: string; codeHashes: readonly string[]; now: Date }): Promise<void> {
  await sql`delete from user_recovery_codes where user_id = ${options.userId}`.execute(executor);
  await sql`
    insert into user_recovery_codes (user_id, code_hash, created_at)
    select ${options.userId}, h, ${options.now}::timestamptz from unnest(${[...options.codeHashes]}::text[]) as h`.execute(executor);
}

/** Marks an unused recovery code used; false when there is no such unused code. */
export async function useRecoveryCode(executor: Executor, options: { userId: string; codeHash: string; now: Date }): Promise<boolean> {
  const result = await sql`
    update user_recovery_codes set used_at = ${options.now}::timestamptz
     where user_id = ${options.userId} and code_hash = ${options.codeHash} and used_at is null
    returning user_id`.execute(executor);
  return result.rows.length > 0;
}

export async function countUnusedRecoveryCodes(executor: Executor, userId: string): Promise<number> {
  const result = await sql<{ count: bigint }>`
    select count(*)::int8 as count from user_recovery_codes where user_id = ${userId} and used_at is null`.execute(executor);
  return Number(result.rows[0]?.count ?? 0n);
}
