/** SQL of the identity module: users (sessions and sign-in are in session-store.ts). */
import { sql } from 'kysely';
import type { Role } from '../../core/roles.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';

type Executor = Db | Tx;

export type UserStatus = 'active' | 'blocked';
export type KycStatus = 'pending' | 'verified' | 'rejected';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly fullName: string;
  readonly phone: string | null;
  readonly dateOfBirth: string | null;
  readonly role: Role;
  readonly status: UserStatus;
  readonly kycStatus: KycStatus;
  /** Why the KYC status was last decided, by whom (null: the system) and when (null: never decided). */
  readonly kycReason: string | null;
  readonly kycDecidedBy: string | null;
  readonly kycDecidedAt: Date | null;
  /** Why the user was last blocked or unblocked, by whom and when (null: never). */
  readonly statusReason: string | null;
  readonly statusChangedBy: string | null;
  readonly statusChangedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface UserWithCredentials extends User {
  readonly passwordHash: string;
}

export interface UserRow {
  id: string;
  username: string;
  email: string;
  full_name: string;
  phone: string | null;
  date_of_birth: string | null;
  password_hash: string;
  role: Role;
  status: UserStatus;
  kyc_status: KycStatus;
  kyc_reason: string | null;
  kyc_decided_by: string | null;
  kyc_decided_at: Date | null;
  status_reason: string | null;
  status_changed_by: string | null;
  status_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const USER_COLUMNS = sql`id, username, email, full_name, phone, to_char(date_of_birth, 'YYYY-MM-DD') as date_of_birth,
  password_hash, role, status, kyc_status, kyc_reason, kyc_decided_by, kyc_decided_at, status_reason, status_changed_by,
  status_changed_at, created_at, updated_at`;

export function toUser(row: UserRow): UserWithCredentials {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    fullName: row.full_name,
    phone: row.phone,
    dateOfBirth: row.date_of_birth,
    role: row.role,
    status: row.status,
    kycStatus: row.kyc_status,
    kycReason: row.kyc_reason,
    kycDecidedBy: row.kyc_decided_by,
    kycDecidedAt: row.kyc_decided_at,
    statusReason: row.status_reason,
    statusChangedBy: row.status_changed_by,
    statusChangedAt: row.status_changed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    passwordHash: row.password_hash,
  };
}

export function withoutCredentials(user: UserWithCredentials): User {
  const { passwordHash: _passwordHash, ...rest } = user;
  return rest;
}

/** Inserts a user; returns undefined when the username or email is taken. */
export async function insertUser(
  executor: Executor,
  user: {
    id: string;
    username: string;
    email: string;
    fullName: string;
    phone: string | null;
    dateOfBirth: string | null;
    passwordHash: string;
    role: Role;
  },
): Promise<UserWithCredentials | undefined> {
  const result = await sql<UserRow>`
    insert into users (id, username, email, full_name, phone, date_of_birth, password_hash, role)
    values (${user.id}, ${user.username}, ${user.email}, ${user.fullName}, ${user.phone}, ${user.dateOfBirth}::date,
            ${user.passwordHash}, ${user.role})
    on conflict do nothing
    returning ${USER_COLUMNS}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toUser(row);
}

export async function findUserByLogin(executor: Executor, login: string): Promise<UserWithCredentials | undefined> {
  const result = await sql<UserRow>`
    select ${USER_COLUMNS} from users where username = ${login} or email = ${login} limit 1`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toUser(row);
}

export async function findUserById(executor: Executor, id: string): Promise<UserWithCredentials | undefined> {
  const result = await sql<UserRow>`select ${USER_COLUMNS} from users where id = ${id}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toUser(row);
}

export async function usernameOrEmailTaken(executor: Executor, username: string, email: string): Promise<'username' | 'email' | undefined> {
  const result = await sql<{ username: string; email: string }>`
    select username, email from users where username = ${username} or email = ${email} limit 2`.execute(executor);
  if (result.rows.some((row) => row.username === username)) return 'username';
  if (result.rows.some((row) => row.email === email)) return 'email';
  return undefined;
}

export async function countUsers(executor: Executor): Promise<number> {
  const result = await sql<{ count: bigint }>`select count(*)::int8 as count from users`.execute(executor);
  return Number(result.rows[0]?.count ?? 0n);
}
