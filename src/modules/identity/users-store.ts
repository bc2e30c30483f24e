/**
 * SQL of profile changes and user management: profile updates, KYC decisions, blocking, roles and
 * the staff list of users (the users table only; sessions are revoked through session-store.ts).
 */
import { sql } from 'kysely';
import type { Role } from '../../core/roles.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import { USER_COLUMNS, toUser, type KycStatus, type UserRow, type UserStatus, type UserWithCredentials } from './store.js';

type Executor = Db | Tx;

/** A user row locked for the rest of the transaction, or undefined when no user has this id. */
export async function lockUser(tx: Tx, id: string): Promise<UserWithCredentials | undefined> {
  const result = await sql<UserRow>`select ${USER_COLUMNS} from users where id = ${id} for update`.execute(tx);
  const row = result.rows[0];
  return row === undefined ? undefined : toUser(row);
}

/**
 * Locks every active super admin (in id order, so concurrent changes queue instead of
 * deadlocking) and returns their ids: the check that one always remains holds under concurrency.
 */
export async function lockActiveSuperAdmins(tx: Tx): Promise<string[]> {
  const result = await sql<{ id: string }>`
    select id from users where role = 'super_admin' and status = 'active' order by id for update`.execute(tx);
  return result.rows.map((row) => row.id);
}

export async function emailTakenByAnother(executor: Executor, options: { email: string; userId: string }): Promise<boolean> {
  const result = await sql<{ id: string }>`select id from users where email = ${options.email} and id <> ${options.userId} limit 1`.execute(executor);
  return result.rows.length > 0;
}

export interface ProfileColumns {
  readonly fullName?: string;
  readonly email?: string;
  readonly phone?: string | null;
  readonly dateOfBirth?: string | null;
}

/** Writes the given profile columns (others stay); a taken email raises a unique violation (23505). */
export async function updateProfileColumns(tx: Tx, options: { id: string; changes: ProfileColumns; now: Date }): Promise<UserWithCredentials> {
  const { changes } = options;
  const sets = [sql`updated_at = ${options.now}`];
  if (changes.fullName !== undefined) sets.push(sql`full_name = ${changes.fullName}`);
  if (changes.email !== undefined) sets.push(sql`email = ${changes.email}`);
  if (changes.phone !== undefined) sets.push(sql`phone = ${changes.phone}`);
  if (changes.dateOfBirth !== undefined) sets.push(sql`date_of_birth = ${changes.dateOfBirth}::date`);
  const result = await sql<UserRow>`update users set ${sql.join(sets)} where id = ${options.id} returning ${USER_COLUMNS}`.execute(tx);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`user ${options.id} vanished`);
  return toUser(row);
}

export async function updateKyc(
  tx: Tx,
  options: { id: string; status: KycStatus; reason: string; decidedBy: string | null; now: Date },
): Promise<UserWithCredentials> {
  const result = await sql<UserRow>`
    update users set kyc_status = ${options.status}, kyc_reason = ${options.reason}, kyc_decided_by = ${options.decidedBy},
                     kyc_decided_at = ${options.now}, updated_at = ${options.now}
     where id = ${options.id} returning ${USER_COLUMNS}`.execute(tx);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`user ${options.id} vanished`);
  return toUser(row);
}

export async function updateStatus(
  tx: Tx,
  options: { id: string; status: UserStatus; reason: string | null; changedBy: string | null; now: Date },
): Promise<UserWithCredentials> {
  const result = await sql<UserRow>`
    update users set status = ${options.status}, status_reason = ${options.reason}, status_changed_by = ${options.changedBy},
                     status_changed_at = ${options.now}, updated_at = ${options.now}
     where id = ${options.id} returning ${USER_COLUMNS}`.execute(tx);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`user ${options.id} vanished`);
  return toUser(row);
}

export async function updateRole(tx: Tx, options: { id: string; role: Role; now: Date }): Promise<UserWithCredentials> {
  const result = await sql<UserRow>`
    update users set role = ${options.role}, updated_at = ${options.now} where id = ${options.id} returning ${USER_COLUMNS}`.execute(tx);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`user ${options.id} vanished`);
  return toUser(row);
}

export interface UserFilter {
  /** Text found in the username, email or full name (case-insensitive). */
  readonly text?: string | undefined;
  readonly role?: Role | undefined;
  readonly status?: UserStatus | undefined;
  readonly kycStatus?: KycStatus | undefined;
  /** Only users with seq below this (the cursor). */
  readonly beforeSeq?: bigint | undefined;
  readonly limit: number;
}

/** Escapes LIKE's wildcards so that searched text matches literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Users newest first, by the filter, each with its sequence number (the cursor's key). */
export async function listUserRows(executor: Executor, filter: UserFilter): Promise<Array<{ user: UserWithCredentials; seq: bigint }>> {
  const pattern = filter.text === undefined ? null : likePattern(filter.text);
  const result = await sql<UserRow & { seq: bigint }>`
    select ${USER_COLUMNS}, seq from users
     where (${pattern}::text is null
            or username ilike ${pattern}::text escape '\\' or email ilike ${pattern}::text escape '\\' or full_name ilike ${pattern}::text escape '\\')
       and (${filter.role ?? null}::text is null or role = ${filter.role ?? null}::text)
       and (${filter.status ?? null}::text is null or status = ${filter.status ?? null}::text)
       and (${filter.kycStatus ?? null}::text is null or kyc_status = ${filter.kycStatus ?? null}::text)
       and (${filter.beforeSeq ?? null}::int8 is null or seq < ${filter.beforeSeq ?? null}::int8)
     order by seq desc
     limit ${filter.limit}`.execute(executor);
  return result.rows.map((row) => ({ user: toUser(row), seq: BigInt(row.seq) }));
}

/**
 * The KYC statuses of users, as an SQL expression for the user whose id is `userIdSql` (a column
 * or literal of the caller's statement). Other modules decide by KYC tier inside their own
 * statements with it (the transfer engine has no round trip to spare), without naming this
 * module's tables.
 */
export function kycStatusExpression(userIdSql: string): string {
  return `(select kyc_users.kyc_status from users kyc_users where kyc_users.id = ${userIdSql})`;
}
