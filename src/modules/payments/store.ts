/** SQL of the payments module: transfers (every money movement) and beneficiaries. */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import { parameterized, type Literal, type SqlType, type Statement } from '../../platform/db/script.js';

type Executor = Db | Tx;

export type MovementKind = 'deposit' | 'withdrawal' | 'transfer' | 'reversal';
export type TransferStatus = 'posted' | 'reversed';

export interface TransferRecord {
  readonly id: string;
  readonly seq: bigint;
  readonly kind: MovementKind;
  readonly status: TransferStatus;
  readonly fromAccountId: string | null;
  readonly toAccountId: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string | null;
  readonly entryId: string;
  readonly reversalOf: string | null;
  readonly reason: string | null;
  readonly initiatedBy: string;
  readonly createdAt: Date;
}

interface TransferRow {
  id: string;
  seq: bigint;
  kind: MovementKind;
  status: TransferStatus;
  from_account_id: string | null;
  to_account_id: string | null;
  amount_minor: bigint;
  currency: string;
  description: string | null;
  entry_id: string;
  reversal_of: string | null;
  reason: string | null;
  initiated_by: string;
  created_at: Date;
}

function toRecord(row: TransferRow): TransferRecord {
  return {
    id: row.id,
    seq: row.seq,
    kind: row.kind,
    status: row.status,
    fromAccountId: row.from_account_id,
    toAccountId: row.to_account_id,
    amountMinor: row.amount_minor,
    currency: row.currency.trim(),
    description: row.description,
    entryId: row.entry_id,
    reversalOf: row.reversal_of,
    reason: row.reason,
    initiatedBy: row.initiated_by,
    createdAt: row.created_at,
  };
}

export interface NewTransfer {
  readonly id: string;
  readonly kind: MovementKind;
  readonly fromAccountId: string | null;
  readonly toAccountId: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string | null;
  readonly entryId: string;
  readonly reversalOf: string | null;
  readonly reason: string | null;
  readonly initiatedBy: string;
  /** The bank day (YYYY-MM-DD) whose daily-limit usage the movement counts against, if limited. */
  readonly limitDay: string | null;
}

