/** SQL of the accounts module (the accounts table only; balances and statuses live in the ledger). */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import { parameterized, runStatement, type Statement } from '../../platform/db/script.js';

type Executor = Db | Tx;

export type AccountType = 'savings' | 'checking' | 'wallet' | 'loan';

export interface AccountRecord {
  readonly id: string;
  readonly seq: bigint;
  readonly number: string;
  readonly ownerId: string;
  readonly type: AccountType;
  readonly currency: string;
  readonly nickname: string | null;
  readonly dailyLimitMinor: bigint | null;
  readonly frozenByBank: boolean;
  readonly createdAt: Date;
}

interface AccountRow {
  id: string;
  seq: bigint;
  number: string;
  owner_id: string;
  type: AccountType;
  currency: string;
  nickname: string | null;
  daily_limit_minor: bigint | null;
  frozen_by_bank: boolean;
  created_at: Date;
}

function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    seq: BigInt(row.seq),
    number: row.number,
    ownerId: row.owner_id,
    type: row.type,
    currency: row.currency.trim(),
    nickname: row.nickname,
    dailyLimitMinor: row.daily_limit_minor === null ? null : BigInt(row.daily_limit_minor),
    frozenByBank: row.frozen_by_bank,
    createdAt: row.created_at,
  };
}

/** Inserts an account; returns undefined when the number is already taken. */
export async function insertAccount(
  tx: Tx,
  account: { id: string; number: string; ownerId: string; type: AccountType; currency: string; nickname: string | null },
): Promise<AccountRecord | undefined> {
  const result = await sql<AccountRow>`
    insert into accounts (id, number, owner_id, type, currency, nickname)
    values (${account.id}, ${account.number}, ${account.ownerId}, ${account.type}, ${account.currency}, ${account.nickname})
    on conflict (number) do nothing
    returning *`.execute(tx);
  const row = result.rows[0];
  return row === undefined ? undefined : toRecord(row);
}

export function accountsByIdsStatement(ids: readonly string[]): Statement<AccountRecord[]> {
  return parameterized(
    (values) => `select * from accounts where id = any(${values.array(ids, 'uuid')})`,
    (rows) => (rows as AccountRow[]).map(toRecord),
  );
}

export async function findAccountsByIds(executor: Executor, ids: readonly string[]): Promise<AccountRecord[]> {
  if (ids.length === 0) return [];
  return runStatement(executor, accountsByIdsStatement(ids));
}

export async function findAccountByNumber(executor: Executor, number: string): Promise<AccountRecord | undefined> {
  const result = await sql<AccountRow>`select * from accounts where number = ${number}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toRecord(row);
}

export async function listAccountIdsOfOwner(executor: Executor, ownerId: string): Promise<string[]> {
  const result = await sql<{ id: string }>`select id from accounts where owner_id = ${ownerId} order by seq`.execute(executor);
  return result.rows.map((row) => row.id);
}

export interface AccountFilter {
  readonly ownerId?: string | undefined;
  readonly type?: AccountType | undefined;
  readonly currency?: string | undefined;
  readonly numberPrefix?: string | undefined;
  /** Only accounts with seq below this (the cursor). */
  readonly beforeSeq?: bigint | undefined;
  readonly limit: number;
}

/** Accounts newest first, by the filter. */
export async function listAccounts(executor: Executor, filter: AccountFilter): Promise<AccountRecord[]> {
  const result = await sql<AccountRow>`
    select * from accounts
     where (${filter.ownerId ?? null}::uuid is null or owner_id = ${filter.ownerId ?? null}::uuid)
       and (${filter.type ?? null}::text is null or type = ${filter.type ?? null}::text)
       and (${filter.currency ?? null}::text is null or currency = ${filter.currency ?? null}::text)
       and (${filter.numberPrefix ?? null}::text is null or number like ${`${filter.numberPrefix ?? ''}%`})
       and (${filter.beforeSeq ?? null}::int8 is null or seq < ${filter.beforeSeq ?? null}::int8)
     order by seq desc
     limit ${filter.limit}`.execute(executor);
  return result.rows.map(toRecord);
}


export async function setFrozenByBank(tx: Tx, id: string, frozenByBank: boolean): Promise<void> {
  await sql`update accounts set frozen_by_bank = ${frozenByBank} where id = ${id}`.execute(tx);
}

export async function setDailyLimit(tx: Tx, id: string, dailyLimitMinor: bigint | null): Promise<void> {
  await sql`update accounts set daily_limit_minor = ${dailyLimitMinor} where id = ${id}`.execute(tx);
}

/** Serializes account changes of one owner for the rest of the transaction. */
export async function lockOwner(tx: Tx, ownerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${ownerId}, 11))`.execute(tx);
}