export async function findTransfer(executor: Executor, id: string): Promise<TransferRecord | undefined> {
  const result = await sql<TransferRow>`select * from transfers where id = ${id}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toRecord(row);
}

/** A transfer locked for a change, with the bank day whose daily-limit usage it counted against (null when none was recorded). */
export interface LockedTransfer extends TransferRecord {
  readonly limitDay: string | null;
}

export async function lockTransfer(tx: Tx, id: string): Promise<LockedTransfer | undefined> {
  const result = await sql<TransferRow & { limit_day_text: string | null }>`
    select *, limit_day::text as limit_day_text from transfers where id = ${id} for update`.execute(tx);
  const row = result.rows[0];
  return row === undefined ? undefined : { ...toRecord(row), limitDay: row.limit_day_text };
}

export async function markReversed(tx: Tx, id: string): Promise<void> {
  await sql`update transfers set status = 'reversed' where id = ${id}`.execute(tx);
}

/** Inserts transfer records with one set-based statement (no rows returned). */
export function insertTransfersStatement(transfers: readonly NewTransfer[]): Statement<void> {
  return parameterized((values) => {
    const column = (pick: (transfer: NewTransfer) => Literal, type: SqlType) => values.array(transfers.map(pick), type);
    return `insert into transfers (id, kind, from_account_id, to_account_id, amount_minor, currency, description, entry_id,
                                 reversal_of, reason, initiated_by, limit_day)
          select * from unnest(${column((t) => t.id, 'uuid')}, ${column((t) => t.kind, 'text')},
                               ${column((t) => t.fromAccountId, 'uuid')}, ${column((t) => t.toAccountId, 'uuid')},
                               ${column((t) => t.amountMinor, 'int8')}, ${column((t) => t.currency, 'text')},
                               ${column((t) => t.description, 'text')}, ${column((t) => t.entryId, 'uuid')},
                               ${column((t) => t.reversalOf, 'uuid')}, ${column((t) => t.reason, 'text')},
                               ${column((t) => t.initiatedBy, 'uuid')}, ${column((t) => t.limitDay, 'date')})`;
  }, () => undefined);
}

/** The day's usage of several accounts, as a statement (see dailyUsage). */
export function dailyUsageStatement(accountIds: readonly string[], day: string): Statement<Map<string, bigint>> {
  return parameterized(
    (values) => `select account_id, used_minor from account_daily_usage
                  where account_id = any(${values.array(accountIds, 'uuid')}) and day = ${values.value(day, 'date')}`,
    (rows) => new Map((rows as { account_id: string; used_minor: bigint }[]).map((row) => [row.account_id, BigInt(row.used_minor)])),
  );
}

/** Adds money sent on a bank day to each account's usage (the caller holds the accounts' locks). */
export function addDailyUsageStatement(day: string, amounts: ReadonlyMap<string, bigint>): Statement<void> {
  return parameterized(
    (values) => `insert into account_daily_usage (account_id, day, used_minor)
                 select account_id, ${values.value(day, 'date')}, used_minor
                   from unnest(${values.array([...amounts.keys()], 'uuid')}, ${values.array([...amounts.values()], 'int8')}) as t(account_id, used_minor)
                 on conflict (account_id, day) do update set used_minor = account_daily_usage.used_minor + excluded.used_minor`,
    () => undefined,
  );
}

/**
 * Gives back to an account's usage of a bank day the amount of a reversed movement sent that day
 * (never below zero); returns how much was given back.
 */
export async function restoreDailyUsage(tx: Tx, options: { accountId: string; day: string; amountMinor: bigint }): Promise<bigint> {
  // The self-join reads the row as it was before the update, so the difference is what was given back.
  const result = await sql<{ restored: bigint }>`
    update account_daily_usage usage set used_minor = greatest(0, usage.used_minor - ${options.amountMinor}::int8)
      from account_daily_usage old
     where usage.account_id = ${options.accountId} and usage.day = ${options.day}::date
       and old.account_id = usage.account_id and old.day = usage.day
    returning (old.used_minor - usage.used_minor)::int8 as restored`.execute(tx);
  return BigInt(result.rows[0]?.restored ?? 0n);
}

/** Money sent from each account on a bank day (withdrawals and outgoing transfers); absent when none. */
export async function dailyUsage(executor: Executor, accountIds: readonly string[], day: string): Promise<Map<string, bigint>> {
  if (accountIds.length === 0) return new Map();
  const result = await sql<{ account_id: string; used_minor: bigint }>`
    select account_id, used_minor from account_daily_usage
     where account_id = any(${[...accountIds]}::uuid[]) and day = ${day}::date`.execute(executor);
  return new Map(result.rows.map((row) => [row.account_id, row.used_minor]));
}


export interface TransferFilter {
  /** Only movements touching one of these accounts; undefined for all (staff). */
  readonly accountIds?: readonly string[] | undefined;
  readonly kind?: MovementKind | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly currency?: string | undefined;
  readonly minAmountMinor?: bigint | undefined;
  readonly maxAmountMinor?: bigint | undefined;
  /** Case-insensitive substring of the description. */
  readonly text?: string | undefined;
  readonly beforeSeq?: bigint | undefined;
  readonly limit: number;
}

export async function listTransfers(executor: Executor, filter: TransferFilter): Promise<TransferRecord[]> {
  const ids = filter.accountIds === undefined ? null : [...filter.accountIds];
  const pattern = filter.text === undefined ? null : `%${filter.text.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
  const result = await sql<TransferRow>`
    select * from transfers
     where (${ids}::uuid[] is null or from_account_id = any(${ids}::uuid[]) or to_account_id = any(${ids}::uuid[]))
       and (${filter.kind ?? null}::text is null or kind = ${filter.kind ?? null}::text)
       and (${filter.from ?? null}::timestamptz is null or created_at >= ${filter.from ?? null}::timestamptz)
       and (${filter.to ?? null}::timestamptz is null or created_at < ${filter.to ?? null}::timestamptz)
       and (${filter.currency ?? null}::text is null or currency = ${filter.currency ?? null}::text)
       and (${filter.minAmountMinor ?? null}::int8 is null or amount_minor >= ${filter.minAmountMinor ?? null}::int8)
       and (${filter.maxAmountMinor ?? null}::int8 is null or amount_minor <= ${filter.maxAmountMinor ?? null}::int8)
       and (${pattern}::text is null or description ilike ${pattern}::text)
       and (${filter.beforeSeq ?? null}::int8 is null or seq < ${filter.beforeSeq ?? null}::int8)
     order by seq desc
     limit ${filter.limit}`.execute(executor);
  return result.rows.map(toRecord);
}

export interface BeneficiaryRecord {
  readonly id: string;
  readonly seq: bigint;
  readonly ownerId: string;
  readonly accountId: string;
  readonly name: string;
  readonly nickname: string | null;
  readonly createdAt: Date;
}

interface BeneficiaryRow {
  id: string;
  seq: bigint;
  owner_id: string;
  account_id: string;
  name: string;
  nickname: string | null;
  created_at: Date;
}

function toBeneficiary(row: BeneficiaryRow): BeneficiaryRecord {
  return {
    id: row.id,
    seq: row.seq,
    ownerId: row.owner_id,
    accountId: row.account_id,
    name: row.name,
    nickname: row.nickname,
    createdAt: row.created_at,
  };
}

export async function insertBeneficiary(
  executor: Executor,
  beneficiary: { id: string; ownerId: string; accountId: string; name: string; nickname: string | null },
): Promise<BeneficiaryRecord | undefined> {
  const result = await sql<BeneficiaryRow>`
    insert into beneficiaries (id, owner_id, account_id, name, nickname)
    values (${beneficiary.id}, ${beneficiary.ownerId}, ${beneficiary.accountId}, ${beneficiary.name}, ${beneficiary.nickname})
    on conflict (owner_id, account_id) do nothing
    returning *`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toBeneficiary(row);
}

export async function findBeneficiary(executor: Executor, id: string): Promise<BeneficiaryRecord | undefined> {
  const result = await sql<BeneficiaryRow>`select * from beneficiaries where id = ${id}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toBeneficiary(row);
}

export async function listBeneficiaries(executor: Executor, ownerId: string, limit: number): Promise<BeneficiaryRecord[]> {
  const result = await sql<BeneficiaryRow>`
    select * from beneficiaries where owner_id = ${ownerId} order by seq desc limit ${limit}`.execute(executor);
  return result.rows.map(toBeneficiary);
}

export async function countBeneficiaries(executor: Executor, ownerId: string): Promise<number> {
  const result = await sql<{ count: bigint }>`select count(*)::int8 as count from beneficiaries where owner_id = ${ownerId}`.execute(executor);
  return Number(result.rows[0]?.count ?? 0n);
}

export async function deleteBeneficiary(executor: Executor, options: { id: string; ownerId: string }): Promise<boolean> {
  const result = await sql`delete from beneficiaries where id = ${options.id} and owner_id = ${options.ownerId}`.execute(executor);
  return (result.numAffectedRows ?? 0n) > 0n;
}
